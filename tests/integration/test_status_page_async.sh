#!/usr/bin/env bash
# The status page is built on the worker pool (issue 20, docs/STATUS_PAGE.md), as the
# availability report is: while two public pages of a large component are being built,
# a third is refused 503 (pages are bounded, STATUS_PAGE_JOBS_MAX), /api/v1/status
# answers, and a reload does not disturb them; then both pages arrive whole with the
# figures of the history.  Before, the page was built on the loop thread: the third page
# waited for the first two and got 200, and the status waited too.
source "$(dirname "$0")/lib.sh"

n=${STATUS_ASYNC_DEVICES:-1000} # servers in the component
# outages before dcmond ran (their days have no data), read, classified and listed by
# every page: a page is built in one classification of its component's 90 days (no
# longer a report per day), so they are what keeps it long enough to be seen in flight
old_outages=${STATUS_ASYNC_OUTAGES:-20000}
now=$(date -u +%s); today=$(( now - now % 86400 ))
mkdir -p "$T/data"
{
  daemon_yaml "reports:"
  printf '    status_page:\n      public: true\n      components:\n        - name: Servers\n          devices: ['
  for ((i = 0; i < n; i++)); do printf '%ssrv-%d' "$([ $i -gt 0 ] && echo ', ')" "$i"; done
  printf ']\n'
  servers_yaml "$n"
} >"$T/dcmon.yaml"

start_dcmond "$T/dcmon.yaml"
# dcmond ran the last 60 days; srv-7 was down 864 s (1 % of the day) 10 days ago.
sqlite3 -cmd ".timeout 5000" "$T/data/reports.db" <<SQL
INSERT INTO runs VALUES($(( (today - 60 * 86400) * 1000 )), $(( today * 1000 )));
INSERT INTO down(object, device, start_ms, end_ms, root) VALUES
  ('srv-7/ping_state', 'srv-7', $(( (today - 10 * 86400 + 3600) * 1000 )),
   $(( (today - 10 * 86400 + 3600 + 864) * 1000 )), NULL);
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < $old_outages - 1)
INSERT INTO down(object, device, start_ms, end_ms, root)
  SELECT 'srv-' || (i % $n) || '/ping_state', 'srv-' || (i % $n),
         $(( (today - 89 * 86400) * 1000 )) + (i / $n) * 3600000,
         $(( (today - 89 * 86400) * 1000 )) + (i / $n) * 3600000 + 600000, NULL FROM k;
SQL

python3 "$DCMON_SOURCE_DIR/tests/peers/deferred_race.py" "$DCMON_SOCKET" "$T" "$DCMOND_PID" \
  "/api/v1/status-page/public" '"srv-5"' >"$T/race.out" 2>&1 || fail "$(cat "$T/race.out")"
pass "a third page refused 503 busy and the status answered while two pages were built ($(tail -1 "$T/race.out"))"
grep -q "reloaded while building: True True" "$T/race.out" &&
  pass "a reload while the pages were built" ||
  echo "note: a page was done before the reload: $(grep reloaded "$T/race.out")"

for p in a b; do
  assert_eq "$(jq -c '[.components[] | .name, (.days | length)]' "$T/$p.json")" '["Servers",90]' \
    "page $p: its component and 90 bars"
  assert_eq "$(jq '.components[0].days[79].down_s' "$T/$p.json")" "864" "page $p: srv-7's outage 10 days ago"
  assert_eq "$(jq '.components[0].days[20].availability' "$T/$p.json")" "null" "page $p: no data before dcmond ran"
done
code=$(curl -s -o "$T/c.json" -w '%{http_code}' --unix-socket "$DCMON_SOCKET" "http://dcmond/api/v1/status-page/public")
assert_eq "$code $(jq '.components[0].days[79].down_s' "$T/c.json")" "200 864" "a page asked alone afterwards"
stop_dcmond
done_checks
