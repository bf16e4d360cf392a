#!/usr/bin/env bash
# The tenant portal (/portal, /portal/devices/ID) on the demo data center (etc/demo served
# by dcmon-sim), two tenants side by side, each logged in through /login:
#  * the API a session reads: its own devices ("scope": "own") and the shared
#    infrastructure feeding them ("shared": UPS chain, room cooling and sensors), never
#    the other tenant's; an ack of a shared device's alert is 403, of the other tenant's
#    404; another tenant's device page (/portal/devices/ID, /devices/ID) answers 404
#    exactly like a missing device;
#  * in headless Chromium (tests/e2e/tenant_portal.test.js): acme's pages on a phone
#    screen list its devices with values, the shared UPS/ATS/cooling read only (no ack
#    button), inlet temperatures, its alerts with history and a working ack, its device
#    page with graphs; globex's session (wall and portal) never shows an acme name;
#  * the ack made in the browser is the alert's, by the account, through the API.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

# Alerts that fire at the first poll: one per tenant, one on the shared UPS.
portal_rules() {
  sed -i '/^rules:/a\
  - {name: portal-acme, match: {device: acme-web-1, metric: cpu_used_percent}, above: {warn: -1}, summary: acme cpu test}\
  - {name: portal-globex, match: {device: globex-app-1, metric: cpu_used_percent}, above: {warn: -1}, summary: globex cpu test}\
  - {name: portal-shared, match: {device: ups-1, metric: battery_charge_percent}, above: {warn: -1}, summary: shared ups test}' "$1"
}
SIM_HTTP_PORT=$(free_port)
SIM_EDIT=portal_rules sim_start
sim_wait_polled
base="http://127.0.0.1:$SIM_HTTP_PORT"

declare -A PW=([acme]="acme-op-password-1" [globex]="globex-op-password-1")
for t in acme globex; do
  printf '%s\n' "${PW[$t]}" | "$DCMON" user add "$t-op" --role tenant-operator --tenant "$t" >/dev/null \
    || fail "user add $t-op"
done

# login TENANT: a web session's cookie jar in $T/TENANT.jar and its CSRF token in $T/TENANT.csrf
login() {
  curl -sf -c "$T/$1.jar" -H 'Content-Type: application/json' \
    --data "{\"name\":\"$1-op\",\"password\":\"${PW[$1]}\"}" "$base/api/v1/login" | jq -r .csrf >"$T/$1.csrf"
}
# as TENANT METHOD PATH [BODY]: prints "STATUS BODY" of a request on its session
as() {
  local t=$1 method=$2 path=$3 body=${4:-} h=()
  [ "$method" != GET ] && h=(-H "X-CSRF-Token: $(cat "$T/$t.csrf")" -H 'Content-Type: application/json' --data "${body:-{\}}")
  curl -s -m 10 -b "$T/$t.jar" -o "$T/body" -w '%{http_code}' -X "$method" "${h[@]}" "$base$path"
  printf ' %s' "$(cat "$T/body")"
}
body() { cut -d' ' -f2-; }
# code_of TENANT METHOD PATH [BODY]: the status alone
code_of() { local r; r=$(as "$@"); echo "${r%% *}"; }
login acme; login globex

# ---- the API of a session: own and shared, nothing of the other tenant --------------
scopes() { as "$1" GET "/api/v1/status?metrics=0" | body | jq -r '[.devices[] | "\(.id)=\(.scope)"] | sort | join(" ")'; }
shared="ats-1=shared crac-h1-1=shared crac-h1-2=shared crac-h2-1=shared crac-h2-2=shared env-h1=shared env-h2=shared gen-1=shared gen-2=shared ups-1=shared ups-2=shared utility=shared"
sorted() { tr ' ' '\n' | sort | paste -sd ' '; }
assert_eq "$(scopes acme)" "$(echo "acme-db-1=own acme-web-1=own pdu-h1-r01=own pdu-h2-r01=own rack-h1-r01=own rack-h2-r01=own $shared" | sorted)" \
  "acme's devices and the shared infrastructure feeding them, each with its scope"
assert_eq "$(scopes globex)" "$(echo "globex-app-1=own globex-app-2=own pdu-h1-r02=own pdu-h2-r02=own rack-h1-r02=own rack-h2-r02=own $shared" | sorted)" \
  "globex's devices and the shared infrastructure feeding them, each with its scope"
assert_eq "$(api_get /api/v1/devices/ups-1 | jq 'has("scope")')" "false" "an unscoped reader's devices carry no scope"

alert_id() { api_get /api/v1/alerts | jq -r --arg d "$1" '[.alerts[] | select(.device == $d and (.rule | startswith("portal-")) and .state == "firing") | .id][0] // empty'; }
portal_alerts_firing() {
  api_get /api/v1/alerts | json_check '[.alerts[] | select((.rule | startswith("portal-")) and .state == "firing")] | length == 3'
}
wait_until 30 "the three test alerts firing" portal_alerts_firing
a_acme=$(alert_id acme-web-1); a_globex=$(alert_id globex-app-1); a_ups=$(alert_id ups-1)
assert_eq "$(as acme GET /api/v1/alerts | body | jq -r '[.alerts[] | select(.rule | startswith("portal-")) | .device] | sort | join(",")')" \
  "acme-web-1,ups-1" "acme's alerts: its own and the shared UPS's"
assert_eq "$(code_of acme POST "/api/v1/alerts/$a_ups/ack" '{"comment":"x"}')" 403 "acme acks the shared UPS's alert: 403"
got=$(as acme POST "/api/v1/alerts/$a_globex/ack" '{"comment":"x"}')
missing=$(as acme POST /api/v1/alerts/999999/ack '{"comment":"x"}')
# the status apart from the body: an id such as 4 would otherwise be replaced inside "404"
assert_eq "${got%% *} ${missing%% *}" "404 404" "acme acks globex's alert: 404, as a missing alert"
got=${got#* }; missing=${missing#* }
assert_eq "${got//$a_globex/N}" "${missing//999999/N}" "acme acks globex's alert: the body of a missing alert's"

# ---- pages: another tenant's device page is a missing one ------------------------------
for p in /portal/devices/ /devices/; do
  got=$(as globex GET "${p}acme-web-1"); missing=$(as globex GET "${p}nosuch-device")
  assert_eq "${got%% *}" 404 "globex asks $p of acme-web-1"
  assert_eq "${got//acme-web-1/X}" "${missing//nosuch-device/X}" "globex's $p of acme-web-1 answers like a missing device"
  assert_eq "$(code_of acme GET "${p}acme-web-1")" 200 "acme's own $p page"
  assert_eq "$(code_of acme GET "${p}ups-1")" 200 "acme's $p page of the shared UPS"
done
assert_eq "$(code_of acme GET /portal)" 200 "the portal page"
assert_eq "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$base/devices/acme-web-1")" "303 $base/login" \
  "with accounts, an anonymous reader's device page goes to the login (http.anonymous: auto)"

# ---- the browser -------------------------------------------------------------------------
own_names() { as "$1" GET "/api/v1/status?metrics=0" | body | jq -r '[.devices[] | select(.scope == "own") | .id] | join(" ")'; }
e2e_run tenant_portal.test.js A_USER=acme-op A_PW="${PW[acme]}" B_USER=globex-op B_PW="${PW[globex]}" \
  A_OWN="$(own_names acme)" B_OWN="$(own_names globex)" A_ALERT="$a_acme" UPS_ALERT="$a_ups"

# the ack made in the browser, as the API gives it
ack=$(api_get "/api/v1/alerts/$a_acme" | jq -c '{acked, by: .ack.by, comment: .ack.comment}')
assert_eq "$ack" '{"acked":true,"by":"acme-op","comment":"seen from the portal"}' "acme's alert acked in the browser"
assert_eq "$(api_get "/api/v1/alerts/$a_ups" | jq .acked)" false "the shared UPS's alert not acked"
assert_eq "$(api_get "/api/v1/alerts/$a_globex" | jq .acked)" false "globex's alert not acked"
audit=$(audit_json --action ack | jq -r --arg t "alert:$a_acme" '[.entries[] | select(.target == $t) | .who] | join(",")')
assert_eq "$audit" "acme-op" "the ack in the audit log, by the account"
sim_report
done_checks
