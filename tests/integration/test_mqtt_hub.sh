#!/usr/bin/env bash
# The hub dcmond (issue 18, federation; docs/MQTT.md "Hub"): two site dcmonds, each on
# its own mosquitto bridged (topic siteN/# out 1, persistent session) to a hub
# mosquitto, and a dcmond with role: hub on the hub broker.  The hub's API shows both
# sites' alerts; the hub broker cut while a storm fires at site1: afterwards the hub
# holds every event of site1 exactly once, with no seq missing; an event delivered again
# (by hand, as QoS 1 may) is not applied twice; events out of order are applied in
# order, and a gap is waited for and then reported; a restarted hub keeps its events
# and applies none twice; a site whose broker stops (its heartbeat with it) raises the
# hub's own site-unreachable alert (a rule on mqtt_site_heartbeat_age_seconds).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"

STORM=60

# a hub's keys are checked at their line:col
check_config() { # YAML-LINES... : the --check-config error of a daemon.mqtt section
  { daemon_yaml; printf '  mqtt:\n    host: 127.0.0.1\n'; for l in "$@"; do printf '    %s\n' "$l"; done
    echo "devices: []"; } >"$T/bad.yaml"
  "$DCMOND" -c "$T/bad.yaml" --check-config 2>&1 | grep error
}
assert_eq "$(check_config 'hub_topic: "x/#"')" "$T/bad.yaml:8:16: error: mqtt: hub_topic is a hub's key: add role: hub" \
  "hub_topic without role: hub"
assert_eq "$(check_config 'role: hub' 'hub_topic: "x/#/y"')" \
  "$T/bad.yaml:9:16: error: mqtt: hub_topic 'x/#/y': expected an MQTT filter of the sites' events topics, like +/_events" \
  "a hub_topic that is no filter"
SITE_BROKER_LINES=("max_queued_messages 10000")
FED_DAEMON_LINES=("archive_flush: 200ms")
start_federation site1 site2
hub_api() { curl -sf --unix-socket "$T/hub/dcmon.sock" "http://dcmond$1"; }

for s in site1 site2; do
  { fed_yaml "$s" "${SITE_PORT[$s]}" \
      'subscriptions: [{topic: "sensors/+/temperature", device_level: 2, format: number, metric: temperature_celsius}]' \
      "publish: {prefix: $s, kinds: [alerts], heartbeat: 1s}"
    cat <<YAML
rules:
  - {name: hot, match: {metric: temperature_celsius}, above: {warn: 30}}
devices:
YAML
    for i in $(seq -w 1 $STORM); do echo "  - {id: $s-d$i, kind: env, mqtt: true}"; done
  } >"$T/$s/dcmon.yaml"
  fed_run "$s"
done
{ fed_yaml hub "$HUB_PORT" "role: hub" "gap_wait: 1s"
  cat <<YAML
rules:
  - {name: site-unreachable, match: {metric: mqtt_site_heartbeat_age_seconds}, above: {crit: 5}}
devices:
  - {id: site1, kind: other, mqtt: true}
  - {id: site2, kind: other, mqtt: true}
YAML
} >"$T/hub/dcmon.yaml"
fed_run hub
wait_until 10 "the hub's subscription" grep -q "hub 1 +/_events" "$T/broker-1.log"

# ---- both sites' alerts at the hub ---------------------------------------------------
MQTT_PORT=${SITE_PORT[site1]} pub sensors/site1-d01/temperature 35
MQTT_PORT=${SITE_PORT[site2]} pub sensors/site2-d01/temperature 36
site_alert() { # SITE DEVICE: the hub shows DEVICE's alert of SITE firing
  hub_api "/api/v1/sites/$1/alerts" |
    json_check "[.alerts[] | select(.device == \"$2\" and .state == \"firing\" and .origin == \"$1\")] | length == 1"
}
wait_until 30 "site1's alert at the hub" site_alert site1 site1-d01
wait_until 30 "site2's alert at the hub" site_alert site2 site2-d01
hub_api /api/v1/sites | json_check '[.sites[].id] | sort == ["site1", "site2"]' ||
  fail "the hub's sites: $(hub_api /api/v1/sites)"
pass "the hub's API shows both sites and each one's firing alert"
hub_cli() { DCMON_SOCKET=$T/hub/dcmon.sock "$DCMON" "$@"; }
hub_cli sites | awk '$1 == "site1" || $1 == "site2" {print $1, $3, $4}' | sort >"$T/sites.txt"
assert_eq "$(cat "$T/sites.txt")" "$(printf 'site1 1 1\nsite2 1 1')" "dcmon sites at the hub (site, seq, events)"
assert_eq "$(hub_cli sites site2 | awk 'NR > 1 {print $1, $2, $3, $4}')" "site2-d01 hot warning firing" \
  "dcmon sites site2: its open alert"

# ---- the cut: the hub broker stops while a storm fires at site1 ----------------------
kill -TERM "$HUB_BROKER"; wait "$HUB_BROKER" 2>/dev/null || true
for i in $(seq -w 2 $STORM); do echo "sensors/site1-d$i/temperature"; done |
  while read -r topic; do MQTT_PORT=${SITE_PORT[site1]} pub "$topic" 40; done
firing_at_site1() {
  curl -sf --unix-socket "$T/site1/dcmon.sock" http://dcmond/api/v1/alerts |
    jq '[.alerts[] | select(.rule == "hot" and .state == "firing")] | length'
}
wait_until 60 "the storm firing at site1" eval '[ "$(firing_at_site1)" = '"$STORM"' ]'
start_broker "$HUB_PORT" "${HUB_LINES[@]}"
hub_fired() { hub_api /api/v1/sites/site1/events | jq '[.events[] | select(.event == "fired")] | length'; }
wait_until 60 "the storm's events at the hub" eval '[ "$(hub_fired)" = '"$STORM"' ]'
once_in_order() { # SITE: the hub's events of SITE are seq 1..N, each once, in order
  hub_api "/api/v1/sites/$1/events" |
    json_check '[.events[].seq] as $s | $s == [range(1; ($s | length) + 1)]'
}
once_in_order site1 || fail "site1's events at the hub: $(hub_api /api/v1/sites/site1/events | jq -c '[.events[].seq]')"
hub_api /api/v1/sites/site1/events |
  json_check '[.events[] | select(.event == "fired") | .device] | unique | length == '"$STORM" ||
  fail "a device's fired event missing or twice at the hub"
hub_api /api/v1/sites/site1/alerts | json_check '.alerts | length == '"$STORM" ||
  fail "the hub's open alerts of site1: $(hub_api /api/v1/sites/site1/alerts | jq '.alerts | length')"
pass "after the cut the hub holds each of the $STORM fired events of site1 once, seq 1..N in order"

# ---- an event delivered again is not applied twice -----------------------------------
events_of() { hub_api "/api/v1/sites/$1/events" | jq '.events | length'; }
dups() { hub_api /api/v1/sites | jq ".sites[] | select(.id == \"$1\") | .duplicates"; }
n1=$(events_of site1)
d1=$(dups site1)
again=$(hub_api /api/v1/sites/site1/events | jq -c '.events[3]')
MQTT_PORT=$HUB_PORT pub site1/_events "$again"
wait_until 10 "the repeated event counted" eval '[ "$(dups site1)" -gt '"$d1"' ]'
assert_eq "$(events_of site1)" "$n1" "site1's events at the hub after a repeated one"
pass "an event delivered twice is applied once ($n1 events)"

# ---- out of order, and a gap: a site of hand-made events -----------------------------
ev() { printf '{"origin":"site9","incarnation":7,"seq":%s,"id":%s,"event":"fired","state":"firing","device":"x%s","rule":"hot"}' "$1" "$1" "$1"; }
MQTT_PORT=$HUB_PORT
pub site9/_events "$(ev 1)"; pub site9/_events "$(ev 3)"; pub site9/_events "$(ev 2)"
wait_until 10 "site9's three events" eval '[ "$(events_of site9)" = 3 ]'
once_in_order site9 || fail "site9's events out of order: $(hub_api /api/v1/sites/site9/events | jq -c '[.events[].seq]')"
# the gap is given up gap_wait after its first held event, however many more arrive
gap_said() { grep -q "hub: site site9: events 4..4 never arrived" "$T/hub/dcmond.log"; }
last=4
while [ "$last" -lt 30 ] && ! gap_said; do
  last=$((last + 1)); pub site9/_events "$(ev $last)"; sleep 0.3
done
gap_said || fail "the gap before seq 5 not given up while events kept coming (up to seq $last)"
site9_after_gap() { hub_api /api/v1/sites/site9/events | json_check "[.events[].seq] == [1, 2, 3] + [range(5; $last + 1)]"; }
wait_until 10 "site9's events 1..3 and 5..$last" site9_after_gap
hub_api /api/v1/sites | json_check '.sites[] | select(.id == "site9") | .gaps == 1' ||
  fail "site9's gap not counted"
pub site9/_events "$(ev 4)" # too late: it was given up
pass "events out of order are applied in order; a gap is waited for, then reported"

# ---- a hub restart applies nothing twice ---------------------------------------------
before=$(hub_api /api/v1/sites | jq -c '[.sites[] | {id, seq, events}] | sort_by(.id)')
kill -TERM "$PID_hub"; wait "$PID_hub" || fail "the hub exited with $? on SIGTERM"
fed_run hub
MQTT_PORT=$HUB_PORT pub site1/_events "$again"
pub site9/_events "$(ev 2)"
wait_until 10 "the repeated events counted after the restart" \
  eval 'hub_api /api/v1/sites | json_check "[.sites[] | select(.duplicates >= 1)] | length == 2"'
after=$(hub_api /api/v1/sites | jq -c '[.sites[] | {id, seq, events}] | sort_by(.id)')
assert_eq "$after" "$before" "the hub's sites after its restart"
once_in_order site1 || fail "site1's events after the hub's restart"
pass "a restarted hub keeps every event and applies none twice ($after)"

# ---- a site whose broker stops goes unreachable at the hub ---------------------------
hub_alert() { # RULE DEVICE: the hub's own alert of RULE for DEVICE is firing
  curl -sf --unix-socket "$T/hub/dcmon.sock" http://dcmond/api/v1/alerts |
    json_check "[.alerts[] | select(.rule == \"$1\" and .device == \"$2\" and .state == \"firing\")] | length == 1"
}
hub_api /api/v1/sites | json_check '.sites[] | select(.id == "site2") | .link_age_ms >= 0 and .link_age_ms < 5000' ||
  fail "site2's link age at the hub: $(hub_api /api/v1/sites)"
wait_until 20 "site2 reachable at the hub before its cut" eval '! hub_alert site-unreachable site2'
kill -TERM "${SITE_BROKER[site2]}"; wait "${SITE_BROKER[site2]}" 2>/dev/null || true
wait_until 30 "site2 unreachable at the hub" hub_alert site-unreachable site2
hub_alert site-unreachable site1 && fail "site1 unreachable at the hub too"
hub_api /api/v1/sites | json_check '.sites[] | select(.id == "site1") | .link_age_ms < 5000' ||
  fail "site1's link age at the hub: $(hub_api /api/v1/sites)"
pass "site2's heartbeat stopped with its broker: the hub's rule raised site-unreachable for it, not for site1"

for p in "$PID_site1" "$PID_site2"; do kill -TERM "$p"; wait "$p" || fail "a site exited with $?"; done
kill -TERM "$PID_hub"; wait "$PID_hub" || fail "the hub exited with $?"
done_checks
