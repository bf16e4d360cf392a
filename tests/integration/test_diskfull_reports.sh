#!/usr/bin/env bash
# Disk full under reports.db (issue 20, docs/REPORTS.md): a critical alert that fires and
# resolves while reports.db cannot be written is held in memory, said once with its
# cause, self-alerted (state-disk-full on dcmond's state_store_state{reports.db}), and
# written in order once space returns: the outage is in the availability report, not
# lost.
[ -n "${DCMON_UNSHARED:-}" ] || DCMON_UNSHARED=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"
source "$(dirname "$0")/diskfull_lib.sh"

start_box_with_state_file reports.db "$T/storefs"
spans() { sqlite3 "$T/storefs/reports.db" "SELECT count(*) FROM down WHERE device = 'box' $1"; }

fill_fs "$T/storefs"
kill "$PORTS_PID"; wait "$PORTS_PID" 2>/dev/null || true        # fires, disk full
wait_until 20 "CRITICAL mail" count_is "$T/mail" ops@acme.example 1 '.data | test("Subject: \\[dcmon\\] CRITICAL box")'
wait_until 10 "cannot-write line" grep -qF "reports.db: cannot write" "$T/dcmond.log"
line=$(grep -m1 -F "reports.db: cannot write" "$T/dcmond.log")
printf '%s' "$line" | grep -qF "No space left on device" || fail "no log line names the cause: '$line'"
pass "log: $(printf '%s' "$line" | cut -c1-220)"
assert_eq "$(spans "")" 0 "spans in reports.db while full"
wait_until 20 "self-alert mail" count_is "$T/mail" facility@dc.example 1 \
  '.data | test("state_store_state[{]reports.db[}] = full")'
pass "self-alert: $(subjects "$T/mail" facility@dc.example | grep -m1 dcmond)"
state_metric_is state_store_state reports.db 1 || fail "state_store_state{reports.db} is not full"
pass "dcmond state_store_state{reports.db} = full"

start_ports "$p1"                                                 # resolves, disk still full
wait_until 20 "RESOLVED mail" count_is "$T/mail" ops@acme.example 1 '.data | test("Subject: \\[dcmon\\] RESOLVED box")'
assert_eq "$(spans "")" 0 "spans in reports.db while still full"

free_fs "$T/storefs"
wait_until 20 "written-again line" grep -qF "reports.db: written again" "$T/dcmond.log"
pass "$(grep -m1 -F "reports.db: written again" "$T/dcmond.log" | cut -c1-160)"
wait_until 20 "reports.db ok again" state_metric_is state_store_state reports.db 0
assert_eq "$(spans "AND end_ms > start_ms")" 1 "the outage, opened and closed, in reports.db"
"$DCMON" report availability --period "$(date -u +%Y-%m)" --format json >"$T/rep.json"
down_s=$(jq '.devices[] | select(.name == "box") | .unplanned_s' "$T/rep.json")
[ "$(jq -n "$down_s > 0")" = true ] || fail "box's outage is not in the report: $down_s"
pass "box down ${down_s} s in the report"
stop_dcmond
done_checks
