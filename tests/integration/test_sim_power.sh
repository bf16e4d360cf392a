#!/usr/bin/env bash
# dcmon-sim end to end, power: the demo data center under the utility-outage scenario,
# observed only through `dcmon status --json` / `dcmon alerts --json`, in order: UPS on
# battery (critical alert), generators starting, running and carrying the load, UPS
# back on its input, fuel draining during the time-lapse, then recovery (utility back,
# generators cool down and stop, the alert resolved, one start counted).  Also: unknown
# scenario / device / point are refused with a message, and the simulator's loop never
# held every device at once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
sim_start

# --- bad input ------------------------------------------------------------------------
out=$("$DCMON_SIM" run no-such-scenario 2>&1) && fail "unknown scenario accepted"
grep -q "unknown scenario 'no-such-scenario'.*scenarios:.*utility-outage" <<<"$out" || fail "message: $out"
out=$("$DCMON_SIM" set nosuch.up 0 2>&1) && fail "unknown device accepted"
grep -q "unknown device 'nosuch'" <<<"$out" || fail "message: $out"
out=$("$DCMON_SIM" set gen-1.nosuch 1 2>&1) && fail "unknown point accepted"
grep -q "unknown point 'nosuch' of gen-1; inputs: fail_to_start, fuel_percent" <<<"$out" || fail "message: $out"
pass "unknown scenario, device and point refused with a clear message"
mkdir -p "$T/scen"
cp "$DCMON_SOURCE_DIR"/etc/scenarios/*.yaml "$T/scen/"
printf 'name: broken\nacceleration: 1\nsteps:\n  - {at: 5s, set: {leak-h1.nosuch: 1}}\n  - {at: xx, note: hi}\n' \
  >"$T/scen/broken.yaml"
sed "s|scenarios_dir: .*|scenarios_dir: $T/scen|" "$T/sim.yaml" >"$T/sim-check.yaml"
rc=0; out=$("$DCMON_SIM" -c "$T/sim-check.yaml" check 2>&1) || rc=$?
assert_eq "$rc" 1 "dcmon-sim check exit code with a broken scenario (beside the running simulator)"
grep -q "^$T/scen/broken.yaml:4:20: error: unknown point 'nosuch' of leak-h1" <<<"$out" || fail "check: $out"
grep -q "^$T/scen/broken.yaml:5:10: error: at: expected a duration" <<<"$out" || fail "check: $out"
grep -q "^scenario utility-outage: 5 steps" <<<"$out" || fail "check: $out"
pass "scenario file errors name file:line:col"

# --- normal: everything up, no alert ----------------------------------------------------
wait_until 30 "ups-1 polled" dev_metric_is ups-1 output_source_state "" '.value_name == "normal"'
wait_until 30 "gen-1 polled" dev_metric_is gen-1 engine_state "" '.quality == "ok" and .value_name == "stopped"'
dev_metric_is gen-1 fuel_level_percent "" '.value == 80' || fail "fuel 80 % at start"
dev_metric_is gen-2 engine_state "" '.value_name == "stopped"' || fail "gen-2 stopped at start"
wait_until 20 "every simulated device polled" dev_metric_is leak-h1 leak_state "" '.value_name == "off"'
assert_eq "$(firing_devices)" "" "devices with a firing alert in normal operation"

# --- clients that stall hold nobody up ----------------------------------------------------
sim_stall_clients "$(sim_port 15021)"
polls=$(dev_polls gen-1) || fail "gen-1 polls"
polls_past() { [ "$(dev_polls "$1")" -ge "$2" ]; }
wait_until 20 "gen-1 polled 3 more times" polls_past gen-1 $((polls + 3))
out=$("$DCMON_SIM" status) || fail "dcmon-sim status with a stalled control client"
grep -q '^gen-1 .*stopped' <<<"$out" || fail "status: $out"
touch "$T/finish"
wait_until 20 "stalled clients answered" grep -q '^gen-1 ' "$T/stalled.out"
grep -qx 'modbus 7 80' "$T/stalled.out" || fail "the half-sent Modbus request: $(cat "$T/stalled.out")"
grep -qx 'ok' "$T/stalled.out" || fail "the half-sent control line: $(cat "$T/stalled.out")"
pass "a half-sent Modbus request and control line stall nobody, and are answered once complete"

# --- outage -----------------------------------------------------------------------------
"$DCMON_SIM" run utility-outage --speed 2 >/dev/null || fail "run utility-outage"
wait_until 30 "ups-1 on battery" dev_metric_is ups-1 output_source_state "" '.value_name == "battery"'
wait_until 10 "on-battery alert" firing_sev ups-1 output_source_state critical
pass "UPS on battery: critical alert firing"
wait_until 30 "gen-1 running" dev_metric_is gen-1 engine_state "" '.value_name == "running"'
dev_metric_is gen-2 engine_state "" '.value_name == "running" or .value_name == "warming_up"' \
  || fail "gen-2 started with gen-1"
wait_until 20 "gen-1 carries load" dev_metric_is gen-1 output_power_total_watts "" '.value > 50000'
wait_until 20 "ups-1 back on normal input" dev_metric_is ups-1 output_source_state "" '.value_name == "normal"'
pass "generators running and carrying the load; UPS back on its input"
wait_until 30 "fuel draining" dev_metric_is gen-1 fuel_level_percent "" '.value <= 78'
dev_metric_is gen-1 engine_state "" '.value_name == "running" or .value_name == "cooling_down"' \
  || fail "gen-1 running while fuel drains"
fuel=$(dev_metric gen-1 fuel_level_percent "" value)
echo "gen-1 fuel during the time-lapse: $fuel %"
pass "fuel draining during the time-lapse (80 -> $fuel %)"

# --- recovery ------------------------------------------------------------------------------
wait_until 40 "gen-1 cooling down" dev_metric_is gen-1 engine_state "" '.value_name == "cooling_down"'
dev_metric_is ups-1 output_source_state "" '.value_name == "normal"' || fail "ups-1 not on normal"
wait_until 40 "generators stopped" dev_metric_is gen-1 engine_state "" '.value_name == "stopped"'
wait_until 10 "gen-2 stopped" dev_metric_is gen-2 engine_state "" '.value_name == "stopped"'
wait_until 10 "on-battery alert resolved" not_firing ups-1 output_source_state
alert_state=$(alerts_json --all | jq -r '[.alerts[] | select(.device == "ups-1" and .metric == "output_source_state")][0].state')
assert_eq "$alert_state" resolved "ups-1 on-battery alert after recovery"
dev_metric_is gen-1 engine_starts_count "" '.value == 1' || fail "one start counted"
dev_metric_is gen-1 output_power_total_watts "" '.value == 0' || fail "gen-1 off load"
pass "recovery: utility back, generators cooled down and stopped, one start counted"

sim_report
done_checks
