#!/usr/bin/env bash
# A site dcmond's alert events through a real mosquitto bridge (issue 18, federation):
# the site's broker is bridged (topic site1/# out 1, persistent session) to a hub
# broker, where a QoS 1 subscriber stands in for the hub (the hub dcmond is not built
# yet).  The hub broker is cut while a 200-alert storm fires at the site: the site's
# own e-mails (aiosmtpd sink) go out during the cut, and once the hub is back it holds
# the fired event of every one of the 200 alerts, with no seq of the site's outbox
# missing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"
source "$(dirname "$0")/email_lib.sh"

STORM=200
HUB_PORT=$(free_port)
SITE_PORT=$(free_port)
SMTP_PORT=$(free_port)
# the hub keeps its subscriber's session (and what is queued for it) across its restart
HUB_LINES=("allow_anonymous true" "persistence true" "persistence_location $T/")
start_broker "$HUB_PORT" "${HUB_LINES[@]}"
HUB_PID=$BROKER_PID
start_broker "$SITE_PORT" "allow_anonymous true" "max_queued_messages 10000" \
  "connection hub" "address 127.0.0.1:$HUB_PORT" "topic site1/# out 1" \
  "cleansession false" "restart_timeout 1" "notifications false"
SITE_BROKER_LOG=$BROKER_LOG
start_sink "$T/mail" "$SMTP_PORT"

{ daemon_yaml "archive_flush: 200ms"
  cat <<YAML
  mqtt:
    host: 127.0.0.1
    port: $SITE_PORT
    client_id: site1
    reconnect_max: 1s
    subscriptions:
      - {topic: "sensors/+/temperature", device_level: 2, format: number, metric: temperature_celsius}
    publish: {prefix: site1, kinds: [alerts]}
$(smtp_block "$SMTP_PORT")
teams:
  - {id: facility, email: [facility@site1.example]}
rules:
  - {name: hot, match: {metric: temperature_celsius}, above: {warn: 30}}
routes:
  - {name: facility, teams: [facility], group_wait: 1s}
devices:
YAML
  for i in $(seq -w 1 $STORM); do echo "  - {id: s$i, kind: env, mqtt: true}"; done
} >"$T/dcmon.yaml"

mosquitto_sub -h 127.0.0.1 -p "$HUB_PORT" -i hub-sub -c -q 1 -t site1/_events \
  >"$T/hub.jsonl" 2>"$T/hub-sub.log" &
track $!
wait_until 10 "the hub's subscriber" grep -q "hub-sub 1 site1/_events" "$T/broker-1.log"
wait_until 10 "the bridge up" grep -q "Connecting bridge.*hub" "$SITE_BROKER_LOG"
start_dcmond "$T/dcmon.yaml"
wait_until 20 "site dcmond connected" grep -q "connected to 127.0.0.1:$SITE_PORT" "$T/dcmond.log"

# one alert before the cut: the path works end to end
MQTT_PORT=$SITE_PORT
pub sensors/s001/temperature 35
wait_until 20 "an event at the hub through the bridge" \
  json_check 'select(.device == "s001" and .event == "fired" and .origin == "site1")' <"$T/hub.jsonl"
pub sensors/s001/temperature 20
wait_until 20 "resolved at the hub" \
  json_check 'select(.device == "s001" and .event == "resolved")' <"$T/hub.jsonl"
pass "a site's alert event reaches the hub's subscriber through the bridge"

# ---- the cut: the hub broker stops, the storm fires at the site ---------------------
mail_before=$(msgs "$T/mail" | jq length)
kill -TERM "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true
cut_ms=$(date +%s%3N)
for i in $(seq -w 1 $STORM); do echo "sensors/s$i/temperature"; done |
  while read -r topic; do pub "$topic" 40; done
wait_until 60 "$STORM alerts firing at the site" \
  eval '[ "$(alerts_json | jq "[.alerts[] | select(.rule == \"hot\" and .state == \"firing\")] | length")" = '"$STORM"' ]'
# the site mails while the hub is away: every device of the storm in its e-mails
mailed() {
  [ "$(mail_text "$T/mail" "$mail_before" | grep -o 's[0-9]\{3\}' | sort -u | wc -l)" -eq "$STORM" ]
}
wait_until 60 "the site's e-mails of the storm during the cut" mailed
pass "the site mailed all $STORM alerts during the cut ($(($(msgs "$T/mail" | jq length) - mail_before)) messages)"
sleep 2 # the cut lasts a bounded time beyond the storm
cut_s=$(( ($(date +%s%3N) - cut_ms) / 1000 ))

# ---- the hub back: every event of the storm, none missing ---------------------------
start_broker "$HUB_PORT" "${HUB_LINES[@]}"
fired_at_hub() {
  jq -r 'select(.rule == "hot" and .event == "fired") | .device' "$T/hub.jsonl" | sort -u | wc -l
}
wait_until 60 "the storm's fired events at the hub" eval '[ "$(fired_at_hub)" -eq '"$STORM"' ]'
# no seq of the site's outbox missing between the first and the last the hub holds
jq -s 'map(.seq) | unique | (last - first + 1) == length' "$T/hub.jsonl" | grep -qx true ||
  fail "a seq missing at the hub: $(jq -c .seq "$T/hub.jsonl" | tr '\n' ' ')"
[ "$(jq -s 'map(.incarnation) | unique | length' "$T/hub.jsonl")" = 1 ] ||
  fail "more than one incarnation"
dups=$(jq -r .seq "$T/hub.jsonl" | sort | uniq -d | wc -l)
pass "after a ${cut_s}s cut the hub holds the fired event of all $STORM alerts, no seq missing ($dups seq delivered twice: QoS 1 is at least once)"
[ -z "$(sqlite3 "$T/data/mqtt_outbox.db" 'SELECT seq FROM outbox')" ] ||
  fail "events left in the site's outbox"
stop_dcmond
done_checks
