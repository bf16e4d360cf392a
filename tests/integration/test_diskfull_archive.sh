#!/usr/bin/env bash
# Disk full under the RRD archive (data_dir on a small tmpfs, full from the start): the
# files cannot be created; the log names the cause and the file ("No space left on
# device", not "unknown librrd error"); the values polled meanwhile are kept in memory
# and written once space returns, so the file holds the minutes of the disk-full period.
[ -n "${DCMON_UNSHARED:-}" ] || DCMON_UNSHARED=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/diskfull_lib.sh"

port=$(free_port)
small_fs "$T/data" 32m
mkdir -p "$T/state"
start_tcp_listener "$port"
{
  daemon_yaml "state_dir: $T/state" "archive_flush: 200ms"
  cat <<YAML
devices:
  - {id: box, kind: server, host: 127.0.0.1, checks: {tcp: [$port]}}
YAML
} >"$T/dcmon.yaml"
fill_fs "$T/data"
t_full=$(date +%s)
start_dcmond "$T/dcmon.yaml"
rrd="$T/data/box/tcp_port_up@$port.rrd"
wait_until 20 "creation refused" grep -qF "box/tcp_port_up@$port.rrd: No space left on device" "$T/dcmond.log"
pass "log: $(grep -m1 -F "box/tcp_port_up@$port.rrd: No space left on device" "$T/dcmond.log" | cut -c1-240)"
assert_eq "$(log_count "unknown librrd error")" 0 "lines saying unknown librrd error"
wait_polls box 3
test -e "$rrd" && fail "$rrd exists on a full disk"

t_free=$(date +%s)
free_fs "$T/data"
wait_until 30 "file created once space returned" test -s "$rrd"
wait_until 10 "usable again line" grep -qF "$rrd usable again" "$T/dcmond.log"
pass "$(grep -m1 -F "$rrd usable again" "$T/dcmond.log" | cut -c1-200)"
# the values polled while the disk was full (port up = 1) are in the file
held=$(rrdtool fetch "$rrd" AVERAGE -r 1 -s "$((t_full - 1))" -e "$t_free" | awk 'NF==2 && $2 !~ /nan/ {n++} END {print n+0}')
[ "$held" -ge 2 ] || fail "values of the disk-full period in the file: $held"
pass "values of the disk-full period written after it: $held"
vals=$(rrdtool fetch "$rrd" AVERAGE -r 1 -s "$((t_full - 1))" -e "$t_free" | awk 'NF==2 && $2 !~ /nan/ {print $2+0}' | sort -u | tr '\n' ' ')
assert_eq "$vals" "1 " "their value (port up)"
stop_dcmond
done_checks
