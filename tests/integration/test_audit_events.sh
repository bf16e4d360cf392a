#!/usr/bin/env bash
# Audit records as events (issue 19, item 2): every record written to the audit log is
# also published on the change bus (CHANGE_AUDIT) and stored in the event store as one
# event of kind audit, with actor, action and object.  A login over HTTP, a failed one
# and a tenant's configuration change (a layer item applied) are found with the events
# API and `dcmon events --kind audit`; the tenant's token finds its own change and its
# user's logins (the login's event has the user's tenant), the other tenant's token
# finds neither.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user as root over the socket)"; exit 1; }
hport=$(free_port)
{ daemon_yaml "http: {listen: 127.0.0.1, port: $hport}" "accounts: {yescrypt_cost: 5}"
  cat <<YAML
  events: {retention: 30d}
  tenant_layer:
    limits:
      - {tenant: acme, targets: [127.0.0.0/29]}
tenants: [{id: acme, email: [noc@acme.example]}, {id: globex, email: [noc@globex.example]}]
devices: [{id: acme-web, kind: server, host: 127.0.0.2, tenant: acme}]
YAML
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
base="http://127.0.0.1:$hport"

pw="password-of-admin-$RANDOM$RANDOM"
echo "$pw" | "$DCMON" user add u-admin --role tenant-admin --tenant acme >/dev/null
echo "password-of-gadmin-1" | "$DCMON" user add u-gadmin --role tenant-admin --tenant globex >/dev/null
declare -A TOK=([admin]=$("$DCMON" user token u-admin | head -1) [gadmin]=$("$DCMON" user token u-gadmin | head -1))
login() { curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data "{\"name\":\"u-admin\",\"password\":\"$1\"}" "$base/api/v1/login"; }
assert_eq "$(login "$pw")" 200 "u-admin logs in"
assert_eq "$(login wrong-password)" 401 "a wrong password is refused"
out=$(token_req "${TOK[admin]}" POST "$base/api/v1/layer/items" \
  "$(jq -cn '{kind: "rule", yaml: "name: acme-hot\nmatch: {metric: temp_c}\nabove: {warn: 40}"}')")
assert_eq "${out%% *}" 200 "acme's rule applied (a configuration change)"

audit_events() { api_get "/api/v1/events/search?kind=audit&limit=100"; }
has_audit() { audit_events | json_check "any(.events[]; .program == \"$1\")"; }
wait_until 10 "the login stored as an event" has_audit login
wait_until 10 "the change stored as an event" has_audit tenant-apply
one() { audit_events | jq -c "[.events[] | select(.program == \"$1\")][0] | $2"; }
assert_eq "$(one login '[.kind, .source, .msgid, .severity, .fields["audit.actor"], .fields["audit.action"], .fields["audit.object"]]')" \
  '["audit","dcmond","audit","notice","u-admin","login","user:u-admin"]' "the login: kind audit, actor, action, object"
assert_eq "$(one login '.fields["audit.origin"] | startswith("http:127.0.0.1:")')" true "the login's origin"
assert_eq "$(one login-failed '[.severity, .fields["audit.object"]]')" '["warning","user:u-admin"]' \
  "a failed login is a warning"
assert_eq "$(one tenant-apply '[.tenant, .fields["audit.actor"], .fields["audit.object"]]')" \
  '["acme","u-admin","tenant:acme/rule/acme-hot"]' "the change: the tenant's, actor, object"
assert_eq "$(one tenant-apply '.message | startswith("tenant-apply tenant:acme/rule/acme-hot by u-admin from http:127.0.0.1:")')" \
  true "the change's message"
pass "a login and a configuration change are audit events with actor, action and object"

# the CLI finds them
"$DCMON" events --kind audit --json >"$T/cli.json"
assert_eq "$(jq -r '[.events[].program] | map(select(. == "login" or . == "tenant-apply")) | unique | join(",")' "$T/cli.json")" \
  "login,tenant-apply" "dcmon events --kind audit lists the login and the change"
"$DCMON" events --kind audit --text acme-hot >"$T/cli.txt"
grep -q 'tenant-apply tenant:acme/rule/acme-hot by u-admin' "$T/cli.txt" || fail "no change in: $(cat "$T/cli.txt")"
pass "dcmon events --text finds the change"

# tenant scope: acme's token sees its change, globex's does not
seen_by() { token_req "${TOK[$1]}" GET "$base/api/v1/events/search?kind=audit&limit=100" |
  cut -d' ' -f2- | jq -r '[.events[] | select(.program == "tenant-apply") | .fields["audit.object"]] | join(",")'; }
assert_eq "$(seen_by admin)" "tenant:acme/rule/acme-hot" "acme's token finds its change"
assert_eq "$(seen_by gadmin)" "" "globex's token does not"

# a tenant's user's logins are its tenant's audit events: acme's token finds them,
# globex's never does
assert_eq "$(one login '.tenant')" '"acme"' "u-admin's login has its tenant"
assert_eq "$(one login-failed '.tenant')" '"acme"' "u-admin's failed login has its tenant"
logins_seen_by() { token_req "${TOK[$1]}" GET "$base/api/v1/events/search?kind=audit&limit=100" |
  cut -d' ' -f2- | jq -r '[.events[] | select(.fields["audit.object"] == "user:u-admin") | .program] | unique | join(",")'; }
assert_eq "$(logins_seen_by admin)" "login,login-failed" "acme's token finds its user's logins"
assert_eq "$(logins_seen_by gadmin)" "" "globex's token does not"

stop_dcmond
done_checks
