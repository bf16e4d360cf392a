#!/usr/bin/env bash
# dcmon-sim end to end, power: the demo data center under the utility-outage scenario,
# observed only through `dcmon status --json` / `dcmon alerts --json`: UPS on battery
# (critical alert), generators running and carrying the load, fuel draining during the
# time-lapse, then recovery (utility back, UPS on normal, alert resolved, generators
# stopped).  Also: unknown scenario / device / point are refused with a message.
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

# --- normal: everything up, no alert ----------------------------------------------------
wait_until 30 "ups-1 polled" metric_is ups-1 output_source_state "" '.value == 3'
wait_until 30 "gen-1 polled" metric_is gen-1 engine_state "" '.quality == "ok" and .value == 0'
metric_is gen-1 fuel_level_percent "" '.value == 80' || fail "fuel 80 % at start"
pass "normal: UPS on utility, generators stopped with 80 % fuel"

# --- outage -----------------------------------------------------------------------------
"$DCMON_SIM" run utility-outage --speed 2 >/dev/null || fail "run utility-outage"
wait_until 30 "ups-1 on battery" metric_is ups-1 output_source_state "" '.value == 5'
wait_until 10 "on-battery alert" firing_sev ups-1 output_source_state critical
pass "UPS on battery: critical alert firing"
wait_until 40 "gen-1 running" metric_is gen-1 engine_state "" '.value == 3'
wait_until 20 "gen-1 carries load" metric_is gen-1 output_power_total_watts "" '.value > 50000'
wait_until 20 "ups-1 back on normal input" metric_is ups-1 output_source_state "" '.value == 3'
pass "generators running and carrying the load; UPS off battery"
wait_until 60 "fuel draining" metric_is gen-1 fuel_level_percent "" '.value <= 78'
pass "fuel draining during the time-lapse"

# --- recovery ------------------------------------------------------------------------------
wait_until 90 "generators stopped" metric_is gen-1 engine_state "" '.value == 0'
metric_is ups-1 output_source_state "" '.value == 3' || fail "ups-1 not on normal"
wait_until 10 "on-battery alert resolved" not_firing ups-1 output_source_state
alert_state=$(alerts_json --all | jq -r '[.alerts[] | select(.device == "ups-1" and .metric == "output_source_state")][0].state')
assert_eq "$alert_state" resolved "ups-1 on-battery alert after recovery"
metric_is gen-1 engine_starts_count "" '.value == 1' || fail "one start counted"
pass "recovery: utility back, generators stopped after cool-down, one start counted"
done_checks
