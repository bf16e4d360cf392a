#!/usr/bin/env bash
# dcmond subscribed to a real mosquitto broker on loopback: every payload kind (number,
# bool, enum, JSON paths, Tasmota, Shelly Gen2, zigbee2mqtt) with its values asserted,
# + and # filters and the device named by a topic level, a topic of two filters, a
# sensor that stops publishing (stale, then its no-data alert), a last will marking a
# device unreachable, malformed payloads counted without a crash nor touching other
# metrics, and the broker killed and restarted (values resume).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"

MQTT_PORT=$(free_port)
start_broker "$MQTT_PORT"

{ daemon_yaml "archive_flush: 200ms"
  cat <<YAML
  mqtt:
    host: 127.0.0.1
    port: $MQTT_PORT
    client_id: dcmond-test
    keepalive: 5s
    reconnect_max: 1s
    qos: 1
    max_payload: 200000
    subscriptions:
      - {topic: "sensors/+/temperature", device_level: 2, format: number, metric: temperature_celsius}
rules:
  - {name: rack2-silent, match: {device: rack2, metric: temperature_celsius}, nodata: {intervals: 3}}
devices:
  - {id: rack1, kind: env, mqtt: true}
  - {id: rack2, kind: env, mqtt: true}
  - {id: twin1, kind: env, mqtt: {topics: [{topic: sensors/twin1/temperature, format: number, metric: inlet_celsius}]}}
  - id: door1
    kind: env
    mqtt:
      lwt: gw/door1/LWT
      offline: Offline
      topics:
        - {topic: gw/door1/open, format: bool, metric: door_state}
        - {topic: gw/door1/mode, format: enum, metric: mode_state, states: {auto: 1, manual: 2}}
        - {topic: gw/door1/power, format: number, metric: power_kilowatts, scale: 0.001}
  - id: crac1
    kind: cooling
    mqtt:
      topics:
        - topic: "plant/crac1/#"
          format: json
          timestamp: ts
          values:
            - {metric: supply_celsius, path: air.supply, scale: 0.1}
            - {metric: return_celsius, path: air.return, scale: 0.1}
            - {metric: fan_rpm, path: fans.1.rpm}
            - {metric: alarm_state, path: alarm, states: {ok: 0, alarm: 1}}
  - {id: tas1, kind: env, mqtt: {topics: [{topic: tele/tas1/SENSOR, format: tasmota}]}}
  - id: shelly1
    kind: pdu
    mqtt:
      topics:
        - {topic: shellyplus1pm-a8/events/rpc, format: shelly}
        - {topic: "shellyplus1pm-a8/status/+", format: shelly}
  - id: z2m1
    kind: leak
    mqtt:
      lwt: zigbee2mqtt/z2m1/availability
      topics: [{topic: zigbee2mqtt/z2m1, format: zigbee2mqtt}]
YAML
} >"$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"
start_dcmond "$T/dcmon.yaml"
wait_until 20 "subscribed" grep -q "connected to 127.0.0.1:$MQTT_PORT" "$T/dcmond.log"
wait_until 10 "subscriptions at the broker" grep -q "dcmond-test 1 zigbee2mqtt/z2m1" "$BROKER_LOG"

# number, with device from a topic level (+)
pub sensors/rack1/temperature 21.5
pub sensors/rack2/temperature " 19.25 "
wait_until 10 "rack1 temperature" metric_is rack1 temperature_celsius "" '.value == 21.5 and .quality == "ok"'
wait_until 10 "rack2 temperature" metric_is rack2 temperature_celsius "" '.value == 19.25'
pass "number payloads, device named by the + level"
pub sensors/nosuch/temperature 30
wait_until 10 "unknown device logged" grep -q "sensors/nosuch/temperature: no device 'nosuch'" "$T/dcmond.log"
pass "a topic naming an unknown device is logged and dropped"

# bool, enum, scale
pub gw/door1/open ON
pub gw/door1/mode Manual
pub gw/door1/power 2500
wait_until 10 "door bool" metric_is door1 door_state "" '.value == 1'
wait_until 10 "door enum" metric_is door1 mode_state "" '.value == 2'
wait_until 10 "power scaled" metric_is door1 power_kilowatts "" '.value == 2.5'
pub gw/door1/open false
wait_until 10 "door closed" metric_is door1 door_state "" '.value == 0'
pass "bool (ON/false), enum text (any case), scale"

# a topic that two filters take (the daemon's + and the device's own) goes to both, its
# first value and the next ones (no memo of one route's metric for it)
for v in 21 22 23; do
	pub sensors/twin1/temperature $v
	wait_until 10 "twin1 inlet $v" metric_is twin1 inlet_celsius "" ".value == $v"
	wait_until 10 "twin1 temperature $v" metric_is twin1 temperature_celsius "" ".value == $v"
done
pass "a topic of two filters: each value to both metrics"

# JSON paths, several values from one message, # filter, payload timestamp
ts=$(( $(date +%s) - 30 ))
pub plant/crac1/unit/a "{\"ts\": $ts, \"air\": {\"supply\": 182, \"return\": 265}, \"fans\": [{\"rpm\": 900}, {\"rpm\": 1210}], \"alarm\": \"ALARM\"}"
wait_until 10 "crac json" metric_is crac1 supply_celsius "" '.value == 18.2'
metric_is crac1 return_celsius "" '.value == 26.5' || fail "return_celsius"
metric_is crac1 fan_rpm "" '.value == 1210' || fail "fan_rpm from an array item"
metric_is crac1 alarm_state "" '.value == 1' || fail "alarm_state from text"
metric_is crac1 supply_celsius "" ".ts_ms == $((ts * 1000))" || fail "payload timestamp not used"
pass "JSON: four values from one message through a # filter, sample time from the payload"
pub plant/crac1/unit/a "{\"ts\": 12, \"air\": {\"supply\": 190, \"return\": 265}, \"fans\": [{}, {\"rpm\": 1200}], \"alarm\": \"ok\"}"
wait_until 10 "crac json 2" metric_is crac1 supply_celsius "" '.value == 19'
metric_is crac1 supply_celsius "" ".ts_ms > $(( ($(date +%s) - 60) * 1000 ))" || fail "insane timestamp used"
pass "a timestamp that is not sane (1970) is replaced by the arrival time"

# Tasmota SENSOR telemetry
pub tele/tas1/SENSOR '{"Time":"2024-01-01T00:00:00","AM2301":{"Temperature":71.6,"Humidity":45.5,"DewPoint":50},"ENERGY":{"TotalStartTime":"2023-01-01T00:00:00","Total":12.5,"Power":40,"Voltage":230,"Current":0.174,"Factor":0.9},"TempUnit":"F"}'
wait_until 10 "tasmota" metric_is tas1 temperature_celsius AM2301 '(.value - 22 | fabs) < 1e-9'
metric_is tas1 humidity_percent AM2301 '.value == 45.5' || fail "tasmota humidity"
metric_is tas1 dew_point_celsius AM2301 '(.value - 10 | fabs) < 1e-9' || fail "tasmota dew point (F)"
metric_is tas1 power_watts ENERGY '.value == 40' || fail "tasmota power"
metric_is tas1 energy_kilowatt_hours ENERGY '.value == 12.5' || fail "tasmota energy"
metric_is tas1 current_amperes ENERGY '.value == 0.174' || fail "tasmota current"
pass "Tasmota SENSOR: AM2301 in Fahrenheit made Celsius, ENERGY"

# Shelly Gen2: NotifyStatus and a component status topic
now=$(date +%s)
pub shellyplus1pm-a8/events/rpc "{\"src\":\"shellyplus1pm-a8\",\"dst\":\"shellyplus1pm-a8/events\",\"method\":\"NotifyStatus\",\"params\":{\"ts\":$now.25,\"switch:0\":{\"id\":0,\"apower\":123.4,\"voltage\":229.8,\"current\":0.55,\"aenergy\":{\"total\":4567.1},\"temperature\":{\"tC\":41.5,\"tF\":106.7},\"output\":true}}}"
wait_until 10 "shelly rpc" metric_is shelly1 power_watts "switch:0" '.value == 123.4'
metric_is shelly1 energy_watt_hours "switch:0" '.value == 4567.1' || fail "shelly energy"
metric_is shelly1 temperature_celsius "switch:0" '.value == 41.5' || fail "shelly tC"
metric_is shelly1 output_state "switch:0" '.value == 1' || fail "shelly output"
metric_is shelly1 power_watts "switch:0" ".ts_ms == $((now * 1000 + 250))" || fail "shelly ts"
pub shellyplus1pm-a8/status/switch:0 '{"id":0,"source":"WS_in","output":false,"apower":0,"voltage":230.1}'
wait_until 10 "shelly status" metric_is shelly1 output_state "switch:0" '.value == 0'
metric_is shelly1 voltage_volts "switch:0" '.value == 230.1' || fail "shelly status voltage"
pass "Shelly Gen2: NotifyStatus (with its ts) and status/switch:0"

# zigbee2mqtt
pub zigbee2mqtt/z2m1 '{"battery":97,"linkquality":120,"water_leak":true,"temperature":22.4,"pressure":1013.2,"state":"OFF"}'
wait_until 10 "z2m" metric_is z2m1 water_leak_state "" '.value == 1'
metric_is z2m1 battery_percent "" '.value == 97' || fail "z2m battery"
metric_is z2m1 pressure_pascals "" '(.value - 101320 | fabs) < 1e-6' || fail "z2m pressure in Pa"
metric_is z2m1 switch_state "" '.value == 0' || fail "z2m state OFF"
pass "zigbee2mqtt: leak, battery, pressure (hPa to Pa), ON/OFF"

# Malformed payloads: each one counted, no crash, other metrics untouched.
head -c 4096 /dev/urandom >"$T/garbage.bin"
printf '%*s' 2000 '' | tr ' ' '[' >"$T/deep.json"
{ printf '{"air":{"supply":"'; head -c 1048576 /dev/zero | tr '\0' 'x'; printf '"}}'; } >"$T/big.json"
pub_file plant/crac1/x "$T/garbage.bin"
pub_file plant/crac1/x "$T/deep.json"
pub_file plant/crac1/x "$T/big.json"
pub plant/crac1/x '{"air":{"supply":[1],"return":{"a":1}},"fans":"many","alarm":null}'
pub sensors/rack1/temperature 'twenty'
pub tele/tas1/SENSOR 'not json'
wait_until 10 "crac errors counted" grep -q "dev=crac1 msg=\"bad payload on plant/crac1/x" "$T/dcmond.log"
wait_until 10 "crac count" metric_is crac1 mqtt_payload_errors_count "" '.value == 4'
wait_until 10 "rack1 count" metric_is rack1 mqtt_payload_errors_count "" '.value == 1'
wait_until 10 "tas1 count" metric_is tas1 mqtt_payload_errors_count "" '.value == 1'
metric_is crac1 supply_celsius "" '.quality == "error" and (.reason | test("not a number"))' \
  || fail "wrong type not a point error"
metric_is rack1 temperature_celsius "" '.quality == "error" and (.reason | test("not a number"))' \
  || fail "text in a number topic not a point error"
metric_is tas1 humidity_percent AM2301 '.value == 45.5 and .quality != "error"' \
  || fail "bad Tasmota payload touched a value"
metric_is rack2 temperature_celsius "" '.value == 19.25' || fail "rack2 touched"
metric_is door1 power_kilowatts "" '.value == 2.5 and .quality != "error"' || fail "door1 touched"
pass "garbage, 2000-deep JSON, 1 MB, wrong types: counted per device, point errors, nothing else touched"
kill -0 "$DCMOND_PID" || fail "dcmond died"
n=$(grep -c "dev=crac1 msg=\"bad payload on plant/crac1/x" "$T/dcmond.log" || true)
grep "bad payload" "$T/dcmond.log" | LC_ALL=C grep -q '[^[:print:]]' && fail "payload bytes in the log"
[ "$n" -le 2 ] || fail "bad payloads of one topic logged $n times within an interval"
pass "bad payloads logged once per topic per interval ($n lines for 4 bad payloads)"
pub sensors/rack1/temperature 22
wait_until 10 "rack1 recovers" metric_is rack1 temperature_celsius "" '.value == 22 and .quality == "ok"'

# Last will: unreachable, then back.
wait_until 10 "door1 up" dev_state_is door1 up
pub gw/door1/LWT Offline -r
wait_until 10 "door1 unreachable" dev_state_is door1 unreachable
status_json | json_check '.devices[] | select(.id == "door1") | .reason | test("last will")' \
  || fail "no last-will reason"
pub gw/door1/LWT Online -r
wait_until 10 "door1 up again" dev_state_is door1 up
pub zigbee2mqtt/z2m1/availability '{"state":"offline"}'
wait_until 10 "z2m1 unreachable" dev_state_is z2m1 unreachable
pass "last will (plain and zigbee2mqtt availability JSON) marks the device unreachable"

# A sensor that stops publishing: stale, then no data.
pub sensors/rack2/temperature 19.5
wait_until 10 "rack2 fresh" metric_is rack2 temperature_celsius "" '.value == 19.5 and .quality == "ok"'
wait_until 15 "rack2 stale" metric_is rack2 temperature_celsius "" '.quality == "stale"'
wait_until 20 "rack2 no-data alert" alert_is rack2-silent '.state == "firing"'
pass "a silent sensor goes stale, then its no-data rule fires"

# A reload that adds a device and a topic keeps the connection and subscribes anew.
connects=$(log_count "connected to 127.0.0.1:$MQTT_PORT")
cat >>"$T/dcmon.yaml" <<YAML
  - id: rack3
    kind: env
    mqtt: {topics: [{topic: site/rack3/hum, format: number, metric: humidity_percent}]}
YAML
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "reloaded config invalid"
kill -HUP "$DCMOND_PID"
wait_until 10 "reloaded" grep -q "reloaded:" "$T/dcmond.log"
wait_until 10 "new topic subscribed" grep -q "dcmond-test 1 site/rack3/hum" "$BROKER_LOG"
pub site/rack3/hum 41.5
wait_until 10 "rack3 value" metric_is rack3 humidity_percent "" '.value == 41.5'
pub sensors/rack1/temperature 22.5
wait_until 10 "rack1 after reload" metric_is rack1 temperature_celsius "" '.value == 22.5'
assert_eq "$(log_count "connected to 127.0.0.1:$MQTT_PORT")" "$connects" "connections after a reload of devices only"
pass "a reload adds a device and its topic on the same connection"
# A reload that changes rack1 drops its metrics: its topic, remembered with the old
# metric (mqtt_routes_remember), must reach the new one.
resets=$(log_count "changed: state reset")
sed -i 's/^  - {id: rack1, kind: env, mqtt: true}$/  - {id: rack1, kind: env, mqtt: true, interval: 7s}/' "$T/dcmon.yaml"
grep -q "id: rack1, kind: env, mqtt: true, interval: 7s" "$T/dcmon.yaml" || fail "rack1 not changed"
kill -HUP "$DCMOND_PID"
reset_logged() { [ "$(log_count "changed: state reset")" -gt "$resets" ]; }
wait_until 10 "rack1 reset" reset_logged
pub sensors/rack1/temperature 24.5
wait_until 10 "rack1 value after its reset" metric_is rack1 temperature_celsius "" '.value == 24.5'
pass "a reload that changes a device: its remembered topic reaches its new metric"
sed -i 's/^    keepalive: 5s$/    keepalive: 6s/' "$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
connected_times() { [ "$(log_count "connected to 127.0.0.1:$MQTT_PORT")" -eq "$1" ]; }
wait_until 10 "reconnected after the broker section changed" connected_times $((connects + 1))
pub site/rack3/hum 42.5
wait_until 10 "rack3 value on the new connection" metric_is rack3 humidity_percent "" '.value == 42.5'
pass "a reload that changes the broker section reconnects, values go on"

# The broker killed and restarted: dcmond reconnects and values resume.
stop_broker
wait_until 20 "link down" dev_state_is rack1 unreachable
status_json | json_check '.devices[] | select(.id == "rack1") | .reason | test("broker not connected")' \
  || fail "no broker reason"
start_broker "$MQTT_PORT"
wait_until 20 "reconnected" grep -q "dcmond-test 1 sensors/+/temperature" "$BROKER_LOG"
pub sensors/rack1/temperature 23.5
wait_until 20 "value after restart" metric_is rack1 temperature_celsius "" '.value == 23.5'
wait_until 10 "rack1 up" dev_state_is rack1 up
pass "broker killed and restarted: unreachable meanwhile, then values resume"

kill -0 "$DCMOND_PID" || fail "dcmond died"
stop_dcmond
done_checks
