#!/usr/bin/env bash
# The audit log's retention on a controllable clock (libfaketime): records written 400
# days ago go at the next start's pass, the ones since stay; `dcmon audit verify` starts
# the chain at the anchor (the newest removed record) and says so, an export after the
# pass verifies on its own from the anchor, tampering after the pass is still named,
# the pass comes again while running (the clock moved a year on), and a retention below
# a year is refused at its position.
source "$(dirname "$0")/lib.sh"
use_faketime

{ daemon_yaml "accounts: {audit_retention: 365d}"
  echo "devices: [{id: box, kind: server, host: 127.0.0.1}]"; } >"$T/dcmon.yaml"
db="$T/data/alerts.db"

# a year and a month ago: three silences, then a shutdown (its checkpoint line)
step "-400d"
start_dcmond "$T/dcmon.yaml"
for i in 1 2 3; do
  "$DCMON" silence device=box --for 1h --reason "old window $i" >/dev/null
done
stop_dcmond
old_seq=$(sqlite3 "$db" "SELECT max(seq) FROM audit")
old_hash=$(sqlite3 "$db" "SELECT hash FROM audit WHERE seq = $old_seq")
[ "$old_seq" -ge 3 ] || fail "old records: $old_seq"

# today: the start's pass removes them all, keeps the anchor and audits itself
step "+0"
start_dcmond "$T/dcmon.yaml"
wait_until 10 "the retention pass" grep -q "retention removed $old_seq records" "$T/dcmond.log"
"$DCMON" silence device=box --for 1h --reason "new window" >/dev/null
assert_eq "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE seq <= $old_seq")" 0 "old records left"
assert_eq "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE detail LIKE '%new window%'")" 1 "new record kept"
assert_eq "$(sqlite3 "$db" "SELECT seq || ' ' || hash FROM audit_anchor")" "$old_seq $old_hash" "anchor"
assert_eq "$(sqlite3 "$db" "SELECT who || ' ' || action || ' ' || target FROM audit WHERE seq = $((old_seq + 1))")" \
  "dcmond retention audit" "the pass's own record"
assert_eq "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_no_%'")" 3 \
  "append-only triggers after the pass"
! grep -q "triggers .* were dropped" "$T/dcmond.log" || fail "the pass was taken for tampering"
out=$("$DCMON" audit verify)
want="audit log intact: 2 records, after the anchor seq $old_seq hash $old_hash (retention), last $((old_seq + 2)) hash "
[[ $out == "$want"[0-9a-f]* ]] || fail "verify: $out, want $want..."
pass "$out"
"$DCMON" audit verify --json | jq -e --argjson s "$old_seq" '.ok and .anchor.seq == $s and .anchor.removed_ms > 0' \
  >/dev/null || fail "verify --json: $("$DCMON" audit verify --json | jq -c .)"

# an export after the pass starts at the anchor and verifies offline
"$DCMON" audit export >"$T/all.jsonl"
assert_eq "$(head -1 "$T/all.jsonl" | jq -r '"\(.seq) \(.hash)"')" "$old_seq $old_hash" "export's anchor line"
out=$("$DCMON" audit verify --file "$T/all.jsonl")
[[ $out == "audit export intact: 2 records, after the anchor seq $old_seq hash $old_hash"* ]] || fail "export: $out"
pass "$out"
stop_dcmond

# tampering after the pass is still told: a kept record edited, the anchor's hash or
# number changed
cp "$db" "$T/pristine.db"; cp "$T/dcmond.log" "$T/checkpoints.log"
new=$((old_seq + 2))
audit_tamper "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'reason=nothing' WHERE seq = $new" \
  "audit log TAMPERED: record $new (row id *): edited: its content does not match its hash"
audit_tamper "UPDATE audit_anchor SET hash = (SELECT hash FROM audit WHERE seq = $new)" \
  "audit log TAMPERED: record $((old_seq + 1)) (row id 1): inserted or reordered: *"
audit_tamper "UPDATE audit_anchor SET seq = seq - 1" \
  "audit log TAMPERED: record $old_seq (row id 1): deleted: records $old_seq..$old_seq are missing before it"

# the pass runs hourly, not only at start: a year on, the records kept above go too
cp "$T/pristine.db" "$db"; rm -f "$db-wal" "$db-shm"
start_dcmond "$T/dcmon.yaml"
step "+366d"
wait_until 10 "the second retention pass" grep -q "retention removed 2 records, anchor seq=$new " "$T/dcmond.log"
out=$("$DCMON" audit verify)
[[ $out == "audit log intact: 1 records, after the anchor seq $new hash "*" (retention), last $((new + 1)) hash "* ]] \
  || fail "verify a year on: $out"
pass "$out"
stop_dcmond

# below a year is refused where it is written
printf 'daemon:\n  accounts:\n    audit_retention: 300d\n' >"$T/short.yaml"
rc=0; out=$("$DCMOND" -t "$T/short.yaml" 2>&1) || rc=$?
assert_eq "$rc" 1 "exit status of a short retention"
[[ $out == *"$T/short.yaml:3:22: error: audit_retention: 300d is out of range 365d..36500d"* ]] \
  || fail "short retention: $out"
pass "refused: ${out##*error: }"
done_checks
