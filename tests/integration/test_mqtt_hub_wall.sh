#!/usr/bin/env bash
# The hub's global wall (/hub; docs/MQTT.md "Hub") in headless Chromium: two sites, each
# on its own mosquitto bridged to the hub broker, and a hub dcmond serving HTTP.  The
# page shows a section per site with its link age and its firing alert; once site2's
# broker is stopped (its heartbeat with it) a red "site unreachable" banner names site2,
# whose section keeps its alert with the age of what was last heard, and site1 is not
# marked.  tests/e2e/hub_wall.test.js has the browser's side.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt_lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

start_federation site1 site2
for s in site1 site2; do
  { fed_yaml "$s" "${SITE_PORT[$s]}" \
      'subscriptions: [{topic: "sensors/+/temperature", device_level: 2, format: number, metric: temperature_celsius}]' \
      "publish: {prefix: $s, kinds: [alerts], heartbeat: 1s}"
    printf 'rules:\n  - {name: hot, match: {metric: temperature_celsius}, above: {warn: 30}}\n'
    printf 'devices:\n  - {id: %s-rack1, kind: env, mqtt: true}\n' "$s"
  } >"$T/$s/dcmon.yaml"
  fed_run "$s"
done
SIM_HTTP_PORT=$(free_port)
FED_DAEMON_LINES=("http: {listen: 127.0.0.1, port: $SIM_HTTP_PORT}")
{ fed_yaml hub "$HUB_PORT" "role: hub"; echo "devices: []"; } >"$T/hub/dcmon.yaml"
fed_run hub

hub_api() { curl -sf --unix-socket "$T/hub/dcmon.sock" "http://dcmond$1"; }
for s in site1 site2; do
  MQTT_PORT=${SITE_PORT[$s]} pub "sensors/$s-rack1/temperature" 35
  wait_until 30 "$s's alert at the hub" \
    eval 'hub_api /api/v1/sites/'"$s"'/alerts | json_check ".alerts | length == 1"'
done
e2e_run hub_wall.test.js PHASE=up SITES=site1,site2 DEVICE_site1=site1-rack1 DEVICE_site2=site2-rack1
pass "the hub's wall shows both sites, their link age and their alerts, and no banner"

kill -TERM "${SITE_BROKER[site2]}"; wait "${SITE_BROKER[site2]}" 2>/dev/null || true
e2e_run hub_wall.test.js PHASE=cut CUT=site2 SITES=site1,site2 DEVICE_site1=site1-rack1 DEVICE_site2=site2-rack1
hub_api /api/v1/sites | json_check '[.sites[] | select(.unreachable) | .id] == ["site2"]' ||
  fail "the hub's sites: $(hub_api /api/v1/sites)"
pass "site2 cut: the red banner names it, its alert stays shown with its age; site1 is not marked"

for p in "$PID_site1" "$PID_site2" "$PID_hub"; do kill -TERM "$p"; wait "$p" || fail "a dcmond exited with $?"; done
done_checks
