#!/usr/bin/env bash
# The tenant layer (issue 24, docs/PORTAL.md) on a real dcmond over HTTP with tenant
# accounts' tokens: a tenant-admin's tcp check on its own server is polled at once and
# closing the port fires the alert; a tenant-operator's threshold change waits for an
# approver and applies after approval, a rejected one never does; refusals (another
# tenant's address, a facility device's, outside the targets, a port or an interval
# beyond the limits, too many checks) each answer 422 with the message and leave an
# audit record; the layer survives a restart, SIGHUP and a bad NOC reload.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user as root over the socket)"; exit 1; }
hport=$(free_port)
svc=$(free_port)
other=$(free_port)
start_tcp_listener "$svc"

write_config() { # $1: extra text at the end
  { daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" \
      "http: {listen: 127.0.0.1, port: $hport}" "accounts: {yescrypt_cost: 5}"
    cat <<YAML
  tenant_layer:
    limits:
      - {tenant: acme, min_interval: 2s, max_checks: 3, targets: [127.0.0.0/29],
         ports: [$svc, $other]}
tenants:
  - {id: acme, email: [noc@acme.example]}
  - {id: globex, email: [noc@globex.example]}
devices:
  - {id: globex-db, kind: server, host: 127.0.0.3, tenant: globex, checks: {tcp: [$other]}}
  - {id: ups-1, kind: ups, host: 127.0.0.4, checks: {tcp: [$other]}}
$1
YAML
  } >"$T/dcmon.yaml"
}
write_config ""
start_dcmond "$T/dcmon.yaml"

declare -A TOK
for u in admin:tenant-admin:acme op:tenant-operator:acme appr:tenant-approver:acme \
         gadmin:tenant-admin:globex; do
  IFS=: read -r name role tenant <<<"$u"
  TOK[$name]=$(account_token "u-$name" "$role" "$tenant")
done
base="http://127.0.0.1:$hport"
# req WHO METHOD PATH [BODY]: prints "STATUS BODY"
req() { token_req "${TOK[$1]}" "$2" "$base$3" "${4:-}"; }
code() { echo "${1%% *}"; }
not_firing() { ! firing "$@"; }
# log_grows PATTERN N: the log holds more than N lines with PATTERN
log_grows() { [ "$(log_count "$1")" -gt "$2" ]; }
# firing DEVICE RULE: an alert of RULE on DEVICE is firing
firing() { api_get /api/v1/alerts | json_check "any(.alerts[]; .device == \"$1\" and .rule == \"$2\" and .state == \"firing\")"; }
body() { echo "${1#* }"; }

# ---- a tenant-admin's tcp check applies at once, is polled, and alerts ----------------
app="id: acme-app
kind: server
host: 127.0.0.1
interval: 2s
checks:
  tcp: [$svc]"
out=$(req admin POST /api/v1/layer/items "$(layer_item device "$app")")
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.state)" "200:applied" "tenant-admin's device applies at once"
wait_until 20 "acme-app polled" metric_is acme-app tcp_port_up "$svc" '.value == 1'
pass "the new check is polled: tcp_port_up{port=$svc} = 1"
assert_eq "$(status_json | jq -r '.devices[] | select(.id == "acme-app") | .tenant')" "acme" "the device is acme's"
stop_tcp_listener
wait_until 60 "port-closed fires on acme-app" firing acme-app port-closed
pass "closing the port fires port-closed on acme-app"
start_tcp_listener "$svc"
wait_until 20 "port up again" metric_is acme-app tcp_port_up "$svc" '.value == 1'

# ---- a tenant-operator's threshold change waits for approval --------------------------
rule() { printf 'name: acme-up\nmatch: {device: acme-app, metric: tcp_port_up}\nabove: {warn: %s}\n' "$1"; }
out=$(req admin POST /api/v1/layer/items "$(layer_item rule "$(rule 5)")")
assert_eq "$(code "$out")" 200 "tenant-admin's rule applies"
out=$(req op POST /api/v1/layer/items "$(layer_item rule "$(rule 0.5)")")
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.state)" "202:pending" "tenant-operator's change is pending"
rid=$(body "$out" | jq -r .request.id)
wait_polls acme-app 3
alerts_json | json_check '[.alerts[] | select(.rule == "acme-up")] | length == 0' \
  || fail "a pending change fired: $(alerts_json)"
pass "pending: not applied after 3 polls"
out=$(req op POST "/api/v1/layer/requests/$rid/approve" '{}')
assert_eq "$(code "$out")" 403 "a tenant-operator may not approve"
out=$(req appr POST "/api/v1/layer/requests/$rid/approve" '{}')
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.state)" "200:applied" "the approver approves"
wait_until 20 "acme-up fires after approval" firing acme-app acme-up
pass "the approved threshold applies"
out=$(req op GET "/api/v1/layer/items")
assert_eq "$(body "$out" | jq -r '.items[] | select(.id == "acme-up") | .yaml' | grep -c 'warn: 0.5')" 1 "the item holds the approved threshold"

# ---- a rejected request is never applied -----------------------------------------------
out=$(req op POST /api/v1/layer/items "$(layer_item rule "$(printf 'name: acme-rej\nmatch: {device: acme-app, metric: tcp_port_up}\nabove: {crit: 0.5}\n')")")
rid=$(body "$out" | jq -r .request.id)
out=$(req appr POST "/api/v1/layer/requests/$rid/reject" '{}')
assert_eq "$(code "$out")" 400 "a rejection needs a reason"
out=$(req appr POST "/api/v1/layer/requests/$rid/reject" '{"reason":"too noisy"}')
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.reason)" "200:too noisy" "rejected with a reason"
out=$(req admin POST "/api/v1/layer/requests/$rid/approve" '{}')
assert_eq "$(code "$out")" 409 "a rejected request cannot be approved later"
wait_polls acme-app 3
alerts_json --all | json_check '[.alerts[] | select(.rule == "acme-rej")] | length == 0' \
  || fail "a rejected change fired"
pass "rejected: never applied"

# ---- refusals: message and audit record each ---------------------------------------------
refuse() { # WHAT YAML WANT-TEXT
  local out
  out=$(req admin POST /api/v1/layer/items "$(layer_item device "$2")")
  [ "$(code "$out")" = 422 ] || fail "$1: $out, want 422"
  case $(body "$out" | jq -r .error) in *"$3"*) ;; *) fail "$1: $(body "$out")" ;; esac
  body "$out" | jq -e '.fields | length >= 1 and (.[0].line >= 1)' >/dev/null || fail "$1: no fields: $out"
  audit_json --action tenant-refused | jq -e --arg m "$3" '[.entries[] | select(.detail | contains($m))] | length >= 1' \
    >/dev/null || fail "$1: no audit record"
  pass "refused with message and audit record: $1"
}
dev() { printf 'id: %s\nkind: server\nhost: %s\ninterval: %s\nchecks: {tcp: [%s]}\n' "$@"; }
refuse "another tenant's address" "$(dev x1 127.0.0.3 2s "$svc")" "127.0.0.3 is the address of another tenant's device"
refuse "a facility device's address" "$(dev x2 127.0.0.4 2s "$svc")" "127.0.0.4 is the address of a facility device"
refuse "outside the targets" "$(dev x3 127.0.0.9 2s "$svc")" "127.0.0.9 is outside the targets the NOC allows tenant acme"
refuse "a port not allowed" "$(dev x4 127.0.0.1 2s 22)" "port 22 is not among the ports the NOC allows tenant acme"
refuse "an interval below the minimum" "$(dev x5 127.0.0.1 1s "$svc")" "interval: 1s is below the 2s the NOC allows tenant acme"
refuse "too many checks" "$(dev x6 127.0.0.1 2s "$svc, $other, {port: $svc, send: x}")" "tenant acme would have 4 checks: the NOC allows 3"
refuse "a plugin" "$(printf 'id: x7\nkind: server\nhost: 127.0.0.1\ninterval: 2s\nchecks: {plugin: [{command: [/bin/true]}]}\n')" "plugin: a tenant's device may not run commands"
out=$(req admin POST /api/v1/layer/items "$(layer_item device "$(printf 'id: x8\nkind: server\nhost: 127.0.0.1\ninterval: 2s\nchecks: {tcp: [{prot: 1}]}\n')")")
assert_eq "$(code "$out"):$(body "$out" | jq -c '[.fields[] | select(.message | startswith("unknown key '"'prot'"'")) | [.line, .col]]')" \
  "422:[[5,17]]" "the decoder's message is positioned in the item (line 5, col 17)"
status_json | json_check '[.devices[] | select(.id | startswith("x"))] | length == 0' || fail "a refused device is polled"
pass "no refused device is polled"

# another tenant sees nothing of acme's layer
out=$(req gadmin GET "/api/v1/layer/items?tenant=acme")
assert_eq "$(code "$out")" 404 "globex's admin naming acme"
out=$(req gadmin GET /api/v1/layer/items)
assert_eq "$(body "$out" | jq -c .items)" "[]" "globex's admin lists no acme item"
out=$(req gadmin DELETE /api/v1/layer/items/device/acme-app)
assert_eq "$(code "$out")" 404 "globex's admin cannot delete acme's device"

# ---- audit with before/after -------------------------------------------------------------------
audit_json --action tenant-apply | jq -e '[.entries[] | select(.target == "tenant:acme/rule/acme-up")
  | .detail | fromjson | select(((.before // "") | contains("warn: 5")) and ((.after // "") | contains("warn: 0.5")))] | length == 1' \
  >/dev/null || fail "tenant-apply audit: $(audit_json --action tenant-apply)"
pass "the approved change is audited with before and after"

# ---- the effective configuration, export and import, the NOC's lock and override ----------
out=$("$DCMON" config show --effective --tenant acme)
echo "$out" | grep -qE "^device +acme-app +tenant +tenant:acme/device/acme-app:1:1" || fail "effective: $out"
echo "$out" | grep -qE "^rule +acme-up +tenant +tenant:acme/rule/acme-up:1:1" || fail "effective rule: $out"
! echo "$out" | grep -q globex || fail "effective for acme names globex: $out"
out=$("$DCMON" config show --effective)
echo "$out" | grep -qE "^device +globex-db +noc +$T/dcmon.yaml:[0-9]+:[0-9]+" || fail "effective (all): $out"
pass "config show --effective names each item's source (tenant layer or the NOC's file:line:col)"
"$DCMON" config export --tenant acme >"$T/acme.yaml"
grep -q "^devices:" "$T/acme.yaml" && grep -q "^rules:" "$T/acme.yaml" || fail "export: $(cat "$T/acme.yaml")"
out=$(req admin DELETE /api/v1/layer/items/rule/acme-up)
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.state)" "200:applied" "the admin deletes its rule"
wait_until 20 "acme-up resolves once deleted" not_firing acme-app acme-up
out=$("$DCMON" config import --tenant acme "$T/acme.yaml")
echo "$out" | grep -qx "rule acme-up: applied" || fail "import: $out"
wait_until 20 "acme-up fires again after import" firing acme-app acme-up
pass "export, delete, import: the layer comes back and applies ($(echo "$out" | wc -l) items)"
"$DCMON" config import --tenant acme - <<<"devices: [1]" >/dev/null 2>&1 && fail "import of a scalar item accepted"
pass "an import that is not a layer is refused"

curl -sf --unix-socket "$DCMON_SOCKET" -X POST -H 'Content-Type: application/json' \
  --data '{"tenant":"acme","reason":"audit week"}' http://dcmond/api/v1/layer/lock >/dev/null || fail "lock"
out=$(req admin DELETE /api/v1/layer/items/rule/acme-up)
assert_eq "$(code "$out"):$(body "$out" | jq -r .error)" "423:the NOC has locked tenant acme's layer: audit week" "a locked layer refuses the admin"
curl -sf --unix-socket "$DCMON_SOCKET" -X POST -H 'Content-Type: application/json' \
  --data '{"tenant":"acme"}' http://dcmond/api/v1/layer/unlock >/dev/null || fail "unlock"
noc_rule=$(jq -cn --arg y "$(rule 0.5 | sed 's/acme-up/acme-noc/')" '{tenant: "acme", kind: "rule", yaml: $y}')
curl -sf --unix-socket "$DCMON_SOCKET" -X POST -H 'Content-Type: application/json' --data "$noc_rule" \
  http://dcmond/api/v1/layer/items >/dev/null || fail "the NOC's override"
out=$(req admin DELETE /api/v1/layer/items/rule/acme-noc)
assert_eq "$(code "$out"):$(body "$out" | jq -r .error)" "403:rule acme-noc is set by the NOC: ask the NOC to change it" "an item the NOC set is the NOC's"
assert_eq "$(audit_json --action tenant-lock | jq '.entries | length')" 1 "the lock is audited"

# ---- restart, SIGHUP, a bad NOC reload ----------------------------------------------------
stop_dcmond
start_dcmond "$T/dcmon.yaml"
wait_polls acme-app 1
pass "after a restart acme-app is polled"
n=$(log_count 'reloaded:')
kill -HUP "$DCMOND_PID"
wait_until 20 "reloaded" log_grows 'reloaded:' "$n"
wait_polls acme-app 1
pass "after SIGHUP acme-app is polled"
write_config "bogus_key: 1"
n=$(log_count 'reload rejected')
kill -HUP "$DCMOND_PID"
wait_until 20 "reload rejected" log_grows 'reload rejected' "$n"
wait_polls acme-app 2
pass "after a bad NOC reload the tenant layer keeps working"
out=$(req admin POST /api/v1/layer/items "$(layer_item device "$(dev acme-two 127.0.0.2 2s "$svc")")")
assert_eq "$(code "$out")" 503 "a change while the NOC's file is broken"
write_config ""
n=$(log_count 'reloaded:')
kill -HUP "$DCMOND_PID"
wait_until 20 "reloaded again" log_grows 'reloaded:' "$n"
status_json | json_check '[.devices[] | select(.id == "acme-app")] | length == 1' || fail "acme-app gone"
firing acme-app acme-up || fail "acme-up gone after reloads"
pass "the tenant's rule still fires after the reloads"

# the NOC's file changes so that a stored item no longer passes: the item is left out
# (logged), the NOC's configuration loads, and the item comes back with the file
write_config "  - {id: facility-x, kind: other, host: 127.0.0.1, checks: {tcp: [$other]}}"
n=$(log_count 'reloaded:')
kill -HUP "$DCMOND_PID"
wait_until 20 "reloaded with facility-x" log_grows 'reloaded:' "$n"
assert_eq "$(log_count 'tenant:acme/device/acme-app left out: tenant:acme/device/acme-app:1:1: host: 127.0.0.1 is the address of a facility device')" 1 "the item that no longer passes is left out, logged"
status_json | json_check '[.devices[].id] | (index("facility-x") != null) and (index("acme-app") == null)' \
  || fail "after the NOC's change: $(status_json | jq -c '[.devices[].id]')"
pass "the NOC's configuration loads without the item"
write_config ""
n=$(log_count 'reloaded:')
kill -HUP "$DCMOND_PID"
wait_until 20 "reloaded without facility-x" log_grows 'reloaded:' "$n"
wait_until 20 "acme-app back" metric_is acme-app tcp_port_up "$svc" '.value == 1'
pass "the stored item comes back with the file"
done_checks
