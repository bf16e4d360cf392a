#!/usr/bin/env bash
# The walls' event stream filtered by the session's scope (issue 17): a tenant-operator's
# stream (its API token) gets a snapshot and diffs of its tenant's devices and the
# shared chain feeding them (authz_device_scopes), and only their alerts and alert
# events, and the sites and rooms of those devices; never another tenant's device id,
# alert, site or room.  The unscoped stream (the anonymous reader, let in by
# http.anonymous: wall) still gets every device and alert.  Two tenants' servers lose
# their port at once, so both streams see a diff and an alert after the snapshot.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user as root over the socket)"; exit 1; }
port=$(free_port)
svc=$(free_port)
start_tcp_listener "$svc"
{ daemon_yaml "http: {listen: 127.0.0.1, port: $port, anonymous: wall}" "accounts: {yescrypt_cost: 5}"
  two_tenant_site_yaml
  cat <<YAML; } >"$T/dcmon.yaml"
      - id: hall-b
        racks:
          - {id: b01, tenant: globex}
  - id: osaka-1
    rooms:
      - id: hall-g
rules:
  - name: port-closed
    match: {metric: tcp_port_up}
    state: {values: [down], severity: critical}
devices:
  - {id: utility, kind: utility, location: {site: tokyo-1, room: hall-a}}
  - {id: ups-a, kind: ups, fed_by: utility, location: {site: tokyo-1, room: hall-a}}
  - {id: pdu-a01, kind: pdu, fed_by: ups-a, location: {site: tokyo-1, room: hall-a, rack: a01}}
  - {id: acme-web, kind: server, host: 127.0.0.1, checks: {tcp: [$svc]}, fed_by: pdu-a01, location: {site: tokyo-1, room: hall-a, rack: a01}}
  - {id: pdu-a02, kind: pdu, fed_by: ups-a, location: {site: tokyo-1, room: hall-a, rack: a02}, tenant: globex}
  - {id: globex-db, kind: server, host: 127.0.0.1, checks: {tcp: [$svc]}, fed_by: pdu-a02, location: {site: tokyo-1, room: hall-a, rack: a02}}
  - {id: globex-nas, kind: utility, location: {site: tokyo-1, room: hall-b, rack: b01}, tenant: globex}
  - {id: globex-osk, kind: utility, location: {site: osaka-1, room: hall-g}, tenant: globex}
YAML
start_dcmond "$T/dcmon.yaml"
echo "pw-operator-$(head -c 9 /dev/urandom | base64)" | "$DCMON" user add u-op --role tenant-operator --tenant acme >/dev/null
tok=$("$DCMON" user token u-op | head -1)
ports_up() {
  [ "$(api_get '/api/v1/status?metrics=1' | jq '[.devices[].metrics[]? | select(.name == "tcp_port_up" and .value == 1)] | length')" = 2 ]
}
wait_until 10 "both servers' port up" ports_up

curl -s -N -m 10 -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/events" >"$T/tenant" 2>/dev/null &
track $!; tenant_pid=$!
curl -s -N -m 10 "http://127.0.0.1:$port/api/v1/events" >"$T/all" 2>/dev/null &
track $!; all_pid=$!
wait_until 5 "the tenant's snapshot" grep -q '^event: snapshot' "$T/tenant"
wait_until 5 "the unscoped snapshot" grep -q '^event: snapshot' "$T/all"
stop_tcp_listener
alerted() { [ "$(grep -c '^event: alert' "$T/all")" -ge 2 ] && grep -q '"alerts":\[{' "$T/tenant"; }
wait_until 8 "both alerts in the unscoped stream and the tenant's alert list" alerted
sleep 1.5 # the diffs that follow the alerts
kill "$tenant_pid" "$all_pid" 2>/dev/null || true
wait "$tenant_pid" "$all_pid" 2>/dev/null || true

sse_events "$T/tenant" >"$T/tenant.json"
sse_events "$T/all" >"$T/all.json"
snap_ids() { head -1 "$1" | jq -r 'select(.event == "snapshot") | [.data.devices[].id] | sort | join(",")'; }
assert_eq "$(snap_ids "$T/tenant.json")" "acme-web,pdu-a01,ups-a,utility" "the tenant's snapshot: own and shared devices"
assert_eq "$(snap_ids "$T/all.json")" "acme-web,globex-db,globex-nas,globex-osk,pdu-a01,pdu-a02,ups-a,utility" "the unscoped snapshot"
# the places: a scoped snapshot lists the sites and rooms of the devices it shows only
snap_places() { head -1 "$1" | jq -r '[.data.sites[] | .id + ":" + ([.rooms[].id] | join("+"))] | join(",")'; }
assert_eq "$(snap_places "$T/tenant.json")" "tokyo-1:hall-a" "the tenant's snapshot: its sites and rooms"
assert_eq "$(snap_places "$T/all.json")" "tokyo-1:hall-a+hall-b,osaka-1:hall-g" "the unscoped snapshot: every site and room"
diff_ids() { jq -r 'select(.event == "diff") | .data.devices[].id' "$1" | sort -u | paste -sd, -; }
# (the shared chain's health moves with what it feeds: it may come in a diff too)
outside() { diff_ids "$1" | tr , '\n' | grep -vxE "$2" | paste -sd, -; }
assert_eq "$(outside "$T/tenant.json" 'acme-web|pdu-a01|ups-a|utility')" "" "the tenant's diffs: devices out of its scope"
assert_eq "$(diff_ids "$T/tenant.json" | tr , '\n' | grep -cx acme-web)" 1 "the tenant's diffs: its server"
assert_eq "$(diff_ids "$T/all.json" | tr , '\n' | grep -cxE 'acme-web|globex-db')" 2 "the unscoped diffs: both servers"
alert_devs() { jq -r 'select(.event == "alert") | .data.device' "$1" | sort -u | paste -sd, -; }
assert_eq "$(alert_devs "$T/tenant.json")" "acme-web" "the tenant's alert events"
assert_eq "$(alert_devs "$T/all.json")" "acme-web,globex-db" "the unscoped alert events"
list_devs() { jq -r 'select(.event == "diff" and (.data | has("alerts"))) | .data.alerts[].device' "$1" | sort -u | paste -sd, -; }
assert_eq "$(list_devs "$T/tenant.json")" "acme-web" "the tenant's alert lists"
assert_eq "$(list_devs "$T/all.json")" "acme-web,globex-db" "the unscoped alert lists"
# a stream opened now (its scope's channel dropped with the streams above, or not yet):
# the snapshot's alert list is the tenant's alerts only
curl -s -N -m 2 -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/events" >"$T/again" 2>/dev/null || true
assert_eq "$(sse_events "$T/again" | head -1 | jq -r '[.data.alerts[].device] | unique | join(",")')" "acme-web" \
  "the alert list of a new tenant's snapshot"
# nothing of the other tenant anywhere in the tenant's bytes (ids, alerts, rack, tenant,
# its site and room)
assert_eq "$(cat "$T/tenant" "$T/again" | grep -c 'globex\|pdu-a02\|a02\|osaka\|hall-b')" 0 "the other tenant in the tenant's stream"
done_checks
