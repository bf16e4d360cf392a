#!/usr/bin/env bash
# dcmon-sim end to end, the generator-fail-to-start scenario, observed through
# `dcmon status --json` / `dcmon alerts --json`, in order:
#   1. utility lost: the utility feed's critical alert (the root);
#   2. both generators crank and fail: fail-to-start alarm (shutdown), critical, not
#      suppressed (nothing feeds a generator); engines stopped, no start counted;
#   3. the UPSs on battery, suppressed under the utility; the generators have not taken
#      the load within the takeover time (60 s): takeover failed;
#   4. the batteries drain (time-lapse): charge and runtime fall, the runtime the UPS
#      reports agrees with its charge, battery and load; runtime alert, battery low;
#   5. batteries depleted: UPS output off, the servers behind it stop answering, their
#      alerts suppressed under the utility too;
#   6. utility back: UPSs on their input, the fail-to-start alarms reset, alerts resolved.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
sim_start

# alert_of DEVICE METRIC: the newest alert of DEVICE on METRIC (resolved ones too), one
# JSON object, or fails.
alert_of() {
  alerts_json --all | jq -ce --arg d "$1" --arg m "$2" '
    [.alerts[] | select(.device == $d and .metric == $m)] | max_by(.id) // empty'
}
# alert_is_ DEVICE METRIC JQ-PREDICATE
alert_is_() { local a; a=$(alert_of "$1" "$2") || return 1; jq -e "$3" <<<"$a" >/dev/null; }

wait_until 30 "gen-1 polled" dev_metric_is gen-1 fail_to_start_alarm "" '.value_name == "ok"'
wait_until 30 "ups-1 polled" dev_metric_is ups-1 output_source_state "" '.value_name == "normal"'
wait_until 30 "every simulated device polled" dev_metric_is leak-h1 leak_state "" '.value_name == "off"'
assert_eq "$(firing_devices)" "" "devices with a firing alert in normal operation"

"$DCMON_SIM" run generator-fail-to-start --speed 2 >/dev/null || fail "run generator-fail-to-start"

# --- 1. utility lost ---------------------------------------------------------------------
wait_until 30 "utility lost" firing_sev utility supply_state critical
alert_is_ utility supply_state '.suppressed_by == null' || fail "utility alert suppressed"
pass "utility lost: critical, the root"

# --- 2. the generators fail to start ---------------------------------------------------------
for g in gen-1 gen-2; do
  wait_until 30 "$g fail to start" dev_metric_is $g fail_to_start_alarm "" '.value_name == "shutdown"'
  wait_until 10 "$g fail-to-start alert" alert_is_ $g fail_to_start_alarm \
    '.state == "firing" and .severity == "critical" and .suppressed_by == null'
  dev_metric_is $g engine_state "" '.value_name == "stopped"' || fail "$g engine not stopped"
  dev_metric_is $g engine_starts_count "" '.value == 0' || fail "$g start counted"
  dev_metric_is $g output_power_total_watts "" '.value == 0' || fail "$g on load"
done
dev_metric_is ats-1 switch_position_state "" '.value_name == "open"' || fail "ats-1 not open"
pass "both generators: fail-to-start alarm (shutdown), critical, not suppressed; engines stopped"

# --- 3. on battery; takeover failed -------------------------------------------------------------
dev_metric_is ups-1 output_source_state "" '.value_name == "battery"' || fail "ups-1 not on battery"
wait_until 10 "ups-1 on-battery alert" alert_is_ ups-1 output_source_state \
  '.state == "firing" and .severity == "critical" and .suppressed_by == "utility"'
wait_until 60 "takeover failed" dev_metric_is ups-1 takeover_state "" '.value_name == "failed"'
dev_metric_is ups-1 battery_on_battery_seconds "" '.value >= 60' || fail "takeover failed before 60 s"
wait_until 10 "takeover-failed alert" alert_is_ ups-1 takeover_state \
  '.state == "firing" and .severity == "critical" and .suppressed_by == "utility"'
pass "UPS on battery, takeover failed after 60 s: critical, suppressed under the utility"

# --- 4. batteries drain ---------------------------------------------------------------------------
# ups_reading: "charge runtime load_w" of ups-1 from one status document
ups_reading() {
  dev_json ups-1 | jq -r '[.devices[0].metrics[]] as $m
    | [($m[] | select(.name == "battery_charge_percent") | .value),
       ($m[] | select(.name == "battery_runtime_seconds") | .value),
       ([$m[] | select(.name == "output_power_watts") | .value] | add)] | @tsv'
}
read -r c1 r1 w1 < <(ups_reading)
[ -n "$w1" ] || fail "ups-1 reading"
below_charge() { [ "$(dev_metric ups-1 battery_charge_percent "" value)" -lt "$1" ] 2>/dev/null; }
wait_until 60 "ups-1 charge falling" below_charge $((${c1%.*} - 10))
read -r c2 r2 w2 < <(ups_reading)
echo "ups-1: charge $c1 % -> $c2 %, runtime $r1 s -> $r2 s, load $w1 W -> $w2 W"
$PY - "$c2" "$r2" "$w2" "$c1" "$r1" <<'PYEOF' || fail "battery runtime"
import sys
c2, r2, w2, c1, r1 = map(float, sys.argv[1:])
assert c2 < c1 and r2 < r1, "charge and runtime must fall"
kwh = 40.0                        # etc/demo/sim.yaml: battery_kwh of ups-1
# runtime = stored energy / load; the UPS reports whole percent of charge and whole
# minutes of runtime (RFC 1628 upsEstimatedMinutesRemaining): bounds from both
lo = (c2 - 0.5) / 100 * kwh / (w2 / 1000) * 3600 - 60
hi = (c2 + 0.5) / 100 * kwh / (w2 / 1000) * 3600
print("runtime %.0f s, from charge and load %.0f..%.0f s" % (r2, lo, hi))
assert lo <= r2 <= hi
PYEOF
pass "ups-1 discharging: charge and runtime fall; runtime = charge x battery / load"
wait_until 120 "runtime alert" alert_is_ ups-1 battery_runtime_seconds \
  '.state == "firing" and .severity == "critical" and .suppressed_by == "utility"'
wait_until 60 "battery low" dev_metric_is ups-1 battery_status_state "" '.value_name == "low" or .value_name == "depleted"'
wait_until 10 "battery-low alert" alert_is_ ups-1 battery_status_state \
  '.state == "firing" and .severity == "critical" and .suppressed_by == "utility"'
dev_metric_is ups-1 battery_runtime_seconds "" '.value <= 480' || fail "low battery with runtime left"
pass "runtime below 8 min then battery low: critical, suppressed under the utility"

# --- 5. depleted: output off, servers down ----------------------------------------------------------
wait_until 60 "ups-1 output off" dev_metric_is ups-1 output_source_state "" '.value_name == "none"'
dev_metric_is ups-1 battery_charge_percent "" '.value == 0' || fail "ups-1 charge not 0"
wait_until 30 "acme-web-1 silent" alert_is_ acme-web-1 cpu_used_percent \
  '.state == "firing" and .severity == "critical" and .suppressed_by == "utility"'
# not suppressed: the roots, and the halls' inlet temperatures (the cooling units have
# no power; the probes do, and the heat is real)
unsuppressed=$(alerts_json | jq -r '[.alerts[] | select(.state == "firing" and .suppressed_by == null)
  | "\(.device) \(.metric)" | select(test("^env-h[12] sensor_temperature_celsius@") | not)]
  | sort | join(",")')
assert_eq "$unsuppressed" "gen-1 fail_to_start_alarm,gen-2 fail_to_start_alarm,utility supply_state" \
  "firing alerts not suppressed with the batteries depleted (beside inlet temperatures)"
pass "batteries depleted: UPS output off, servers silent, all under the utility"

# --- 6. utility back -----------------------------------------------------------------------------------
wait_until 90 "utility back" dev_metric_is utility supply_state "" '.value_name == "ok"'
wait_until 30 "ups-1 on its input" dev_metric_is ups-1 output_source_state "" '.value_name == "normal"'
wait_until 20 "fail-to-start alarms reset" dev_metric_is gen-1 fail_to_start_alarm "" '.value_name == "ok"'
for a in "utility supply_state" "gen-1 fail_to_start_alarm" "gen-2 fail_to_start_alarm" \
         "ups-1 output_source_state" "ups-1 takeover_state" "acme-web-1 cpu_used_percent"; do
  wait_until 30 "$a resolved" alert_is_ ${a% *} ${a#* } '.state == "resolved"'
done
dev_metric_is gen-1 engine_starts_count "" '.value == 0' || fail "gen-1 started"
# the battery recharges from empty (an hour): still low, but no longer suppressed
wait_until 30 "ups-1 recharging" dev_metric_is ups-1 battery_charge_percent "" '.value >= 1'
alert_is_ ups-1 battery_status_state '.state == "firing" and .suppressed_by == null' \
  || fail "battery-low alert while recharging: $(alert_of ups-1 battery_status_state)"
pass "utility back: UPS on its input and recharging (battery still low), fail-to-start reset, alerts resolved"

sim_report
done_checks
