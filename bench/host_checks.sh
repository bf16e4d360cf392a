#!/usr/bin/env bash
# Host-check benchmark: dcmond with many TCP port checks against loopback listeners plus
# every local metric, at a 10 s interval.  Measures CPU time per collected value (from
# /proc/PID/stat, after one warm-up interval) and peak RSS (VmHWM).
#
#   bench/host_checks.sh [PORTS=2000] [SECONDS=60]
#
# Prints one final line of key=value.  Needs a built tree (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ports=${1:-2000}
duration=${2:-60}
per_device=10
build=${DCMON_BUILD_DIR:-build}
T=$(mktemp -d /tmp/dcmon-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT
ulimit -n "$(ulimit -Hn)"

# listeners: one process holding $ports listening sockets, printing their ports
/usr/bin/python3 bench/tcp_listeners.py "$ports" 1024 0.2 >"$T/ports" 2>"$T/listeners.log" &
pids+=($!)
for _ in $(seq 100); do [ "$(wc -l <"$T/ports")" -ge "$ports" ] && break; sleep 0.1; done

{
  echo "daemon: {data_dir: $T/data, socket: $T/dcmon.sock, interval: 10s, timeout: 2s, log_level: warn}"
  echo "devices:"
  echo "  - {id: local, kind: server, checks: {resources: local, process: [dcmond]}}"
  split -l $per_device "$T/ports" "$T/chunk."
  n=0
  for f in "$T"/chunk.*; do
    echo "  - {id: srv-$n, kind: server, host: 127.0.0.1, checks: {tcp: [$(paste -sd, "$f")]}}"
    n=$((n + 1))
  done
} >"$T/dcmon.yaml"

"$build/dcmond" -c "$T/dcmon.yaml" 2>"$T/dcmond.log" &
dpid=$!
pids+=($dpid)
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$dpid/stat"; }
reports() { curl -s --unix-socket "$T/dcmon.sock" http://dcmond/api/v1/health | jq '.reports'; }
sleep "${WARMUP:-45}" # warm-up past the first archive flush (30 s): RRD files are created then
t0=$(date +%s.%N); c0=$(cpu_ticks); r0=$(reports)
sleep "$duration"
t1=$(date +%s.%N); c1=$(cpu_ticks); r1=$(reports)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$dpid/status")
values=$((r1 - r0))
awk -v v="$values" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
    -v rss="$rss" -v ports="$ports" 'BEGIN {
  cpu_s = (c1 - c0) / hz; wall = t1 - t0
  printf "targets=%d values=%d seconds=%.1f values_per_s=%.1f cpu_s=%.2f cpu_us_per_value=%.2f peak_rss_kib=%d\n",
    ports, v, wall, v / wall, cpu_s, (v > 0 ? cpu_s * 1e6 / v : 0), rss }'
