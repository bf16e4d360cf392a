#!/usr/bin/env bash
# Nothing archived is lost on kill -9 (#23): dcmond polls a real Modbus peer (pymodbus;
# unit 3 holds 3000 + i in registers 0..9) with archive_flush 60s, so every value of the
# first polls is still held when dcmond is killed with SIGKILL.  After the restart the
# journal is replayed: `rrdtool fetch` shows every second from the first poll to the
# last one before the kill, with its value, in both archive modes (direct librrd, and
# rrdcached).  Then a journal whose last frame was cut short (kill in the middle of a
# write) replays the rest, with one log line.  A clean stop leaves no journal behind.
source "$(dirname "$0")/lib.sh"

command -v rrdcached >/dev/null || { echo "SKIP: no rrdcached"; exit 77; }

$PY "$DCMON_SOURCE_DIR/tests/peers/modbus_peer.py" --port 0 >"$T/peer.out" 2>>"$T/peer.log" &
track $!
wait_peer 20 "modbus peer" $! "$T/peer.log" grep -q '^PORT ' "$T/peer.out"
PEER_PORT=$(awk '/^PORT /{print $2}' "$T/peer.out")

# config [EXTRA...]: a daemon on a fresh data dir polling unit 3 every second.
config() {
  rm -rf "$T/data" && mkdir -p "$T/data"
  { daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/tests/peers" "archive_flush: 60s" "$@"
    cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - {id: u3, profile: fixture-unit3, modbus: {host: 127.0.0.1, port: $PEER_PORT, unit: 3, timeout: 300ms}}
YAML
}

# polled_and_killed: waits for 6 polls, then kills dcmond with SIGKILL a second after
# the last one it looks at (the end of a poll wakes the writer to journal its values).  Sets T_FIRST
# (start, seconds) and T_LAST (time of that last poll, seconds).
polled_and_killed() {
  T_FIRST=$(date +%s)
  start_dcmond "$T/dcmon.yaml"
  wait_until 20 "u3 polled" metric_is u3 r_count 0 '.quality == "ok"'
  wait_polls u3 6
  T_LAST=$(( $(metric_field u3 r_count 0 ts_ms) / 1000 ))
  sleep 1
  kill -KILL "$DCMOND_PID"
  wait "$DCMOND_PID" 2>/dev/null || true
  local segs
  segs=$({ find "$T/data/.journal" -name '*.jnl' -size +0 2>/dev/null || true; } | wc -l)
  [ "$segs" -ge 1 ] || fail "no journal segment under $T/data/.journal after kill -9"
  pass "kill -9 after polls up to $T_LAST: $segs journal segment(s) left"
}

# series_complete DAEMON UNTIL: every register's file has 3000 + i in every second from
# its first known value (at most 5 s after start) to UNTIL.
series_complete() {
  local daemon=$1 until=$2 i rrd out
  for i in 0 1 2 3 4 5 6 7 8 9; do
    rrd="$T/data/u3/r_count@$i.rrd"
    [ -f "$rrd" ] || fail "$rrd missing"
    out=$(rrdtool fetch "$rrd" AVERAGE -r 1 -s "$((T_FIRST - 1))" -e "$until" \
            ${daemon:+--daemon "$daemon"} |
          awk -v want=$((3000 + i)) -v until="$until" -F'[: ]+' '
            NF >= 2 && $1 ~ /^[0-9]+$/ && $1 <= until {
              known = $2 !~ /nan/
              if (known && !first) first = $1
              if (first && (!known || $2 + 0 != want)) { bad = $1 " " $2; exit }
            }
            END { if (bad) print "bad " bad; else if (!first) print "none"; else print "first " first }')
    case $out in
      first\ *) [ "${out#first }" -le "$((T_FIRST + 5))" ] ||
                  fail "$rrd: first value at ${out#first }, start was $T_FIRST" ;;
      *) fail "$rrd from $T_FIRST to $until: $out" ;;
    esac
  done
}

# run_mode NAME DAEMON [EXTRA...]: kill -9, restart, every value before the kill is there.
run_mode() {
  local name=$1 daemon=$2; shift 2
  config "$@"
  polled_and_killed
  local before
  before=$(log_count "journal: ")
  start_dcmond "$T/dcmon.yaml"
  replayed() { [ "$(log_count "journal: ")" -gt "$before" ]; }
  wait_until 20 "journal replayed ($name)" replayed
  pass "$name: $(grep -F "journal: " "$T/dcmond.log" | tail -1 | cut -c1-240)"
  grep -F "journal: " "$T/dcmond.log" | tail -1 | grep -q " 0 failed" || fail "replay failed values"
  series_complete "$daemon" "$T_LAST"
  pass "$name: rrdtool fetch shows 3000 + i in every second up to the last poll before kill -9"
  stop_dcmond
  [ -z "$(find "$T/data/.journal" -name '*.jnl')" ] || fail "journal left after a clean stop"
  pass "$name: no journal left after SIGTERM"
}

run_mode direct ""

rrdcached -g -l "unix:$T/rrdc.sock" -b "$T" -B -w 3600 -z 1 >"$T/rrdcached.log" 2>&1 &
track $!
wait_peer 20 rrdcached $! "$T/rrdcached.log" test -S "$T/rrdc.sock"
run_mode rrdcached "unix:$T/rrdc.sock" "rrdcached: unix:$T/rrdc.sock"

# A torn last frame: cut the newest segment's last bytes; the rest is replayed.
config
polled_and_killed
last=$(find "$T/data/.journal" -name '*.jnl' | sort | tail -1)
truncate -s -3 "$last"
start_dcmond "$T/dcmon.yaml"
# the summary line comes once the replayed values are written
wait_until 20 "cut journal replayed" grep -qF "(1 cut short)" "$T/dcmond.log"
assert_eq "$(log_count "incomplete frame")" 1 "lines about the cut frame"
pass "$(grep -F "incomplete frame" "$T/dcmond.log" | cut -c1-240)"
series_complete "" "$((T_LAST - 1))"
pass "torn journal: every value before the cut frame replayed"
stop_dcmond
done_checks
