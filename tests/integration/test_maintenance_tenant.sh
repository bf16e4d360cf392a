#!/usr/bin/env bash
# A tenant's own maintenance entries (docs/ACCOUNTS.md "Maintenance"), over HTTP with
# real accounts: acme's tenant-operator asks for a window on "*", acme's
# tenant-approver approves it (four eyes within the tenant), and the silence it makes
# covers acme's devices only -- its server and the server in acme's rack -- while
# globex's server, matched by the same glob, still alerts.  Another tenant neither sees
# the entry nor can decide it (404 like a missing one); a glob of no own device is
# refused as one of no device; the NOC sees the entry with its tenant; the operator
# ends it, and every step is audited by the account that took it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh" # start_ports: real listeners the checks connect to

http=$(free_port); pa=$(free_port); pr=$(free_port); pg=$(free_port)
declare -A LIS
for p in $pa $pr $pg; do start_ports "$p"; LIS[$p]=$PORTS_PID; done
close_port() { kill "${LIS[$1]}"; wait "${LIS[$1]}" 2>/dev/null || true; }

cat >"$T/dcmon.yaml" <<YAML
$(daemon_yaml "http: {listen: 127.0.0.1, port: $http}" "accounts: {yescrypt_cost: 5}")
tenants: [{id: acme}, {id: globex}]
sites:
  - {id: s1, rooms: [{id: r1, racks: [{id: a01, tenant: acme}]}]}
devices:
  - {id: acme-web, kind: server, host: 127.0.0.1, tenant: acme, checks: {tcp: [$pa]}}
  - {id: acme-rack, kind: server, host: 127.0.0.1, checks: {tcp: [$pr]},
     location: {site: s1, room: r1, rack: a01}}
  - {id: globex-db, kind: server, host: 127.0.0.1, tenant: globex, checks: {tcp: [$pg]}}
rules:
  - {name: port-closed, match: {metric: tcp_port_up}, state: {values: [down], severity: critical}}
YAML
start_dcmond "$T/dcmon.yaml"
for dp in acme-web:$pa acme-rack:$pr globex-db:$pg; do
  wait_until 15 "port ${dp#*:} up" metric_is "${dp%%:*}" tcp_port_up "${dp#*:}" '.value == 1'
done
declare -A TOK
TOK[acme-op]=$(account_token acme-op tenant-operator acme)
TOK[acme-appr]=$(account_token acme-appr tenant-approver acme)
TOK[globex-admin]=$(account_token globex-admin tenant-admin globex)
base="http://127.0.0.1:$http"
req() { token_req "${TOK[$1]}" "$2" "$base$3" "${4:-}"; }

# ---- asked by acme's operator: pending, acme's --------------------------------------------
out=$(req acme-op POST /api/v1/maintenance '{"device":"*","for":"1h","reason":"rack a01 PDU swap"}')
assert_eq "${out%% *}" 201 "acme's operator asks ($out)"
id=$(jq -r .id <<<"${out#* }")
assert_eq "$(jq -c '[.tenant, .state, .requested_by]' <<<"${out#* }")" '["acme","pending","acme-op"]' "the entry"
other=$(req acme-op POST /api/v1/maintenance '{"device":"globex-db","for":"1h","reason":"x"}')
missing=$(req acme-op POST /api/v1/maintenance '{"device":"nosuch-db","for":"1h","reason":"x"}')
assert_eq "${other%% *}" 400 "a glob of another tenant's device only"
assert_eq "${other//globex-db/X}" "${missing//nosuch-db/X}" "another tenant's device: as no device"
pass "a tenant's operator asks for its own devices; another's device is refused as a missing one"

# ---- another tenant neither sees nor decides it; the asker cannot approve -----------------
assert_eq "$(req globex-admin GET /api/v1/maintenance | cut -d' ' -f2- | jq -c '[.maintenance[].id]')" "[]" \
  "globex's list"
other=$(req globex-admin POST "/api/v1/maintenance/$id/approve" '{}')
missing=$(req globex-admin POST /api/v1/maintenance/999999/approve '{}')
assert_eq "${other%% *} ${missing%% *}" "404 404" "globex approving acme's entry, and a missing one"
assert_eq "${other/entry $id\//entry X/}" "${missing/entry 999999\//entry X/}" "acme's entry as a missing one"
out=$(req acme-op POST "/api/v1/maintenance/$id/approve" '{}')
assert_eq "${out%% *}" 403 "acme's operator approving"
pass "another tenant sees nothing and gets 404; an operator cannot approve"

# ---- approved by acme's approver: acme's devices silenced, globex's not -------------------
out=$(req acme-appr POST "/api/v1/maintenance/$id/approve" '{}')
assert_eq "${out%% *}" 200 "acme's approver approves ($out)"
sid=$(jq -r .silence_id <<<"${out#* }")
assert_eq "$(jq -c '[.state, .decided_by, .active]' <<<"${out#* }")" '["approved","acme-appr",true]' "approved"
close_port "$pa"; close_port "$pr"; close_port "$pg"
firing() { [ "$(api_get /api/v1/alerts | jq '[.alerts[] | select(.state == "firing")] | length')" = 3 ]; }
wait_until 20 "three alerts firing" firing
silence_of() { api_get /api/v1/alerts | jq -r --arg d "$1" '.alerts[] | select(.device == $d) | .silence.id // 0'; }
assert_eq "$(silence_of acme-web) $(silence_of acme-rack) $(silence_of globex-db)" "$sid $sid 0" \
  "silences of acme-web, acme-rack (acme's rack), globex-db"
assert_eq "$(api_get /api/v1/maintenance | jq -c --argjson i "$id" '[.maintenance[] | select(.id == $i) | .tenant]')" \
  '["acme"]' "the NOC sees the entry with its tenant"
"$DCMON" maintenance list >"$T/list.out"
grep -qE "^$id +approved \(active\) +\* +acme .* acme-op +acme-appr +rack a01 PDU swap$" "$T/list.out" ||
  fail "dcmon maintenance list: $(cat "$T/list.out")"
pass "the approved window silences acme's devices only, though its glob is *"

# ---- ended by acme's operator; audited by each account ------------------------------------
out=$(req acme-op DELETE "/api/v1/maintenance/$id")
assert_eq "$(jq -c '[.state, .ended_by]' <<<"${out#* }")" '["ended","acme-op"]' "ended ($out)"
assert_eq "$(silence_of acme-web)" 0 "acme-web after the end"
got=$(audit_json | jq -r --arg t "maintenance:$id" '[.entries[] | select(.target == $t) | "\(.action):\(.who)"] | join(",")')
assert_eq "$got" "maintenance-request:acme-op,maintenance-approve:acme-appr,maintenance-end:acme-op" "audited"
pass "ended by the tenant's operator; each step audited by its account"
done_checks
