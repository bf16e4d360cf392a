#!/usr/bin/env bash
# The portal's self-service sections (dashboard/web/portal_manage.js) in headless
# Chromium (tests/e2e/tenant_selfservice.test.js) on a real dcmond, with a real SMTP
# sink (aiosmtpd):
#  * a tenant-admin adds a TCP check and an HTTP check (python's http.server) on its own
#    server through the form: both polled, and closing the port fires an alert; a check on another tenant's address is refused
#    with the message next to the address field (and audited);
#  * the admin adds an address in the page: the confirmation mail arrives, an alert does
#    not reach it until the link is followed, the next one does; its severity filter,
#    quiet hours, test e-mail and removal through the page;
#  * a tenant-operator requests a threshold change in the page: pending (and shown so to
#    it and to the approver), not applied; the approver approves it in the page and it
#    applies within an interval; another request rejected with a reason never applies;
#  * which sections and buttons each role sees follows the session's "actions".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user as root over the socket)"; exit 1; }
smtp=$(free_port); http=$(free_port); svc=$(free_port); web=$(free_port)
start_sink "$T/mail" "$smtp"
mkdir -p "$T/www"; echo "hello acme" >"$T/www/index.html"
$PY -m http.server "$web" --bind 127.0.0.1 --directory "$T/www" >"$T/www.log" 2>&1 &
track $!
wait_peer 10 "http.server" $! "$T/www.log" curl -sf "http://127.0.0.1:$web/"
start_ports "$svc"; LIS=$PORTS_PID
close_port() { kill "$LIS"; wait "$LIS" 2>/dev/null || true; }
open_port() { start_ports "$svc"; LIS=$PORTS_PID; }

cat >"$T/dcmon.yaml" <<YAML
$(daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "http: {listen: 127.0.0.1, port: $http}" \
   "accounts: {yescrypt_cost: 5}")
$(smtp_block "$smtp" | sed "s|dashboard_url: .*|dashboard_url: http://127.0.0.1:$http|")
  tenant_layer:
    limits:
      - {tenant: acme, min_interval: 2s, max_checks: 5, targets: [127.0.0.0/29], ports: [$svc, $web]}
tenants:
  - {id: acme}
  - {id: globex}
teams:
  - {id: facility, email: [facility@dc.example]}
devices:
  - {id: globex-db, kind: server, host: 127.0.0.3, tenant: globex, checks: {tcp: [$svc]}}
rules:
  - {name: port-closed, match: {metric: tcp_port_up}, state: {values: [down], severity: critical}}
routes:
  - {name: facility, teams: [facility], group_wait: 1s}
YAML
start_dcmond "$T/dcmon.yaml"
declare -A PW=([admin]=pw-acme-admin-1 [op]=pw-acme-op-1 [appr]=pw-acme-appr-1)
for u in admin:tenant-admin op:tenant-operator appr:tenant-approver; do
  printf '%s\n' "${PW[${u%%:*}]}" | "$DCMON" user add "acme-${u%%:*}" --role "${u#*:}" --tenant acme >/dev/null \
    || fail "user add acme-${u%%:*}"
done
SIM_HTTP_PORT=$http # e2e_run's BASE_URL
browser() { # STEP [NAME=VALUE...]: one step of the browser test
  local step=$1; shift
  e2e_run tenant_selfservice.test.js STEP="$step" SVC="$svc" URL="http://127.0.0.1:$web/" ADMIN_PW="${PW[admin]}" OP_PW="${PW[op]}" \
    APPR_PW="${PW[appr]}" "$@"
}
firing() { api_get /api/v1/alerts | json_check "any(.alerts[]; .device == \"$1\" and .rule == \"$2\" and .state == \"firing\")"; }
alerts_to() { count_to "$T/mail" "$1" '.data | test("Subject: \\[dcmon\\] (CRITICAL|WARNING)")'; }
link_of() {
  msgs "$T/mail" | jq -r --arg a "$1" '[.[] | select(.rcpt_tos | index($a)) | select(.data | test("Subject: \\[dcmon\\] Confirm"))] | last | .data' |
    grep -oE 'http://[^ ]+/api/v1/recipients/confirm\?token=[0-9a-f]+' | tr -d '\r'
}
acct() { "$DCMON" user token "acme-$1" | head -1; }
req() { curl -sf -m 10 -H "Authorization: Bearer $(acct "$1")" "http://127.0.0.1:$http$2"; }

# what each session may do, from core/authz.c's roles: the pages show what these allow
for u in admin:'"view","ack","accounts-read","accounts-manage","self","recipients","layer-request","layer-apply","layer-approve","maintenance","maintenance-approve"' \
         op:'"view","ack","self","layer-request","maintenance"' appr:'"view","ack","self","layer-request","layer-approve","maintenance-approve"'; do
  assert_eq "$(req "${u%%:*}" /api/v1/sessions | jq -c '[.tenant, .actions]')" "[\"acme\",[${u#*:}]]" "acme-${u%%:*}'s actions"
done

# ---- the admin: a port check through the form, a refused one, a new address -------------
browser admin
wait_until 20 "acme-web polled" metric_is acme-web tcp_port_up "$svc" '.value == 1'
pass "the check added in the page is polled: tcp_port_up{port=$svc} = 1"
wait_until 20 "the URL polled" metric_is acme-web http_state "http://127.0.0.1:$web/" '.value == 1'
pass "the URL check added in the page is polled: http_state = 1 (ok, body matched)"
assert_eq "$(status_json | jq -r '.devices[] | select(.id == "acme-web") | .tenant')" acme "the device is acme's"
audit_json --action tenant-refused | jq -e '[.entries[] | select(.detail | contains("127.0.0.3 is the address of another tenant"))] | length >= 1' \
  >/dev/null || fail "the refusal is not in the audit log"
pass "the refused item is audited"
wait_until 15 "confirmation mail to a1" count_is "$T/mail" a1@acme.example 1
link=$(link_of a1@acme.example)
[ -n "$link" ] || fail "no confirmation link in: $(msgs "$T/mail")"
pass "the address added in the page gets its confirmation mail"

close_port
wait_until 20 "port-closed fires on acme-web" firing acme-web port-closed
pass "closing the port fires port-closed on acme-web"
wait_until 20 "the alert mailed to the facility" eval '[ "$(alerts_to facility@dc.example)" -ge 1 ]'
sleep 2 # routed at the same time as the facility's: a1 must not have it
assert_eq "$(alerts_to a1@acme.example)" 0 "alerts to a1 before its link is followed"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$link")" 200 "following the link"
open_port
wait_until 30 "port-closed resolved" eval '! firing acme-web port-closed'
close_port
wait_until 30 "the next alert reaches a1" eval '[ "$(alerts_to a1@acme.example)" -ge 1 ]'
# grep reads the whole message: with -q it would stop at the subject, and jq, still
# writing the message's image, would fail the pipeline (pipefail)
msgs "$T/mail" | jq -r '[.[] | select(.rcpt_tos | index("a1@acme.example"))] | last | .data' |
  grep 'Subject: \[dcmon\] CRITICAL acme-web' >/dev/null || fail "a1's alert is not acme-web's"
pass "after the link, the next alert reaches a1"
open_port

# ---- the operator requests, the admin tunes the address ------------------------------------
browser operator
out=$(req op /api/v1/layer/requests)
rid_up=$(jq -r '[.requests[] | select(.item == "acme-up" and .state == "pending")][0].id' <<<"$out")
rid_rej=$(jq -r '[.requests[] | select(.item == "acme-rej" and .state == "pending")][0].id' <<<"$out")
[ "$rid_up" != null ] && [ "$rid_rej" != null ] || fail "the operator's requests are not pending: $out"
pass "the operator's two changes are pending requests ($rid_up, $rid_rej)"
wait_polls acme-web 3
alerts_json --all | json_check '[.alerts[] | select(.rule == "acme-up" or .rule == "acme-rej")] | length == 0' \
  || fail "a pending change applied: $(alerts_json --all)"
pass "pending: not applied after 3 polls"
wait_until 20 "the test mail to a1" count_is "$T/mail" a1@acme.example 1 '.data | test("Subject: \\[dcmon\\] TEST")'
pass "the test e-mail sent from the page arrives"
rec=$(req admin /api/v1/recipients | jq -c '[.recipients[] | {address, min_severity, quiet}]')
assert_eq "$rec" '[{"address":"a1@acme.example","min_severity":"critical","quiet":{"start":"22:00","end":"06:30","tz":"UTC"}}]' \
  "the filter and quiet hours set in the page; a2 removed in the page"

# ---- the approver decides in the page ---------------------------------------------------------
browser approver RID_UP="$rid_up" RID_REJ="$rid_rej"
wait_until 10 "acme-up fires within an interval (2 s) of the approval" firing acme-web acme-up
pass "the approved threshold applies"
wait_polls acme-web 3
alerts_json --all | json_check '[.alerts[] | select(.rule == "acme-rej")] | length == 0' \
  || fail "the rejected change applied"
pass "rejected: never applied"
assert_eq "$(req op /api/v1/layer/requests | jq -r --argjson i "$rid_rej" '.requests[] | select(.id == $i) | "\(.state):\(.reason)"')" \
  "rejected:too noisy" "the rejection and its reason"
browser operator-after RID_UP="$rid_up" RID_REJ="$rid_rej"
done_checks
