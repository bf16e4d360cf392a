#!/usr/bin/env bash
# dcmon-sim end to end, the utility outage as the people on the e-mail lists live it:
# the demo data center with alert e-mail going to a real SMTP sink, observed through
# `dcmon status --json`, `dcmon alerts --json` and the messages the sink received.
#   0. normal: the whole site (utility feed and transfer switch polled, racks derived)
#      is OK: `dcmon status` exits 0;
#   1. tenants: a server of each tenant stops answering; each tenant's addresses get
#      mail about their own server only;
#   2. utility lost (scenario utility-outage): ONE critical alert (the utility feed,
#      the facility's root), the UPSs on battery, the transfer switch open and what
#      they feed suppressed under it; one e-mail per facility recipient listing them;
#   3. on generators: the fuel runtime prediction of gen-1 against the simulator's fuel
#      and the load-dependent burn (facility-facts 6.3);
#   4. utility back: the root alert resolved, a recovery e-mail, the site OK again;
#   5. every message's recipients: tenants got nothing about others' equipment nor
#      about the facility's; facility and NOC nothing separately about suppressed alerts.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/email_lib.sh"

SIM_SMTP_PORT=$(free_port)
start_sink "$T/mail" "$SIM_SMTP_PORT"
sim_start

# site_health: the whole site's health word, or fails (no document).
site_health() { status_json | jq -r .health; }
site_is() { [ "$(site_health)" = "$1" ]; }
# site_rc: the exit code of a whole-site `dcmon status`.
site_rc() { local rc=0; "$DCMON" status >/dev/null 2>&1 || rc=$?; echo "$rc"; }

# --- 0. normal: every device has a state, the site is OK --------------------------------
wait_until 30 "utility polled" dev_metric_is utility supply_state "" '.value_name == "ok"'
wait_until 30 "ats-1 polled" dev_metric_is ats-1 switch_position_state "" '.value_name == "normal"'
dev_metric_is ats-1 source1_voltage_volts "" '.value == 230' || fail "ats-1 source 1 voltage"
dev_metric_is ats-1 source2_available_state "" '.value_name == "off"' || fail "generators not on line"
wait_until 30 "every simulated device polled" dev_metric_is leak-h1 leak_state "" '.value_name == "off"'
wait_until 20 "rack states derived" dev_metric_is rack-h2-r02 redundancy_state "" '.value_name == "ok"'
wait_until 30 "whole site OK" site_is ok
assert_eq "$(site_rc)" 0 "dcmon status (whole site) exit code in normal operation"
assert_eq "$(status_json | jq -r '[.devices[] | select(.health != "ok") | .id] | join(" ")')" "" \
  "devices not OK in normal operation"

# --- 1. each tenant hears about its own server --------------------------------------------
# On a loaded machine a server's first polls can time out: its no-data alert then fires
# and resolves at start-up, and that pair is mailed one group_wait later, possibly after
# this point (in CI it was, and the test took it for this outage's notice, brought the
# servers back 5 s into the outage and had them fire again into the facility's window of
# step 2). So only messages from here on count, and a notice of this outage is one whose
# last block about the server is a first notification, not a RESOLVED one.
# blocks_after N RCPT DEVICE: the kinds ("-", RESOLVED, ...) of the blocks about DEVICE
# mailed to RCPT in the messages from the N-th (0-based) on, in order, one a line.
blocks_after() {
  mail_blocks "$T/mail" "$1" | awk -F'\t' -v r="$2" -v d="$3" '$1 == r && $4 == d { print $2 }'
}
fire_mailed() { [ "$(blocks_after "$mails_down" "$1" "$2" | tail -n 1)" = "-" ]; }
mails_down=$(msgs "$T/mail" | jq 'length')
"$DCMON_SIM" set acme-web-1.up 0 >/dev/null || fail "acme-web-1 down"
"$DCMON_SIM" set globex-app-2.up 0 >/dev/null || fail "globex-app-2 down"
wait_until 40 "acme mailed about acme-web-1" fire_mailed ops@acme.example acme-web-1
# each server's alert comes from its own polls: the same 40 s for each, not 20 s after
# acme's (under ASan in the clean room globex's once came more than 20 s after acme's)
wait_until 40 "globex mailed about globex-app-2" fire_mailed noc@globex.example globex-app-2
wait_until 40 "globex on-call mailed" fire_mailed oncall@globex.example globex-app-2
pass "servers of both tenants silent: each tenant mailed about its own"
mails_up=$(msgs "$T/mail" | jq 'length')
"$DCMON_SIM" set acme-web-1.up 1 >/dev/null || fail "acme-web-1 up"
"$DCMON_SIM" set globex-app-2.up 1 >/dev/null || fail "globex-app-2 up"
wait_until 30 "servers answering again" not_firing acme-web-1 cpu_used_percent
wait_until 30 "servers answering again" not_firing globex-app-2 cpu_used_percent
# the recovery notices, so that every message after this point is about the outage
resolved_to() { blocks_after "$mails_up" "$1" "$2" | grep -qx RESOLVED; }
for want in "ops@acme.example acme-web-1" "noc@globex.example globex-app-2" \
            "oncall@globex.example globex-app-2" "facility@dc1.example acme-web-1" \
            "facility@dc1.example globex-app-2" "noc@dc1.example acme-web-1" \
            "noc@dc1.example globex-app-2"; do
  wait_until 40 "recovery notice: $want" resolved_to $want
done
pass "servers back: recovery notices to their tenant, facility and NOC"
mailed_before=$(msgs "$T/mail" | jq 'length')

# --- 2. utility lost: one root, everything downstream under it ---------------------------
"$DCMON_SIM" run utility-outage --speed 1 >/dev/null || fail "run utility-outage"
wait_until 30 "utility lost" firing_sev utility supply_state critical
# the gap before the generators take the load: the UPSs on battery, the switch open
in_gap() {
  alerts_json | json_check '[.alerts[] | select(.state == "firing" and
     ((.device == "ups-1" and .metric == "output_source_state") or
      (.device == "ups-2" and .metric == "output_source_state") or
      (.device == "ats-1" and .metric == "switch_position_state")))] | length == 3'
}
wait_until 20 "UPSs on battery and the transfer switch open" in_gap
gap=$(alerts_json)
echo "$gap" | jq -r '.alerts[] | select(.state == "firing")
  | "  \(.device) \(.metric) \(.severity) suppressed_by=\(.suppressed_by)"'
assert_eq "$(echo "$gap" | jq -r '[.alerts[] | select(.state == "firing" and .severity == "critical"
  and .suppressed_by == null) | "\(.device) \(.metric)"] | join(",")')" "utility supply_state" \
  "firing critical alerts not suppressed during the outage"
assert_eq "$(echo "$gap" | jq -r '[.alerts[] | select(.state == "firing" and .device != "utility"
  and .suppressed_by != "utility")] | length')" 0 "firing alerts not suppressed by the utility"
for want in "ups-1 output_source_state" "ups-2 output_source_state" "ats-1 switch_position_state"; do
  echo "$gap" | jq -e --arg d "${want% *}" --arg m "${want#* }" '[.alerts[] | select(.device == $d
    and .metric == $m and .state == "firing" and .severity == "critical"
    and .suppressed_by == "utility")] | length == 1' >/dev/null \
    || fail "$want not firing suppressed by utility"
done
pass "UPSs on battery and transfer switch open: critical, suppressed_by utility"
dev_metric_is ups-1 output_source_state "" '.value_name == "battery"' || fail "ups-1 not on battery"
assert_eq "$(site_rc)" 2 "dcmon status (whole site) exit code during the outage"
status_json | json_check '.devices[] | select(.id == "utility")
  | .health == "critical" and (.health_reason | startswith("alert: "))' \
  || fail "utility health: $(status_json | jq -c '.devices[] | select(.id == "utility")')"

wait_until 60 "outage mailed to facility" count_is "$T/mail" facility@dc1.example 1 \
  '.data | test("Subject: \\[dcmon\\] CRITICAL utility: utility supply lost")'
# The NOC's route has the default group_wait (30s): when its window, opened by the
# servers' recovery notices above, is still open as the outage fires, the outage goes
# out when it closes, up to 30 s after the facility's (group_wait 10s).
wait_until 45 "outage mailed to the NOC" count_is "$T/mail" noc@dc1.example 1 \
  '.data | test("Subject: \\[dcmon\\] CRITICAL utility: utility supply lost")'
for rcpt in facility@dc1.example noc@dc1.example; do
  m=$(msgs "$T/mail" | jq -r --arg a "$rcpt" '[.[] | select((.rcpt_tos | index($a)) and
    (.data | test("CRITICAL utility")))][0].data')
  list=$(printf '%s\n' "$m" | tr -d '\r' | sed -n '/^Suppressed downstream alerts:/,/^Dashboard:/p')
  for want in "ups-1 output_source_state (critical, firing)" "ups-2 output_source_state (critical, firing)" \
              "ats-1 switch_position_state (critical, firing)"; do
    grep -qF -- "$want" <<<"$list" || fail "$rcpt: the outage e-mail does not list '$want': $list"
  done
done
pass "one outage e-mail to facility and NOC, listing the suppressed UPS and ATS alerts"

# --- 3. on generators: the fuel runtime prediction ------------------------------------------
# While the generators start and the switch transfers, the root stays the utility:
# sampled until the switch is on the generators, no alert is suppressed by ats-1 and
# no critical of ats-1 fires unsuppressed (a second root flashing on the wall).
flashes=0 samples=0
for _ in $(seq 1 300); do
  dev_metric_is ats-1 switch_position_state "" '.value_name == "emergency"' && break
  doc=$(alerts_json) || continue
  samples=$((samples + 1))
  bad=$(jq -c '[.alerts[] | select(.state == "firing" and (.suppressed_by == "ats-1"
    or (.device == "ats-1" and .severity == "critical" and .suppressed_by == null)))
    | "\(.device) \(.metric) suppressed_by=\(.suppressed_by)"]' <<<"$doc")
  [ "$bad" = "[]" ] || { flashes=$((flashes + 1)); echo "second root: $bad"; }
  sleep 0.1
done
dev_metric_is ats-1 switch_position_state "" '.value_name == "emergency"' || fail "generators not on line"
assert_eq "$flashes" 0 "snapshots (of $samples) with a second root during the takeover"
wait_until 20 "ups-1 back on its input" dev_metric_is ups-1 output_source_state "" '.value_name == "normal"'
# a prediction made after dcmond's latest reading of the load (the one it used)
predicted_on_load() {
  doc=$(dev_json gen-1) || return 1
  jq -e '[.devices[0].metrics[] | select(.inst == null)] | map({(.name): .}) | add
    | .output_power_total_watts.value > 50000 and .fuel_runtime_remaining_seconds.quality == "ok"
      and .fuel_runtime_remaining_seconds.ts_ms >= .output_power_total_watts.ts_ms' <<<"$doc" >/dev/null
}
wait_until 20 "gen-1 runtime predicted on load" predicted_on_load
sim=$("$DCMON_SIM" status) || fail "dcmon-sim status"
accel=$(awk 'NR == 1 { print $4 }' <<<"$sim")
line=$(grep '^gen-1 ' <<<"$sim")
echo "dcmon-sim at ${accel}: $line"
# before the time-lapse (x300 from 60 s into the scenario) the fuel moves by a fraction
# of a litre between dcmond's poll and this read; later it would not be comparable
[ "$accel" = 2x ] || fail "the time-lapse started before the prediction was read ($accel)"
$PY - "$doc" "$line" <<'PYEOF' || fail "fuel runtime prediction"
import json, re, sys
doc, line = json.loads(sys.argv[1]), sys.argv[2]
m = {x["name"]: x for x in doc["devices"][0]["metrics"] if not x.get("inst")}
tank_l, rating_kw = 1000.0, 500.0             # etc/demo: facility tank_liters / rating_kw
fuel_l = float(re.search(r"\(([0-9.]+) L\)", line).group(1))    # the simulator's tank
load_kw = m["output_power_total_watts"]["value"] / 1000.0        # the load dcmond read
# facility-facts 6.3, diesel set of 500 kW: L/h at 1/4, 1/2, 3/4, full load; below 1/4
# load the line through the 1/4 and 1/2 points (an engine idles at a burn > 0)
frac, lph = [0.25, 0.5, 0.75, 1.0], [41.6, 70.0, 99.9, 135.1]
f = load_kw / rating_kw
i = 0 if f < 0.5 else 1 if f < 0.75 else 2
burn = lph[i] + (lph[i + 1] - lph[i]) * (f - frac[i]) / 0.25
burn *= rating_kw / 500.0
got_burn = m["fuel_burn_liters_per_hour"]["value"]
got_rt = m["fuel_runtime_remaining_seconds"]["value"]
# dcmond sees the level as whole percent of the tank (the controller's register): the
# litres it knows are up to tank/100 below the simulator's at its poll; since that poll
# (age_s ago, plus this read's second) the simulator burned on at 2x (scenario speed)
drift_l = burn * 2 * (m["fuel_level_percent"]["age_s"] + 1) / 3600
lo = (fuel_l - tank_l / 100.0) / burn * 3600
hi = (fuel_l + drift_l) / burn * 3600
print("gen-1: load %.1f kW, burn %.2f L/h (chart %.2f), fuel %.2f L: runtime %.0f s "
      "(%.2f h), expected %.0f..%.0f s" % (load_kw, got_burn, burn, fuel_l, got_rt,
                                           got_rt / 3600, lo, hi))
assert abs(got_burn - burn) <= 0.001 * burn, "burn rate"
assert lo <= got_rt <= hi, "runtime outside the physics' bounds"
assert m["fuel_runtime_remaining_seconds"]["unit"] == "seconds"
PYEOF
pass "gen-1 fuel runtime remaining = simulator fuel / load-dependent burn (within one % of the tank)"
wait_until 40 "fuel draining in the time-lapse" dev_metric_is gen-1 fuel_level_percent "" '.value <= 78'

# --- 4. utility back: recovery ----------------------------------------------------------------
wait_until 60 "utility back" dev_metric_is utility supply_state "" '.value_name == "ok"'
wait_until 10 "utility alert resolved" not_firing utility supply_state
assert_eq "$(alerts_json --all | jq -r '[.alerts[] | select(.device == "utility")][0].state')" \
  resolved "the utility alert after the recovery"
wait_until 40 "recovery mailed to facility" count_is "$T/mail" facility@dc1.example 1 \
  '.data | test("Subject: \\[dcmon\\] RESOLVED utility: utility supply lost")'
wait_until 45 "recovery mailed to the NOC" count_is "$T/mail" noc@dc1.example 1 \
  '.data | test("Subject: \\[dcmon\\] RESOLVED utility: utility supply lost")'
pass "utility back: alert resolved, recovery e-mail to facility and NOC"
wait_until 60 "retransferred to the utility" dev_metric_is ats-1 switch_position_state "" '.value_name == "normal"'
wait_until 90 "generators stopped" dev_metric_is gen-1 engine_state "" '.value_name == "stopped"'
wait_until 30 "whole site OK again" site_is ok
assert_eq "$(site_rc)" 0 "dcmon status (whole site) exit code after the recovery"
dev_metric_is ats-1 transfers_count "" '.value == 3' || fail "ats-1 transfers (open, emergency, normal)"
dev_metric_is utility supply_losses_count "" '.value == 1' || fail "one supply loss counted"

# --- 5. who got what ---------------------------------------------------------------------------
echo "messages:"; msgs "$T/mail" | jq -r '.[] | "  \(.rcpt_tos | join(",")): \(.data | split("\n")[]
  | select(startswith("Subject: ")) | sub("\r$"; ""))"'
status_json | jq '[.devices[] | {id, tenant}]' >"$T/devices.json"
msgs "$T/mail" >"$T/msgs.json"
$PY - "$T/devices.json" "$T/msgs.json" "$mailed_before" <<'PYEOF' || fail "recipients"
import json, re, sys
devs = json.load(open(sys.argv[1]))
msgs = json.load(open(sys.argv[2]))  # in the order received (msg-PID-SEQ files)
before = int(sys.argv[3])
tenant_addrs = {"acme": ["ops@acme.example"],
                "globex": ["noc@globex.example", "oncall@globex.example"]}
def named(body, dev_id):
    return re.search(r"(?<![\w.-])%s(?![\w-])" % re.escape(dev_id), body) is not None
for msg in msgs:
    body = msg["data"]
    for tenant, addrs in tenant_addrs.items():
        if not set(addrs) & set(msg["rcpt_tos"]):
            continue
        # a tenant's mail names no device but its own (others' nor the facility's)
        foreign = [d["id"] for d in devs if d["tenant"] != tenant and named(body, d["id"])]
        assert not foreign, "%s got mail naming %s: %s" % (tenant, foreign, body[:400])
        assert set(msg["rcpt_tos"]) <= set(addrs), "tenant mail shared: %s" % msg["rcpt_tos"]
outage = [m for m in msgs if named(m["data"], "utility")]
for rcpt in ["facility@dc1.example", "noc@dc1.example"]:
    mine = [m for m in outage if rcpt in m["rcpt_tos"]]
    kinds = [re.search(r"Subject: \[dcmon\] (\w+) utility", m["data"]).group(1) for m in mine]
    assert kinds == ["CRITICAL", "RESOLVED"], "%s: outage messages %s" % (rcpt, kinds)
# the suppressed alerts were listed in the root's e-mail, never sent on their own: no
# message after the outage began is about the UPSs, the transfer switch, the racks or
# the cooling units (they appear only inside the root's list)
for m in msgs[before:]:
    subj = re.search(r"Subject: ([^\r\n]*)", m["data"]).group(1)
    items = re.findall(r"^(?:Device: +|- [A-Z]+ )([\w.-]+)", m["data"], re.M)
    assert set(items) <= {"utility"} and "utility" in subj, \
        "%s: a message about %s: %s" % (m["rcpt_tos"], items, subj)
print("%d messages checked; %d since the outage began" % (len(msgs), len(msgs) - before))
PYEOF
pass "tenants got only their own equipment's mail; nothing suppressed was mailed on its own"

sim_report
done_checks
