#!/usr/bin/env bash
# The availability report is built on the worker pool (issue 20, docs/REPORTS.md): while
# two large NOC reports are being built, a third one is refused 503 (reports are bounded),
# /api/v1/status answers, and a reload replaces the configuration the reports read;
# then both reports arrive whole, with the exact figures of the history.  Before the
# reports left the loop thread, the third report waited for the first two and got 200.
source "$(dirname "$0")/lib.sh"

n=6000 # servers: seconds of work per report, on the 2-core build machine
ms() { echo $(( $(date -u -d "$1" +%s) * 1000 )); }
mkdir -p "$T/data"
{
  daemon_yaml
  servers_yaml "$n"
} >"$T/dcmon.yaml"

start_dcmond "$T/dcmon.yaml"
# November, written beside dcmond into the reports.db it made: dcmond ran all month;
# server i was down 600 s from 2 Nov 00:00 + i s (ping) and 300 s from 10 Nov 00:00 + i s
# (TCP): 900 s each, and the union of all of them is (n - 1 + 600) + (n - 1 + 300) s.
sqlite3 -cmd ".timeout 5000" "$T/data/reports.db" <<SQL
INSERT INTO runs VALUES($(ms 2026-10-01), $(ms 2026-12-01));
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < $n - 1)
INSERT INTO down(object, device, start_ms, end_ms, root)
  SELECT 'srv-' || i || '/ping_state', 'srv-' || i, $(ms 2026-11-02) + i * 1000,
         $(ms 2026-11-02) + i * 1000 + 600000, NULL FROM k
  UNION ALL
  SELECT 'srv-' || i || '/tcp_connect_state:443', 'srv-' || i, $(ms 2026-11-10) + i * 1000,
         $(ms 2026-11-10) + i * 1000 + 300000, NULL FROM k;
SQL

# Two reports asked on their own connections, then a third: refused while the two are
# built; the status, and a reload, while they still are (nothing of theirs came yet).
python3 "$DCMON_SOURCE_DIR/tests/peers/deferred_race.py" "$DCMON_SOCKET" "$T" "$DCMOND_PID" \
  "/api/v1/reports/availability?period=2026-11" '"srv-5"' >"$T/race.out" 2>&1 || fail "$(cat "$T/race.out")"
pass "a third report refused 503 and the status answered while two reports were built"
grep -q "reloaded while building: True True" "$T/race.out" &&
  pass "a reload while the reports were built" ||
  echo "note: a report was done before the reload: $(tail -1 "$T/race.out")"

for r in a b; do
  assert_eq "$(jq '.devices | length' "$T/$r.json")" "$n" "report $r: every server"
  assert_eq "$(jq '.devices[] | select(.name == "srv-4321") | .unplanned_s' "$T/$r.json")" \
    "900" "report $r: a server's 15 minutes"
  assert_eq "$(jq '.summary.unplanned_s' "$T/$r.json")" "$(( (n - 1 + 600) + (n - 1 + 300) ))" \
    "report $r: the union of every outage"
done
api_get /api/v1/status | jq -e '.devices | length' >/dev/null || fail "status after the reports"
stop_dcmond
done_checks
