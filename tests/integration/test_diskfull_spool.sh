#!/usr/bin/env bash
# Disk full under the notify spool (notify.db on a small tmpfs, alerts.db elsewhere):
# an alert that fires and resolves while notify.db cannot be written is still mailed,
# CRITICAL then RESOLVED, exactly once each; the self-alert state-disk-full (notify.db)
# is mailed while the disk is still full; once space returns the messages held in
# memory are written back into notify.db as sent, and a restart sends nothing again.
# Then with the relay down as well: the messages wait in memory, are written back as
# pending, and go out once each, in order, when the relay returns.
[ -n "${DCMON_UNSHARED:-}" ] || DCMON_UNSHARED=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"
source "$(dirname "$0")/diskfull_lib.sh"

start_box_with_state_file notify.db "$T/spoolfs"

fill_fs "$T/spoolfs"
kill "$PORTS_PID"; wait "$PORTS_PID" 2>/dev/null || true        # CRITICAL, disk full
crit_box='.data | test("Subject: \\[dcmon\\] CRITICAL box")'
wait_until 20 "CRITICAL mail while notify.db is full" count_is "$T/mail" ops@acme.example 1 "$crit_box"
wait_until 20 "self-alert mail while notify.db is full" count_is "$T/mail" facility@dc.example 1 \
  '.data | test("state_store_state[{]notify.db[}] = full")'
pass "the self-alert names the file: $(subjects "$T/mail" facility@dc.example | grep -m1 dcmond)"
[ "$(log_count "No space left on device")" -ge 1 ] || fail "no log line names the cause"
pass "log: $(grep -m1 -F "No space left on device" "$T/dcmond.log" | cut -c1-200)"
state_metric_is state_store_state notify.db 1 || fail "state_store_state{notify.db} is not full"
pass "dcmond state_store_state{notify.db} = full"

start_ports "$p1"                                                 # RESOLVED, disk still full
wait_until 20 "RESOLVED mail while notify.db is full" count_is "$T/mail" ops@acme.example 1 \
  '.data | test("Subject: \\[dcmon\\] RESOLVED box")'

free_fs "$T/spoolfs"
wait_until 20 "spool written back" state_metric_is state_store_state notify.db 0
wait_until 10 "written-back line" grep -qF "notify.db: written again" "$T/dcmond.log"
pass "$(grep -m1 -F "notify.db: written again" "$T/dcmond.log" | cut -c1-160)"
rows=$(sqlite3 "$T/spoolfs/notify.db" "SELECT rcpt || ' ' || substr(subject, 9, 12) || ' ' || state FROM messages WHERE subject LIKE '%box%' ORDER BY id")
assert_eq "$(printf '%s' "$rows" | tr '\n' ';')" \
  "ops@acme.example CRITICAL box 1;facility@dc.example CRITICAL box 1;ops@acme.example RESOLVED box 1;facility@dc.example RESOLVED box 1" \
  "notify.db rows after recovery (rcpt, subject, state sent)"
assert_eq "$(sqlite3 "$T/spoolfs/notify.db" "SELECT count(*) FROM queue WHERE subject LIKE '%box%'")" 0 \
  "items about box left queued in notify.db"

stop_dcmond                                  # nothing is sent again after a restart
start_dcmond "$T/dcmon.yaml"
wait_until 15 "port up after the restart" metric_is box tcp_port_up "$p1" '.value == 1'
sleep 3 # nothing else may arrive: what was sent from memory is recorded as sent
for a in ops@acme.example facility@dc.example; do
  assert_eq "$(subjects "$T/mail" "$a" | grep -F ' box' | cut -c9-20 | tr '\n' ';')" \
    "CRITICAL box;RESOLVED box;" "mails about box to $a, in order, each once"
done

stop_sink                                          # relay down and disk full together
fill_fs "$T/spoolfs"
kill "$PORTS_PID"; wait "$PORTS_PID" 2>/dev/null || true
wait_until 20 "CRITICAL pending in memory" notif_check \
  '[.notifications[] | select(.state == "pending" and (.subject | test("CRITICAL box")))] | length == 2'
start_ports "$p1"
wait_until 20 "RESOLVED pending in memory" notif_check \
  '[.notifications[] | select(.rcpt == "ops@acme.example" and .state == "pending" and (.subject | test("RESOLVED box")))] | length == 1'
free_fs "$T/spoolfs"
wait_until 20 "spool written back again" state_metric_is state_store_state notify.db 0
assert_eq "$(sqlite3 "$T/spoolfs/notify.db" "SELECT group_concat(substr(subject, 9, 12) || ' ' || state, ';') FROM
  (SELECT subject, state FROM messages WHERE rcpt = 'ops@acme.example' ORDER BY id)")" \
  "CRITICAL box 1;RESOLVED box 1;CRITICAL box 0;RESOLVED box 0" "ops@acme.example's messages in notify.db (0: pending)"
start_sink "$T/mail" "$smtp_port"
wait_until 30 "all sent" notif_check '.counts.pending == 0 and .counts.queued == 0'
sleep 2 # nothing else may arrive
assert_eq "$(subjects "$T/mail" ops@acme.example | cut -c9-20 | tr '\n' ';')" \
  "CRITICAL box;RESOLVED box;CRITICAL box;RESOLVED box;" "mails to ops@acme.example, in order, each once"
# every message of notify.db (facility's group the self-alert with box's alerts as
# timing has it) reached the sink exactly once
received=$(msgs "$T/mail" | jq -r '.[].data | capture("Message-ID: (?<m>[^\r\n]*)").m' | sort)
spooled=$(sqlite3 "$T/spoolfs/notify.db" "SELECT message_id FROM messages WHERE state = 1" | sort)
assert_eq "$(printf '%s\n' "$received" | uniq -d | wc -l)" 0 "Message-IDs received twice"
assert_eq "$received" "$spooled" "Message-IDs received = messages sent in notify.db"
assert_eq "$(sqlite3 "$T/spoolfs/notify.db" "SELECT count(*) FROM messages WHERE state != 1")" 0 "messages not sent"
stop_dcmond
done_checks
