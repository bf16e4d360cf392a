#!/usr/bin/env bash
# A tenant's own alert recipients against a real SMTP server (aiosmtpd) and a real
# dcmond over HTTP: a tenant-admin adds an address, the confirmation mail arrives with
# a link, the address gets no alert before the link is followed and the next one after;
# the severity filter and quiet hours (a window around now: critical still goes
# through), the test e-mail, an expired and a reused link refused, another tenant's
# recipient never mailed this tenant's alert nor reachable by its admin, each change
# audited without the address, and `dcmon recipients` for the NOC.  A device in the
# tenant's rack, naming no tenant itself, is the tenant's: its alert reaches the address.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

smtp_port=$(free_port); http=$(free_port)
p1=$(free_port); p2=$(free_port); p3=$(free_port); p4=$(free_port); pg=$(free_port); pr=$(free_port)
start_sink "$T/mail" "$smtp_port"
declare -A LIS
for p in $p1 $p2 $p3 $p4 $pg $pr; do start_ports "$p"; LIS[$p]=$PORTS_PID; done
close_port() { kill "${LIS[$1]}"; wait "${LIS[$1]}" 2>/dev/null || true; }
token=$(head -c 24 /dev/urandom | base64); printf '%s\n' "$token" >"$T/token"; chmod 600 "$T/token"

# the new smtp keys are checked like the others, at their file:line:col
{ daemon_yaml; smtp_block "$smtp_port" "    tenant_mail_limit: 0"; } >"$T/dcmon.yaml"
config_error_at tenant_mail_limit ".*tenant_mail_limit.*1\.\.1000"

cat >"$T/dcmon.yaml" <<YAML
$(daemon_yaml "http: {listen: 127.0.0.1, port: $http, token_file: $T/token}" "accounts: {yescrypt_cost: 5}")
$(smtp_block "$smtp_port" "    tenant_mail_limit: 4" | sed "s|dashboard_url: .*|dashboard_url: http://127.0.0.1:$http|")
tenants:
  - {id: acme}
  - {id: globex}
teams:
  - {id: facility, email: [facility@dc.example]}
sites:
  - {id: s1, rooms: [{id: r1, racks: [{id: a01, tenant: acme}]}]}
devices:
  - {id: acme-crit, kind: server, host: 127.0.0.1, tenant: acme, checks: {tcp: [$p1, $p4]}}
  - {id: acme-warn, kind: server, host: 127.0.0.1, tenant: acme, checks: {tcp: [$p2, $p3]}}
  - {id: globex-web, kind: server, host: 127.0.0.1, tenant: globex, checks: {tcp: [$pg]}}
  - {id: rack-crit, kind: server, host: 127.0.0.1, checks: {tcp: [$pr]},
     location: {site: s1, room: r1, rack: a01}}
rules:
  - {name: crit-closed, match: {device: "*-crit", metric: tcp_port_up}, state: {values: [down], severity: critical}}
  - {name: warn-closed, match: {device: "acme-warn", metric: tcp_port_up}, state: {values: [down], severity: warning}}
  - {name: web-closed, match: {device: "globex-web", metric: tcp_port_up}, state: {values: [down], severity: critical}}
routes:
  - {name: facility, teams: [facility], group_wait: 1s}
YAML
start_dcmond "$T/dcmon.yaml"
for dp in acme-crit:$p1 acme-warn:$p2 acme-warn:$p3 acme-crit:$p4 globex-web:$pg rack-crit:$pr; do
  wait_until 15 "port ${dp#*:} up" metric_is "${dp%%:*}" tcp_port_up "${dp#*:}" '.value == 1'
done
declare -A TOK
for t in acme globex; do
  TOK[$t]=$(account_token "$t-admin" tenant-admin "$t" "pw-$t-admin-12345")
done
TOK[acme-op]=$(account_token acme-op tenant-operator acme pw-acme-operator-1)
base="http://127.0.0.1:$http"
# req WHO METHOD PATH [BODY]: prints "STATUS BODY"
req() {
  local h=(-H "Authorization: Bearer ${TOK[$1]}")
  [ -n "${4:-}" ] && h+=(-H "Content-Type: application/json" --data "$4")
  curl -s -m 10 -o "$T/body" -w '%{http_code}' -X "$2" "${h[@]}" "$base$3"; printf ' %s' "$(cat "$T/body")"
}
# link_of ADDR: the confirmation link of the newest confirmation mail to ADDR
link_of() {
  msgs "$T/mail" | jq -r --arg a "$1" '[.[] | select(.rcpt_tos | index($a)) | select(.data | test("Subject: \\[dcmon\\] Confirm"))] | last | .data' |
    grep -oE 'http://[^ ]+/api/v1/recipients/confirm\?token=[0-9a-f]+' | tr -d '\r'
}
alerts_to() { count_to "$T/mail" "$1" '.data | test("Subject: \\[dcmon\\] (CRITICAL|WARNING)")'; }

# ---- add: confirmation mail, no alert before confirming ----------------------------------
out=$(req acme-op POST /api/v1/recipients '{"address":"a1@acme.example"}')
assert_eq "${out%% *}" 403 "a tenant-operator adding a recipient"
out=$(req acme POST /api/v1/recipients '{"address":"a1@acme.example"}')
assert_eq "${out%% *}" 201 "tenant-admin adds a1 ($out)"
id_a1=$(jq -r .recipient.id <<<"${out#* }")
assert_eq "$(jq -r .recipient.confirmed <<<"${out#* }")" false "a new address is unconfirmed"
out=$(req acme POST /api/v1/recipients '{"address":"a1@acme.example","tenant":"globex"}')
assert_eq "${out%% *}" 404 "tenant-admin naming another tenant"
wait_until 15 "confirmation mail to a1" count_is "$T/mail" a1@acme.example 1
link=$(link_of a1@acme.example)
[ -n "$link" ] || fail "no confirmation link in: $(msgs "$T/mail")"
pass "confirmation mail arrives with a link: ${link%%token=*}token=..."
# grep reads the files itself: `cat | grep -q` under pipefail would turn a found token
# into cat's SIGPIPE, a failed pipeline, and no failure reported
grep -qaF "${link##*token=}" "$T/data/recipients.db"* && fail "the token in clear in recipients.db"
grep -qaF "${link##*token=}" "$T/dcmond.log" && fail "the token in the log"
pass "the token is stored hashed, and not logged"

out=$(req globex POST /api/v1/recipients '{"address":"g1@globex.example"}')
g1=$(jq -r .recipient.id <<<"${out#* }")
wait_until 15 "confirmation mail to g1" count_is "$T/mail" g1@globex.example 1
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$(link_of g1@globex.example)")" 200 "g1 confirms"

close_port "$p1"
wait_until 20 "alert on acme-crit mailed to the facility" count_is "$T/mail" facility@dc.example 1
sleep 2 # the notifier routed it at the same time: a1 must not have it
assert_eq "$(alerts_to a1@acme.example)" 0 "alerts to a1 before confirming"

# ---- confirm; the next alert reaches it; a reused or expired link is refused ----------------
out=$(curl -s -w ' %{http_code}' "$link")
assert_eq "${out##* }" 200 "following the link ($out)"
out=$(curl -s -w ' %{http_code}' "$link")
assert_eq "$out" '{"error":"unknown or already used confirmation link"} 404' "the link used again"
out=$(req acme POST /api/v1/recipients '{"address":"a2@acme.example"}')
wait_until 15 "confirmation mail to a2" count_is "$T/mail" a2@acme.example 1
sqlite3 "$T/data/recipients.db" "UPDATE recipients SET token_expires_ms = 1 WHERE addr = 'a2@acme.example'"
out=$(curl -s -w ' %{http_code}' "$(link_of a2@acme.example)")
assert_eq "${out##* }" 410 "an expired link ($out)"
pass "a reused link answers 404, an expired one 410"

close_port "$p2"
wait_until 20 "warning mailed to a1 after confirming" eval '[ "$(alerts_to a1@acme.example)" = 1 ]'
# grep reads the whole message: with -q it would stop at the subject, and jq, still
# writing the message's image, would fail the pipeline (pipefail)
msgs "$T/mail" | jq -r '[.[] | select(.rcpt_tos | index("a1@acme.example"))] | last | .data' |
  grep 'Subject: \[dcmon\] WARNING acme-warn' >/dev/null || fail "a1's alert is not acme-warn's warning"
pass "after confirming, the next alert reaches a1"

# ---- quiet hours around now (UTC): a warning waits out, a critical goes through -----------
from=$(date -u -d '-1 hour' +%H:00); to=$(date -u -d '+2 hour' +%H:00)
out=$(req acme POST "/api/v1/recipients/$id_a1" "{\"quiet\":{\"start\":\"$from\",\"end\":\"$to\",\"tz\":\"UTC\"}}")
assert_eq "${out%% *}" 200 "quiet hours set ($out)"
close_port "$p3"
wait_until 20 "p3 alert reaches the facility" eval '[ "$(alerts_to facility@dc.example)" -ge 3 ]'
close_port "$p4"
wait_until 20 "critical through quiet hours to a1" eval '[ "$(alerts_to a1@acme.example)" = 2 ]'
msgs "$T/mail" | jq -r '[.[] | select(.rcpt_tos | index("a1@acme.example"))] | last | .data' |
  grep 'Subject: \[dcmon\] CRITICAL acme-crit' >/dev/null || fail "a1's second alert is not the critical one"
pass "in quiet hours a warning is held back and a critical goes through"

# ---- severity filter: critical only; the globex alert never reaches acme -------------------
out=$(req acme POST "/api/v1/recipients/$id_a1" '{"min_severity":"critical","quiet":null}')
assert_eq "$(jq -r .recipient.min_severity <<<"${out#* }")" critical "filter set"
close_port "$pg"
wait_until 20 "globex alert mailed to g1" eval '[ "$(alerts_to g1@globex.example)" = 1 ]'
sleep 2
assert_eq "$(alerts_to a1@acme.example)" 2 "alerts to a1 (no globex alert)"
assert_eq "$(alerts_to g1@globex.example)" 1 "alerts to g1 (no acme alert ever)"
pass "a tenant never receives another tenant's alert"

# ---- a device in acme's rack that names no tenant is acme's --------------------------------
close_port "$pr"
wait_until 20 "the racked device's alert mailed to a1" eval '[ "$(alerts_to a1@acme.example)" = 3 ]'
msgs "$T/mail" | jq -r '[.[] | select(.rcpt_tos | index("a1@acme.example"))] | last | .data' |
  grep 'Subject: \[dcmon\] CRITICAL rack-crit' >/dev/null || fail "a1's third alert is not rack-crit's"
assert_eq "$(alerts_to g1@globex.example)" 1 "alerts to g1 (not acme's racked device)"
pass "a device in the tenant's rack, naming no tenant itself, mails the tenant's address"

# ---- test e-mail; another tenant's recipient is hidden --------------------------------------
out=$(req acme POST "/api/v1/recipients/$id_a1/test")
assert_eq "${out%% *}" 202 "test e-mail ($out)"
wait_until 15 "test mail to a1" count_is "$T/mail" a1@acme.example 1 '.data | test("Subject: \\[dcmon\\] TEST message for tenant acme")'
other=$(req acme DELETE "/api/v1/recipients/$g1"); missing=$(req acme DELETE /api/v1/recipients/999999)
assert_eq "${other%% *}" "${missing%% *}" "another tenant's recipient: a missing one's status"
# the body apart from the status: an id such as 4 would otherwise be replaced inside "404"
other_body=${other#* }; missing_body=${missing#* }
assert_eq "${other_body//$g1/X}" "${missing_body//999999/X}" "another tenant's recipient: a missing one's body"
assert_eq "${other%% *}" 404 "acme deleting globex's recipient"
list=$(req acme GET /api/v1/recipients)
assert_eq "$(jq -r '[.recipients[].address] | join(",")' <<<"${list#* }")" "a1@acme.example,a2@acme.example" "acme's list"
list=$(req acme GET /api/v1/recipients?tenant=globex)
assert_eq "${list%% *}" 404 "acme listing globex's recipients"

# ---- confirmation and test mails per tenant per hour: the 4th goes, the 5th is refused -------
out=$(req acme POST /api/v1/recipients '{"address":"a3@acme.example"}')
assert_eq "${out%% *}" 201 "acme's 4th mail of the hour (a3)"
out=$(req acme POST /api/v1/recipients '{"address":"a4@acme.example"}')
assert_eq "$out" '429 {"error":"tenant acme sent 4 confirmation or test mails within the hour (smtp.tenant_mail_limit): try later"}' "acme's 5th mail"
out=$(req globex POST /api/v1/recipients '{"address":"g2@globex.example"}')
assert_eq "${out%% *}" 201 "globex has its own limit"
wait_until 15 "confirmation mail to a3" count_is "$T/mail" a3@acme.example 1
assert_eq "$(count_to "$T/mail" a4@acme.example)" 0 "mails to a4"
assert_eq "$(sqlite3 "$T/data/recipients.db" "SELECT count(*) FROM recipients WHERE addr = 'a4@acme.example'")" 0 "a4 stored"

# ---- the NOC's view, audit, removal -----------------------------------------------------------
"$DCMON" recipients acme | grep -qE "^$id_a1 +acme +a1@acme.example +critical +yes" || fail "dcmon recipients: $("$DCMON" recipients acme)"
assert_eq "$("$DCMON" recipients globex --json | jq -r '.recipients[0].address')" g1@globex.example "dcmon recipients --json"
out=$(req acme DELETE "/api/v1/recipients/$id_a1")
assert_eq "${out%% *}" 200 "removing a1"
actions=$(audit_json | jq -r '[.entries[] | select(.action | startswith("recipient-")) | .action] | join(",")')
assert_eq "$actions" "recipient-add,recipient-add,recipient-confirm,recipient-confirm,recipient-add,recipient-change,recipient-change,recipient-test,recipient-add,recipient-add,recipient-remove" "audited changes"
audit_json | grep -q 'a1@acme' && fail "an address in the audit log"
# the log names a recipient where delivery always did (a message sent to it), not more
grep 'a1@acme' "$T/dcmond.log" | grep -v 'sub=notify msg="message [0-9]* ' && fail "an address in the log"
grep -q 'sub=audit msg="recipient-add recipient:[0-9]* by acme-admin .*: tenant acme, a\*\*\*@acme.example' "$T/dcmond.log" ||
  fail "no masked audit line"
pass "each change audited, the address masked in the audit and not logged beyond delivery"
done_checks
