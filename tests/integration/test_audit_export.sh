#!/usr/bin/env bash
# `dcmon audit export` writes the chained audit records as JSON lines between an anchor
# line and an end line; `dcmon audit verify --file` checks the file on its own, with
# dcmond stopped, and names the first bad line when one is edited, deleted, inserted, or
# the file is cut.  --since leaves older records out and anchors on the one before.
source "$(dirname "$0")/lib.sh"

{ daemon_yaml; echo "devices: [{id: box, kind: server, host: 127.0.0.1}]"; } >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
for i in 1 2 3 4 5; do
  "$DCMON" silence device=box --for 1h --reason "window $i" >/dev/null
done
"$DCMON" audit export >"$T/all.jsonl"
# a record written more than a second later: --since its whole second leaves 1..5 out
sleep 1.1
"$DCMON" silence device=box --for 1h --reason "window 6" >/dev/null
ts6=$("$DCMON" audit --json | jq '.entries[-1].ts_ms')
"$DCMON" audit export --since "@$(( ts6 / 1000 ))" >"$T/tail.jsonl"
stop_dcmond

assert_eq "$(wc -l <"$T/all.jsonl" | tr -d ' ')" 7 "anchor, 5 records, end"
assert_eq "$(head -1 "$T/all.jsonl" | jq -c '[.kind, .seq, .hash]')" "[\"anchor\",0,\"$(printf '0%.0s' {1..64})\"]" "the anchor of a whole log"
assert_eq "$(sed -n 4p "$T/all.jsonl" | jq -r '[.kind, .seq, .action, .detail] | @tsv')" \
  "$(printf 'record\t3\tsilence\t')$(sed -n 4p "$T/all.jsonl" | jq -r .detail)" "line 4 is record 3"
sed -n 4p "$T/all.jsonl" | jq -e '.detail | test("window 3")' >/dev/null || fail "record 3's detail: $(sed -n 4p "$T/all.jsonl")"
assert_eq "$(tail -1 "$T/all.jsonl" | jq -c '[.kind, .records, .last_seq]')" '["end",5,5]' "the end line"

out=$("$DCMON" audit verify --file "$T/all.jsonl")
[[ $out == "audit export intact: 5 records, after the anchor seq 0 hash "*", last 5 hash "[0-9a-f]* ]] || fail "intact: $out"
pass "$out (dcmond stopped)"

# the tail export: record 6 only, anchored on record 5's hash
h5=$(sed -n 6p "$T/all.jsonl" | jq -r .hash)
assert_eq "$(head -1 "$T/tail.jsonl" | jq -c '[.kind, .seq, .hash]')" "[\"anchor\",5,\"$h5\"]" "--since anchors on the record before"
out=$("$DCMON" audit verify --file "$T/tail.jsonl")
[[ $out == "audit export intact: 1 records, after the anchor seq 5 hash $h5, last 6 hash "* ]] || fail "tail: $out"
pass "--since export: $out"

# tampered SED EXPECTED: a copy of the export edited with sed, then verified offline
tampered() {
  local script=$1 want=$2 out rc=0
  sed "$script" "$T/all.jsonl" >"$T/bad.jsonl"
  out=$("$DCMON" audit verify --file "$T/bad.jsonl") || rc=$?
  assert_eq "$rc" 2 "exit status after sed '$script'"
  [[ $out == "audit export TAMPERED: $T/bad.jsonl $want" ]] || fail "after sed '$script': $out, want $want"
  pass "${out#*bad.jsonl }"
}
tampered '4s/window 3/window 9/' "line 4: edited: its content does not match its hash"
tampered '4d' "line 4: deleted: records 3..3 are missing before it"
tampered '3p' "line 4: inserted: sequence 2 comes again after 2"
tampered '6d' "line 6: deleted: the end line says 5 records up to 5, the file holds 4 up to 4"
tampered '7d' "line 7: truncated: the file ends without its end line"
tampered '1d' "line 1: truncated: the export does not start with its anchor line"
# cut inside a line (head -c), as a copy that stopped half way
head -c "$(( $(head -3 "$T/all.jsonl" | wc -c) + 20 ))" "$T/all.jsonl" >"$T/cut.jsonl"
out=$("$DCMON" audit verify --file "$T/cut.jsonl") || true
assert_eq "$out" "audit export TAMPERED: $T/cut.jsonl line 4: truncated: the last line is cut short" "a line cut short"
done_checks
