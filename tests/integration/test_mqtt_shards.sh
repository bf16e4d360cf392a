#!/usr/bin/env bash
# One site sharded across two poller dcmonds (issue 18, item 4; docs/MQTT.md "Growing
# past one machine"): shard a and shard b split the site's devices by config, publish to
# the site's one mosquitto under prefixes of their own (tokyo-a, tokyo-b), which one
# bridge carries to the hub broker; the hub shows each shard as a site of its own, with
# each shard's alerts (their events carry the devices' location.site, tokyo), and the
# whole site's alerts are the union of the shards'.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"

HUB_PORT=$(free_port)
start_broker "$HUB_PORT" "allow_anonymous true"
SITE_PORT=$(free_port)
start_broker "$SITE_PORT" "allow_anonymous true" "connection hub-tokyo" "address 127.0.0.1:$HUB_PORT" \
  "topic tokyo-a/# out 1" "topic tokyo-b/# out 1" "cleansession false" "restart_timeout 1" "notifications false"
wait_until 10 "the bridge up" grep -q "Connecting bridge.*hub-tokyo" "$BROKER_LOG"
mkdir -p "$T/hub"
for shard in a b; do
  mkdir -p "$T/tokyo-$shard"
  { fed_yaml "tokyo-$shard" "$SITE_PORT" \
      'subscriptions: [{topic: "sensors/+/temperature", device_level: 2, format: number, metric: temperature_celsius}]' \
      "publish: {prefix: tokyo-$shard, kinds: [alerts], heartbeat: 1s}"
    printf 'sites:\n  - {id: tokyo, name: Tokyo}\n'
    printf 'rules:\n  - {name: hot, match: {metric: temperature_celsius}, above: {warn: 30}}\ndevices:\n'
    # the split: shard a polls racks 1-3, shard b racks 4-6
    for i in $( [ $shard = a ] && echo 1 2 3 || echo 4 5 6); do
      echo "  - {id: rack$i, kind: env, mqtt: true, location: {site: tokyo}}"
    done
  } >"$T/tokyo-$shard/dcmon.yaml"
  fed_run "tokyo-$shard"
done
{ fed_yaml hub "$HUB_PORT" "role: hub"; echo "devices: []"; } >"$T/hub/dcmon.yaml"
fed_run hub

MQTT_PORT=$SITE_PORT
for i in 1 2 3 4 5 6; do pub "sensors/rack$i/temperature" 35; done
hub_api() { curl -sf --unix-socket "$T/hub/dcmon.sock" "http://dcmond$1"; }
devices_of() { hub_api "/api/v1/sites/$1/alerts" | jq -c '[.alerts[] | select(.site == "tokyo") | .device] | sort'; }
wait_until 30 "both shards' alerts at the hub" \
  eval '[ "$(devices_of tokyo-a)" = "[\"rack1\",\"rack2\",\"rack3\"]" ] && [ "$(devices_of tokyo-b)" = "[\"rack4\",\"rack5\",\"rack6\"]" ]'
assert_eq "$(hub_api /api/v1/sites | jq -c '[.sites[] | {id, unreachable}] | sort_by(.id)')" \
  '[{"id":"tokyo-a","unreachable":false},{"id":"tokyo-b","unreachable":false}]' "the hub's sites"
pass "a site sharded across two dcmonds: the hub holds each shard's alerts, all six of site tokyo"

for p in "$PID_tokyo_a" "$PID_tokyo_b" "$PID_hub"; do kill -TERM "$p"; wait "$p" || fail "a dcmond exited with $?"; done
done_checks
