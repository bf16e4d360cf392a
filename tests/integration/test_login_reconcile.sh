#!/usr/bin/env bash
# Login reconciliation (issue 19, item 5; docs/EVENTS.md): real logger(1) lines of the
# server's sshd and sudo sent over TCP to dcmond's syslog receiver.  A login inside an
# approved window (a silence of the server with its reason) is quiet; the same login
# once the window is over fires login-outside-window, mailed to the security route with
# the line quoted; an account not allowed on the server fires login-not-allowed even
# inside a window; failed ssh logins outside any window fire one login-failed alert that
# counts them (quiet inside one); a prohibited command (sudo COMMAND=, an auditd EXECVE
# record whose arguments are joined, hex-encoded ones decoded) fires
# login-prohibited-command at once.
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
      prohibited: ['iptables +-F', 'rm +-rf +/( |$)', '^sh -c cat /etc/shadow$']
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
send sshd "Failed password for alice from 10.9.9.5 port 50021 ssh2 marker1a"
wait_until 10 "the login stored" stored marker1
wait_until 10 "the failed login stored" stored marker1a
send sshd "Invalid user oracle from 203.0.113.9 port 40000 marker1b"
wait_until 10 "the failed login stored" stored marker1b
assert_eq "$(count_of login-outside-window)" none "a login inside the window counts nothing"
assert_eq "$(count_of login-failed)" none "failed logins inside the window count nothing"
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

# ---- failed ssh logins outside any window: one alert of the server, counting them ------
send sshd "Failed password for invalid user admin from 203.0.113.9 port 40001 ssh2"
send sshd "Invalid user oracle from 203.0.113.9 port 40002"
send sshd "Failed publickey for alice from 203.0.113.9 port 40003 ssh2: RSA SHA256:xyz"
send sshd "Failed password for root from 203.0.113.9 port 40004 ssh2"
wait_until 15 "login-failed counts 4" metric_is "$HOST" log_matches_count login-failed '.value == 4'
send sshd "Connection closed by 203.0.113.9 port 40005 [preauth] marker4"   # no login attempt
wait_until 10 "the closed connection stored" stored marker4
assert_eq "$(count_of login-failed)" 4 "a closed connection is no failed login"
wait_until 15 "login-failed firing" firing login-failed
assert_eq "$(api_get '/api/v1/alerts?rule=login-failed' | jq -r '[.alerts | length, .[0].severity] | join(" ")')" \
  "1 critical" "one critical alert for the server's failed logins"
failed_mailed() {
  msgs "$T/mail" | jq -r '.[] | select(.rcpt_tos | index("security@example.net")) | .data' |
    tr -d '\r' >"$T/bodies"
  grep -q "failed ssh logins on the server" "$T/bodies"
}
wait_until 20 "the security route's mail of the failed logins" failed_mailed
# the alert fires at the first failed line: its mail quotes that one (and those that
# came within the route's group_wait); the later ones only raise the count
grep -qE "^  .* $HOST sshd: Failed password for invalid user admin from 203\.0\.113\.9 port 40001 ssh2$" "$T/bodies" ||
  fail "the mail does not quote the failed login: $(cat "$T/bodies")"
assert_eq "$(msgs "$T/mail" | jq '[.[] | select(.data | contains("failed ssh logins on the server"))] | length')" 1 \
  "the failed logins are one mail, not one per line"
pass "failed ssh logins outside any window: one alert counting them, mailed once with the lines quoted"

# ---- a prohibited command, at once ------------------------------------------------------
send sudo "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/ls /root"
send sudo "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/sbin/iptables -F"
wait_until 15 "login-prohibited-command firing" firing login-prohibited-command
assert_eq "$(count_of login-prohibited-command)" 1 "only the iptables -F command counts"
assert_eq "$(api_get '/api/v1/alerts?rule=login-prohibited-command' | jq -r '.alerts[0].severity')" critical \
  "a prohibited command is critical"

# auditd's EXECVE records (through audisp-syslog): the arguments joined into the command
# line, a hex-encoded one (it holds a space) decoded, before the patterns see it
send audisp-syslog 'type=EXECVE msg=audit(1765000000.101:4711): argc=2 a0="ls" a1="/root"'
send audisp-syslog 'type=EXECVE msg=audit(1765000000.102:4712): argc=3 a0="rm" a1="-rf" a2="/"'
send audisp-syslog "node=$HOST type=EXECVE msg=audit(1765000000.103:4713): argc=3 a0=\"sh\" a1=\"-c\" a2=$(printf 'cat /etc/shadow' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
wait_until 15 "both EXECVE commands counted" metric_is "$HOST" log_matches_count login-prohibited-command '.value == 3'
send audisp-syslog 'type=EXECVE msg=audit(1765000000.104:4714): argc=3 a0="rm" a1="-rf" a2="/tmp/marker3"'
wait_until 10 "the last record stored" stored marker3
assert_eq "$(count_of login-prohibited-command)" 3 "ls /root and rm of a path under /tmp count nothing"
pass "auditd EXECVE records: rm -rf / and a hex-encoded sh -c cat /etc/shadow count as prohibited"

stop_dcmond
done_checks
