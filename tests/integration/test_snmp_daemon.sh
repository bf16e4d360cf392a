#!/usr/bin/env bash
# dcmond end to end over SNMP: snmpsim serving our UPS and PDU recordings, one UPS by
# profile name and one chosen by sysObjectID, a device that never answers and one that
# answers slowly (each answer held 700 ms) beside them; values read back through
# `dcmon status`, correctly scaled and named; the others keep their schedule.
source "$(dirname "$0")/lib.sh"

SIM_ADDRS=127.0.0.2 start_snmpsim 127.0.0.1 ups-mains ups-battery pdu
sim_port=$SIM_PORT
trap_port=$(free_udp_port)
start_dead_agent   # the dead agent
dead_port=$DEAD_PORT
start_slow_agent "$sim_port" 700

{ daemon_yaml "timeout: 800ms" "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "archive_flush: 200ms" \
    "snmp_trap: {listen: 127.0.0.1, port: $trap_port, communities: [dcmon-traps]}"
  cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: ups-a
    kind: ups
    host: 127.0.0.1
    profile: ups-rfc1628
    snmp: {port: $sim_port, community: ups-mains, timeout: 300ms, retries: 0}
  - id: ups-b
    kind: ups
    host: 127.0.0.1
    snmp: {port: $sim_port, community: ups-battery, timeout: 300ms, retries: 0}
  - id: pdu-a
    kind: pdu
    host: 127.0.0.1
    profile: apc-rpdu2
    snmp: {port: $sim_port, community: pdu, timeout: 300ms, retries: 0}
  - id: ups-dead
    kind: ups
    host: 127.0.0.1
    profile: ups-rfc1628
    snmp: {port: $dead_port, timeout: 300ms, retries: 1}
  # every answer 700 ms late: a poll of several requests takes seconds
  - id: ups-slow
    kind: ups
    host: 127.0.0.1
    profile: ups-rfc1628
    interval: 6s
    timeout: 6s
    snmp: {port: $SLOW_PORT, community: ups-mains, timeout: 2s, retries: 0}
  # the on-battery recording with the profile named: the profile's default rules apply
  - id: ups-c
    kind: ups
    host: 127.0.0.1
    profile: ups-rfc1628
    snmp: {port: $sim_port, community: ups-battery, timeout: 300ms, retries: 0}
  # polled once an hour: only a trap makes it poll during this test
  - id: ups-t
    kind: ups
    host: 127.0.0.2
    profile: ups-rfc1628
    interval: 1h
    timeout: 2s
    snmp: {port: $sim_port, community: ups-mains, timeout: 300ms, retries: 0}
YAML
chmod 600 "$T/dcmon.yaml"  # it holds communities: no warning
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"
start_dcmond "$T/dcmon.yaml"

wait_until 15 "ups-a runtime" metric_is ups-a battery_runtime_seconds "" '.value == 2520 and .quality == "ok"'
pass "ups-a battery_runtime_seconds = 42 min x 60 = 2520"
metric_is ups-a battery_voltage_volts "" '.value == 54.5' || fail "battery voltage not scaled by 0.1"
metric_is ups-a input_frequency_hertz 2 '.value == 49.9' || fail "input frequency line 2"
metric_is ups-a output_current_amperes 1 '.value == 34.7' || fail "output current line 1"
pass "ups-a scaled values (54.5 V, 49.9 Hz, 34.7 A)"
wait_until 15 "ups-b by sysObjectID" metric_is ups-b output_source_state "" '.value == 5'
# a 300 ms answer can be late on a loaded machine: the alarm table's values come by the
# next polls then (each second), so they are waited for rather than read once
wait_until 15 "ups-b low_battery alarm" metric_is ups-b alarm_active_state low_battery '.value == 1'
wait_until 15 "ups-b on_battery alarm clear" metric_is ups-b alarm_active_state on_battery '.value == 0'
pass "ups-b (profile by sysObjectID): on battery, low_battery alarm decoded"
wait_until 15 "ups-c on-battery alert" alert_firing ups-c critical "UPS is on battery"
api_get /api/v1/alerts | json_check 'all(.alerts[]; .device != "ups-a")' \
  || fail "the UPS on mains has alerts: $(api_get /api/v1/alerts)"
pass "profile default rule: ups-c on battery -> critical 'UPS is on battery'; ups-a (mains) quiet"
wait_until 15 "pdu-a" metric_is pdu-a phase_power_watts 1 '.value == 3420'
pass "pdu-a phase_power_watts = 0.01 kW x 342 = 3420 W"
wait_until 15 "dead device error" metric_is ups-dead battery_runtime_seconds "" '.quality == "error" and .reason == "timeout"'
pass "ups-dead: points are errors with reason timeout"
# The live UPS keeps being polled while the dead one times out.
ts1=$(metric_field ups-a battery_runtime_seconds "" ts_ms)
[ -n "$ts1" ] && [ "$ts1" != null ] || fail "ups-a has no report time"
newer() { [ "$(metric_field ups-a battery_runtime_seconds "" ts_ms)" -gt "$ts1" ]; }
wait_until 10 "ups-a reported again" newer
metric_is ups-dead battery_runtime_seconds "" '.quality == "error"' || fail "ups-dead recovered?"
pass "ups-a keeps its schedule beside the dead agent"
# The slow agent's values arrive (late, not as errors); meanwhile ups-a is polled every
# second as before: no poll of it skipped for one still running.
wait_until 40 "ups-slow values" metric_is ups-slow battery_runtime_seconds "" '.value == 2520 and .quality == "ok"'
dev_field() { status_json | jq -r --arg d "$1" --arg f "$2" '.devices[] | select(.id == $d) | .[$f]'; }
slow_ms=$(dev_field ups-slow last_duration_ms)
[ "$slow_ms" -ge 700 ] || fail "ups-slow's poll took $slow_ms ms: the relay did not delay it"
polls0=$(dev_field ups-a polls); slow0=$(dev_field ups-slow polls)
busy() { [ "$(dev_field ups-slow polls)" -ge $((slow0 + 2)) ]; }
wait_until 40 "two more polls of ups-slow" busy
polls1=$(dev_field ups-a polls)
slow_ms=$(dev_field ups-slow last_duration_ms)
assert_eq "$(dev_field ups-a overruns)" 0 "ups-a polls skipped while ups-slow was slow"
[ $((polls1 - polls0)) -ge 5 ] || fail "ups-a polled $((polls1 - polls0)) times during two slow polls of ups-slow"
metric_is ups-slow battery_voltage_volts "" '.value == 54.5 and .quality == "ok"' || fail "ups-slow voltage"
pass "ups-slow: values ok after $slow_ms ms polls; ups-a polled $((polls1 - polls0)) times meanwhile, none skipped"

# A trap from ups-t's address: an immediate poll (its schedule is an hour) and the event.
metric_is ups-t battery_runtime_seconds "" '.quality == "ok"' && fail "ups-t polled before any trap"
sent_ms=$(date +%s%3N)
snmptrap -v2c -c dcmon-traps --clientaddr=127.0.0.2 127.0.0.1:$trap_port '' \
  1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.2.0 i 30 || fail "snmptrap failed"
wait_until 10 "ups-t polled after the trap" metric_is ups-t battery_runtime_seconds "" '.value == 2520'
polled_ms=$(metric_field ups-t battery_runtime_seconds "" ts_ms)
metric_is ups-t trap_last_state "" '.value_name == "on_battery"' \
  || fail "trap_last_state of ups-t: $(metric_field ups-t trap_last_state "" value_name)"
pass "upsTrapOnBattery from ups-t: event recorded, device re-polled $((polled_ms - sent_ms)) ms after the trap"
# A trap with the wrong community is refused and counted (dcmond's trap_dropped_count;
# the log sums drops up once a minute), and triggers nothing.
snmptrap -v2c -c wrong --clientaddr=127.0.0.2 127.0.0.1:$trap_port '' 1.3.6.1.6.3.1.1.5.3 || true
rejected_counted() {
  api_get "/api/v1/metrics?device=dcmond&name=trap_dropped_count&inst=rejected" \
    | json_check '.metrics[0].value == 1'
}
wait_until 5 "refused trap counted" rejected_counted
metric_is ups-t trap_last_state "" '.value_name == "on_battery"' || fail "the refused trap was taken"
pass "trap with an unknown community refused and counted"
stop_dcmond
done_checks
