#!/usr/bin/env bash
# dcmond publishing to a real mosquitto broker (daemon.mqtt.publish): the retained state
# topics hold the values it took in (value, state name, quality, instance level), an
# alert's fire and resolve reach the events topic at QoS 1, its availability topic says
# online when it starts and offline (its last will) when it is killed -9, and the alert
# events of a time the broker was down arrive once it is back.  Plus the config errors
# of the publish: section at file:line:col.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"

MQTT_PORT=$(free_port)
# Persistence, so that the events subscriber's session (and what is queued for it)
# survives the broker's restart.
BROKER_LINES=("allow_anonymous true" "persistence true" "persistence_location $T/")
start_broker "$MQTT_PORT" "${BROKER_LINES[@]}"

write_config() { # extra lines of the publish: section
  { daemon_yaml "archive_flush: 200ms"
    cat <<YAML
  mqtt:
    host: 127.0.0.1
    port: $MQTT_PORT
    client_id: dcmond-pub
    keepalive: 5s
    reconnect_max: 1s
    subscriptions:
      - {topic: "sensors/+/temperature", device_level: 2, format: number, metric: temperature_celsius}
    publish:
$(for l in "$@"; do echo "      $l"; done)
sites:
  - {id: tokyo-1}
rules:
  - {name: rack1-hot, match: {device: rack1, metric: temperature_celsius}, above: {warn: 30}}
  - {name: rack1-silent, match: {device: rack1, metric: temperature_celsius}, nodata: {intervals: 3}}
devices:
  - {id: rack1, kind: env, mqtt: true, location: {site: tokyo-1}}
  - id: door1
    kind: env
    mqtt:
      topics:
        - {topic: gw/door1/mode, format: enum, metric: mode_state, states: {auto: 1, manual: 2}}
        - {topic: "gw/door1/phase/+", format: number, metric: power_watts, instance_level: 4}
YAML
  } >"$T/dcmon.yaml"
}

# retained TOPIC: the retained message of TOPIC now (empty when there is none).
retained() {
  mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t "$1" --retained-only -C 1 -W 2 2>/dev/null || true
}
# retained_is TOPIC JQ-PREDICATE
retained_is() { retained "$1" | json_check "$2"; }
status_is() { [ "$(retained dc/test/_status/dcmond-pub)" = "$1" ]; }
# events_count JQ-PREDICATE: events received so far that satisfy it.
events_count() { jq -c "select($1)" "$T/events.jsonl" 2>/dev/null | wc -l; }
events_are() { [ "$(events_count "$1")" -eq "$2" ]; }

# ---- config errors ----------------------------------------------------------------
write_config "prefix: dc/#/x" "kinds: [values, mail]"
out=$("$DCMOND" --check-config "$T/dcmon.yaml" 2>&1) && fail "a bad publish: section accepted"
grep -q "dcmon.yaml:[0-9]*:[0-9]*: .*publish prefix 'dc/#/x'" <<<"$out" || fail "bad prefix: $out"
grep -q "dcmon.yaml:[0-9]*:[0-9]*: .*publish kind 'mail': expected values, alerts" <<<"$out" ||
  fail "bad kind: $out"
pass "publish: errors at file:line:col (prefix, kinds)"

write_config "prefix: dc/test" "kinds: [values, alerts, transitions]"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"

# The events subscriber: a persistent session at QoS 1 (-c), so that events published
# while it reconnects after the broker's restart still reach it.
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i events-sub -c -q 1 -t dc/test/_events \
  >"$T/events.jsonl" 2>"$T/events-sub.log" &
SUB_PID=$!
track "$SUB_PID"
wait_until 10 "events subscriber" grep -q "events-sub 1 dc/test/_events" "$BROKER_LOG"

start_dcmond "$T/dcmon.yaml"
wait_until 20 "connected" grep -q "connected to 127.0.0.1:$MQTT_PORT" "$T/dcmond.log"
wait_until 10 "online" status_is online
pass "availability: online (retained) once dcmond is connected"

# ---- retained state topics ----------------------------------------------------------
pub sensors/rack1/temperature 21.5
pub gw/door1/mode manual
pub gw/door1/phase/L2 1500
wait_until 10 "rack1 state topic" retained_is dc/test/tokyo-1/rack1/temperature_celsius \
  '.value == 21.5 and .quality == "ok" and .device == "rack1" and .unit == "celsius"
   and .metric == "temperature_celsius" and .kind == "gauge" and (.ts | type) == "number"'
wait_until 10 "door1 state topic" retained_is dc/test/-/door1/mode_state \
  '.value == 2 and .state == "manual" and .kind == "state"'
wait_until 10 "door1 instance topic" retained_is dc/test/-/door1/power_watts/L2 \
  '.value == 1500 and .instance == "L2"'
pass "retained state topics: value, state name, site level (- without one), instance level"

pub sensors/rack1/temperature 22.75
wait_until 10 "rack1 new value" retained_is dc/test/tokyo-1/rack1/temperature_celsius '.value == 22.75'
pass "a new value replaces the retained one"

# ---- alert events at QoS 1 ----------------------------------------------------------
pub sensors/rack1/temperature 35
wait_until 15 "fired event" events_are '.rule == "rack1-hot" and .event == "fired"' 1
events_are '.rule == "rack1-hot" and .event == "fired" and .state == "firing" and
  .severity == "warning" and .value == 35 and .warn == 30 and .device == "rack1" and
  .site == "tokyo-1" and (.id | type) == "number"' 1 || fail "fired event: $(cat "$T/events.jsonl")"
pub sensors/rack1/temperature 20
wait_until 15 "resolved event" events_are '.rule == "rack1-hot" and .event == "resolved"' 1
events_are '.rule == "rack1-hot" and .event == "changed" and .state == "firing"' 1 ||
  fail "no transition to firing: $(cat "$T/events.jsonl")"
events_are '.event == "current"' 0 || fail "'current' events are not published"
grep -q "Sending PUBLISH to events-sub .*q1.*dc/test/_events" "$BROKER_LOG" ||
  fail "the events did not reach the subscriber at QoS 1"
grep -q "Received PUBLISH from dcmond-pub .*q1.*dc/test/_events" "$BROKER_LOG" ||
  fail "dcmond did not publish the events at QoS 1"
pass "alert fire and resolve on the events topic at QoS 1"

# ---- the broker down: alert events wait, and arrive when it is back ------------------
stop_broker
# rack1 hears nothing now: its no-data alert fires while the broker is down.  (Its
# notification waits for the device to be reachable again; the transition to firing is
# an event of the downtime.)
wait_until 30 "no-data alert while the broker is down" alert_is rack1-silent '.state == "firing"'
sleep 1
events_are '.rule == "rack1-silent"' 0 || fail "an event reached a stopped broker?"
restart_ms=$(date +%s%3N)
start_broker "$MQTT_PORT" "${BROKER_LINES[@]}"
wait_until 30 "the downtime's transition after the restart" events_are \
  ".rule == \"rack1-silent\" and .event == \"changed\" and .state == \"firing\" and .ts < $restart_ms" 1
wait_until 30 "fired event after the restart" \
  events_are '.rule == "rack1-silent" and .event == "fired"' 1
pub sensors/rack1/temperature 21
wait_until 20 "resolved after the restart" events_are '.rule == "rack1-silent" and .event == "resolved"' 1
events_are '.rule == "rack1-silent" and .event == "fired"' 1 || fail "the fired event twice"
wait_until 10 "values resume" retained_is dc/test/tokyo-1/rack1/temperature_celsius '.value == 21'
wait_until 10 "online again" status_is online
pass "alert events of the broker's downtime arrive once it is back, once each"

# ---- the outbox: events of a downtime survive dcmond's crash ------------------------
events_are '(.origin == "dcmond-pub") and (.seq | type) == "number" and
  (.incarnation | type) == "number"' "$(events_count true)" ||
  fail "an event without its origin, incarnation and seq: $(cat "$T/events.jsonl")"
[ "$(jq -s 'map(.seq) | . == sort and . == unique' "$T/events.jsonl")" = true ] ||
  fail "the events' seq is not increasing: $(jq -c .seq "$T/events.jsonl" | tr '\n' ' ')"
OUTBOX=$T/data/mqtt_outbox.db
outbox_seqs() { sqlite3 "$OUTBOX" 'SELECT seq FROM outbox ORDER BY seq' | tr '\n' ' '; }
[ -z "$(outbox_seqs)" ] || fail "acknowledged events left in the outbox: $(outbox_seqs)"
stop_broker
wait_until 30 "no-data alert again while the broker is down" \
  alert_is rack1-silent '.state == "firing" and .fired_ms > '"$restart_ms"
wait_until 10 "the downtime's events in the outbox" eval '[ -n "$(outbox_seqs)" ]'
stop_dcmond_hard # nothing acknowledged them: only the outbox holds them now
queued=$(outbox_seqs)
incarnation=$(sqlite3 "$OUTBOX" 'SELECT id FROM incarnation')
start_dcmond "$T/dcmon.yaml"
wait_until 10 "outbox read at the start" grep -q "alert events of the outbox .* wait for the broker" "$T/dcmond.log"
start_broker "$MQTT_PORT" "${BROKER_LINES[@]}"
for seq in $queued; do
  wait_until 30 "event $seq of the outbox after dcmond's restart" \
    events_are ".seq == $seq and .incarnation == $incarnation" 1
done
events_are '.rule == "rack1-silent" and .event == "fired" and .ts > '"$restart_ms" 1 ||
  fail "the fired event of the crash's downtime: $(cat "$T/events.jsonl")"
wait_until 10 "the outbox emptied by the acknowledgements" eval '[ -z "$(outbox_seqs)" ]'
pass "alert events of a downtime kept in the outbox through kill -9 arrive after the restart, once each (seq $queued)"

# ---- last will --------------------------------------------------------------------
stop_dcmond_hard
wait_until 15 "offline (last will)" status_is offline
pass "availability: offline (retained last will) when dcmond is killed -9"

start_dcmond "$T/dcmon.yaml"
wait_until 20 "online after restart" status_is online
stop_dcmond
wait_until 10 "offline on a clean stop" status_is offline
pass "availability: online on restart, offline on a clean stop"
done_checks
