#!/usr/bin/env bash
# Wall clock steps, with dcmond under libfaketime (its offset re-read from a file on
# every call, the monotonic clock left alone): a step forward of 3 h keeps a 2 h
# silence and a 2 h test mode (no alert notified, their ends moved by the step); a
# step back of 3 h keeps the archive writing (values after the step in the RRD file,
# times still increasing) and is said in one WARN line.
source "$(dirname "$0")/lib.sh"

command -v rrdtool >/dev/null || fail "rrdtool not installed"
use_faketime

open=$(free_port)
closed=$(free_port)
start_tcp_listener "$open"
{ daemon_yaml "archive_flush: 1s"; cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: box
    kind: server
    host: 127.0.0.1
    checks:
      tcp: [$open, $closed]
  - id: box2
    kind: server
    host: 127.0.0.1
    checks:
      tcp: [$closed]
rules:
  - name: port-down
    match: {metric: tcp_port_up, inst: "$closed"}
    below: {crit: 1}
    for: 10s # the silence and the test mode are in place before it fires, even on a loaded machine
YAML
start_dcmond "$T/dcmon.yaml"

# ---- a 2 h silence and a 2 h test mode survive a step forward of 3 h ---------------
out=$("$DCMON" silence device=box --for 2h --reason "rewiring")
sid=$(printf '%s' "$out" | sed -n 's/^silence \([0-9]*\) added.*/\1/p')
[ -n "$sid" ] || fail "dcmon silence said: $out"
"$DCMON" test-mode box2 --for 2h --reason "generator test" >/dev/null || fail "dcmon test-mode failed"
silences() { "$DCMON" silences --json; }
tid=$(silences | jq -r '.silences[] | select(.match.device == "box2") | .id')
[ -n "$tid" ] || fail "no test-mode silence: $(silences)"
silenced_firing() {
  alerts_json --all | jq -e --arg d "$1" '[.alerts[] | select(.device == $d and .rule == "port-down")]
    | length == 1 and .[0].state == "firing" and .[0].silenced' >/dev/null
}
wait_until 30 "port-down firing, silenced, on box" silenced_firing box
wait_until 30 "port-down firing, silenced, on box2" silenced_firing box2
pass "silence $sid (2h) and test mode $tid (2h) hold their firing alerts"
ends_before=$(silences | jq -c '[.silences[] | .ends_ms]')

step +3h
# the loop measures the step between two clock readings: 10800 s give or take a few ms
step_re='(10799\.9[0-9]*|10800\.0[0-9]*)s'
wait_until 15 "forward step logged" grep -qE "msg=\"wall clock stepped forward by $step_re" "$T/dcmond.log"
pass "step logged: $(grep -oE "wall clock stepped forward by $step_re" "$T/dcmond.log" | head -1)"
wait_polls box 3 # the tick (1 s) has looked at the silences several times since
silenced_firing box || fail "box: alert no longer silenced after the step: $(alerts_json --all | jq -c .)"
silenced_firing box2 || fail "box2: test mode ended by the step: $(alerts_json --all | jq -c .)"
pass "after +3h both alerts are still silenced"
assert_eq "$(log_count 'msg="fired rule=port-down ')" 0 "alerts notified"
silences | jq -e --argjson b "$ends_before" '[.silences[] | .active] == [true, true]
    and ([.silences[] | .ends_ms] | to_entries | all(.value - $b[.key] | . > 10799000 and . < 10801000))' \
  >/dev/null || fail "silences after the step (ends before: $ends_before): $(silences)"
pass "both silences active, their ends moved by the step (2 h from when they were made)"

# ---- a step back of 3 h: the archive keeps writing -----------------------------------
rrd="$T/data/box/tcp_port_up@$open.rrd"
lastupdate() { rrdtool lastupdate "$rrd" | awk -F': *' '/^[0-9]+:/ {print $1, $2}'; }
wait_until 15 "values of port $open in $rrd" test -s "$rrd"
read -r last0 _ < <(lastupdate)
[ -n "$last0" ] || fail "no last update in $rrd"
step +0
wait_until 15 "back step logged" grep -qE "msg=\"wall clock stepped back by $step_re" "$T/dcmond.log"
pass "step logged: $(grep -oE "wall clock stepped back by $step_re" "$T/dcmond.log" | head -1)"
grep -qE 'archive times go on from the last ones at half speed until the wall clock catches up, in 2(1599|1600)s' "$T/dcmond.log" \
  || fail "no archive catch-up line: $(grep -F archive "$T/dcmond.log" | tail -3)"
pass "archive catch-up announced (about 6 h)"
after_step() { read -r t v < <(lastupdate) && [ "$t" -ge $((last0 + 3)) ]; }
wait_until 20 "values written after the step back (last update was $last0)" after_step
read -r t v < <(lastupdate)
assert_eq "$v" 1 "value written after the step (port $open open)"
pass "archive written after the step back: last update $last0 -> $t"
rrdtool fetch "$rrd" AVERAGE -s $((last0 - 2)) -e "$t" >"$T/fetch.txt"
rows=$(awk -v a="$last0" -F': *' '/^[0-9]+:/ && $1 > a && $2 + 0 == 1' "$T/fetch.txt" | wc -l)
[ "$rows" -ge 2 ] || fail "fetch after $last0 holds $rows rows of 1: $(cat "$T/fetch.txt")"
pass "rrdtool fetch: $rows steps of value 1 after the step"
stop_dcmond
done_checks
