#!/usr/bin/env bash
# A change of the tenant layer is stored before it goes live (docs/PORTAL.md, "Storage"):
# when tenants.db refuses the write (a trigger the test adds to the real file, as a full
# disk or a read-only file would), the change answers 500 and the live configuration is
# unchanged -- a new device is not polled, a changed one keeps its old checks, a deleted
# one stays -- so that what is live is what a restart brings back.  Once the file takes
# writes again, changes apply and survive a restart.
source "$(dirname "$0")/lib.sh"

p1=$(free_port)
p2=$(free_port)
start_tcp_listener "$p1"
{ daemon_yaml
  cat <<YAML
  tenant_layer:
    limits:
      - {tenant: acme, min_interval: 1s, targets: [127.0.0.0/29]}
tenants:
  - {id: acme, email: [noc@acme.example]}
YAML
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
db="$T/data/tenants.db"

# change METHOD PATH [YAML]: the NOC's change over the socket; prints "STATUS ERROR"
change() {
  local data=()
  [ -n "${3:-}" ] && data=(-H "Content-Type: application/json"
    --data "$(jq -cn --arg y "$3" '{tenant: "acme", kind: "device", yaml: $y}')")
  curl -s -m 20 --unix-socket "$DCMON_SOCKET" -o "$T/body" -w '%{http_code}' -X "$1" "${data[@]}" \
    "http://dcmond$2"
  printf ' %s' "$(jq -r '.error // .request.state' "$T/body")"
}
dev() { printf 'id: %s\nkind: server\nhost: 127.0.0.1\ninterval: 1s\nchecks: {tcp: [%s]}\n' "$1" "$2"; }
devices() { status_json | jq -c '[.devices[].id] | sort'; }

assert_eq "$(change POST /api/v1/layer/items "$(dev acme-a "$p1")")" "200 applied" "acme-a applies"
wait_until 20 "acme-a polled" metric_is acme-a tcp_port_up "$p1" '.value == 1'

sqlite3 "$db" "CREATE TRIGGER full_put BEFORE INSERT ON items BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;
               CREATE TRIGGER full_del BEFORE DELETE ON items BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;"
want="500 not applied: tenants.db could not store the change (see dcmond's log)"
assert_eq "$(change POST /api/v1/layer/items "$(dev acme-b "$p1")")" "$want" "a new device when tenants.db fails"
assert_eq "$(change POST /api/v1/layer/items "$(dev acme-a "$p2")")" "$want" "a changed device when tenants.db fails"
assert_eq "$(change DELETE "/api/v1/layer/items/device/acme-a?tenant=acme")" "$want" "a deletion when tenants.db fails"
wait_polls acme-a 2
assert_eq "$(devices)" '["acme-a"]' "no acme-b live, acme-a still live"
metric_is acme-a tcp_port_up "$p1" '.value == 1' || fail "acme-a's port $p1: $(metric_field acme-a tcp_port_up "$p1" value)"
status_json | json_check "[.devices[] | select(.id == \"acme-a\") | .metrics[] | select(.name == \"tcp_port_up\") | .inst] == [\"$p1\"]" \
  || fail "acme-a's checks changed: $(status_json | jq -c '.devices[].metrics[] | select(.name == "tcp_port_up")')"
pass "the live configuration is unchanged by changes tenants.db refused"
[ "$(log_count 'database or disk is full')" -ge 3 ] || fail "tenants.db's error not logged"
assert_eq "$(curl -sf --unix-socket "$DCMON_SOCKET" 'http://dcmond/api/v1/layer/items?tenant=acme' | jq -c '[.items[].yaml | test("'"$p1"'")]')" \
  '[true]' "the layer's items are those stored"

sqlite3 "$db" "DROP TRIGGER full_put; DROP TRIGGER full_del;"
assert_eq "$(change POST /api/v1/layer/items "$(dev acme-b "$p1")")" "200 applied" "acme-b applies once tenants.db takes writes"
wait_until 20 "acme-b polled" metric_is acme-b tcp_port_up "$p1" '.value == 1'
stop_dcmond
start_dcmond "$T/dcmon.yaml"
both() { [ "$(devices)" = '["acme-a","acme-b"]' ]; }
wait_until 20 "acme-a and acme-b after a restart" both
pass "after a restart: what was live, acme-a and acme-b"
done_checks
