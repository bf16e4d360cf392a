#!/usr/bin/env bash
# Trap/poll fusion end to end: a UPS on mains (snmpsim, ups-mains recording) polled once
# an hour, so that only the re-polls traps ask for read it.  An upsTrapOnBattery from
# its address (which anyone can forge) changes nothing while the UPS answers: the
# re-poll reads "normal", no alert fires.  Once the UPS stops answering, the same trap
# stands: its re-poll times out, output_source_state = battery and the profile's
# critical "UPS is on battery" alert fires (after the trap, from the failed poll).
source "$(dirname "$0")/lib.sh"

start_snmpsim 127.0.0.2 ups-mains
sim_port=$SIM_PORT
trap_port=$(free_udp_port)

{ daemon_yaml; cat <<YAML; } >"$T/dcmon.yaml"
  profiles_dir: $DCMON_SOURCE_DIR/etc/profiles
  snmp_trap: {listen: 127.0.0.1, port: $trap_port, communities: [dcmon-traps],
              repoll_min_interval: 1s}
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
onbat_alerts() { api_get /api/v1/alerts | jq -c '
  [.alerts[] | select(.device == "ups-t" and .summary == "UPS is on battery")]'; }

# A neutral trap first (coldStart): its re-poll reads the UPS on mains.
send_trap 1.3.6.1.6.3.1.1.5.1
wait_until 15 "ups-t polled after coldStart" metric_is ups-t output_source_state "" \
  '.value_name == "normal" and .quality == "ok"'
metric_is ups-t trap_last_state "" '.value_name == "cold_start"' || fail "trap_last_state"
api_get /api/v1/alerts | json_check '[.alerts[] | select(.device == "ups-t")] == []' \
  || fail "alerts for a UPS on mains: $(api_get /api/v1/alerts)"
pass "coldStart: ups-t polled, on mains (normal), no alerts"

# upsTrapOnBattery while the UPS answers: the re-poll (at the end of the 1 s hold-off
# after coldStart's) reads normal, and that is all.
sent_ms=$(date +%s%3N)
send_trap 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.2.0 i 30
wait_until 10 "ups-t re-polled after the trap" metric_is ups-t output_source_state "" \
  ".ts_ms >= $sent_ms"
metric_is ups-t output_source_state "" '.value_name == "normal" and .quality == "ok"' \
  || fail "output_source_state after the re-poll: $(metric_field ups-t output_source_state "" value_name)"
metric_is ups-t trap_last_state "" '.value_name == "on_battery"' || fail "trap_last_state"
wait_until 5 "not-confirmed line" \
  grep -qF 'msg="trap on_battery not confirmed: the poll reads output_source_state = normal' "$T/dcmond.log"
assert_eq "$(onbat_alerts)" "[]" "on-battery alerts of ups-t while it answers"
grep -qE 'msg="fired rule=[^ ]* metric=output_source_state ' "$T/dcmond.log" \
  && fail "an alert event for output_source_state"
pass "upsTrapOnBattery, UPS answering on mains: re-polled, trap ignored, no alert"

# The UPS stops answering: the next on-battery trap's re-poll times out and the trap's
# state stands.
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null || true
sent_ms=$(date +%s%3N)
send_trap 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.2.0 i 30
onbat_fired() { api_get /api/v1/alerts | jq -e '
  [.alerts[] | select(.device == "ups-t" and .summary == "UPS is on battery" and .state == "firing")]
  | length == 1' >/dev/null; }
wait_until 15 "on-battery alert of the silent ups-t" onbat_fired
metric_is ups-t output_source_state "" ".value_name == \"battery\" and .quality == \"ok\" and .ts_ms >= $sent_ms" \
  || fail "output_source_state of the silent ups-t: $(metric_field ups-t output_source_state "" value_name)"
grep -qE 'dev=ups-t msg="trap on_battery: output_source_state = battery, the poll could not tell \(' \
  "$T/dcmond.log" || fail "no line telling the trap stands"
id=$(onbat_alerts | jq '.[0].id')
doc=$(api_get "/api/v1/alerts/$id")
printf '%s\n' "$doc" | json_check '.severity == "critical" and [.history[].to] == ["firing"]' \
  || fail "alert $id: $(printf '%s' "$doc" | jq -c .)"
fired_ms=$(printf '%s\n' "$doc" | jq '.history[0].ts_ms')
[ "$fired_ms" -ge "$sent_ms" ] || fail "fired at $fired_ms before the trap was sent at $sent_ms"
pass "upsTrapOnBattery, UPS silent: its re-poll failed, output_source_state = battery, critical alert $id"
stop_dcmond
done_checks
