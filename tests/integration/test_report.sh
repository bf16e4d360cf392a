#!/usr/bin/env bash
# `dcmon report availability` against a running dcmond (issue 20): a November history
# (a utility outage that took both tenants' servers down under it, a maintenance window
# on the NOC's own test, a note on the incident through the API) written into reports.db
# and alerts.db before the start, as dcmond writes them; the report in text, JSON, HTML
# (checked in headless Chromium: tests/e2e/report.test.js) and PDF (printed by Chromium,
# read back with pdftotext for its figures and for tenant isolation); the note audited;
# a tenant's actor on the Unix socket gets its own report only.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/e2e_lib.sh"
command -v pdftotext >/dev/null || fail "pdftotext missing: run scripts/install-deps.sh"

ms() { echo $(( $(date -u -d "$1" +%s) * 1000 )); }
mkdir -p "$T/data"
{
  daemon_yaml "reports:" 
  cat <<YAML
    target: 99.99
    tenants:
      - {tenant: acme, planned_counts: true, target: 99.9}
YAML
  sed -n '/^tenants:/,$p' "$DCMON_SOURCE_DIR/tests/unit/data/accounts/two_tenants.yaml" |
    sed 's/host: 127.0.0.1, //'
} >"$T/dcmon.yaml"

# November: dcmond ran all month; the utility failed 08:00-08:45 on the 25th and took
# both servers down 08:05-08:40 under it.
sqlite3 "$T/data/reports.db" <<SQL
CREATE TABLE runs(start_ms INTEGER PRIMARY KEY, seen_ms INTEGER NOT NULL);
CREATE TABLE down(id INTEGER PRIMARY KEY, object TEXT NOT NULL, device TEXT NOT NULL,
  start_ms INTEGER NOT NULL, end_ms INTEGER, root TEXT);
INSERT INTO runs VALUES($(ms 2026-10-01), $(ms 2026-12-01));
INSERT INTO down(object, device, start_ms, end_ms, root) VALUES
  ('utility/input_state', 'utility', $(ms '2026-11-25 08:00'), $(ms '2026-11-25 08:45'), NULL),
  ('acme-web/ping_state', 'acme-web', $(ms '2026-11-25 08:05'), $(ms '2026-11-25 08:40'), 'utility'),
  ('globex-db/ping_state', 'globex-db', $(ms '2026-11-25 08:05'), $(ms '2026-11-25 08:40'), 'utility');
SQL
# globex-db's weekly maintenance window, Wednesdays 08:00-09:00 UTC (a recurring silence
# of alerts.db, bit 3 of days): its 35 minutes under the utility on Wednesday the 25th
# are planned.
silences_before_start "$T/data" <<VALUES
('globex-db', 'weekly maintenance', 'alice',
  $(ms 2026-10-01), $(ms 2026-10-01), 0, 8, 480, 540, 'UTC')
VALUES
# The archive around the incident (issue 20: a graph of the root's key values).
archive_around_incident "$T/data/utility/input_state.rrd"
archive_around_incident "$T/data/acme-web/ping_state.rrd"
start_dcmond "$T/dcmon.yaml"

incident="utility@$(ms '2026-11-25 08:00')"
curl -sf --unix-socket "$DCMON_SOCKET" -X POST -d '{"text": "feeder breaker tripped; utility notified"}' \
  "http://dcmond/api/v1/outages/$incident/notes" >"$T/note.json" || fail "POST note"
assert_eq "$(jq -r .incident "$T/note.json")" "$incident" "note kept on the incident"
assert_eq "$(audit_json --target "$incident" | jq -r '.entries[0].action')" "outage-note" \
  "the note is audited"

"$DCMON" report availability --period 2026-11 --format json >"$T/noc.json"
assert_eq "$(jq '.subsystems[] | select(.name == "power") | .unplanned_s' "$T/noc.json")" "2700" \
  "power: the utility's 45 minutes"
assert_eq "$(jq '.devices[] | select(.name == "acme-web") | .unplanned_s' "$T/noc.json")" "2100" \
  "acme-web: 35 minutes"
assert_eq "$(jq '.outages | length' "$T/noc.json")" "1" "the utility outage appears once"
assert_eq "$(jq '.devices[] | select(.name == "globex-db") | [.planned_s, .unplanned_s] | join(",")' "$T/noc.json")" \
  '"2100,0"' "globex-db: its 35 minutes inside its weekly window are planned"
assert_eq "$(jq -r '.outages[0].notes[0].text' "$T/noc.json")" "feeder breaker tripped; utility notified" \
  "the note in the report"

"$DCMON" report availability --period 2026-11 --tenant acme --format text >"$T/acme.txt"
grep -q "root cause: utility" "$T/acme.txt" || fail "tenant text report without the root cause"
grep -qi globex "$T/acme.txt" && fail "the tenant's text report names globex"
pass "tenant text report: root cause shown, no other tenant"

"$DCMON" report availability --period 2026-11 --format html --output "$T/noc.html"
"$DCMON" report availability --period 2026-11 --tenant acme --format html --output "$T/acme.html"
# one PNG per incident, drawn from the root's archive, that decodes as a PNG image
for f in noc acme; do
  grep -o 'data:image/png;base64,[A-Za-z0-9+/=]*' "$T/$f.html" >"$T/$f.graphs"
  assert_eq "$(wc -l <"$T/$f.graphs")" "1" "$f: one graph for its one incident"
  grep -q 'alt="utility/input_state around the incident"' "$T/$f.html" ||
    fail "$f: the graph is not the root's (utility/input_state)"
  sed 's/^data:image\/png;base64,//' "$T/$f.graphs" | base64 -d >"$T/$f.png" ||
    fail "$f: the graph is not base64"
  file "$T/$f.png" | grep -Eq 'PNG image data, [0-9]+ x [0-9]+' ||
    fail "$f: the graph is not a PNG: $(file "$T/$f.png")"
done
pass "HTML reports: the root's graph around the incident, a decodable PNG"
NOC_HTML="$T/noc.html" TENANT_HTML="$T/acme.html" ARTIFACTS="$ART" \
  timeout 120 node "$E2E/report.test.js" || fail "browser test failed"
pass "HTML reports in headless Chromium"

"$DCMON" report availability --period 2026-11 --tenant acme --format pdf --output "$T/acme.pdf" \
  2>"$T/pdf.err" || fail "pdf: $(cat "$T/pdf.err")"
pdftotext -layout "$T/acme.pdf" "$T/acme-pdf.txt"
grep -q "Availability report 2026-11" "$T/acme-pdf.txt" || fail "PDF without its title"
grep -Eq "acme-web +99.9190 % +2100" "$T/acme-pdf.txt" || fail "PDF without acme-web's figures"
grep -q "utility" "$T/acme-pdf.txt" || fail "PDF without the root cause"
grep -qi globex "$T/acme-pdf.txt" && fail "the tenant's PDF names globex"
pass "PDF: figures and root cause read back with pdftotext, no other tenant"
images=$(pdfimages -list "$T/acme.pdf" | awk 'NR > 2 && $3 == "image"' | wc -l)
[ "$images" -ge 1 ] || fail "the PDF holds no image (pdfimages -list: $images)"
pass "PDF: the incident's graph is in it ($images image(s), pdfimages -list)"

code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DCMON_SOCKET" \
  "http://dcmond/api/v1/reports/availability?period=2026-13")
assert_eq "$code" "400" "a bad period is refused"
stop_dcmond
done_checks
