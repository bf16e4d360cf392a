#!/usr/bin/env bash
# The monthly report mail (issue 20 item 3) on a wall clock the test moves (libfaketime):
# dcmond runs on 2026-11-30 and mails nothing; at the first tick of December the
# November report goes, through the spool, to the NOC's route (everything) and to each
# tenant's own addresses (its contact's and its confirmed recipients, not an
# unconfirmed one), each tenant's holding its objects only; as HTML with the text
# version.  The SMTP sink refuses at first: the messages wait in the spool across a
# restart of dcmond and are delivered once it accepts, and the month is not built again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

smtp=$(free_port)
start_sink "$T/sink" "$smtp"
echo tempfail >"$T/sink/control"
{
  daemon_yaml "reports:"
  cat <<YAML
    monthly_mail: {noc_route: noc}
$(smtp_block "$smtp")
YAML
  sed -n '/^tenants:/,$p' "$DCMON_SOURCE_DIR/tests/unit/data/accounts/two_tenants.yaml" |
    sed 's/host: 127.0.0.1, //'
  cat <<YAML
teams:
  - {id: noc, email: [noc@dc.example]}
routes:
  - {name: noc, teams: [noc]}
YAML
} >"$T/dcmon.yaml"

ms() { echo $(( $(date -u -d "$1" +%s) * 1000 )); }
# to FAKE-TIME: the faketime offset that puts dcmond's wall clock there now
to() { local off=$(( $(date -u -d "$1" +%s) - $(date -u +%s) )); step "$( ((off >= 0)) && echo +)$off"; }

# October was mailed; November: the utility took acme-web down under it, globex-db had
# an outage of its own.
mkdir -p "$T/data"
sqlite3 "$T/data/reports.db" <<SQL
CREATE TABLE runs(start_ms INTEGER PRIMARY KEY, seen_ms INTEGER NOT NULL);
CREATE TABLE down(id INTEGER PRIMARY KEY, object TEXT NOT NULL, device TEXT NOT NULL,
  start_ms INTEGER NOT NULL, end_ms INTEGER, root TEXT);
CREATE TABLE mailed(month TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL);
INSERT INTO runs VALUES($(ms 2026-10-01), $(ms '2026-11-30 11:59'));
INSERT INTO mailed VALUES('2026-10', $(ms 2026-11-01));
INSERT INTO down(object, device, start_ms, end_ms, root) VALUES
  ('utility/input_state', 'utility', $(ms '2026-11-25 08:00'), $(ms '2026-11-25 08:45'), NULL),
  ('acme-web/ping_state', 'acme-web', $(ms '2026-11-25 08:05'), $(ms '2026-11-25 08:40'), 'utility'),
  ('globex-db/ping_state', 'globex-db', $(ms '2026-11-12 10:00'), $(ms '2026-11-12 10:30'), NULL);
SQL
sqlite3 "$T/data/recipients.db" <<SQL
CREATE TABLE recipients(id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, addr TEXT NOT NULL
  COLLATE NOCASE, min_severity INTEGER NOT NULL DEFAULT 0, quiet_start INTEGER NOT NULL
  DEFAULT -1, quiet_end INTEGER NOT NULL DEFAULT -1, tz TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL, confirmed_ms INTEGER NOT NULL DEFAULT 0, token_hash TEXT,
  token_expires_ms INTEGER NOT NULL DEFAULT 0, UNIQUE(tenant, addr));
INSERT INTO recipients(tenant, addr, created_ms, confirmed_ms) VALUES
  ('acme', 'ops@acme.example', $(ms 2026-11-01), $(ms 2026-11-01)),
  ('acme', 'pending@acme.example', $(ms 2026-11-01), 0);
SQL

# the utility's values around its outage: the HTML carries their graph as an inline image
archive_around_incident "$T/data/utility/input_state.rrd"

use_faketime
to '2026-11-30 12:00:00'
start_dcmond "$T/dcmon.yaml"
wait_until 20 "dcmond's clock on November 30" grep -q 'ts=2026-11-30T12:' "$T/dcmond.log"
sleep 2 # a few ticks of November 30
assert_eq "$(notif_json | jq '[.notifications[] | select(.kind == "report")] | length')" "0" \
  "nothing mailed before the month is over"

to '2026-11-30 23:59:58'
# 4 messages: the NOC's route, acme's contact and confirmed recipient, globex's contact
wait_until 30 "the November reports in the spool" \
  eval '[ "$(notif_json | jq "[.notifications[] | select(.kind == \"report\")] | length")" = 4 ]'
assert_eq "$(sqlite3 "$T/data/reports.db" "SELECT month FROM mailed ORDER BY month")" \
  "$(printf '2026-10\n2026-11')" "November marked mailed"
stop_dcmond
rm -f "$T/sink/control"
# as a crash between the spool's commit and reports.db's mark leaves it: November is
# marked mailed in notify.db, in the spool's own transaction, and so not mailed again
sqlite3 "$T/data/reports.db" "DELETE FROM mailed WHERE month = '2026-11'"
assert_eq "$(msgs "$T/sink" | jq length)" "0" "nothing delivered while the sink refused"

start_dcmond "$T/dcmon.yaml"
wait_until 30 "the reports delivered after the restart" eval '[ "$(msgs "$T/sink" | jq length)" = 4 ]'
sleep 2 # ticks of December after the restart: the month is not built again
assert_eq "$(grep -c 'monthly report 2026-11' "$T/dcmond.log")" "1" "the month was built once"
assert_eq "$(msgs "$T/sink" | jq length)" "4" "each report delivered once"
assert_eq "$(sqlite3 "$T/data/reports.db" "SELECT month FROM mailed ORDER BY month")" \
  "$(printf '2026-10\n2026-11')" "reports.db's record of November written again from notify.db's"

msgs "$T/sink" >"$T/all.json"
$PY - "$T/all.json" <<'PYEOF' || fail "report mails: see above"
import email, email.policy, json, sys
msgs = json.load(open(sys.argv[1]))
by = {}
for m in msgs:
    for r in m["rcpt_tos"]:
        by[r] = email.message_from_string(m["data"], policy=email.policy.default)
want = {"noc@dc.example", "noc@acme.example", "ops@acme.example", "noc@globex.example"}
assert set(by) == want, sorted(by)
def parts(msg):
    assert msg.get_content_type() == "multipart/alternative", msg.get_content_type()
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return text, html
def graphs(msg):
    """The inline PNGs the HTML shows by cid:, each checked to be a PNG it names."""
    html = msg.get_body(("html",)).get_content()
    pngs = {p["Content-ID"].strip("<>"): p.get_content() for p in msg.walk()
            if p.get_content_type() == "image/png"}
    for cid, data in pngs.items():
        assert data[:8] == b"\x89PNG\r\n\x1a\n", cid
        assert 'src="cid:%s"' % cid in html, cid
    assert html.count('src="cid:') == len(pngs), (html.count('src="cid:'), sorted(pngs))
    assert "data:image" not in html
    return len(pngs)
for rcpt, tenant, mine, other in [("noc@acme.example", "acme", "acme-web", "globex"),
                                  ("ops@acme.example", "acme", "acme-web", "globex"),
                                  ("noc@globex.example", "globex", "globex-db", "acme")]:
    msg = by[rcpt]
    assert msg["Subject"].startswith("[dcmon] Availability report 2026-11 for %s: " % tenant), msg["Subject"]
    assert msg["X-Dcmon-Kind"] == "report"
    for body in parts(msg):
        assert mine in body, (rcpt, mine)
        assert other not in body.lower(), (rcpt, other)
# the utility's outage, which feeds both tenants, has its archive: its graph is in every
# mail; globex-db's own outage has none, so no second graph
for rcpt in want:
    assert graphs(by[rcpt]) == 1, rcpt
noc = by["noc@dc.example"]
assert noc["Subject"].startswith("[dcmon] Availability report 2026-11: "), noc["Subject"]
for body in parts(noc):
    assert "acme-web" in body and "globex-db" in body, body[:200]
print("subjects:", sorted(m["Subject"] for m in by.values()))
PYEOF
pass "NOC's report to its route, each tenant's (its objects only) to its own addresses, HTML + text, the incident's graph inline"
assert_eq "$(count_to "$T/sink" pending@acme.example)" "0" "an unconfirmed recipient gets nothing"
stop_dcmond
done_checks
