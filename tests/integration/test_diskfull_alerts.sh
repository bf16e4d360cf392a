#!/usr/bin/env bash
# Disk full under the alert store (alerts.db on a small tmpfs, notify.db elsewhere): an
# alert that fires and resolves while alerts.db cannot be written is mailed CRITICAL
# then RESOLVED as usual; the failure is logged with its cause and the self-alert
# state-disk-full (alerts.db) is mailed; once space returns the held transitions are
# in alerts.db in order (also the self-alert's own), and a restart restores them.
[ -n "${DCMON_UNSHARED:-}" ] || DCMON_UNSHARED=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"
source "$(dirname "$0")/diskfull_lib.sh"

start_box_with_state_file alerts.db "$T/storefs"

fill_fs "$T/storefs"
kill "$PORTS_PID"; wait "$PORTS_PID" 2>/dev/null || true        # fires, disk full
wait_until 20 "CRITICAL mail" count_is "$T/mail" ops@acme.example 1 '.data | test("Subject: \\[dcmon\\] CRITICAL box")'
wait_until 20 "self-alert mail" count_is "$T/mail" facility@dc.example 1 \
  '.data | test("state_store_state[{]alerts.db[}] = full")'
pass "self-alert: $(subjects "$T/mail" facility@dc.example | grep -m1 dcmond)"
line=$(grep -m1 -F "alerts.db: cannot write" "$T/dcmond.log" || true)
printf '%s' "$line" | grep -qF "No space left on device" || fail "no log line names the cause: '$line'"
pass "log: $(printf '%s' "$line" | cut -c1-220)"
state_metric_is state_store_state alerts.db 1 || fail "state_store_state{alerts.db} is not full"
pass "dcmond state_store_state{alerts.db} = full"
assert_eq "$(sqlite3 "$T/storefs/alerts.db" "SELECT count(*) FROM history")" 0 "history rows while full"

start_ports "$p1"                                                 # resolves, disk still full
wait_until 20 "RESOLVED mail" count_is "$T/mail" ops@acme.example 1 '.data | test("Subject: \\[dcmon\\] RESOLVED box")'
state_metric_is state_held_count alerts.db 0 && fail "nothing held in memory"
pass "transitions held in memory: $(api_get '/api/v1/metrics?device=dcmond&name=state_held_count' | jq '.metrics[] | select(.inst == "alerts.db") | .value')"

free_fs "$T/storefs"
wait_until 20 "alerts.db written again" state_metric_is state_store_state alerts.db 0
wait_until 10 "self-alert RESOLVED mail" count_is "$T/mail" facility@dc.example 1 \
  '.data | test("Subject: \\[dcmon\\] RESOLVED dcmond")'
wait_until 10 "written-again line" grep -qF "alerts.db: written again" "$T/dcmond.log"
pass "$(grep -m1 -F "alerts.db: written again" "$T/dcmond.log" | cut -c1-160)"
# states: 0 ok, 2 firing, 3 resolved
hist() {
  sqlite3 "$T/storefs/alerts.db" "SELECT group_concat(from_state || '>' || to_state, ' ') FROM
    (SELECT h.from_state, h.to_state FROM history h JOIN alerts a ON a.id = h.alert_id
     WHERE a.rule = '$1' ORDER BY h.rowid)"
}
assert_eq "$(hist port-closed)" "0>2 2>3" "port-closed history in alerts.db"
resolution_stored() { [ "$(hist state-disk-full)" = "0>2 2>3" ]; } # asked anew at each try
wait_until 10 "self-alert resolution stored" resolution_stored
pass "state-disk-full history in alerts.db = 0>2 2>3"
assert_eq "$(sqlite3 "$T/storefs/alerts.db" "SELECT state || ' ' || notified FROM alerts WHERE rule = 'port-closed'")" \
  "3 0" "port-closed row (resolved, nothing notified as firing)"

stop_dcmond
start_dcmond "$T/dcmon.yaml"
wait_until 15 "port up after the restart" metric_is box tcp_port_up "$p1" '.value == 1'
alert_is port-closed '.state == "resolved"' || fail "restart did not restore the resolution"
pass "restart restores port-closed as resolved"
sleep 3 # nothing else may arrive
for a in ops@acme.example facility@dc.example; do
  assert_eq "$(subjects "$T/mail" "$a" | grep -F ' box' | cut -c9-20 | tr '\n' ';')" \
    "CRITICAL box;RESOLVED box;" "mails about box to $a, in order, each once"
done
assert_eq "$(subjects "$T/mail" facility@dc.example | grep -F ' dcmond' | cut -c9-23 | tr '\n' ';')" \
  "CRITICAL dcmond;RESOLVED dcmond;" "self-alert mails"
stop_dcmond
done_checks
