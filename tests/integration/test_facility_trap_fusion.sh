#!/usr/bin/env bash
# Trap/poll fusion end to end: a UPS on mains (snmpsim, ups-mains recording) polled once
# an hour.  An upsTrapOnBattery from its address sets output_source_state = battery at
# once (the profile's critical "UPS is on battery" alert fires); the re-poll the trap
# asks for reads "normal" from the recording and the trap-raised alert resolves by
# itself.  The order is read from the API's timestamps: trap sent <= fired <= resolved,
# and the confirming poll is not older than the firing.
source "$(dirname "$0")/lib.sh"

start_snmpsim 127.0.0.2 ups-mains
sim_port=$SIM_PORT
trap_port=$(free_udp_port)

{ daemon_yaml; cat <<YAML; } >"$T/dcmon.yaml"
  profiles_dir: $DCMON_SOURCE_DIR/etc/profiles
  snmp_trap: {listen: 127.0.0.1, port: $trap_port, communities: [dcmon-traps]}
devices:
  # polled once an hour: between traps only the re-poll a trap asks for reads it
  - id: ups-t
    kind: ups
    host: 127.0.0.2
    profile: ups-rfc1628
    interval: 1h
    timeout: 2s
    snmp: {port: $sim_port, community: ups-mains, timeout: 300ms, retries: 0}
YAML
chmod 600 "$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

send_trap() { # TRAP-OID [VARBINDS...] from ups-t's address
  snmptrap -v2c -c dcmon-traps --clientaddr=127.0.0.2 127.0.0.1:$trap_port '' "$@" \
    || fail "snmptrap $1 failed"
}

# A neutral trap first (coldStart): its re-poll reads the UPS on mains.
send_trap 1.3.6.1.6.3.1.1.5.1
wait_until 15 "ups-t polled after coldStart" metric_is ups-t output_source_state "" \
  '.value_name == "normal" and .quality == "ok"'
metric_is ups-t trap_last_state "" '.value_name == "cold_start"' || fail "trap_last_state"
api_get /api/v1/alerts | json_check '[.alerts[] | select(.device == "ups-t")] == []' \
  || fail "alerts for a UPS on mains: $(api_get /api/v1/alerts)"
pass "coldStart: ups-t polled, on mains (normal), no alerts"
poll1_ms=$(metric_field ups-t output_source_state "" ts_ms)

# upsTrapOnBattery: battery at once, then the re-poll clears it.
sent_ms=$(date +%s%3N)
send_trap 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.2.0 i 30
onbat_alert() { api_get /api/v1/alerts | jq -r '
  [.alerts[] | select(.device == "ups-t" and .summary == "UPS is on battery")] | .[0].id // empty'; }
wait_until 10 "on-battery alert of ups-t" test -n "$(onbat_alert)"
id=$(onbat_alert)
wait_until 10 "trap-raised alert resolved" eval \
  "api_get /api/v1/alerts/$id | json_check '.state == \"resolved\"'"
doc=$(api_get "/api/v1/alerts/$id")
printf '%s\n' "$doc" | json_check '.severity == "critical"' \
  || fail "severity of the on-battery alert: $(printf '%s' "$doc" | jq -c .)"
printf '%s\n' "$doc" | json_check '[.history[].to] == ["firing", "resolved"]' \
  || fail "history of alert $id: $(printf '%s' "$doc" | jq -c .history)"
fired_ms=$(printf '%s\n' "$doc" | jq '.history[0].ts_ms')
resolved_ms=$(printf '%s\n' "$doc" | jq '.history[1].ts_ms')
pass "upsTrapOnBattery: critical 'UPS is on battery' alert $id fired, then resolved by itself"
[ "$fired_ms" -ge "$sent_ms" ] || fail "fired at $fired_ms before the trap was sent at $sent_ms"
[ "$resolved_ms" -ge "$fired_ms" ] || fail "resolved at $resolved_ms before firing at $fired_ms"
pass "order: trap sent ($sent_ms) <= fired ($fired_ms) <= resolved ($resolved_ms)"

# The clearing report is the trap's re-poll: a poll newer than the first, after the
# firing, reading normal; and the trap is recorded.
metric_is ups-t output_source_state "" '.value_name == "normal" and .quality == "ok"' \
  || fail "output_source_state after the re-poll: $(metric_field ups-t output_source_state "" value_name)"
poll2_ms=$(metric_field ups-t output_source_state "" ts_ms)
[ "$poll2_ms" -gt "$poll1_ms" ] || fail "no poll after the trap ($poll2_ms <= $poll1_ms)"
[ "$poll2_ms" -ge "$fired_ms" ] || fail "confirming poll at $poll2_ms older than the firing $fired_ms"
metric_is ups-t trap_last_state "" '.value_name == "on_battery"' || fail "trap_last_state"
pass "re-poll at $poll2_ms (after the firing) reads normal; trap_last_state = on_battery"

# Events: one fired and one resolved line for the trap-raised alert, and the fusion log.
grep -qF 'trap on_battery: output_source_state = battery until the poll confirms' "$T/dcmond.log" \
  || fail "no fusion log line"
wait_until 5 "resolved event" grep -qE 'msg="resolved rule=[^ ]* metric=output_source_state ' "$T/dcmond.log"
assert_eq "$(grep -cE 'msg="fired rule=[^ ]* metric=output_source_state ' "$T/dcmond.log")" 1 \
  "fired events of output_source_state"
assert_eq "$(grep -cE 'msg="resolved rule=[^ ]* metric=output_source_state ' "$T/dcmond.log")" 1 \
  "resolved events of output_source_state"
api_get /api/v1/alerts | json_check \
  'all(.alerts[]; .device != "ups-t" or .state == "resolved")' \
  || fail "ups-t still has open alerts: $(api_get /api/v1/alerts)"
pass "nothing left open for ups-t"
stop_dcmond
done_checks
