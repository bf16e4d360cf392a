#!/usr/bin/env bash
# A relay that offers AUTH without TLS and no STARTTLS (or a man in the middle that
# strips it): with the default starttls: opportunistic the password is never sent in
# clear; the delivery fails with a reason, stays pending and is retried; with
# auth_without_tls: true the same relay gets AUTH in clear and the mail.  The sink
# records every command it receives (tests/peers/smtp_sink.py, commands.jsonl).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

printf 's3cret-pass\n' >"$T/smtp.pass"; chmod 600 "$T/smtp.pass"
smtp_port=$(free_port); p1=$(free_port)
start_sink "$T/mail" "$smtp_port" --auth dcmon:s3cret-pass --auth-clear
start_ports "$p1"
auth_keys="    user: dcmon
    password_file: $T/smtp.pass"
email_config "$smtp_port" 1s "$p1" "$auth_keys"
sed -i '/^    starttls: off/d' "$T/dcmon.yaml" # the default: opportunistic

# commands VERB: how many commands VERB the sink received.
commands() {
  [ -e "$T/mail/commands.jsonl" ] || { echo 0; return; }
  jq -s --arg v "$1" '[.[] | select(.verb == $v)] | length' "$T/mail/commands.jsonl"
}

# 1. opportunistic, no STARTTLS offered: no AUTH, a clear reason, retried
start_dcmond "$T/dcmon.yaml"
"$DCMON" test-email --route facility >/dev/null
wait_until 20 "a failed attempt" notif_check \
  '[.notifications[] | select(.state == "pending" and .attempts >= 1)] | length == 1'
wait_until 20 "a retry" notif_check \
  '[.notifications[] | select(.state == "pending" and .attempts >= 2)] | length == 1'
[ "$(commands EHLO)" -ge 2 ] || fail "the relay saw $(commands EHLO) sessions, want 2 or more"
pass "the relay saw $(commands EHLO) sessions"
assert_eq "$(commands AUTH)" 0 "AUTH commands received by the relay without TLS"
assert_eq "$(commands MAIL)" 0 "MAIL commands received by the relay"
why=$(notif_json --state pending | jq -r '.notifications[0].last_error')
case $why in
  *"does not offer STARTTLS"*"auth_without_tls"*) pass "reason: $why" ;;
  *) fail "reason does not say why AUTH was withheld: $why" ;;
esac
grep -q 'does not offer STARTTLS.*auth_without_tls' "$T/dcmond.log" || fail "reason not logged"
pass "reason logged"
assert_eq "$(count_to "$T/mail" facility@dc.example)" 0 "messages delivered"
stop_dcmond

# 2. auth_without_tls: true: AUTH in clear, and the pending message goes out
sed -i "s|^    user: dcmon|    user: dcmon\n    auth_without_tls: true|" "$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
wait_until 20 "delivery with AUTH in clear" count_is "$T/mail" facility@dc.example 1
assert_eq "$(msgs "$T/mail" | jq -r '.[0].auth')" true "session was authenticated"
assert_eq "$(msgs "$T/mail" | jq -r '.[0].tls')" false "message came without TLS"
assert_eq "$(jq -s '[.[] | select(.verb == "AUTH" and .tls == false)] | length > 0' \
  "$T/mail/commands.jsonl")" true "AUTH sent in clear when allowed"
stop_dcmond

# 3. starttls: off with a user and without auth_without_tls: a config error at the user
sed -i -e '/^    auth_without_tls: true/d' -e 's/^    from: dcmon@dc.example/    from: dcmon@dc.example\n    starttls: off/' "$T/dcmon.yaml"
config_error_at user "smtp: user with starttls: off sends the password in clear"
done_checks
