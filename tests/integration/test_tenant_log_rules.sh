#!/usr/bin/env bash
# Tenants' own log patterns (issue 24 "log patterns", issue 19 item 4, docs/PORTAL.md):
# a tenant-admin adds a log rule (kind log_rule) and a threshold on its count through
# the tenant layer's API; a syslog line from its server sent to dcmond's receiver
# raises the alert on that server, visible to the tenant; the same line from another
# tenant's server counts nothing and alerts nothing.  The tenant cannot see another's
# patterns nor set them, cannot scope its own to another's devices or tenant, and the
# NOC's limits hold: the count of log rules, the length of a pattern, a regex that does
# not compile (422 with line and column), a shipped rule's name, a name already taken.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user as root over the socket)"; exit 1; }
SEND="$PY $DCMON_SOURCE_DIR/tests/peers/syslog_send.py"
hport=$(free_port)
TCP=$(free_port)
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" \
    "http: {listen: 127.0.0.1, port: $hport}" "accounts: {yescrypt_cost: 5}"
  cat <<YAML
  syslog:
    listen: 127.0.0.1
    udp_port: 0
    tcp_port: $TCP
    default_rules: false
    rules:
      - {name: noc-panic, match: "NOC marker"}
  tenant_layer:
    limits:
      - {tenant: acme, targets: [127.0.0.0/29], max_log_rules: 2, max_pattern: 40}
      - {tenant: globex, targets: [127.0.1.0/29]}
YAML
  two_tenant_servers_yaml
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

declare -A TOK
for u in admin:tenant-admin:acme gadmin:tenant-admin:globex; do
  IFS=: read -r name role tenant <<<"$u"
  TOK[$name]=$(account_token "u-$name" "$role" "$tenant")
done
base="http://127.0.0.1:$hport"
req() { token_req "${TOK[$1]}" "$2" "$base$3" "${4:-}"; } # WHO METHOD PATH [BODY]
code() { echo "${1%% *}"; }
body() { echo "${1#* }"; }
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
line() { # HOST TEXT: one RFC 3164 line of HOST over TCP (LF-framed)
  $SEND tcp "$TCP" "$(hex "<11>$(LC_ALL=C date -u '+%b %e %H:%M:%S') $1 app: $2")0a"
}
firing() { api_get /api/v1/alerts | json_check "any(.alerts[]; .device == \"$1\" and .rule == \"$2\" and .state == \"firing\")"; }
stored() { [ "$(api_get "/api/v1/events/search?text=$1&limit=10" | jq '.events | length')" -ge "$2" ]; }
counted() { # DEVICE RULE: the value of log_matches_count{RULE} of DEVICE, or "none"
  local v; v=$(metric_field "$1" log_matches_count "$2" value); echo "${v:-none}"; }
counts() { [ "$(counted "$1" "$2")" = "$3" ]; }

# ---- the tenant's pattern and its threshold -------------------------------------------
out=$(req admin POST /api/v1/layer/items "$(layer_item log_rule 'name: acme-oops
match: disk quota blown
window: 5m')")
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.state)" "200:applied" "the tenant-admin's log rule applies at once"
out=$(req admin POST /api/v1/layer/items "$(layer_item rule 'name: acme-oops-alert
match: {metric: log_matches_count, inst: acme-oops}
above: {crit: 0}
summary: disk quota blown')")
assert_eq "$(code "$out")" 200 "the threshold on its count applies"

# the same line from the other tenant's server first: counted nowhere, no alert
line globex-db "disk quota blown on /srv marker1"
wait_until 10 "globex's line stored" stored marker1 1
line acme-web "disk quota blown on /srv marker2"
wait_until 15 "acme-oops-alert fires on acme-web" firing acme-web acme-oops-alert
assert_eq "$(counted acme-web acme-oops)" 1 "acme's line counts once on acme-web"
assert_eq "$(counted globex-db acme-oops)" none "another tenant's line does not count for acme's rule"
api_get /api/v1/alerts | json_check 'all(.alerts[]; .device != "globex-db")' ||
  fail "an alert on globex-db"
pass "a tenant's pattern alerts on its own server's line, never on another tenant's"
assert_eq "$(api_get /api/v1/alerts | jq -r '.alerts[] | select(.rule == "acme-oops-alert") | .tenant')" acme \
  "the alert is acme's (its recipients' route)"

out=$(req admin GET /api/v1/alerts)
assert_eq "$(body "$out" | jq '[.alerts[] | select(.rule == "acme-oops-alert")] | length')" 1 \
  "the tenant sees its log alert"
out=$(req gadmin GET /api/v1/alerts)
assert_eq "$(body "$out" | jq '[.alerts[] | select(.rule == "acme-oops-alert")] | length')" 0 \
  "the other tenant does not"

# ---- another tenant's patterns: not seen, not set -------------------------------------
out=$(req gadmin GET /api/v1/layer/items)
assert_eq "$(body "$out" | jq '[.items[] | select(.kind == "log_rule")] | length')" 0 \
  "globex's listing holds none of acme's log rules"
out=$(req gadmin GET "/api/v1/layer/items?tenant=acme")
case $(code "$out") in 403|404) ! grep -q acme-oops <<<"$out" ;; *) false ;; esac ||
  fail "globex reading acme's layer: $out, want 403 or 404"
out=$(req gadmin POST /api/v1/layer/items "$(jq -cn '{tenant: "acme", kind: "log_rule", yaml: "name: g1\nmatch: x"}')")
case $(code "$out") in 403|404) ;; *) fail "globex setting acme's log rule: $out, want 403 or 404" ;; esac
out=$(req gadmin DELETE /api/v1/layer/items/log_rule/acme-oops)
[ "$(code "$out")" != 200 ] || fail "globex deleted acme's log rule: $out"
out=$(req admin GET /api/v1/layer/items)
assert_eq "$(body "$out" | jq -r '[.items[] | select(.kind == "log_rule") | .id] | join(",")')" acme-oops \
  "acme's log rule is still there, listed to acme"
pass "a tenant cannot see nor set another tenant's log patterns"

# ---- refusals: scope, limits, the decoder ---------------------------------------------
refused() { # WHAT YAML MESSAGE
  local out
  out=$(req "${WHO:-gadmin}" POST /api/v1/layer/items "$(layer_item log_rule "$2")")
  [ "$(code "$out")" = 422 ] || fail "$1: $out, want 422"
  body "$out" | jq -e --arg m "$3" '.error | contains($m)' >/dev/null || fail "$1: $out, want '$3'"
  pass "refused: $1"
}
refused "a pattern scoped to another tenant" $'name: g2\nmatch: x\ntenant: acme' \
  "a log rule of tenant globex's layer matches its own devices' lines only, not tenant acme's"
refused "a pattern on another tenant's device" $'name: g3\nmatch: x\ndevices: [acme-web]' \
  "devices: acme-web is not a device of tenant globex"
refused "a shipped rule's name" $'name: sshd-failures\nmatch: x' "sshd-failures is a shipped log rule"
refused "a name taken (the NOC's)" $'name: noc-panic\nmatch: x' "syslog rule noc-panic: name: taken by another log rule"
out=$(req gadmin POST /api/v1/layer/items "$(layer_item log_rule $'name: g4\nmatch: x\nregex: "a(b"')")
assert_eq "$(code "$out")" 422 "a regex that does not compile is refused"
body "$out" | jq -e '.error | test("regex .a\\(b.: ")' >/dev/null || fail "no regex message: $out"
assert_eq "$(body "$out" | jq -c '[.fields[0].line, .fields[0].col] | map(. > 0)')" "[true,true]" \
  "the decoder's message has a line and a column"
WHO=admin refused "a pattern beyond max_pattern" \
  $'name: acme-long\nregex: "0123456789012345678901234567890123456789x"' \
  "regex: 41 bytes: the NOC allows tenant acme patterns of 40"
out=$(req admin POST /api/v1/layer/items "$(layer_item log_rule $'name: acme-two\nmatch: second')")
assert_eq "$(code "$out")" 200 "a second log rule is within max_log_rules 2"
WHO=admin refused "a third log rule" $'name: acme-three\nmatch: third' \
  "tenant acme would have 3 log rules: the NOC allows 2"

# the layer's YAML carries log rules (export, then import elsewhere)
out=$(req admin GET /api/v1/layer/export)
body "$out" | jq -r .yaml | grep -qx 'log_rules:' || fail "no log_rules: in the export: $out"
pass "the export holds the log rules"

stop_dcmond
done_checks
