#!/usr/bin/env bash
# The threshold engine end to end through the CLI, on real pollers: a TCP listener the
# test stops (port-down: PENDING for 2 s, then FIRING), processes the test kills (a
# warning that worsens to critical and breaks its ack; a silenced one that notifies
# nothing until unsilenced).  Acks and silences are in the audit log with the user who
# ran dcmon, and the log's SQLite triggers refuse changes.
source "$(dirname "$0")/lib.sh"
P_ACKPROC=dcmiack$((RANDOM % 90000 + 10000))  # unique per run: parallel suites must not count each other's
P_SILPROC=dcmisil$((RANDOM % 90000 + 10000))  # unique per run: parallel suites must not count each other's

me=$(id -un)
port=$(free_port)
start_tcp_listener "$port"
cp "$(command -v sleep)" "$T/${P_ACKPROC}"   # two of them: warning at 1, critical at 0
cp "$(command -v sleep)" "$T/${P_SILPROC}"   # one: silenced while it goes missing
"$T/${P_ACKPROC}" 600 & pa=$!; track $pa
"$T/${P_ACKPROC}" 600 & pb=$!; track $pb
"$T/${P_SILPROC}" 600 & ps=$!; track $ps

{ daemon_yaml; cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: box
    kind: server
    host: 127.0.0.1
    checks:
      tcp: [$port]
      process: [${P_ACKPROC}, ${P_SILPROC}]
rules:
  - name: port-down
    match: {device: box, metric: tcp_port_up}
    below: {crit: 1}
    for: 2s
    summary: service port closed
  - name: proc-few
    match: {device: box, metric: process_count, inst: ${P_ACKPROC}}
    below: {warn: 2, crit: 1}
  - name: proc-missing
    match: {device: box, metric: process_count, inst: ${P_SILPROC}}
    below: {crit: 1}
YAML
start_dcmond "$T/dcmon.yaml"
wait_until 15 "port up" metric_is box tcp_port_up "$port" '.value == 1'
wait_until 10 "two processes" metric_is box process_count ${P_ACKPROC} '.value == 2'
wait_until 10 "silenced process" metric_is box process_count ${P_SILPROC} '.value == 1'
no_alerts() { alerts_json | json_check '.alerts == []'; }
no_alerts || fail "alerts while everything is up: $(alerts_json)"
rc=0; out=$("$DCMON" alerts) || rc=$?
assert_eq "$rc" 0 "dcmon alerts exit code with nothing firing"
assert_eq "$out" "no alerts" "dcmon alerts output with nothing firing"

# ---- PENDING, then FIRING after `for: 2s` -------------------------------------------
stop_tcp_listener
wait_until 15 "port-down pending" alert_is port-down '.state == "pending" and .severity == "critical"'
pass "port closed: port-down pending"
[ "$(log_count 'msg="fired rule=port-down ')" -eq 0 ] || fail "fired while pending"
pass "no fired event while pending"
wait_until 15 "port-down firing" alert_is port-down '.state == "firing"'
pass "port-down firing"
id=$(alert_field port-down id)
hist=$(api_get "/api/v1/alerts/$id")
printf '%s\n' "$hist" | json_check '[.history[].to] == ["pending", "firing"]' \
  || fail "history of alert $id: $(printf '%s' "$hist" | jq -c .history)"
printf '%s\n' "$hist" | json_check '.history[1].ts_ms - .history[0].ts_ms >= 2000' \
  || fail "fired before its 'for: 2s': $(printf '%s' "$hist" | jq -c .history)"
pass "history: pending -> firing, at least 2 s apart (for: 2s)"
wait_until 5 "fired event logged" grep -qF "msg=\"fired rule=port-down metric=tcp_port_up@$port severity=critical" "$T/dcmond.log"
assert_eq "$(log_count 'msg="fired rule=port-down ')" 1 "fired events of port-down"
rc=0; "$DCMON" alerts >"$T/alerts.txt" || rc=$?
assert_eq "$rc" 2 "dcmon alerts exit code with a critical alert firing"
grep -qE "^$id +critical +firing +box +tcp_port_up@$port +0 " "$T/alerts.txt" \
  || fail "table row of alert $id: $(cat "$T/alerts.txt")"
pass "table row: $(grep -E "^$id " "$T/alerts.txt")"

# ---- ack: shown, audited with the user --------------------------------------------
out=$("$DCMON" ack "$id" --comment "restarting the service")
assert_eq "$out" "acknowledged alert $id (critical tcp_port_up@$port on box) as $me" "dcmon ack output"
alert_is port-down ".acked and .ack.by == \"$me\" and .ack.comment == \"restarting the service\"" \
  || fail "ack not shown: $(alerts_json | jq -c .)"
pass "alert $id acked by $me"
"$DCMON" alerts >"$T/alerts.txt" || true # exit 2: a critical alert is firing
grep -qF "acked by $me: restarting the service" "$T/alerts.txt" || fail "ack reason not in the table: $(cat "$T/alerts.txt")"
pass "ack reason in dcmon alerts"
wait_until 5 "acked event logged" grep -qF 'msg="acked rule=port-down' "$T/dcmond.log"
audit_json | json_check "[.entries[] | select(.action == \"ack\" and .target == \"alert:$id\"
    and .who == \"$me\" and (.origin | test(\"^unix:pid=[0-9]+$\"))
    and .detail == \"restarting the service\")] | length == 1" \
  || fail "audit row of the ack: $(audit_json | jq -c .)"
pass "audit: ack of alert:$id by $me from unix:pid=N"
rc=0; out=$("$DCMON" alerts --unhandled 2>&1) || rc=$?
assert_eq "$out" "no alerts" "dcmon alerts --unhandled with the only alert acked"

# ---- a worsening breaks the ack ----------------------------------------------------
kill $pa; wait $pa 2>/dev/null || true
wait_until 15 "proc-few warning" alert_is proc-few '.state == "firing" and .severity == "warning"'
pid_few=$(alert_field proc-few id)
"$DCMON" ack "$pid_few" --comment "one is enough for now" >/dev/null
alert_is proc-few '.acked' || fail "proc-few not acked"
pass "proc-few warning firing, acked"
kill $pb; wait $pb 2>/dev/null || true
wait_until 15 "proc-few critical" alert_is proc-few '.severity == "critical"'
alert_is proc-few '.state == "firing" and (.acked | not) and .ack == null' \
  || fail "the ack survived a worsening: $(alerts_json | jq -c '.alerts[] | select(.rule == "proc-few")')"
pass "warning -> critical: ack dropped"
grep -qF "ack by $me dropped: severity rose to critical" "$T/dcmond.log" || fail "no 'ack dropped' log line"
wait_until 5 "severity event" grep -qF 'msg="severity rule=proc-few' "$T/dcmond.log"
assert_eq "$(log_count 'msg="fired rule=proc-few ')" 1 "fired events of proc-few"

# ---- silence by selector: nothing notified while silenced -------------------------
out=$("$DCMON" silence device=box metric=process_* inst=${P_SILPROC} --for 1h --reason "planned restart")
sid=$(printf '%s' "$out" | sed -n 's/^silence \([0-9]*\) added.*/\1/p')
[ -n "$sid" ] || fail "dcmon silence said: $out"
pass "silence $sid added"
"$DCMON" silences | grep -E "^$sid +yes +device=box metric=process_\* inst=${P_SILPROC} +until .* $me +planned restart$" >/dev/null \
  || fail "silence not listed: $("$DCMON" silences)"
pass "dcmon silences lists it, active, with who and reason"
kill $ps; wait $ps 2>/dev/null || true
wait_until 15 "proc-missing firing" alert_is proc-missing ".state == \"firing\" and .silenced and .silence.id == $sid"
alert_is proc-missing '.silence.reason == "planned restart"' || fail "silence reason not in the alert"
"$DCMON" alerts >"$T/alerts.txt" || true
grep -qE "^[0-9]+ +critical +firing +box +process_count@${P_SILPROC} +0 +[0-9]+s +silenced #$sid: planned restart$" "$T/alerts.txt" \
  || fail "silence reason not in the table: $(cat "$T/alerts.txt")"
pass "proc-missing firing and silenced; reason shown in dcmon alerts"
wait_polls box 2 # two more polls: still nothing told while silenced
assert_eq "$(log_count 'msg="fired rule=proc-missing ')" 0 "fired events of a silenced alert"
out=$("$DCMON" unsilence "$sid")
assert_eq "$out" "silence $sid ended" "dcmon unsilence output"
wait_until 5 "held notification told" grep -qF 'msg="fired rule=proc-missing' "$T/dcmond.log"
assert_eq "$(log_count 'msg="fired rule=proc-missing ')" 1 "fired events once the silence ended"
alert_is proc-missing '(.silenced | not)' || fail "still silenced after unsilence"

# ---- bad arguments: dcmond's 400/404 message, one line ------------------------------
rc=0; out=$("$DCMON" silence device=box --for 2x --reason r 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: for: expected a duration like 2h" "bad duration"
rc=0; out=$("$DCMON" silence device=box --every sun --from 02:00 --to 04:00 --tz Mars/Base --reason r 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: unknown time zone 'Mars/Base'" "bad time zone"
rc=0; out=$("$DCMON" ack 99999 --comment x 2>&1) || rc=$?
assert_eq "$rc:$out" "1:dcmon: no alert 99999" "ack of an unknown alert"
rc=0; out=$("$DCMON" alerts --severity urgent 2>&1) || rc=$?
assert_eq "$rc:$out" "3:dcmon: severity: expected info, warning, critical" "bad severity filter"
rc=0; out=$("$DCMON" alerts --site nowhere 2>&1) || rc=$?
assert_eq "$rc:$out" "3:dcmon: unknown site 'nowhere'" "unknown site filter"

# ---- the audit log: every ack and silence, read-only -------------------------------
audit_json | json_check "[.entries[] | .action] == [\"ack\", \"ack\", \"silence\", \"unsilence\"]
    and all(.entries[]; .who == \"$me\")" || fail "audit log: $(audit_json | jq -c .)"
pass "audit: ack, ack, silence, unsilence, all by $me"
audit_json --action silence | json_check ".entries | length == 1 and .[0].target == \"silence:$sid\"
    and .[0].detail == \"device=box metric=process_* inst=${P_SILPROC} reason=planned restart\"" \
  || fail "audit of the silence: $(audit_json --action silence | jq -c .)"
pass "audit: the silence's selector and reason"
"$DCMON" audit | grep -E "^[0-9-]+ [0-9:]+ +$me +unix:pid=[0-9]+ +unsilence +silence:$sid" >/dev/null \
  || fail "dcmon audit table: $("$DCMON" audit)"
pass "dcmon audit table"
db="$T/data/alerts.db"
before=$(sqlite3 "$db" "SELECT count(*) FROM audit")
assert_eq "$before" 4 "audit rows in SQLite"
for sql in "UPDATE audit SET who='mallory'" "DELETE FROM audit" \
           "REPLACE INTO audit VALUES(1, 0, 'mallory', 'x', 'ack', 'alert:1', '', 1, NULL, NULL)"; do
  rc=0; out=$(sqlite3 "$db" "$sql" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q "append-only" || fail "'$sql' was not refused: $out"
done
assert_eq "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE who='$me'")" 4 "audit rows after UPDATE/DELETE/REPLACE"
pass "SQLite refuses UPDATE, DELETE and REPLACE on the audit log"

stop_dcmond
pass "SIGTERM: clean exit 0"
done_checks
