#!/usr/bin/env bash
# A utility loss with suppression, on real pollers: the power chain ups1 -> pdu1 ->
# {srv1, srv2} (fed_by).  ups1 is served by snmpsim from the on-battery recording, so its
# critical "UPS is on battery" alert fires: the UPS is failed.  When srv1's service port
# closes (the test stops its listener), srv1's port-down alert is `suppressed_by: ups1`
# in /api/v1/alerts and no "fired" event is logged for it.  When ups1 recovers (a config
# reload points it at the on-mains recording), the still-firing port-down alert is
# notified: one "fired" event.  `dcmon impact ups1` lists the downstream devices.
source "$(dirname "$0")/lib.sh"

start_snmpsim 127.0.0.1 ups-battery ups-mains pdu
sim_port=$SIM_PORT

port1=$(free_port)
port2=$(free_port)
start_tcp_listener "$port2"   # srv2's service: stays up
start_tcp_listener "$port1"   # LISTENER_PID: srv1's service, stopped below

write_config() { # $1 = ups1's community (= snmpsim recording)
  { daemon_yaml; cat <<YAML; } >"$T/dcmon.yaml"
  profiles_dir: $DCMON_SOURCE_DIR/etc/profiles
devices:
  - id: ups1
    kind: ups
    host: 127.0.0.1
    profile: ups-rfc1628
    snmp: {port: $sim_port, community: $1, timeout: 300ms, retries: 0}
  - id: pdu1
    kind: pdu
    host: 127.0.0.1
    profile: apc-rpdu2
    fed_by: ups1
    snmp: {port: $sim_port, community: pdu, timeout: 300ms, retries: 0}
  - {id: srv1, kind: server, host: 127.0.0.1, fed_by: pdu1, checks: {tcp: [$port1]}}
  - {id: srv2, kind: server, host: 127.0.0.1, fed_by: pdu1, checks: {tcp: [$port2]}}
rules:
  - name: port-down
    match: {metric: tcp_port_up}
    below: {crit: 1}
    summary: service port closed
YAML
  chmod 600 "$T/dcmon.yaml"
}
write_config ups-battery
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"
start_dcmond "$T/dcmon.yaml"

# srv1's port-down alert (one) as a JSON object, from /api/v1/alerts.
srv1_alert() { api_get /api/v1/alerts | jq -c '
  [.alerts[] | select(.device == "srv1" and .rule == "port-down")] | select(length == 1) | .[0]'; }
fired_srv1() { log_count "msg=\"fired rule=port-down metric=tcp_port_up@$port1 "; }

# ---- the UPS is failed (on battery, critical) ---------------------------------------
ups_failed() { api_get /api/v1/alerts | json_check '
  any(.alerts[]; .device == "ups1" and .summary == "UPS is on battery"
                 and .state == "firing" and .severity == "critical")'; }
wait_until 20 "ups1 on-battery alert" ups_failed
wait_until 15 "srv1 port up" metric_is srv1 tcp_port_up "$port1" '.value == 1'
wait_until 15 "pdu1 polled" metric_is pdu1 phase_power_watts 1 '.quality == "ok"'
api_get /api/v1/alerts | json_check 'all(.alerts[]; .device == "ups1")' \
  || fail "alerts beside the UPS's: $(api_get /api/v1/alerts)"
pass "ups1 on battery: critical alert firing; pdu1, srv1, srv2 quiet"

# ---- srv1's port closes: suppressed by ups1, not notified ----------------------------
stop_tcp_listener
wait_until 15 "srv1 port-down firing" eval 'srv1_alert | json_check ".state == \"firing\""'
srv1_alert | json_check '.suppressed_by == "ups1" and .severity == "critical"' \
  || fail "srv1's alert: $(srv1_alert)"
pass "srv1 port closed: port-down firing, suppressed_by ups1 in /api/v1/alerts"
wait_polls srv1 3   # give it time to be (wrongly) notified
srv1_alert | json_check '.state == "firing" and .suppressed_by == "ups1"' \
  || fail "srv1's alert after 3 polls: $(srv1_alert)"
assert_eq "$(fired_srv1)" 0 "fired events of srv1's port-down while ups1 is failed"
grep -qF 'msg="fired rule=' "$T/dcmond.log" || fail "no fired events at all (is the listener logging?)"
rc=0; "$DCMON" alerts >"$T/alerts.txt" || rc=$?
grep -E "srv1 +tcp_port_up@$port1" "$T/alerts.txt" | grep -q "ups1" \
  || fail "dcmon alerts does not show the suppression: $(cat "$T/alerts.txt")"
pass "dcmon alerts shows srv1's alert suppressed by ups1"

# ---- impact ---------------------------------------------------------------------------
out=$("$DCMON" impact ups1)
grep -qE '^depends on it: +pdu1, srv1, srv2$' <<<"$out" || fail "dcmon impact ups1: $out"
grep -qE '^would lose power: +pdu1, srv1, srv2$' <<<"$out" || fail "dcmon impact ups1: $out"
"$DCMON" impact ups1 --json | json_check '.dependents == ["pdu1", "srv1", "srv2"]' \
  || fail "impact --json: $("$DCMON" impact ups1 --json)"
pass "dcmon impact ups1: pdu1, srv1, srv2 depend on it and would lose power"

# ---- ups1 recovers (reload: the on-mains recording); srv1 is still down: notified ------
write_config ups-mains
kill -HUP "$DCMOND_PID"
wait_until 20 "ups1 on mains" metric_is ups1 output_source_state "" '.value_name == "normal"'
ups_recovered() { api_get /api/v1/alerts | json_check 'all(.alerts[]; .device != "ups1" or .state != "firing")'; }
wait_until 15 "ups1 no longer failed" ups_recovered
# (the notification follows one settle time, a poll round, after the suppression ends)
srv1_fired() { [ "$(fired_srv1)" -ge 1 ]; }
wait_until 15 "srv1 notified after the recovery" srv1_fired
srv1_alert | json_check '.state == "firing" and .suppressed_by == null' \
  || fail "srv1's alert after the recovery: $(srv1_alert)"
pass "ups1 back on mains: srv1's still-firing alert no longer suppressed, fired event logged"
wait_polls srv1 2
assert_eq "$(fired_srv1)" 1 "fired events of srv1's port-down"
assert_eq "$(log_count "msg=\"fired rule=port-down metric=tcp_port_up@$port2 ")" 0 \
  "fired events of srv2 (its port stayed open)"
# srv1 is unreachable (its only check refused) and polled with back-off, so its points
# went stale between polls: the device's story, not a sensor fault per point.
status_json | json_check '.devices[] | select(.id == "srv1") | .state == "unreachable"' \
  || fail "srv1 state: $(status_json | jq -c '.devices[] | select(.id == "srv1")')"
alerts_json --all | json_check 'all(.alerts[]; .device != "srv1" or .rule != "sensor-fault")' \
  || fail "sensor fault for an unreachable device: $(alerts_json --all)"
assert_eq "$(log_count 'rule=sensor-fault')" 0 "sensor-fault events"
stop_dcmond
done_checks
