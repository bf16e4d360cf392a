#!/usr/bin/env bash
# Nothing is lost: alerts fire while the SMTP server refuses connections; dcmond says
# delivery is failing (API flag, CLI exit code, the dcmond notify_delivery_failing
# metric); dcmond is killed with -9 while the messages sit in the spool; after the
# server and dcmond are back, every alert reaches every recipient exactly once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

smtp_port=$(free_port); p1=$(free_port); p2=$(free_port)
start_ports "$p1" "$p2"
email_config "$smtp_port" 1s "$p1 $p2"
start_dcmond "$T/dcmon.yaml"
wait_until 15 "ports up" metric_is box tcp_port_up "$p1" '.value == 1'

kill "$PORTS_PID"; wait "$PORTS_PID" 2>/dev/null || true   # two alerts, no mail server
wait_until 20 "delivery failing" notif_check '.delivery_failing == true'
doc=$(notif_json --state pending)
assert_eq "$(printf '%s' "$doc" | jq '[.notifications[].rcpt] | sort | join(",")' -r)" \
  "facility@dc.example,ops@acme.example" "pending messages (one per recipient, both alerts grouped)"
printf '%s' "$doc" | jq -e '.failing_reason | test("refused|connect"; "i")' >/dev/null \
  || fail "failing reason does not say why: $(printf '%s' "$doc" | jq -r .failing_reason)"
pass "failing reason: $(printf '%s' "$doc" | jq -r .failing_reason)"
rc=0; "$DCMON" notifications >"$T/notif.txt" || rc=$?
assert_eq "$rc" 2 "dcmon notifications exit code while failing"
grep -q "NOTIFICATION DELIVERY FAILING" "$T/notif.txt" || fail "CLI does not show the failure"
pass "CLI shows NOTIFICATION DELIVERY FAILING"
wait_until 10 "self-metric" metric_is_any dcmond notify_delivery_failing 1
pass "dcmond notify_delivery_failing = failing"
printf '%s' "$doc" | jq -e '[.notifications[].attempts] | min >= 2' >/dev/null || fail "not retried"
pass "messages retried with backoff while the server is down"

kill -9 "$DCMOND_PID"; wait "$DCMOND_PID" 2>/dev/null || true
start_sink "$T/mail" "$smtp_port"
sleep 2
assert_eq "$(msgs "$T/mail" | jq length)" 0 "messages delivered while dcmond is dead"
start_dcmond "$T/dcmon.yaml"
wait_until 20 "delivered after restart to acme" count_is "$T/mail" ops@acme.example 1
wait_until 10 "delivered after restart to facility" count_is "$T/mail" facility@dc.example 1
wait_until 10 "delivery recovered" notif_check '.delivery_failing == false and .counts.pending == 0 and .counts.sent == 2'
sleep 3 # nothing else may arrive: the restored alerts are not notified again
for a in ops@acme.example facility@dc.example; do
  assert_eq "$(count_to "$T/mail" "$a")" 1 "messages to $a"
  for p in "$p1" "$p2"; do
    assert_eq "$(count_to "$T/mail" "$a" ".data | test(\"tcp_port_up[{]$p[}]\")")" 1 "alert port $p in $a's message"
  done
done
stop_dcmond
done_checks
