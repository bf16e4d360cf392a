#!/usr/bin/env bash
# Event-driven process liveness: dcmond keeps a pidfd on each process a check matched,
# so a watched process that dies is noticed at once, not at the next poll.  With a 60 s
# interval, two watched processes (started by the test) are killed one after the other:
# each kill re-polls the device (its poll count grows by one, its regular schedule,
# next_poll_ms, stays where it was), the count goes 2 -> 1 -> 0 and the default rule
# process-missing fires - all well before the next scheduled poll.  dcmond's own pidfds
# (/proc/PID/fd -> anon_inode:[pidfd]) follow the matched processes and are closed when
# a reload removes the check.
source "$(dirname "$0")/lib.sh"
NAME=dcmpx$((RANDOM % 90000 + 10000)) # unique per run: parallel suites must not see it
IV_MS=60000

# The scheduler's first poll of a device comes at FNV-1a(id) mod interval: pick an id
# whose first poll comes within 2 s, so the test need not wait most of a minute.
DEV=$($PY - "$IV_MS" <<'PYEOF'
import sys
iv = int(sys.argv[1])
def fnv(s):
    h = 14695981039346656037
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    return h
for i in range(100000):
    if fnv("pw%d" % i) % iv < 2000:
        print("pw%d" % i); break
else:
    sys.exit("no id with an early first poll")
PYEOF
)

cp "$(command -v sleep)" "$T/$NAME"
"$T/$NAME" 600 & p1=$!; track $p1
"$T/$NAME" 600 & p2=$!; track $p2

write_config() { # $1 = the device's checks
  { daemon_yaml "interval: 60s" "timeout: 2s" "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles"
    cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: $DEV
    kind: server
    host: 127.0.0.1
    checks: $1
YAML
}
write_config "{process: [$NAME]}"
start_dcmond "$T/dcmon.yaml"

# pidfds dcmond holds open
pidfds() {
  local n=0 f
  for f in /proc/"$DCMOND_PID"/fd/*; do
    [ "$(readlink "$f" 2>/dev/null)" = "anon_inode:[pidfd]" ] && n=$((n + 1))
  done
  echo "$n"
}
dev_field() { status_json | jq -r --arg d "$DEV" --arg f "$1" '.devices[] | select(.id == $d) | .[$f]'; }

wait_until 20 "first poll: 2 processes" metric_is "$DEV" process_count "$NAME" '.value == 2'
polls0=$(dev_field polls)
next0=$(dev_field next_poll_ms)
[ -n "$polls0" ] && [ -n "$next0" ] || fail "no poll count or next poll time for $DEV"
pass "process_count{$NAME} = 2 after $polls0 poll(s)"
assert_eq "$(pidfds)" 2 "pidfds held by dcmond for 2 matched processes"
grep -q "'$NAME': watching process $p1 through a pidfd" "$T/dcmond.log" \
  || fail "no debug line about watching process $p1"
pass "debug log names the watched pids"

# the first process dies: one re-poll, count 1, its pidfd closed
kill "$p1"; wait "$p1" 2>/dev/null || true
wait_until 20 "count 1 after the first kill" metric_is "$DEV" process_count "$NAME" '.value == 1'
assert_eq "$(dev_field polls)" $((polls0 + 1)) "polls after the first kill (one re-poll)"
assert_eq "$(dev_field next_poll_ms)" "$next0" "next scheduled poll after the first kill (unmoved)"
assert_eq "$(pidfds)" 1 "pidfds after the first kill"

# the second dies: count 0 and the alert, still before the next scheduled poll
kill "$p2"; wait "$p2" 2>/dev/null || true
wait_until 20 "count 0 after the second kill" metric_is "$DEV" process_count "$NAME" '.value == 0'
proc_alert() { api_get "/api/v1/alerts" | json_check "
  any(.alerts[]; .rule == \"process-missing\" and .device == \"$DEV\" and .state == \"firing\"
                 and .severity == \"critical\")"; }
wait_until 20 "process-missing firing" proc_alert
pass "process-missing firing (critical)"
assert_eq "$(dev_field polls)" $((polls0 + 2)) "polls after the second kill (one more re-poll)"
assert_eq "$(dev_field next_poll_ms)" "$next0" "next scheduled poll after the second kill (unmoved)"
assert_eq "$(pidfds)" 0 "pidfds with no process left"
assert_eq "$(log_count "exited (pidfd): re-poll now")" 2 "exits logged (debug)"

# a new process is watched from the reload on (not only from the next poll) ...
"$T/$NAME" 600 & p3=$!; track $p3
write_config "{process: [$NAME], tcp: [$(free_port)]}"
kill -HUP "$DCMOND_PID"
wait_until 20 "p3 watched after reload" grep -q "watching process $p3 through a pidfd" "$T/dcmond.log"
assert_eq "$(pidfds)" 1 "pidfds after a reload, with one process running"
# ... and its pidfd is closed when a reload removes the check
write_config "{tcp: [$(free_port)]}"
kill -HUP "$DCMOND_PID"
no_process_metric() { status_json | json_check "
  .devices[] | select(.id == \"$DEV\") | [.metrics[] | select(.name == \"process_count\")] | length == 0"; }
wait_until 20 "reload without the process check" no_process_metric
assert_eq "$(pidfds)" 0 "pidfds after a reload removed the process check"
kill "$p3"; wait "$p3" 2>/dev/null || true

stop_dcmond
pass "SIGTERM: clean exit 0"
done_checks
