#!/usr/bin/env bash
# Accounts, roles and the one authorization point, against a real dcmond over real HTTP
# (curl) and its Unix socket:
#  * `dcmon user` by root (peer credentials: noc-admin): the password policy, yescrypt
#    at the configured cost, no account and no password by default;
#  * the isolation matrix, generated: every API route found in the sources' route tables
#    x every role (an account with an API token each, the token file's noc-operator,
#    the anonymous reader, refused since accounts exist: http.anonymous auto) x own /
#    shared / other-tenant object -> allowed, 401, 403 or 404
#    as docs/ACCOUNTS.md specifies; another tenant's object answers 404 with the very
#    body of a missing one; a route missing from the matrix fails the test;
#  * a local user mapped in daemon.accounts.local_users sees its tenant only over the
#    Unix socket, an unmapped one is refused;
#  * a disabled account's token stops working;
#  * no password or token in the log, the audit log, accounts.db or API output.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (setpriv)"; exit 1; }
port=$(free_port)
syslog_port=$(free_port)
token=$(head -c 24 /dev/urandom | base64)
printf '%s\n' "$token" >"$T/token"; chmod 600 "$T/token"
cfg_src="$DCMON_SOURCE_DIR/tests/unit/data/accounts/two_tenants.yaml"
{
  daemon_yaml "socket_group: nogroup" "http: {listen: 127.0.0.1, port: $port, token_file: $T/token, auth_fail_limit: 1000000}" \
    "accounts: {yescrypt_cost: 5, local_users: [{user: nobody, role: tenant-operator, tenant: acme}]}" \
    "syslog: {listen: 127.0.0.1, udp_port: $syslog_port}"
  sed -n '/^tenants:/,$p' "$cfg_src"
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

# ---- accounts by root over the Unix socket ----------------------------------------
out=$("$DCMON" user list)
assert_eq "$out" "no accounts" "accounts at first start"
rc=0; out=$(echo "short" | "$DCMON" user add alice --role noc-admin 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: password: the password is shorter than daemon.accounts.password_min_length" "short password"
rc=0; out=$(echo "averyverylongname" | "$DCMON" user add averyverylongname --role noc-admin 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: password: the password equals the user name" "password = name"
rc=0; out=$(echo "correct horse 1" | "$DCMON" user add bob --role tenant-operator 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: tenant: role tenant-operator needs a tenant" "tenant role without tenant"
rc=0; out=$(echo "correct horse 1" | "$DCMON" user add bob --role tenant-operator --tenant initech 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: tenant: no tenant 'initech' in the config" "unknown tenant"

# one account per role (tenant roles and a wall scoped to acme; a wall of all too),
# each with an API token
declare -A TOK PW
roles=(noc-admin noc-operator security-admin auditor tenant-admin tenant-approver tenant-operator wall)
for r in "${roles[@]}" wall-all; do
  role=${r%-all}; scope=()
  case $r in tenant-*|wall) scope=(--tenant acme) ;; esac
  PW[$r]="pw-$r-$(head -c 9 /dev/urandom | base64)"
  printf '%s\n' "${PW[$r]}" | "$DCMON" user add "u-$r" --role "$role" "${scope[@]}" >/dev/null \
    || fail "user add u-$r"
  TOK[$r]=$("$DCMON" user token "u-$r" | head -1)
  case ${TOK[$r]} in dcm_????????????????????????????????????????????????????????????????) ;;
    *) fail "token of u-$r: ${TOK[$r]}" ;; esac
done
TOK[http-token]=$token
hash=$(sqlite3 "$T/data/accounts.db" "SELECT hash FROM accounts WHERE name = 'u-noc-admin'")
case $hash in '$y$j9T$'*) pass "yescrypt at cost 5 in accounts.db" ;; *) fail "hash: $hash" ;; esac
"$DCMON" user list | grep -qE '^u-tenant-operator +tenant-operator +acme +active' \
  || fail "user list: $("$DCMON" user list)"
pass "dcmon user add/list/token for ${#roles[@]} roles"
for v in acme-victim globex-victim; do
  echo "victim-password-1" | "$DCMON" user add "$v" --role tenant-operator --tenant "${v%-victim}" >/dev/null
done
echo "victim-password-1" | "$DCMON" user add noc-victim --role noc-operator >/dev/null
echo "matrix-login-password" | "$DCMON" user add matrix-login --role wall >/dev/null

# ---- the isolation matrix ------------------------------------------------------------
base="http://127.0.0.1:$port"
# req ACTOR METHOD PATH [BODY]: prints "STATUS BODY"
req() {
  local actor=$1 method=$2 path=$3 body=${4:-} h=()
  [ "$actor" != anonymous ] && h=(-H "Authorization: Bearer ${TOK[$actor]}")
  [ -n "$body" ] && h+=(-H "Content-Type: application/json" --data "$body")
  curl -s -m 10 -o "$T/body" -w '%{http_code}' -X "$method" "${h[@]}" "$base$path"
  printf ' %s' "$(cat "$T/body")"
}

# What each role may do (docs/ACCOUNTS.md), written here apart from core/authz.c.
# self: one's own web session (login, logout, the list of one's sessions), one's password
# and second factor.
declare -A PERMS=(
  [noc-admin]="self view ack silence test-mode audit-read notify-admin accounts-read accounts-manage recipients layer-request layer-apply layer-approve layer-lock maintenance maintenance-approve"
  [noc-operator]="self view ack silence test-mode maintenance" [http-token]="self view ack silence test-mode maintenance"
  [security-admin]="self accounts-read accounts-manage" [auditor]="self audit-read"
  [tenant-admin]="self view ack accounts-read accounts-manage recipients layer-request layer-apply layer-approve maintenance maintenance-approve"
  [tenant-approver]="self view ack layer-request layer-approve maintenance-approve"
  [tenant-operator]="self view ack layer-request maintenance" [wall]="self view" [wall-all]="self view" [anonymous]="self")
scoped() { case $1 in tenant-*|wall) return 0 ;; *) return 1 ;; esac; }

# Each route: "METHOD PATH|action|object kind|local|body".  Object kinds: device (the
# path names a device), body-device (the body does), user (an account), tenants (spans
# tenants), none.  {o} stands for the object.
routes=(
  "GET /api/v1/health|view|none||"
  "GET /api/v1/status|view|none||"
  "GET /api/v1/devices/|view|device||"
  "GET /api/v1/metrics|view|none||"
  "GET /metrics|view|none||"
  "GET /api/v1/alerts|view|none||"
  "GET /api/v1/alerts/|view|none||"
  "POST /api/v1/alerts/|ack|none||{\"comment\":\"x\"}"
  "GET /api/v1/silences|view|tenants||"
  "POST /api/v1/silences|silence|body-device||{\"match\":{\"device\":\"{o}\"},\"for\":\"1h\",\"reason\":\"matrix\"}"
  "DELETE /api/v1/silences/|silence|none||"
  "GET /api/v1/maintenance|view|none||" # a tenant's own entries (test_maintenance_tenant.sh)
  "POST /api/v1/maintenance|maintenance|none||{\"device\":\"{o}\",\"for\":\"1h\",\"reason\":\"matrix\"}"
  "POST /api/v1/maintenance/|maintenance-approve|none||{}"
  "DELETE /api/v1/maintenance/|maintenance|none||"
  "GET /api/v1/audit|audit-read|none|local|"
  "GET /api/v1/audit/verify|audit-read|none|local|"
  "GET /api/v1/audit/export|audit-read|none|local|"
  "GET /api/v1/notifications|notify-admin|none|local|"
  "POST /api/v1/notifications/test|notify-admin|none|local|"
  "GET /api/v1/recipients|recipients|none||"
  "POST /api/v1/recipients|recipients|none||{\"address\":\"m-{a}@acme.example\"}"
  "GET /api/v1/recipients/confirm|self|none||"
  "POST /api/v1/recipients/|recipients|none||{}"
  "DELETE /api/v1/recipients/|recipients|none||"
  "GET /api/v1/impact/|view|device||"
  "GET /api/v1/events/search|view|none||"
  "POST /api/v1/test-mode|test-mode|body-device||{\"device\":\"{o}\",\"for\":\"30m\",\"reason\":\"matrix\"}"
  "GET /api/v1/users|accounts-read|none||"
  "GET /api/v1/users/|accounts-read|user||"
  "POST /api/v1/users|accounts-manage|none||{\"name\":\"new-{a}\",\"role\":\"tenant-operator\",\"tenant\":\"acme\",\"password\":\"matrix-password-1\"}"
  "POST /api/v1/users/|accounts-manage|user||{}"
  "DELETE /api/v1/users/|accounts-manage|user||"
  "POST /api/v1/login|login|none||{\"name\":\"matrix-login\",\"password\":\"matrix-login-password\"}"
  "POST /api/v1/logout|self|none||"
  "GET /api/v1/sessions|self|none||"
  "DELETE /api/v1/sessions/|self|none||"
  "GET /api/v1/layer/items|layer-request|none||"
  "POST /api/v1/layer/items|layer-request|none||{}"
  "DELETE /api/v1/layer/items/|layer-request|none||"
  "GET /api/v1/layer/requests|layer-request|none||"
  "POST /api/v1/layer/requests/|layer-approve|none||{}"
  "POST /api/v1/layer/lock|layer-lock|none||{}"
  "POST /api/v1/layer/unlock|layer-lock|none||{}"
  "GET /api/v1/layer/effective|view|none||"
  "GET /api/v1/layer/export|layer-request|none||"
  "POST /api/v1/layer/import|layer-request|none||{}"
  "POST /api/v1/password|self|none||{}"
  "POST /api/v1/mfa|self|none||{}"
  "POST /api/v1/mfa/confirm|self|none||{}"
  "GET /api/v1/mfa-policy|accounts-read|tenants||"
  "POST /api/v1/mfa-policy/|accounts-manage|tenants||{\"mfa_required\":false}"
  "GET /api/v1/reports/availability|view|none||"
  "POST /api/v1/outages/|silence|none||{\"text\":\"matrix\"}"
  "GET /api/v1/status-page|view|none||"
  "GET /api/v1/status-page/public|self|none||"
  "GET /api/v1/status-page/s/|self|none||"
  "GET /api/v1/status-tokens|accounts-read|none||"
  "POST /api/v1/status-tokens|accounts-manage|none||{\"tenant\":\"acme\"}"
  "DELETE /api/v1/status-tokens/|accounts-manage|none||"
  "POST /api/v1/status-updates/|silence|none||{\"status\":\"resolved\",\"text\":\"matrix\"}"
  "GET /api/v1/sites|view|tenants||"
  "GET /api/v1/sites/|view|tenants||"
  "POST /api/v1/sites/|ack|tenants||{\"kind\":\"ack\",\"target\":1}"
)
# every route of the sources' tables is in the matrix
while read -r m p; do
  found=0
  for r in "${routes[@]}"; do [ "${r%%|*}" = "$m $p" ] && found=1; done
  [ "$found" -eq 1 ] || fail "route $m $p of the sources is not in the matrix"
done < <(grep -ho '{"\(GET\|POST\|DELETE\)", "/\(api/v1/[^"]*\|metrics\)"' "$DCMON_SOURCE_DIR"/{core,alerting,facility,accounts,dashboard,events,mqtt,tenants,reports}/*.c |
         sed -E 's/\{"([A-Z]+)", "([^"]*)"/\1 \2/' | sort -u)
pass "every route of the route tables is in the matrix (${#routes[@]})"

# the path of a route for an object: prefix routes take the object (and a suffix)
route_path() { # method path kind object
  case "$1 $2" in
    "GET /api/v1/alerts/"|"POST /api/v1/alerts/") echo "${2}999${1/GET/}" | sed 's|POST$|/ack|' ;;
    "DELETE /api/v1/silences/") echo "${2}999" ;;
    "POST /api/v1/users/") echo "$2$4/disable" ;;
    "GET /api/v1/reports/availability") echo "$2?period=2026-11" ;;
    "POST /api/v1/outages/") echo "${2}matrix@1/notes" ;;
    "POST /api/v1/status-updates/") echo "${2}matrix@1" ;;
    *) case $2 in */) echo "$2$4" ;; *) echo "$2" ;; esac ;;
  esac
}

# expected ACTOR ACTION KIND SCOPE LOCAL: allow, 401, 403 or 404
expected() {
  local actor=$1 action=$2 kind=$3 scope=$4 local=$5 method=$6
  # a login needs no token: its password is the credential
  [ "$action" = login ] && { echo allow; return; }
  # a write's token is checked with the headers, before the route is looked up
  [ "$actor" = anonymous ] && [ "$method" != GET ] && { echo 401; return; }
  [ -n "$local" ] && { echo 403; return; }           # admin data: the Unix socket only
  # the router asks for the route before a handler finds the object: a role without
  # the permission gets 403 whatever the object (which says nothing of it)
  # (nobody asking, with accounts in the store, must log in first: 401)
  case " ${PERMS[$actor]} " in *" $action "*) ;; *) [ "$actor" = anonymous ] && echo 401 || echo 403; return ;; esac
  if scoped "$actor" && { [ "$scope" = other ] || [ "$kind" = tenants ]; }; then echo 404; return; fi
  if scoped "$actor" && [ "$scope" = shared ] && [ "$action" != view ]; then echo 403; return; fi
  echo allow
}

declare -A OBJ=([device:own]=acme-web [device:shared]=ups-a [device:other]=globex-db
                [body-device:own]=acme-web [body-device:shared]=ups-a [body-device:other]=globex-db
                [user:own]=acme-victim [user:shared]=noc-victim [user:other]=globex-victim
                [none:own]=x [tenants:own]=x)
actors=("${roles[@]}" wall-all http-token anonymous)
cells=0
for r in "${routes[@]}"; do
  IFS='|' read -r mp action kind local body <<<"$r"
  method=${mp%% *}; path=${mp#* }
  scopes=(own); case $kind in device|body-device|user) scopes=(own shared other) ;; esac
  for actor in "${actors[@]}"; do
    for sc in "${scopes[@]}"; do
      o=${OBJ[$kind:$sc]}
      # a tenant's "shared" account (a NOC one) is outside its tenant: hidden
      esc=$sc; [ "$kind" = user ] && [ "$sc" = shared ] && esc=other
      [ "$kind" = user ] && [ "$sc" = shared ] && ! scoped "$actor" && esc=own
      want=$(expected "$actor" "$action" "$kind" "$esc" "$local" "$method")
      p=$(route_path "$method" "$path" "$kind" "$o")
      b=${body//\{o\}/$o}; b=${b//\{a\}/$actor}
      got=$(req "$actor" "$method" "$p" "$b")
      code=${got%% *}
      case $want in
        allow) case $code in 401|403) fail "$actor $method $p ($sc): $got, want allowed" ;; esac
               case $got in *"may not"*|*"no such device: $o"*) fail "$actor $method $p ($sc): $got, want allowed" ;; esac ;;
        404) [ "$code" = 404 ] || fail "$actor $method $p ($sc): $got, want 404"
             if [ "$sc" = other ] && [ "$kind" != tenants ]; then   # as a missing object
               missing=$(req "$actor" "$method" "$(route_path "$method" "$path" "$kind" nosuch-obj)" "${b//$o/nosuch-obj}")
               assert_eq "${got//$o/X}" "${missing//nosuch-obj/X}" "$actor $method $p: other tenant's vs missing"
             fi ;;
        *) [ "$code" = "$want" ] || fail "$actor $method $p ($sc): $got, want $want" ;;
      esac
      if [ "$method $path" = "DELETE /api/v1/users/" ] && [ "$code" = 200 ]; then
        t=${o%-victim}; [ "$t" = noc ] && a=(--role noc-operator) || a=(--role tenant-operator --tenant "$t")
        echo "victim-password-1" | "$DCMON" user add "$o" "${a[@]}" >/dev/null
      fi
      cells=$((cells + 1))
    done
  done
done
pass "isolation matrix: $cells cells (routes x ${#actors[@]} actors x own/shared/other) as specified"

# a tenant's availability report is its own, whatever it asks; another's is hidden
rep=$(req tenant-operator GET "/api/v1/reports/availability?period=2026-11" | cut -d' ' -f2-)
assert_eq "$(jq -r '.tenant' <<<"$rep")" acme "a tenant's availability report"
grep -q globex <<<"$rep" && fail "a tenant's availability report names globex"
assert_eq "$(req tenant-operator GET "/api/v1/reports/availability?period=2026-11&tenant=globex" | cut -d' ' -f1)" \
  404 "another tenant's availability report"

# a tenant's status: its devices and the shared chain feeding them, nothing else
ids=$(req tenant-operator GET /api/v1/status | cut -d' ' -f2- | jq -r '[.devices[].id] | sort | join(",")')
assert_eq "$ids" "acme-web,crac-a,pdu-a01,ups-a,utility" "tenant-operator's status"
ids=$(req tenant-operator GET "/api/v1/metrics" | cut -d' ' -f2- | jq -r '[.metrics[].device] | unique | map(select(. == "globex-db" or . == "dcmond")) | length')
assert_eq "$ids" 0 "tenant-operator's metrics hold no other device"
# its Prometheus scrape likewise (GET /metrics, tests/integration/test_prometheus.sh)
ids=$(req tenant-operator GET /metrics | cut -d' ' -f2- | grep -Ec 'device="(globex-db|dcmond)"' || true)
assert_eq "$ids" 0 "tenant-operator's /metrics holds no other device"
got=$(req tenant-operator GET "/api/v1/graph?device=globex-db&metric=x")
missing=$(req tenant-operator GET "/api/v1/graph?device=nosuch-obj&metric=x")
assert_eq "${got//globex-db/X}" "${missing//nosuch-obj/X}" "graph of another tenant's device"
for p in /devices/ /portal/devices/; do # pages (test_tenant_portal.sh: in a browser)
  got=$(req tenant-operator GET "${p}globex-db"); missing=$(req tenant-operator GET "${p}nosuch-obj")
  assert_eq "${got//globex-db/X}" "${missing//nosuch-obj/X}" "page $p of another tenant's device"
  got=$(req tenant-operator GET "${p}ups-a"); assert_eq "${got%% *}" 200 "page $p of the shared UPS"
done
assert_eq "$(req wall-all GET /api/v1/status | cut -d' ' -f2- | jq '.devices | length')" 9 "unscoped wall's status"
assert_eq "$(req security-admin GET /wall | cut -d' ' -f1)" 403 "security-admin views no page"
assert_eq "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOK[auditor]}" "$base/api/v1/events")" 403 "auditor opens no event stream"
# a scoped actor's stream: the snapshot of its scope (test_events_scope.sh: the diffs)
stream_ids() {
  curl -s -N -m 2 ${1:+-H "Authorization: Bearer $1"} "$base/api/v1/events" | grep -m1 '^data: ' |
    cut -c7- | jq -r '[.devices[].id] | sort | join(",")'
}
for a in tenant-operator wall; do
  assert_eq "$(stream_ids "${TOK[$a]}")" "acme-web,crac-a,pdu-a01,ups-a,utility" "$a's (scoped) event stream"
done
assert_eq "$(stream_ids "${TOK[wall-all]}" | tr , '\n' | wc -l)" 9 "the unscoped wall's event stream"

# the event store: a tenant finds its own devices' events, not another tenant's (the
# syslog lines only: the logins above are audit events too)
for h in acme-web globex-db; do
  printf '<13>1 2026-12-06T00:00:00Z %s app - - - matrix event of %s' "$h" "$h" >/dev/udp/127.0.0.1/"$syslog_port"
done
events_of() { req "$1" GET "/api/v1/events/search?text=matrix&kind=syslog" | cut -d' ' -f2- | jq -r '[.events[].device] | sort | join(",")'; }
both_stored() { [ "$(events_of noc-operator)" = "acme-web,globex-db" ]; }
wait_until 10 "both events stored" both_stored
assert_eq "$(events_of tenant-operator)" "acme-web" "a tenant's event search"

# ---- local users over the Unix socket ----------------------------------------------------
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
out=$("${as_nobody[@]}" "$DCMON" status --json || true) # exit 3: nothing polled yet
ids=$(jq -r '[.devices[].id] | sort | join(",")' <<<"$out")
assert_eq "$ids" "acme-web,crac-a,pdu-a01,ups-a,utility" "nobody (mapped tenant-operator) over the socket"
rc=0; out=$("${as_nobody[@]}" "$DCMON" user list 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: nobody (tenant-operator) may not accounts-read" "mapped user's refusal"
rc=0; out=$(setpriv --reuid=daemon --regid=nogroup --clear-groups "$DCMON" status 2>&1) || rc=$?
assert_eq "$out" "dcmon: daemon is not mapped to a role (daemon.accounts.local_users)" "unmapped local user"

# ---- a disabled account's token ---------------------------------------------------------
"$DCMON" user disable u-noc-operator >/dev/null
assert_eq "$(req noc-operator POST /api/v1/silences '{}' | cut -d' ' -f1)" 401 "disabled account's token"
"$DCMON" user enable u-noc-operator >/dev/null
"$DCMON" user delete u-wall >/dev/null
assert_eq "$(req wall GET /api/v1/status | cut -d' ' -f1)" 401 \
  "a deleted account's token reads as the anonymous reader: refused once accounts exist"

# ---- the audit log and secrets ------------------------------------------------------------
"$DCMON" audit --action user-add --json | jq -e '[.entries[] | select(.who == "root" and .target == "user:u-noc-admin" and .detail == "role=noc-admin")] | length == 1' >/dev/null \
  || fail "audit of user-add: $("$DCMON" audit --action user-add --json | jq -c .)"
pass "user-add audited with actor and role"
"$DCMON" audit --action silence --json | jq -e '[.entries[] | select(.who == "u-noc-operator" and (.origin | startswith("http:127.0.0.1:")))] | length >= 3' >/dev/null \
  || fail "silences by an account's token: $("$DCMON" audit --action silence --json | jq -c '[.entries[] | {who, origin}]')"
pass "a silence through an account's API token is audited under the account"
stop_dcmond
leaks=0
for s in "${PW[@]}" "${TOK[@]}" victim-password-1 matrix-password-1 matrix-login-password; do
  for f in "$T/dcmond.log" "$T/data/accounts.db" "$T/data/alerts.db"; do
    if grep -qaF -- "$s" "$f"; then echo "secret in $f: $s"; leaks=1; fi
  done
done
[ "$leaks" -eq 0 ] || fail "secrets found"
assert_eq "$(sqlite3 "$T/data/accounts.db" "SELECT count(*) FROM tokens WHERE length(hash) = 64")" "$(sqlite3 "$T/data/accounts.db" "SELECT count(*) FROM tokens")" "tokens held as SHA-256"
pass "no password or token in the log, alerts.db or accounts.db"
done_checks
