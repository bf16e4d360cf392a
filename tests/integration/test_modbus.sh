#!/usr/bin/env bash
# dcmond end to end over Modbus TCP against an independent peer (pymodbus 3.0 with
# Debian's /usr/bin/python3): values of every type and word order in `dcmon status`
# and in the RRD files, a unit id that never answers beside healthy ones, a map with a
# hole, the peer stopped and restarted, and `dcmon probe modbus`.
source "$(dirname "$0")/lib.sh"

start_peer() { # $1 = port (0 = any); sets PEER_PID and PEER_PORT
  rm -f "$T/peer.out"
  $PY "$DCMON_SOURCE_DIR/tests/peers/modbus_peer.py" --port "$1" >"$T/peer.out" 2>>"$T/peer.log" &
  PEER_PID=$!
  track "$PEER_PID"
  wait_peer 20 "modbus peer" "$PEER_PID" "$T/peer.log" grep -q '^PORT ' "$T/peer.out"
  PEER_PORT=$(awk '/^PORT /{print $2}' "$T/peer.out")
}
start_peer 0

# dev_state_is DEVICE STATE: the device's state in `dcmon status` now.
dev_state_is() { status_json | json_check ".devices[] | select(.id == \"$1\") | .state == \"$2\""; }
# polled_after DEVICE NAME INST TS: the metric has a report newer than TS.
polled_after() { [ "$(metric_field "$1" "$2" "$3" ts_ms)" -gt "$4" ]; }

{ daemon_yaml "timeout: 800ms" "profiles_dir: $DCMON_SOURCE_DIR/tests/peers" "archive_flush: 200ms"
  cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - {id: u1, profile: fixture-unit1, modbus: {host: 127.0.0.1, port: $PEER_PORT, unit: 1, timeout: 300ms}}
  - {id: u2, profile: fixture-unit2, modbus: {host: 127.0.0.1, port: $PEER_PORT, unit: 2, timeout: 300ms}}
  - {id: u3, profile: fixture-unit3, modbus: {host: 127.0.0.1, port: $PEER_PORT, unit: 3, timeout: 300ms}}
  - {id: u9, profile: fixture-unit3, modbus: {host: 127.0.0.1, port: $PEER_PORT, unit: 9, timeout: 300ms}}
YAML
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"
start_dcmond "$T/dcmon.yaml"

wait_until 20 "u1 polled" metric_is u1 int32_cdab_volts "" '.quality == "ok"'
for o in abcd cdab badc dcba; do
  metric_is u1 int16_${o}_volts "" '.value == -1234' || fail "int16 $o"
  metric_is u1 uint16_${o}_volts "" '.value == 54321' || fail "uint16 $o"
  metric_is u1 int32_${o}_volts "" '.value == -12345678' || fail "int32 $o"
  metric_is u1 uint32_${o}_volts "" '.value == 3000000000' || fail "uint32 $o"
  metric_is u1 float32_${o}_volts "" '(.value + 273.15 | fabs) < 0.0001' || fail "float32 $o"
  metric_is u1 int64_${o}_volts "" '.value == -1234567890123' || fail "int64 $o"
  metric_is u1 uint64_${o}_volts "" '.value == 1234567890123456' || fail "uint64 $o"
  metric_is u1 float64_${o}_volts "" '.value == 3.141592653589793' || fail "float64 $o"
  pass "8 types in word order $o"
done
metric_is u1 battery_volts "" '(.value - 27.1 | fabs) < 1e-9' || fail "scaled value"
metric_is u1 outside_celsius "" '.value == -10' || fail "scale and offset"
pass "scale and offset"
metric_is u1 fuel_level_percent "" '.quality == "error" and .reason == "not available (0xFFFF)"' \
  || fail "sentinel not reported as missing"
pass "sentinel 0xFFFF reported as not available"
metric_is u1 flow_liters_per_hour "" '.quality == "error" and .reason == "value is NaN"' \
  || fail "NaN not a point error"
pass "NaN is a point error"
metric_is u1 zone_state "" '.value == 1' || fail "masked state"
metric_is u1 first_alarm "" '.value == 3' || fail "alarm nibble"
metric_is u1 pump_state "" '.value == 1' || fail "coil"
metric_is u1 door_state "" '.value == 1' || fail "discrete input"
pass "states, bit fields, coils, discrete inputs"
wait_until 10 "u2 read around its hole" metric_is u2 c_count "" '.value == 333'
metric_is u2 a_count "" '.value == 111' || fail "u2 a_count"
pass "request split after illegal data address"
wait_until 10 "u9 unreachable" dev_state_is u9 unreachable
for i in 0 9; do metric_is u3 r_count "$i" ".value == $((3000 + i))" || fail "u3 reg $i"; done
pass "u3 healthy beside the dead unit 9"

# RRD: the value in the archive is the decoded one.
rrd_last_is() { # FILE VALUE: the last update stored in the RRD is VALUE
  [ -f "$1" ] && [ "$(rrdtool lastupdate "$1" | awk 'NR==3{printf "%.0f", $2}')" = "$2" ]
}
wait_until 20 "rrd holds the value" rrd_last_is "$T/data/u1/int32_dcba_volts.rrd" -12345678
pass "RRD holds -12345678"


# Healthy units keep their schedule while unit 9 times out every poll.
for round in 1 2 3; do
  before=$(metric_field u3 r_count 0 ts_ms)
  wait_until 10 "u3 polled again" polled_after u3 r_count 0 "$before"
  metric_is u3 r_count 0 '.quality == "ok" and .value == 3000' || fail "u3 round $round"
  dev_state_is u9 unreachable || fail "u9 answered?"
done
pass "u3 polled in 3 more rounds while u9 times out"

# Peer stopped: devices unreachable; restarted on the same port: values again.
kill "$PEER_PID"; wait "$PEER_PID" 2>/dev/null || true
wait_until 15 "u3 unreachable" dev_state_is u3 unreachable
pass "peer down: u3 unreachable"
start_peer "$PEER_PORT"
wait_until 60 "u3 back" metric_is u3 r_count 5 '.value == 3005 and .quality == "ok"'
wait_until 20 "u1 back" metric_is u1 float64_badc_volts "" '.value == 3.141592653589793 and .quality == "ok"'
pass "peer restarted: values again"

out=$("$DCMON" probe modbus "127.0.0.1:$PEER_PORT" --unit 1 --addr 164 --count 2)
grep -q "float32 ABCD -273.149994" <<<"$out" || fail "probe output: $out"
pass "dcmon probe modbus decodes float32 ABCD"

stop_dcmond
done_checks
