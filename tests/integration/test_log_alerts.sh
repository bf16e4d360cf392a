#!/usr/bin/env bash
# Log alerts end to end, with real senders: logger(1) sends sshd failures over TCP to
# dcmond's syslog receiver; a log rule counts them, an engine rule on the count fires,
# the alert's transitions and notifications are stored as events (kind alert) beside
# the log lines, with device, tenant, site, severity and rule; the alert's e-mail
# quotes the newest 20 matching lines and counts the rest; the clearing line resolves
# it, which is stored too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/email_lib.sh"

TCP=$(free_port); SMTP=$(free_port)
HOST=$(hostname)
start_sink "$T/mail" "$SMTP"
{
  syslog_daemon_block "$SMTP" "$TCP"
  cat <<EOF
    default_rules: false      # only the rule below
    rules:
      - {name: sshd-fail, program: sshd, match: Failed password, clear: Accepted password}
  events: {retention: 30d}
sites:
  - id: tokyo-1
tenants:
  - {id: acme, email: [ops@acme.example]}
devices:
  - id: $HOST
    kind: server
    host: 192.0.2.10
    tenant: acme
    location: {site: tokyo-1}
rules:
  - {name: ssh-brute-force, match: {metric: log_matches_count, inst: sshd-fail},
     above: {warn: 24}, summary: 25 or more failed ssh logins within a minute}
routes:
  - {name: tenants, tenant: true, group_wait: 1s}
EOF
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

search() { api_get "/api/v1/events/search?$1" | jq -r "$2"; }
alert_events() { search "kind=alert&limit=100" "$1"; }
n_alert_events() { [ "$(alert_events "[.events[] | select($1)] | length")" -ge "${2:-1}" ]; }

failed() { logger -n 127.0.0.1 -P "$TCP" -T --octet-count -t sshd -p authpriv.notice \
  "Failed password for root from 10.9.9.$1 port 22 ssh2"; }
for i in $(seq 1 25); do failed "$i"; done
wait_until 15 "ssh-brute-force firing" alert_is ssh-brute-force '.state == "firing"'
wait_until 15 "the firing stored as an event" n_alert_events '.msgid == "changed" and .fields["alert.state"] == "firing"'
fired='.events[] | select(.msgid == "changed" and .fields["alert.state"] == "firing")'
assert_eq "$(alert_events "$fired | .program")" ssh-brute-force "alert event: the rule as its program"
assert_eq "$(alert_events "$fired | .device + \"/\" + .tenant + \"/\" + .site")" "$HOST/acme/tokyo-1" \
  "alert event: device, tenant, site"
assert_eq "$(alert_events "$fired | .severity + \" \" + .source")" "warning dcmond" "alert event: severity, source"
assert_eq "$(alert_events "$fired | .message")" \
  "25 or more failed ssh logins within a minute: log_matches_count{sshd-fail} firing warning (value 25)" \
  "alert event: its text"
wait_until 15 "the notification stored as an event" n_alert_events '.msgid == "fired"'
pass "an alert's transition and its notification are events of its device, tenant and site"

# the e-mail quotes the newest 20 of the 25 lines, oldest first, and counts the other 5
wait_until 15 "the alert mailed" count_is "$T/mail" ops@acme.example 1
body=$(msgs "$T/mail" | jq -r '.[0].data' | tr -d '\r')
quoted=$(printf '%s\n' "$body" | grep -E "^  .* $HOST sshd: Failed password for root from 10\.9\.9\.[0-9]+ port 22 ssh2$")
assert_eq "$(printf '%s\n' "$quoted" | wc -l)" 20 "the e-mail quotes 20 matching lines"
assert_eq "$(printf '%s\n' "$quoted" | sed -n '1s/.*10\.9\.9\.\([0-9]*\) .*/\1/p;$s/.*10\.9\.9\.\([0-9]*\) .*/\1/p' | paste -sd,)" \
  "6,25" "the newest 20, oldest first"
# a here-string, not a pipe: grep -q stops at the match, and under pipefail printf's
# EPIPE on the rest of a body larger than the pipe (its graph's base64) failed the test
grep -qxF "Matching lines of log rule sshd-fail (25 within 60s; the newest 20 quoted, 5 more not):" <<<"$body" ||
  fail "no count of the lines not quoted in: $body"
pass "the alert e-mail quotes the matching lines with a count of the rest"

# an operator's ack is an event too, with who and why
id=$(alerts_json --all | jq -r '.alerts[] | select(.rule == "ssh-brute-force") | .id')
"$DCMON" ack "$id" --comment "pen test of 10.9.9.0/24" >/dev/null
wait_until 15 "the ack stored as an event" n_alert_events '.msgid == "acked"'
assert_eq "$(alert_events '.events[] | select(.msgid == "acked") | .message')" \
  "25 or more failed ssh logins within a minute: log_matches_count{sshd-fail} acked warning (value 25) by $(id -un): pen test of 10.9.9.0/24" \
  "the ack event: who and why"

logger -n 127.0.0.1 -P "$TCP" -T --octet-count -t sshd "Accepted password for bob from 10.9.9.1"
wait_until 15 "the resolution stored as an event" n_alert_events '.msgid == "changed" and .fields["alert.state"] == "resolved"'
assert_eq "$(alert_events '[.events[] | select(.fields["alert.state"] == "resolved")][0].severity')" notice \
  "a resolution is a notice"
# one search finds the log lines and the alerts of the device
assert_eq "$(search "device=$HOST&limit=100" '[.events[].kind] | unique | join(",")')" "alert,syslog" \
  "the device's history holds its log lines and its alerts"
assert_eq "$(search "kind=alert&text=ssh%20logins&limit=100" '.events | length > 0')" true \
  "alert events are found by their text"

stop_dcmond
done_checks
