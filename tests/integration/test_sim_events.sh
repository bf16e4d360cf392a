#!/usr/bin/env bash
# dcmon-sim end to end, events, observed through `dcmon status --json` / `dcmon alerts
# --json`, in order: server-down (only that tenant's server alerts, and it recovers),
# leak (critical alert with the distance), fire pre-alarm then alarm (warning, then
# critical) then gas discharge, cooling failure (hall 1 inlet temperatures rise past
# the ASHRAE recommended 27 C and fall back when the unit restarts; hall 2 unchanged).
# Each scenario starts from normal: `dcmon-sim run` resets the facility first.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
sim_start
port=$(sim_port 18080) # globex-app-1's service port in this test
wait_until 30 "globex-app-1 polled" dev_metric_is globex-app-1 tcp_port_up "$port" '.value == 1'
wait_until 30 "globex-app-1 SNMP polled" dev_metric_is globex-app-1 cpu_used_percent "" '.quality == "ok"'
wait_until 30 "env-h1 polled" dev_metric_is env-h1 sensor_temperature_celsius inlet-r01 '.quality == "ok"'
wait_until 30 "leak-h1 polled" dev_metric_is leak-h1 leak_state "" '.value_name == "off"'
assert_eq "$(firing_devices)" "" "devices with a firing alert in normal operation"

# --- server-down: globex-app-1 stops answering ---------------------------------------
"$DCMON_SIM" run server-down --speed 4 >/dev/null || fail "run server-down"
wait_until 20 "port closed" dev_metric_is globex-app-1 tcp_port_up "$port" '.value == 0'
dev_metric_is globex-app-1 host_up "" '.value == 1' || fail "loopback ping should still answer"
wait_until 40 "port-closed alert" firing_sev globex-app-1 tcp_port_up critical
wait_until 20 "SNMP-silent alert" firing_sev globex-app-1 cpu_used_percent critical
assert_eq "$(firing_devices)" "globex-app-1" "devices with a firing alert during server-down"
tenants=$(alerts_json | jq -r '[.alerts[] | select(.state == "firing") | .tenant] | unique | join(" ")')
assert_eq "$tenants" "globex" "tenants with a firing alert during server-down"
dev_metric_is globex-app-2 tcp_port_up "$port" '.value == 1' || fail "globex-app-2 still up"
dev_metric_is acme-web-1 tcp_port_up "$(sim_port 18443)" '.value == 1' || fail "acme-web-1 still up"
"$DCMON_SIM" set globex-app-1.up 1 >/dev/null || fail "set globex-app-1.up 1"
wait_until 20 "port open again" dev_metric_is globex-app-1 tcp_port_up "$port" '.value == 1'
wait_until 20 "port-closed alert resolved" not_firing globex-app-1 tcp_port_up
pass "server-down: only globex-app-1 (tenant globex) alerted, and it recovered"

# --- leak under hall 1 --------------------------------------------------------------------
"$DCMON_SIM" run leak --speed 4 >/dev/null || fail "run leak"
wait_until 20 "leak seen" dev_metric_is leak-h1 leak_state "" '.value_name == "on"'
wait_until 10 "leak alert" firing_sev leak-h1 leak_state critical
dev_metric_is leak-h1 leak_distance_meters "" '.value == 12' || fail "leak distance"
pass "leak: critical alert, 12 m along the cable"

# --- fire in hall 2: pre-alarm (warning), alarm (critical), discharge -----------------------
"$DCMON_SIM" run fire-prealarm --speed 2 >/dev/null || fail "run fire-prealarm"
wait_until 20 "leak reset by the new scenario" not_firing leak-h1 leak_state
wait_until 20 "zone 2 pre-alarm" dev_metric_is fire-panel zone_state 2 '.value_name == "pre_alarm"'
wait_until 10 "pre-alarm warning" firing_sev fire-panel zone_state warning
firing_sev fire-panel zone_state critical && fail "critical before the alarm"
wait_until 10 "suppression panel in pre-alarm" \
  dev_metric_is suppression-h2 suppression_prealarm_state "" '.value == 1'
wait_until 10 "suppression pre-alarm warning" firing_sev suppression-h2 suppression_prealarm_state warning
pass "fire: pre-alarm is a warning"
wait_until 30 "zone 2 alarm" dev_metric_is fire-panel zone_state 2 '.value_name == "alarm"'
wait_until 10 "alarm critical" firing_sev fire-panel zone_state critical
dev_metric_is fire-panel zone_state 1 '.value_name == "normal"' || fail "zone 1 stays normal"
pass "fire: alarm is critical"
wait_until 60 "agent discharged" dev_metric_is suppression-h2 suppression_discharged_state "" '.value == 1'
wait_until 10 "discharge alert" firing_sev suppression-h2 suppression_discharged_state critical
firing_sev suppression-h2 suppression_released_state critical || fail "release alert"
dev_metric_is suppression-h2 agent_cylinder_pressure_bars "" '.value < 50' || fail "cylinder emptied"
pass "fire: suppression discharged (critical), cylinder emptied"

# --- cooling failure: hall 1 warms, then cools when the unit restarts ------------------------
dev_metric_is env-h1 sensor_temperature_celsius inlet-r01 '.value < 24' || fail "hall 1 starts cool"
before=$(dev_metric env-h1 sensor_temperature_celsius inlet-r01 value)
"$DCMON_SIM" run cooling-failure --speed 5 >/dev/null || fail "run cooling-failure"
wait_until 20 "fire panel reset" dev_metric_is fire-panel zone_state 2 '.value_name == "normal"'
wait_until 20 "crac-h1-1 off" dev_metric_is crac-h1-1 operating_state "" '.value_name == "off"'
wait_until 30 "hall 1 above 27 C" dev_metric_is env-h1 sensor_temperature_celsius inlet-r01 '.value > 27'
wait_until 10 "temperature warning" firing_sev env-h1 sensor_temperature_celsius warning
wait_until 10 "crac-h1-2 at full fan" dev_metric_is crac-h1-2 fan_speed_percent "" '.value == 100'
dev_metric_is env-h2 sensor_temperature_celsius inlet-r01 '.value < 24' || fail "hall 2 stays cool"
after=$(dev_metric env-h1 sensor_temperature_celsius inlet-r01 value)
pass "cooling failure: hall 1 inlet $before -> $after C (warning), hall 2 unchanged"
wait_until 40 "crac-h1-1 restarted" dev_metric_is crac-h1-1 operating_state "" '.value_name == "on"'
wait_until 30 "hall 1 below 27 C again" dev_metric_is env-h1 sensor_temperature_celsius inlet-r01 '.value < 27'
wait_until 10 "temperature warning resolved" not_firing env-h1 sensor_temperature_celsius
pass "cooling restored: hall 1 back below 27 C, warning resolved"

sim_report
done_checks
