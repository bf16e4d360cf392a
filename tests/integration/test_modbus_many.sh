#!/usr/bin/env bash
# dcmond with more Modbus TCP connections than its inherited soft open files limit:
# started with a soft limit of 256 and 300 devices, each on its own port of a pymodbus
# peer (bench/modbus_peer.py), it raises the limit to the hard one (one log line) and
# decodes every value of every device.  Without the raise, connects past ~250
# descriptors fail with EMFILE.
source "$(dirname "$0")/lib.sh"
N=300

hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((2 * N + 200)) ]; then
  echo "skipped: hard open files limit $hard is below $((2 * N + 200))"
  exit 77 # ctest reports it as skipped, not passed
fi

# the peer: N ports x unit 1 (it raises its own limit to the hard one)
$PY "$DCMON_SOURCE_DIR/bench/modbus_peer.py" "$N" 1 >"$T/peer.out" 2>"$T/peer.log" &
peer_pid=$!
track $peer_pid
wait_peer 60 "modbus peer (bench/modbus_peer.py)" "$peer_pid" "$T/peer.log" grep -q '^READY' "$T/peer.out"
mapfile -t ports < <(grep -v READY "$T/peer.out")
assert_eq "${#ports[@]}" "$N" "peer ports"

# no RRD file in this test: the writer's first round is an hour away and the daemon is
# killed at the end (N x 24 files would take gigabytes)
{
  daemon_yaml "interval: 2s" "timeout: 1500ms" "profiles_dir: $DCMON_SOURCE_DIR/bench" "archive_flush: 1h"
  echo "devices:"
  for ((i = 0; i < N; i++)); do
    echo "  - {id: m$i, profile: modbus-bench, modbus: {host: 127.0.0.1, port: ${ports[$i]}, unit: 1}}"
  done
} >"$T/dcmon.yaml"

ulimit -Sn 256 # as a login shell or service manager may leave it
start_dcmond "$T/dcmon.yaml"
limits=$(awk '/^Max open files/ {print $4 "/" $5}' "/proc/$DCMOND_PID/limits")
assert_eq "$limits" "$hard/$hard" "dcmond's soft/hard open files limit"
assert_eq "$(log_count "open files limit raised from 256 to $hard")" 1 "log line of the raise"

# every device: 24 metrics, all ok, decoded to the peer's values
all_decoded() {
  status_json | json_check "[.devices[] | select(
      (.metrics | length) == 24 and all(.metrics[]; .quality == \"ok\")
      and any(.metrics[]; .name == \"r_count\" and .inst == \"19\" and .value == 119)
      and any(.metrics[]; .name == \"output_voltage_volts\" and .value == 230.5)
      and any(.metrics[]; .name == \"output_power_watts\" and .value == -123456)
      and any(.metrics[]; .name == \"energy_watt_hours\" and .value == 7654321))]
    | length == $N"
}
wait_until 60 "all $N devices decoded" all_decoded
pass "all $N devices have their 24 values decoded"
fds=$(find "/proc/$DCMOND_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
[ "$fds" -gt 256 ] || fail "dcmond holds $fds descriptors, expected more than 256"
pass "dcmond holds $fds descriptors (more than the inherited 256)"
assert_eq "$(log_count "Too many open files")" 0 "EMFILE in the log"
stop_dcmond_hard
done_checks
