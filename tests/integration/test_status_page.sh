#!/usr/bin/env bash
# The status page (issue 20 item 4) on a synthetic 90-day history written into reports.db
# before the start: a tenant's page (its login) holds its devices and the shared chain
# feeding them and never the other tenant's, through the API and in headless Chromium
# (tests/e2e/status_page.test.js); the public page holds only the components chosen in
# daemon.reports.status_page; 90 daily bars carry each day's availability; an operator's
# note and status updates (investigating .. resolved) on an incident are audited and shown; a secret URL opens acme's page without a
# login, its making and revoking are audited, and it stops after the revoke.
# The portal's Availability section of acme's session shows the API's figures (same test).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

port=$(free_port)
{
  daemon_yaml "http: {listen: 127.0.0.1, port: $port}" "accounts: {yescrypt_cost: 5}" "reports:"
  cat <<YAML
    status_page:
      public: true
      components:
        - {name: Power, devices: [utility, ups-a]}
    tenants:
      - {tenant: acme, planned_counts: true}
YAML
  sed -n '/^tenants:/,$p' "$DCMON_SOURCE_DIR/tests/unit/data/accounts/two_tenants.yaml" |
    sed 's/host: 127.0.0.1, //'
} >"$T/dcmon.yaml"

# Days are UTC; bar 89 is today, bar 89-N is N days ago.  dcmond ran from 60 days ago on
# (bars 0..28 have no data); acme-web was down 36 min 10 days ago, globex-db 14 min 24 s
# 20 days ago, and 30 days ago the utility failed 08:00-08:45 and took acme-web down
# 08:05-08:40 under it.
now=$(date -u +%s); today=$(( now - now % 86400 ))
day() { echo $(( (today - $1 * 86400 + $2) * 1000 )); }  # day N-days-ago SECONDS-into-it
mkdir -p "$T/data"
sqlite3 "$T/data/reports.db" <<SQL
CREATE TABLE runs(start_ms INTEGER PRIMARY KEY, seen_ms INTEGER NOT NULL);
CREATE TABLE down(id INTEGER PRIMARY KEY, object TEXT NOT NULL, device TEXT NOT NULL,
  start_ms INTEGER NOT NULL, end_ms INTEGER, root TEXT);
INSERT INTO runs VALUES($(day 60 0), $(( now * 1000 )));
INSERT INTO down(object, device, start_ms, end_ms, root) VALUES
  ('acme-web/ping_state', 'acme-web', $(day 10 3600), $(day 10 5760), NULL),
  ('globex-db/ping_state', 'globex-db', $(day 20 3600), $(day 20 4464), NULL),
  ('utility/input_state', 'utility', $(day 30 28800), $(day 30 31500), NULL),
  ('acme-web/ping_state', 'acme-web', $(day 30 29100), $(day 30 31200), 'utility'),
  ('acme-web/ping_state', 'acme-web', $(day 40 7200), $(day 40 9000), NULL);
SQL
# 40 days ago acme-web was down 30 min inside a maintenance window (a one-off silence of
# alerts.db): planned, which acme's policy counts against its SLA and the section's not.
silences_before_start "$T/data" <<VALUES
('acme-web', 'maintenance', 'alice', $(day 41 0), $(day 40 7200),
  $(day 40 10800), 0, 0, 0, NULL)
VALUES
start_dcmond "$T/dcmon.yaml"
base="http://127.0.0.1:$port"
echo "acme-status-password-1" | "$DCMON" user add acme-op --role tenant-operator --tenant acme >/dev/null \
  || fail "user add acme-op"
curl -sf -c "$T/acme.jar" -H 'Content-Type: application/json' \
  --data '{"name":"acme-op","password":"acme-status-password-1"}' "$base/api/v1/login" >/dev/null \
  || fail "acme-op's login"

# ---- an operator's note on the utility outage, audited first --------------------------
incident="utility@$(day 30 28800)"
curl -sf --unix-socket "$DCMON_SOCKET" -X POST -d '{"text": "feeder breaker tripped"}' \
  "http://dcmond/api/v1/outages/$incident/notes" >/dev/null || fail "POST note"
assert_eq "$(audit_json --target "$incident" | jq -r '.entries[0].action')" "outage-note" \
  "the incident note is audited"

# status updates on it: investigating, then resolved, each audited
for u in investigating:feeder\ tripped resolved:power\ restored; do
  curl -sf --unix-socket "$DCMON_SOCKET" -X POST -d "{\"status\": \"${u%%:*}\", \"text\": \"${u#*:}\"}" \
    "http://dcmond/api/v1/status-updates/$incident" >/dev/null || fail "POST status update ${u%%:*}"
done
assert_eq "$(audit_json --target "$incident" | jq -r '[.entries[] | select(.action == "status-update") | .detail] | sort | join(",")')" \
  "investigating: feeder tripped,resolved: power restored" "the status updates are audited"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DCMON_SOCKET" -X POST \
  -d '{"status": "fixed", "text": "x"}' "http://dcmond/api/v1/status-updates/$incident")" 400 \
  "an unknown update status is refused"

# ---- the tenant's page through the API --------------------------------------------------
curl -sf -b "$T/acme.jar" "$base/api/v1/status-page" >"$T/acme.json" || fail "acme's status page"
assert_eq "$(jq -r '[.components[].name] | sort | join(",")' "$T/acme.json")" \
  "acme-web,crac-a,pdu-a01,ups-a,utility" "acme's components: its devices and the shared chain"
grep -qi globex "$T/acme.json" && fail "acme's status page names globex: $(cat "$T/acme.json")"
bars() { jq -r --arg c "$2" '.components[] | select(.name == $c) | [.days[] | .availability // "none"] | map(tostring) | join(" ")' "$1"; }
web=($(bars "$T/acme.json" acme-web))
assert_eq "${#web[@]}" 90 "90 daily bars"
assert_eq "$(printf '%s\n' "${web[@]:0:29}" | sort -u)" "none" "no data before dcmond ran (bars 0..28)"
assert_eq "${web[29]}" 1 "60 days ago: dcmond ran all day, nothing down"
assert_eq "${web[59]}" 0.9756944444444444 "30 days ago: 35 min under the utility"
assert_eq "${web[79]}" 0.975 "10 days ago: 36 min down"
assert_eq "${web[49]}" 0.9791666666666666 "40 days ago: 30 min planned, counted by acme's own policy"
curl -sf --unix-socket "$DCMON_SOCKET" "http://dcmond/api/v1/status-page" >"$T/noc.json" || fail "the NOC's page"
assert_eq "$(bars "$T/noc.json" acme-web | cut -d' ' -f50)" 1 "the NOC's page: the section's policy (planned not counted)"
assert_eq "$(jq '[.outages[] | .id] | length' "$T/acme.json")" 3 "acme's incidents: its own two and the utility's"

# a past day's bar follows its history: a span written for 50 days ago after the page
# was computed (as a restart closing a crashed run's span would) shows on the next one
assert_eq "${web[39]}" 1 "50 days ago: nothing down yet"
sqlite3 "$T/data/reports.db" "INSERT INTO down(object, device, start_ms, end_ms, root) VALUES
  ('acme-web/ping_state', 'acme-web', $(day 50 3600), $(day 50 4464), NULL)"
curl -sf -b "$T/acme.jar" "$base/api/v1/status-page" >"$T/acme2.json" || fail "acme's page again"
web2=($(bars "$T/acme2.json" acme-web))
assert_eq "${web2[39]}" 0.99 "50 days ago after the history changed: 14 min 24 s down"
assert_eq "$(jq -r --arg i "$incident" '.outages[] | select(.id == $i) | .notes[0].text' "$T/acme.json")" \
  "feeder breaker tripped" "the note on the incident"
assert_eq "$(jq -r --arg i "$incident" '[.outages[] | select(.id == $i) | .updates[].status] | join(",")' "$T/acme.json")" \
  "investigating,resolved" "the incident's status updates, in order"

# ---- the public page: the chosen components only, to anyone -----------------------------
curl -sf "$base/api/v1/status-page/public" >"$T/public.json" || fail "public status page"
assert_eq "$(jq -r '[.components[].name] | join(",")' "$T/public.json")" "Power" "only the chosen component"
assert_eq "$(bars "$T/public.json" Power | cut -d' ' -f60)" 0.96875 "Power 30 days ago: the utility's 45 min"
assert_eq "$(jq -c '[.outages[] | .notes[] | keys]' "$T/public.json")" '[["text","time"]]' \
  "the public page shows the note, not which operator wrote it"
grep -Eqi 'globex|acme' "$T/public.json" && fail "the public page names a tenant's object: $(cat "$T/public.json")"
pass "public page: only Power, its bars from the utility's outage, no tenant object"

# ---- a secret URL of acme's page ----------------------------------------------------------
curl -sf --unix-socket "$DCMON_SOCKET" -X POST -d '{"tenant": "acme"}' \
  "http://dcmond/api/v1/status-tokens" >"$T/token.json" || fail "POST status-tokens"
url=$(jq -r .url "$T/token.json"); id=$(jq -r .id "$T/token.json")
token=${url#/status/s/}
[ "${#token}" = 48 ] || fail "a 48-digit secret in the URL: $url"
grep -q "$token" "$T/data/status.db" && fail "the secret is kept in clear in status.db"
curl -sf "$base/api/v1/status-page/s/$token" >"$T/secret.json" || fail "the secret URL without a login"
assert_eq "$(jq -r '[.components[].name] | sort | join(",")' "$T/secret.json")" \
  "acme-web,crac-a,pdu-a01,ups-a,utility" "the secret URL: acme's page"
assert_eq "$(audit_json --target acme | jq -r '[.entries[].action] | join(",")')" "status-token-add" \
  "making the secret URL is audited"

# ---- in headless Chromium ----------------------------------------------------------------
SIM_HTTP_PORT=$port
e2e_run status_page.test.js ACME_PASSWORD=acme-status-password-1 SECRET_URL="$url"

curl -sf --unix-socket "$DCMON_SOCKET" -X DELETE "http://dcmond/api/v1/status-tokens/$id" >/dev/null \
  || fail "revoke the secret URL"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/status-page/s/$token")" 404 \
  "the secret URL stops after the revoke"
assert_eq "$(audit_json --target acme | jq -r '[.entries[].action] | sort | join(",")')" \
  "status-token-add,status-token-revoke" "the revoke is audited"

# ---- a page of more devices than daemon.reports.status_page.max_own_components ------------
sed -i 's/      public: true/      public: true\n      max_own_components: 5/' "$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
wait_until 15 "the reload" eval '[ "$(grep -c "reloaded:" "$T/dcmond.log")" -ge 1 ]'
code=$(curl -s -o "$T/many.json" -w '%{http_code}' --unix-socket "$DCMON_SOCKET" "http://dcmond/api/v1/status-page")
assert_eq "$code $(jq -r .error "$T/many.json")" "422 9 devices: a status page of one's devices shows at most 5 (daemon.reports.status_page.max_own_components); publish components in daemon.reports.status_page" \
  "the NOC's page of 9 devices past max_own_components: 5"
curl -sf -b "$T/acme.jar" "$base/api/v1/status-page" >"$T/acme3.json" || fail "acme's page of 5"
assert_eq "$(jq '.components | length' "$T/acme3.json")" 5 "acme's page of 5 devices within it"
stop_dcmond
done_checks
