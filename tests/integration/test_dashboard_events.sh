#!/usr/bin/env bash
# The walls' event stream (GET /api/v1/events), fed by the daemon's changes: a snapshot
# of every device and the alert list first; then diffs that carry only the devices that
# changed (a rack with nothing to poll never appears in one), an `alert` event the
# moment an alert fires, and a diff with the device's new health and the alert list.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
svc=$(free_port)
start_tcp_listener "$svc"
{ daemon_yaml "http: {port: $port}"
  cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - {id: web-a, kind: server, host: 127.0.0.1, checks: {tcp: [$svc]}}
  - {id: rack-1, kind: rack}
rules:
  - name: port-closed
    match: {metric: tcp_port_up}
    state: {values: [down], severity: critical}
YAML
start_dcmond "$T/dcmon.yaml"
# (not metric_is: `dcmon status` exits 3 for the rack, whose health is unknown)
port_up() {
  api_get '/api/v1/status?metrics=1' | jq -e --arg p "$svc" \
    '.devices[] | select(.id == "web-a") | .metrics[] | select(.name == "tcp_port_up" and .inst == $p) | .value == 1'
}
wait_until 10 "web-a's port up" port_up

curl -s -N -m 12 "http://127.0.0.1:$port/api/v1/events" >"$T/sse" 2>/dev/null &
curl_pid=$!
track "$curl_pid"
wait_until 5 "the snapshot" grep -q '^event: snapshot' "$T/sse"
sleep 2 # a few diffs with web-a's polls
stop_tcp_listener
wait_until 8 "an alert event" grep -q '^event: alert' "$T/sse"
wait "$curl_pid" 2>/dev/null || true

sse_events "$T/sse" >"$T/events"
first=$(head -1 "$T/events")
assert_eq "$(jq -r .event <<<"$first")" snapshot "first event"
assert_eq "$(jq -c '[.data.devices[].id]' <<<"$first")" '["web-a","rack-1"]' "devices of the snapshot"
assert_eq "$(jq -c .data.alerts <<<"$first")" '[]' "alerts of the snapshot"
diffs=$(jq -c 'select(.event == "diff") | .data' "$T/events")
[ -n "$diffs" ] || fail "no diff in the stream"
assert_eq "$(jq -s '[.[].devices[] | select(.id == "rack-1")] | length' <<<"$diffs")" 0 \
  "diffs carrying the rack that never changes"
[ "$(jq -s '[.[].devices[] | select(.id == "web-a")] | length' <<<"$diffs")" -ge 2 ] \
  || fail "web-a's polls did not come as diffs"
pass "diffs carry the devices that changed, and only those"
alert=$(jq -c 'select(.event == "alert") | .data' "$T/events" | head -1)
assert_eq "$(jq -r '[.type, .device, .rule, .state, .severity] | join(" ")' <<<"$alert")" \
  "fired web-a port-closed firing critical" "the alert event"
after=$(jq -c 'select(.event == "alert") | input_line_number' "$T/events" | head -1)
last=$(tail -n +"$after" "$T/events" | jq -c 'select(.event == "diff") | .data' | jq -s -c '
  {health: ([.[].devices[] | select(.id == "web-a") | .health] | last),
   alerts: ([.[] | select(has("alerts")) | .alerts] | last | map([.device, .rule, .state]))}')
assert_eq "$last" '{"health":"critical","alerts":[["web-a","port-closed","firing"]]}' \
  "the diffs after the alert"
stop_dcmond
done_checks
