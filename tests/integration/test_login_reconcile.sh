#!/usr/bin/env bash
# Login reconciliation (issue 19, item 5; docs/EVENTS.md): real logger(1) lines of the
# server's sshd and sudo sent over TCP to dcmond's syslog receiver.  A login inside an
# approved window (a silence of the server with its reason) is quiet; the same login
# once the window is over fires login-outside-window, mailed to the security route with
# the line quoted; an account not allowed on the server fires login-not-allowed even
# inside a window; a prohibited command (sudo COMMAND=) fires login-prohibited-command
# at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/email_lib.sh"

# config errors name their place
cat >"$T/bad.yaml" <<EOF
daemon:
  socket: $T/bad.sock
  syslog:
    listen: 127.0.0.1
    rules:
      - {name: twice, match: a}
      - {name: twice, match: b}
    logins:
      prohibited: ['rm (-rf']
EOF
# refused: the bad.yaml of each step names its error, positioned
refused() { # WANT (a grep -E pattern)
  "$DCMOND" -t -c "$T/bad.yaml" >"$T/bad.out" 2>&1 && fail "bad.yaml taken: $1"
  grep -qE "$1" "$T/bad.out" || fail "no '$1' in: $(cat "$T/bad.out")"
}
refused "bad.yaml:9:7: error: syslog logins: prohibited 'rm \\(-rf': "
sed -i "s/prohibited: .*/prohibited: [x]/" "$T/bad.yaml"
refused "bad.yaml:7:9: error: syslog rule twice: name: taken by another log rule"
sed -i "s/prohibited: .*/allow: [{devices: [web1]}]/" "$T/bad.yaml"
refused "bad.yaml:[0-9]+:[0-9]+: error: missing required key 'accounts' in login allow entry"
pass "syslog.logins and log rule names: errors at file:line:col"

HOST=$(hostname)   # logger(1) sends this HOSTNAME: the server is the device of this id
TCP=$(free_port); SMTP=$(free_port)
{
  syslog_daemon_block "$SMTP" "$TCP"
  cat <<EOF
    udp_port: 0
    default_rules: false
    logins:
      allow:
        - {devices: [$HOST], accounts: [alice, deploy]}
      prohibited: ['iptables +-F', 'rm +-rf +/( |$)']
      window: 10m
  events: {retention: 30d}
devices:
  - {id: $HOST, kind: server, host: 192.0.2.10}
routes:
  - {name: security, match: {metric: log_matches_count, inst: "login-*"}, email: [security@example.net], group_wait: 1s}
EOF
} >"$T/dcmon.yaml"
start_sink "$T/mail" "$SMTP"
start_dcmond "$T/dcmon.yaml"

send() { logger -n 127.0.0.1 -P "$TCP" -T --octet-count -t "$1" -p authpriv.notice "$2"; }
stored() { [ "$(api_get "/api/v1/events/search?text=$1&limit=10" | jq '.events | length')" -ge 1 ]; }
count_of() { local v; v=$(metric_field "$HOST" log_matches_count "$1" value); echo "${v:-none}"; }
firing() { alert_is "$1" '.state == "firing"'; }

# ---- inside an approved window: quiet ---------------------------------------------------
"$DCMON" silence "device=$HOST" --for 1h --reason "kernel patching, change CHG-17" --json >"$T/silence.json"
sid=$(jq -r .id "$T/silence.json")
send sshd "Accepted publickey for alice from 10.9.9.5 port 50022 ssh2: ED25519 SHA256:abc marker1"
wait_until 10 "the login stored" stored marker1
assert_eq "$(count_of login-outside-window)" none "a login inside the window counts nothing"
assert_eq "$(count_of login-not-allowed)" none "alice is allowed on $HOST"

# an account not allowed on the server alerts even inside the window
send sshd "Accepted password for mallory from 10.9.9.6 port 50023 ssh2"
wait_until 15 "login-not-allowed" metric_is "$HOST" log_matches_count login-not-allowed '.value == 1'
assert_eq "$(count_of login-outside-window)" none "mallory's login counts as not allowed only"
pass "a login by an account not allowed on the server counts at once, window or not"

# ---- the window over: the same login alerts, to the security route ---------------------
"$DCMON" unsilence "$sid" >/dev/null
wait_until 15 "login-not-allowed firing (notified once the silence is over)" firing login-not-allowed
send sshd "Accepted publickey for alice from 10.9.9.5 port 50024 ssh2: ED25519 SHA256:abc marker2"
wait_until 15 "login-outside-window firing" firing login-outside-window
assert_eq "$(count_of login-outside-window)" 1 "the login outside any window counts once"
# both alerts reach the security route, in one message or two (a first message waits for
# its graph, and an alert raised meanwhile joins it)
outside_mailed() {
  msgs "$T/mail" | jq -r '.[] | select(.rcpt_tos | index("security@example.net")) | .data' |
    tr -d '\r' >"$T/bodies"
  grep -q "login on the server outside any approved window" "$T/bodies"
}
wait_until 20 "the security route's mail" outside_mailed
grep -qE "^  .* $HOST sshd: Accepted publickey for alice from 10\.9\.9\.5 port 50024 ssh2: ED25519 SHA256:abc marker2$" "$T/bodies" ||
  fail "the mail does not quote the login: $(cat "$T/bodies")"
grep -q "login on the server outside any approved window" "$T/bodies" || fail "no summary in the mail"
pass "a login outside any window alerts to the security route, the mail quoting the line"

# ---- a prohibited command, at once ------------------------------------------------------
send sudo "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/ls /root"
send sudo "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/sbin/iptables -F"
wait_until 15 "login-prohibited-command firing" firing login-prohibited-command
assert_eq "$(count_of login-prohibited-command)" 1 "only the iptables -F command counts"
assert_eq "$(api_get '/api/v1/alerts?rule=login-prohibited-command' | jq -r '.alerts[0].severity')" critical \
  "a prohibited command is critical"

stop_dcmond
done_checks
