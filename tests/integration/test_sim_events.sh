#!/usr/bin/env bash
# dcmon-sim end to end, events: server-down (only that tenant's server alerts), leak,
# fire pre-alarm then alarm (warning then critical), cooling failure (hall 1 inlet
# temperatures rise).  Observed through `dcmon status --json` / `dcmon alerts --json`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
sim_start
wait_until 30 "globex-app-1 polled" metric_is globex-app-1 tcp_port_up 18080 '.value == 1'
wait_until 30 "env-h1 polled" metric_is env-h1 sensor_temperature_celsius inlet-r01 '.quality == "ok"'

# --- server-down ----------------------------------------------------------------------
"$DCMON_SIM" run server-down >/dev/null || fail "run server-down"
wait_until 20 "port closed" metric_is globex-app-1 tcp_port_up 18080 '.value == 0'
wait_until 40 "port-closed alert" firing_sev globex-app-1 tcp_port_up critical
metric_is globex-app-1 host_up "" '.value == 1' || fail "loopback ping should still answer"
others=$(alerts_json | jq '[.alerts[] | select(.state == "firing" and .device != "globex-app-1")] | length')
assert_eq "$others" 0 "firing alerts of other devices during server-down"
acme=$(alerts_json | jq '[.alerts[] | select(.device | startswith("acme"))] | length')
assert_eq "$acme" 0 "alerts on acme's servers"

# --- leak --------------------------------------------------------------------------------
"$DCMON_SIM" set leak-h1.leak 1 >/dev/null || fail "set leak"
wait_until 20 "leak alert" firing_sev leak-h1 leak_state critical
metric_is leak-h1 leak_distance_meters "" '.value == 12' || fail "leak distance"
pass "leak: critical alert, distance 12 m"

# --- fire: pre-alarm (warning), then alarm (critical), then discharge -----------------------
"$DCMON_SIM" run fire-prealarm >/dev/null || fail "run fire-prealarm"
wait_until 30 "zone 2 pre-alarm" metric_is fire-panel zone_state 2 '.value == 5'
wait_until 10 "pre-alarm warning" firing_sev fire-panel zone_state warning
firing_sev fire-panel zone_state critical && fail "critical before the alarm"
pass "fire: pre-alarm is a warning"
wait_until 40 "zone 2 alarm" metric_is fire-panel zone_state 2 '.value == 1'
wait_until 10 "alarm critical" firing_sev fire-panel zone_state critical
pass "fire: alarm is critical"
wait_until 60 "agent discharged" metric_is suppression-h2 suppression_discharged_state "" '.value == 1'
wait_until 10 "discharge alert" firing_sev suppression-h2 suppression_discharged_state critical
pass "fire: suppression discharged (critical)"

# --- cooling failure: hall 1 warms ------------------------------------------------------------
before=$(metric_field env-h1 sensor_temperature_celsius inlet-r01 value)
"$DCMON_SIM" run cooling-failure >/dev/null || fail "run cooling-failure"
wait_until 30 "crac-h1-1 off" metric_is crac-h1-1 operating_state "" '.value == 0'
wait_until 60 "hall 1 above 27 C" metric_is env-h1 sensor_temperature_celsius inlet-r01 '.value > 27'
wait_until 10 "temperature warning" firing env-h1 sensor_temperature_celsius
after=$(metric_field env-h1 sensor_temperature_celsius inlet-r01 value)
echo "hall 1 inlet: $before -> $after C"
metric_is env-h2 sensor_temperature_celsius inlet-r01 '.value < 24' || fail "hall 2 stays cool"
pass "cooling failure: hall 1 inlet rises past 27 C, hall 2 unchanged"
done_checks
