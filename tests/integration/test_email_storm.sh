#!/usr/bin/env bash
# A storm: 200 TCP ports close at once -> 200 alerts within the grouping window ->
# exactly one message per recipient, listing all 200, sent without waiting for the
# window to close; nothing more follows.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

smtp_port=$(free_port)
ports=$($PY -c '
import socket
socks = []
for _ in range(200):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))')
start_sink "$T/mail" "$smtp_port"
start_ports $ports
email_config "$smtp_port" 30s "$ports"
start_dcmond "$T/dcmon.yaml"
first=${ports%% *}; last=${ports##* }
wait_until 30 "ports up" metric_is box tcp_port_up "$first" '.value == 1'
wait_until 10 "ports up" metric_is box tcp_port_up "$last" '.value == 1'

t0=$SECONDS
kill "$PORTS_PID"; wait "$PORTS_PID" 2>/dev/null || true
wait_until 20 "storm message to acme" count_is "$T/mail" ops@acme.example 1
wait_until 10 "storm message to facility" count_is "$T/mail" facility@dc.example 1
[ $((SECONDS - t0)) -lt 30 ] || fail "the first message waited for the 30 s window"
pass "first message sent before the grouping window closed"
wait_until 20 "200 alerts firing" bash -c "curl -sf --unix-socket '$DCMON_SOCKET' 'http://d/api/v1/alerts?state=firing' | jq -e '.alerts | length == 200'"
sleep 5
for a in ops@acme.example facility@dc.example; do
  assert_eq "$(count_to "$T/mail" "$a")" 1 "messages to $a for 200 alerts"
  data=$(msgs "$T/mail" | jq --arg a "$a" -r '[.[] | select(.rcpt_tos | index($a))][0].data')
  n=$(grep -c '^- CRITICAL box: ' <<<"$data")
  assert_eq "$n" 200 "alerts listed in $a's message"
done
data=$(msgs "$T/mail" | jq -r '.[0].data')
grep -q '^Subject: \[dcmon\] 200 notifications: 200 critical' <<<"$data" || fail "group subject"
pass "group subject counts 200 critical"
stop_dcmond
done_checks
