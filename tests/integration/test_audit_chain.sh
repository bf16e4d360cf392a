#!/usr/bin/env bash
# The audit log's hash chain against tampering with the sqlite3 CLI: a record edited, a
# record deleted, a record inserted, the tail cut; `dcmon audit verify` (with the last
# checkpoint line of dcmond's log) names the first bad record each time, and says the
# log is intact before any of it.
source "$(dirname "$0")/lib.sh"

{ daemon_yaml; echo "devices: [{id: box, kind: server, host: 127.0.0.1}]"; } >"$T/dcmon.yaml"
db="$T/data/alerts.db"
start_dcmond "$T/dcmon.yaml"
for i in 1 2 3 4 5 6; do
  "$DCMON" silence device=box --for 1h --reason "window $i" >/dev/null
done
out=$("$DCMON" audit verify)
[[ $out == "audit log intact: 6 records, last 6 hash "[0-9a-f]* ]] || fail "verify: $out"
pass "intact: $out"
stop_dcmond
line=$(grep 'msg="checkpoint seq=' "$T/dcmond.log" | tail -1)
[[ $line == *'checkpoint seq=6 hash='* ]] || fail "no checkpoint at shutdown: $line"
pass "checkpoint logged at shutdown: ${line#*msg=}"
cp "$T/dcmond.log" "$T/checkpoints.log"
cp "$db" "$T/pristine.db"
assert_eq "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE length(hash) = 64 AND length(prev_hash) = 64")" 6 "records with both hashes"
assert_eq "$(sqlite3 "$db" "SELECT prev_hash FROM audit WHERE seq = 2") " "$(sqlite3 "$db" "SELECT hash FROM audit WHERE seq = 1") " "record 2 carries record 1's hash"

# each: a fresh copy of the pristine log, tampered with, then verified (audit_tamper)
audit_tamper "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'reason=nothing to see' WHERE seq = 3" \
  "audit log TAMPERED: record 3 (row id 3): edited: its content does not match its hash"
audit_tamper "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 3" \
  "audit log TAMPERED: record 3 (row id 4): deleted: records 3..3 are missing before it"
audit_tamper "INSERT INTO audit(id, ts_ms, who, origin, action, target, detail, seq, prev_hash, hash)
        SELECT 100, ts_ms, 'mallory', origin, action, target, detail, seq, prev_hash, hash FROM audit WHERE seq = 2" \
  "audit log TAMPERED: record 2 (row id 100): inserted: sequence 2 comes again after 6"
# the tail cut: the start that finds the dropped trigger writes an integrity record,
# which continues the chain at 5; the checkpoint still says 6
audit_tamper "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq >= 5" \
  "audit log TAMPERED: record 6 (row id 0): truncated: the log ends at 5, a checkpoint says 6 records were written"
# the last record cut: the integrity record takes its number, not its hash
audit_tamper "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 6" \
  "audit log TAMPERED: record 6 (row id 0): differs from the checkpoint's hash"
# an audit log from before the chain (and its triggers): its records stay, unchained;
# the chain starts after them with the integrity record and the silence (the record is
# an hour old: one from 1970 would be removed by the retention pass a start runs)
rm -rf "$T/data"; mkdir -p "$T/data"
sqlite3 "$db" "CREATE TABLE audit(id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, who TEXT NOT NULL,
  origin TEXT NOT NULL, action TEXT NOT NULL, target TEXT, detail TEXT);
  INSERT INTO audit VALUES(1, $(( $(date +%s) * 1000 - 3600000 )), 'old', 'cli', 'ack', 'alert:1', NULL);"
start_dcmond "$T/dcmon.yaml"
"$DCMON" silence device=box --for 1h --reason "after the upgrade" >/dev/null
"$DCMON" audit verify --json | jq -e '.ok and .unchained == 1 and .records == 2 and .last_seq == 2' >/dev/null \
  || fail "old log: $("$DCMON" audit verify --json | jq -c .)"
pass "an old log's records are kept unchained; the chain starts after them"
stop_dcmond
done_checks
