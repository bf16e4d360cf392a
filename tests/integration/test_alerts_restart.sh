#!/usr/bin/env bash
# A firing alert survives dcmond restarts, a clean one (SIGTERM) and a crash (kill -9):
# still firing with the same id and its ack, never notified again (exactly one "fired"
# line in the log across all runs), and resolved once (one "resolved" line) when the TCP
# listener the test stopped comes back.
source "$(dirname "$0")/lib.sh"

me=$(id -un)
port=$(free_port)
start_tcp_listener "$port"
{ daemon_yaml; cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: box
    kind: server
    host: 127.0.0.1
    checks:
      tcp: [$port]
rules:
  - name: port-down
    match: {device: box, metric: tcp_port_up}
    below: {crit: 1}
    for: 2s
    summary: service port closed
YAML
fired="msg=\"fired rule=port-down metric=tcp_port_up@$port "
resolved="msg=\"resolved rule=port-down metric=tcp_port_up@$port "

start_dcmond "$T/dcmon.yaml"
wait_until 15 "port up" metric_is box tcp_port_up "$port" '.value == 1'
stop_tcp_listener
wait_until 15 "port-down firing" alert_is port-down '.state == "firing"'
id=$(alert_field port-down id)
fired_ms=$(alert_field port-down fired_ms)
wait_until 5 "fired event logged" grep -qF "$fired" "$T/dcmond.log"
assert_eq "$(log_count "$fired")" 1 "fired events before any restart"
"$DCMON" ack "$id" --comment "waiting for the vendor" >/dev/null
alert_is port-down ".acked and .ack.by == \"$me\"" || fail "not acked"
pass "alert $id firing since $fired_ms, acked by $me"

# After a restart: the same alert, still firing and acked, evaluated again on fresh
# polls (the metric reports again) without a second "fired".
check_after_restart() {
  local how=$1 runs=$2
  wait_until 15 "port polled again after $how" metric_is box tcp_port_up "$port" '.value == 0 and .quality == "ok"'
  wait_polls box 3 # three evaluations of the closed port since the restart
  alert_is port-down ".id == $id and .state == \"firing\" and .fired_ms == $fired_ms
      and .acked and .ack.comment == \"waiting for the vendor\"" \
    || fail "after $how: $(alerts_json --all | jq -c .)"
  pass "after $how: alert $id still firing since $fired_ms, still acked"
  assert_eq "$(log_count "$fired")" 1 "fired events after $how (not notified again)"
  assert_eq "$(log_count 'msg="restored 1 alerts and 0 silences')" "$runs" "runs that restored the alert"
}

stop_dcmond
pass "SIGTERM: clean exit 0"
start_dcmond "$T/dcmon.yaml"
check_after_restart "SIGTERM and restart" 1

stop_dcmond_hard
[ -S "$T/dcmon.sock" ] || fail "kill -9 should leave the socket file behind"
start_dcmond "$T/dcmon.yaml" # replaces the stale socket
check_after_restart "kill -9 and restart" 2
rc=0; "$DCMON" alerts >/dev/null || rc=$?
assert_eq "$rc" 2 "dcmon alerts exit code after the crash"

# The service comes back: resolved once, the ack gone with it.
start_tcp_listener "$port"
wait_until 15 "port-down resolved" alert_is port-down ".id == $id and .state == \"resolved\" and (.acked | not)"
pass "listener back: alert $id resolved"
wait_until 5 "resolved event logged" grep -qF "$resolved" "$T/dcmond.log"
wait_polls box 2
assert_eq "$(log_count "$resolved")" 1 "resolved events"
assert_eq "$(log_count "$fired")" 1 "fired events across three runs"
rc=0; out=$("$DCMON" alerts) || rc=$?
assert_eq "$rc:$out" "0:no alerts" "dcmon alerts once resolved (resolved shown with --all only)"
alerts_json --state resolved | json_check ".alerts | length == 1 and .[0].id == $id" \
  || fail "--state resolved: $(alerts_json --state resolved | jq -c .)"
pass "dcmon alerts --state resolved shows alert $id"
hist=$(api_get "/api/v1/alerts/$id")
printf '%s\n' "$hist" | json_check '[.history[].to] == ["pending", "firing", "resolved"]' \
  || fail "history: $(printf '%s' "$hist" | jq -c .history)"
pass "history across restarts: pending -> firing -> resolved"

# And a restart after resolution tells nothing again either.
stop_dcmond
start_dcmond "$T/dcmon.yaml"
wait_until 15 "port polled after the last restart" metric_is box tcp_port_up "$port" '.value == 1'
wait_polls box 2
assert_eq "$(log_count "$resolved"):$(log_count "$fired")" "1:1" "resolved:fired events after a restart when resolved"
stop_dcmond
done_checks
