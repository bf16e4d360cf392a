#!/usr/bin/env bash
# Plugin checks per second at a concurrency limit, and dcmond's cost per check against
# the plugin's own: DEVICES devices each run Debian's check_tcp against one loopback
# listener every 100 ms (more than the box can run, so the limit is the bottleneck),
# with daemon.plugin_concurrency = CONC.  Over SECONDS seconds after a warm-up:
#   checks_per_s        plugin runs completed (connections the listener accepted)
#   dcmond_cpu_us       dcmond's own CPU (user+sys, all its threads) per check: spawn,
#                       pidfd and pipe handling, parsing, metrics, archive
#   plugin_cpu_us       the plugins' CPU per check (dcmond's reaped children)
#   plugin_wall_ms      mean of plugin_duration_seconds over the devices at the end
#   overhead_ratio      dcmond_cpu_us / plugin_cpu_us
#
#   bench/plugins.sh [CONC=32] [DEVICES=64] [SECONDS=10]   (DCMON_BUILD_DIR, default ./build)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DCMON_BUILD_DIR:-$SRC/build}
CONC=${1:-32}
NDEV=${2:-64}
SECS=${3:-10}
P=/usr/lib/nagios/plugins/check_tcp
[ -x $P ] || { echo "check_tcp missing: apt-get install monitoring-plugins-basic" >&2; exit 1; }
T=$(mktemp -d /tmp/dcmon-plugbench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT

# The target: accepts and closes, counts accepts, writes the count on SIGUSR1.
python3 - "$T/count" "$T/port" <<'PYEOF' &
import signal, socket, sys
count_file, port_file = sys.argv[1], sys.argv[2]
n = 0
def dump(*_):
    with open(count_file + ".tmp", "w") as f: f.write(str(n))
    import os; os.replace(count_file + ".tmp", count_file)
signal.signal(signal.SIGUSR1, dump)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(1024)
open(port_file, "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); c.close(); n += 1
PYEOF
lpid=$!
pids+=("$lpid")
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port")

{ cat <<YAML
daemon:
  data_dir: $T/data
  socket: $T/dcmon.sock
  interval: 100ms
  timeout: 100ms
  plugin_concurrency: $CONC
  archive_flush: 5s
devices:
YAML
  for i in $(seq 1 "$NDEV"); do
    printf '  - {id: d%d, kind: server, checks: {plugin: [{name: tcp, command: [%s, -H, 127.0.0.1, -p, "%s"]}]}}\n' \
      "$i" "$P" "$port"
  done; } >"$T/dcmon.yaml"
"$BUILD/dcmond" -c "$T/dcmon.yaml" --log-level warn >"$T/dcmond.log" 2>&1 &
dpid=$!
pids+=("$dpid")
for _ in $(seq 100); do [ -S "$T/dcmon.sock" ] && break; sleep 0.1; done
sleep 3 # warm-up

# sample: accepted connections, dcmond's own CPU ticks, its reaped children's ticks
sample() {
  kill -USR1 "$lpid"
  sleep 0.2
  read -r -a st <"/proc/$dpid/stat"
  # fields after "(comm)": utime=14 stime=15 cutime=16 cstime=17 (1-based)
  echo "$(cat "$T/count") $((st[13] + st[14])) $((st[15] + st[16]))"
}
read -r c0 self0 kids0 < <(sample)
sleep "$SECS"
read -r c1 self1 kids1 < <(sample)
hz=$(getconf CLK_TCK)
wall=$(curl -sf --unix-socket "$T/dcmon.sock" http://dcmond/api/v1/status 2>/dev/null |
  jq '[.devices[].metrics[] | select(.name == "plugin_duration_seconds" and .quality == "ok") | .value] | add / length * 1000' 2>/dev/null || echo nan)
awk -v c=$((c1 - c0)) -v s=$((self1 - self0)) -v k=$((kids1 - kids0)) -v hz="$hz" \
    -v secs="$SECS" -v conc="$CONC" -v ndev="$NDEV" -v wall="$wall" 'BEGIN {
  self_us = s / hz * 1e6 / c; kid_us = k / hz * 1e6 / c
  printf "concurrency=%d devices=%d seconds=%d checks=%d checks_per_s=%.0f dcmond_cpu_us=%.0f plugin_cpu_us=%.0f plugin_wall_ms=%.2f overhead_ratio=%.2f\n",
    conc, ndev, secs, c, c / secs, self_us, kid_us, wall, self_us / kid_us }'
