#!/usr/bin/env bash
# Disk full under the hub's store (hub.db on a small tmpfs; docs/MQTT.md "Hub"): the
# sites' events that arrive while hub.db cannot be written were acknowledged to the
# broker already, so the hub keeps them in memory, in order, and writes them once space
# returns: afterwards it holds every fired event of the site once, seq 1..N in order.
[ -n "${DCMON_UNSHARED:-}" ] || DCMON_UNSHARED=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"
source "$(dirname "$0")/diskfull_lib.sh"

N=12
start_federation site1
{ fed_yaml site1 "${SITE_PORT[site1]}" \
    'subscriptions: [{topic: "sensors/+/temperature", device_level: 2, format: number, metric: temperature_celsius}]' \
    "publish: {prefix: site1, kinds: [alerts], heartbeat: 1s}"
  printf 'rules:\n  - {name: hot, match: {metric: temperature_celsius}, above: {warn: 30}}\ndevices:\n'
  for i in $(seq -w 1 $N); do echo "  - {id: d$i, kind: env, mqtt: true}"; done
} >"$T/site1/dcmon.yaml"
fed_run site1
small_fs "$T/hubfs" 2m
mkdir -p "$T/hub/state"
ln -s "$T/hubfs/hub.db" "$T/hub/state/hub.db"
FED_DAEMON_LINES=("state_dir: $T/hub/state")
{ fed_yaml hub "$HUB_PORT" "role: hub"; echo "devices: []"; } >"$T/hub/dcmon.yaml"
fed_run hub
test -s "$T/hubfs/hub.db" || fail "hub.db is not on the small file system"

hub_api() { curl -sf --unix-socket "$T/hub/dcmon.sock" "http://dcmond$1"; }
fired() { hub_api /api/v1/sites/site1/events | jq '[.events[] | select(.event == "fired")] | length'; }
MQTT_PORT=${SITE_PORT[site1]}
pub sensors/d01/temperature 35
wait_until 30 "the first event at the hub" eval '[ "$(fired)" = 1 ]'

fill_fs "$T/hubfs"
for i in $(seq -w 2 $N); do pub "sensors/d$i/temperature" 35; done
wait_until 30 "the hub failing to write" grep -q "hub.db.*No space left on device" "$T/hub/dcmond.log"
pass "$(grep -m1 "hub.db.*No space left on device" "$T/hub/dcmond.log" | cut -c1-200)"
wait_until 30 "the storm's events received at the hub" \
  eval 'hub_api /api/v1/sites | json_check ".sites[0].seq >= '"$N"'"'
assert_eq "$(fired)" 1 "fired events stored while hub.db is full"

free_fs "$T/hubfs"
wait_until 30 "the held events written" eval '[ "$(fired)" = '"$N"' ]'
grep -q "hub.db: written again" "$T/hub/dcmond.log" || fail "no line says hub.db is written again"
hub_api /api/v1/sites/site1/events | json_check '[.events[].seq] as $s | $s == [range(1; ($s | length) + 1)]' ||
  fail "site1's events at the hub: $(hub_api /api/v1/sites/site1/events | jq -c '[.events[].seq]')"
hub_api /api/v1/sites/site1/events | json_check '[.events[] | select(.event == "fired") | .device] | unique | length == '"$N" ||
  fail "a device's fired event missing or twice at the hub"
pass "the $((N - 1)) events that came while hub.db was full were written once space returned, each once, in order"

# and they are in the file: a restarted hub shows them
kill -TERM "$PID_hub"; wait "$PID_hub" || fail "the hub exited with $?"
fed_run hub
assert_eq "$(fired)" "$N" "fired events at the restarted hub"
pass "a restarted hub holds all $N"

kill -TERM "$PID_site1"; wait "$PID_site1" || fail "site1 exited with $?"
kill -TERM "$PID_hub"; wait "$PID_hub" || fail "the hub exited with $?"
done_checks
