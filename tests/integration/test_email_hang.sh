#!/usr/bin/env bash
# A mail server that accepts the connection and then says nothing: polling, archiving
# and rule evaluation go on (metric timestamps and the RRD keep advancing, a second
# alert still fires); once a working server is back the messages are delivered, each
# exactly once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

smtp_port=$(free_port); p1=$(free_port); p2=$(free_port)
start_sink "$T/hang" "$smtp_port" --hang
start_ports "$p1"; ports1=$PORTS_PID
start_ports "$p2"; ports2=$PORTS_PID
email_config "$smtp_port" 1s "$p1 $p2" "    gather: 0s"
sed -i 's/^    timeout: 10s$/    timeout: 15s/' "$T/dcmon.yaml"
grep -q '^    timeout: 15s$' "$T/dcmon.yaml" || fail "the smtp timeout line moved"
start_dcmond "$T/dcmon.yaml"
wait_until 15 "ports up" metric_is box tcp_port_up "$p2" '.value == 1'

kill "$ports1"; wait "$ports1" 2>/dev/null || true
wait_until 15 "first alert spooled" notif_check '.counts.pending >= 1'
sleep 1 # the SMTP session is now stuck in the greeting
ts1=$(metric_field box tcp_port_up "$p2" ts_ms)
rrd=$(ls "$T"/data/box/tcp_port_up*"$p2"*.rrd | head -1)
last1=$(rrdtool lastupdate "$rrd" | tail -1 | cut -d: -f1)
sleep 5
ts2=$(metric_field box tcp_port_up "$p2" ts_ms)
last2=$(rrdtool lastupdate "$rrd" | tail -1 | cut -d: -f1)
[ "$ts2" -ge $((ts1 + 3000)) ] || fail "polling stalled while SMTP hangs: ts $ts1 -> $ts2"
pass "polling goes on while SMTP hangs (+$(( (ts2 - ts1) / 1000 )) s of samples)"
[ "$last2" -ge $((last1 + 3)) ] || fail "archiving stalled while SMTP hangs: $last1 -> $last2"
pass "archiving goes on while SMTP hangs (RRD last update +$((last2 - last1)) s)"
kill "$ports2"; wait "$ports2" 2>/dev/null || true
wait_until 10 "second alert fires while SMTP hangs" bash -c \
  "curl -sf --unix-socket '$DCMON_SOCKET' 'http://d/api/v1/alerts?state=firing' | jq -e '.alerts | length == 2'"
pass "rule evaluation goes on while SMTP hangs"

stop_sink
start_sink "$T/mail" "$smtp_port"
wait_until 60 "delivered to acme" bash -c "[ \$(source '$DCMON_SOURCE_DIR/tests/integration/email_lib.sh'; cd /; count_to '$T/mail' ops@acme.example) -ge 2 ]"
wait_until 30 "all sent" notif_check '.counts.pending == 0 and .counts.queued == 0'
sleep 2
for a in ops@acme.example facility@dc.example; do
  for p in "$p1" "$p2"; do
    assert_eq "$(count_to "$T/mail" "$a" ".data | test(\"tcp_port_up[{]$p[}]\")")" 1 "$a told about port $p once"
  done
done
stop_dcmond
done_checks
