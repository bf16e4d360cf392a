#!/usr/bin/env bash
# The audit log's triggers dropped between two starts (sqlite3 on alerts.db, after
# which a row was rewritten unnoticed): the next start says so with an ERROR line and an
# "integrity" entry in the audit log itself (dcmon audit, GET /api/v1/audit), published
# like every audit record (an audit event in the event store), before it re-creates
# them; a start that finds them in place says nothing.
source "$(dirname "$0")/lib.sh"

me=$(id -un)
port=$(free_port)
start_tcp_listener "$port"
{ daemon_yaml "events: {retention: 30d}"; echo "devices: [{id: box, kind: server, host: 127.0.0.1, checks: {tcp: [$port]}}]"; } >"$T/dcmon.yaml"
db="$T/data/alerts.db"
missing='level=error sub=alert msg="'

start_dcmond "$T/dcmon.yaml"
"$DCMON" silence device=box --for 1h --reason "planned work" >/dev/null
audit_json | json_check '[.entries[] | .action] == ["silence"]' || fail "audit: $(audit_json | jq -c .)"
pass "one silence in the audit log"
stop_dcmond
assert_eq "$(grep -c "audit log's triggers" "$T/dcmond.log" || true)" 0 "complaints at a clean first start"

# someone with write access drops a trigger and rewrites history
sqlite3 "$db" "DROP TRIGGER audit_no_update; UPDATE audit SET who='mallory'"
assert_eq "$(sqlite3 "$db" "SELECT who FROM audit")" mallory "row rewritten without the trigger"

start_dcmond "$T/dcmon.yaml"
line=$(grep -F "$missing" "$T/dcmond.log" | grep -F "audit log's triggers" || true)
case $line in
  *"audit_no_update"*"re-creating"*) pass "ERROR line: ${line#*msg=}" ;;
  *) fail "no ERROR line about the dropped trigger: $(grep -i trigger "$T/dcmond.log")" ;;
esac
case $line in *audit_no_delete*) fail "names a trigger that was not dropped: $line" ;; esac
audit_json --action integrity | json_check '.entries | length == 1
    and .[0].who == "dcmond" and .[0].target == "audit"
    and (.[0].detail | test("audit_no_update"))' \
  || fail "no integrity entry: $(audit_json | jq -c .)"
pass "integrity entry in the audit log: $(audit_json --action integrity | jq -r '.entries[0].detail')"
"$DCMON" audit | grep -E "dcmond +start +integrity +audit" >/dev/null \
  || fail "dcmon audit table: $("$DCMON" audit)"
pass "dcmon audit shows it"
integrity_events() { api_get "/api/v1/events/search?kind=audit&limit=100" |
  jq -c '[.events[] | select(.program == "integrity") | [.source, .fields["audit.actor"], .fields["audit.origin"], .fields["audit.object"], (.message | test("audit_no_update"))]]'; }
has_integrity_event() { [ "$(integrity_events)" != "[]" ]; }
wait_until 10 "the integrity record as an audit event" has_integrity_event
assert_eq "$(integrity_events)" '[["dcmond","dcmond","start","audit",true]]' "one integrity event, by dcmond at start"
pass "the integrity record is published like the others (an audit event)"
rc=0; out=$(sqlite3 "$db" "UPDATE audit SET who='$me'" 2>&1) || rc=$?
[ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q "append-only" || fail "trigger not re-created: $out"
pass "audit_no_update re-created"
stop_dcmond

# a start with every trigger in place: no new complaint, no new entry
start_dcmond "$T/dcmon.yaml"
assert_eq "$(grep -F "$missing" "$T/dcmond.log" | grep -cF "audit log's triggers")" 1 "ERROR lines after a third start"
assert_eq "$(audit_json --action integrity | jq '.entries | length')" 1 "integrity entries after a third start"
"$DCMON" silence device=box --for 1h --reason "third start" >/dev/null   # published now
wait_until 10 "the third start's silence as an audit event" eval \
  "api_get '/api/v1/events/search?kind=audit&limit=100' | jq -e '[.events[] | select(.program == \"silence\")] | length == 2' >/dev/null"
assert_eq "$(integrity_events)" '[["dcmond","dcmond","start","audit",true]]' "no new integrity event at a third start"
stop_dcmond
done_checks
