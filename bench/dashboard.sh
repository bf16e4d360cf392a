#!/usr/bin/env bash
# Dashboard benchmark: dcmond with DEVICES server devices (a TCP check each against
# loopback listeners, 10 s interval, spread over 10 halls of 2 sites) and WALLS open
# event streams.  Measures
#   * time to first byte and total time of the wall JSON (GET /api/v1/status?metrics=1)
#     and of the SSE snapshot a wall gets when it connects (median of 20);
#   * SSE fan-out: every wall gets every update; latency from the update's ts_ms to its
#     arrival at each wall (p50/p99), updates per second;
#   * dcmond CPU per update: CPU time (/proc/PID/stat) while WALLS walls are connected
#     divided by the updates sent (all: polling included), and the same minus an equal
#     span with no wall (marginal: the dashboard's share; noisy on a shared machine).
#
#   bench/dashboard.sh [DEVICES=5000] [WALLS=50] [SECONDS=30]
#
# BENCH_AUTH=noc-operator|tenant-operator: the wall JSON is asked with an account's API
# token of that role (a tenant-operator of acme is scoped: half the devices, every
# request computes its scope; docs/ACCOUNTS.md); unset: anonymously, as before accounts.
# The event streams are anonymous (unscoped) unless BENCH_SCOPED_STREAMS=1: then they
# carry the same token, so a tenant-operator's walls get its scope's channel (its
# devices and the shared chain; dashboard/http_sse.c).
#
# Prints one final line of key=value.  Needs a built tree (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-5000}
walls=${2:-50}
duration=${3:-30}
source bench/servers_lib.sh
start_servers "$devices" 50
auth=()
stream_hdr=
if [ -n "${BENCH_AUTH:-}" ]; then
  tenant=; [ "$BENCH_AUTH" = tenant-operator ] && tenant=acme
  tok=$(bench_token "$BENCH_AUTH" $tenant)
  auth=(-H "Authorization: Bearer $tok")
  [ "${BENCH_SCOPED_STREAMS:-0}" = 1 ] && stream_hdr="Authorization: Bearer $tok"
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$dpid/stat"; }
hz=$(getconf CLK_TCK)

# time to first byte: wall JSON and the SSE snapshot
ttfb() { # URL -> "ttfb_ms total_ms bytes" median of 20
  for _ in $(seq 20); do
    curl -s -o /dev/null --compressed -m 20 "${auth[@]}" -w '%{time_starttransfer} %{time_total} %{size_download}\n' "$1"
  done | sort -n | awk 'NR == 10 {printf "%.1f %.1f %d\n", $1 * 1000, $2 * 1000, $3}'
}
read -r json_ttfb json_total json_bytes < <(ttfb "http://127.0.0.1:$http_port/api/v1/status?metrics=1")
snap=$($PY - "$http_port" "$stream_hdr" <<'PY'
import socket, sys, time
hdr = (sys.argv[2] + "\r\n").encode() if sys.argv[2] else b""
vals = []
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    t0 = time.monotonic()
    s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n" + hdr + b"\r\n")
    s.recv(1)
    t1 = time.monotonic()
    buf = b""
    while b"\n\n" not in buf.split(b"\r\n\r\n", 1)[-1][:]:
        d = s.recv(1 << 20)
        if not d: break
        buf += d
        if buf.count(b"\n\n") >= 2: break
    vals.append(((t1 - t0) * 1000, (time.monotonic() - t0) * 1000, len(buf)))
    s.close()
vals.sort()
print("%.1f %.1f %d" % vals[10])
PY
)
read -r snap_ttfb snap_total snap_bytes <<<"$snap"

# baseline: polling alone, no wall
c0=$(cpu_ticks); sleep "$duration"; c1=$(cpu_ticks)
base_ticks=$((c1 - c0))

# WALLS walls: count updates and their latency at every wall
$PY - "$http_port" "$walls" "$duration" "$stream_hdr" >"$T/fanout" <<'PY' &
import selectors, socket, sys, time, json
port, walls, dur = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
hdr = (sys.argv[4] + "\r\n").encode() if sys.argv[4] else b""
sel = selectors.DefaultSelector()
bufs = {}
for _ in range(walls):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n" + hdr + b"\r\n")
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    bufs[s] = b""
lags, counts, nbytes = [], {}, 0
start = time.time()
warm = start + 3  # skip the snapshots
while time.time() < start + 3 + dur:
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        d = s.recv(1 << 20)
        if not d: continue
        now = time.time() * 1000
        nbytes += len(d) if now / 1000 > warm else 0
        bufs[s] += d
        while b"\n\n" in bufs[s]:
            ev, bufs[s] = bufs[s].split(b"\n\n", 1)
            typ = data = None
            for line in ev.split(b"\n"):
                line = line.split(b"\r\n")[-1]
                if line.startswith(b"event: "): typ = line[7:].decode()
                elif line.startswith(b"data: "): data = line[6:]
            if typ in ("diff", "ping") and now / 1000 > warm:
                ts = int(data.split(b'"ts_ms":', 1)[1].split(b",", 1)[0].split(b"}", 1)[0])
                lags.append(now - ts)
                counts[s] = counts.get(s, 0) + (typ == "diff")
lags.sort()
per = sorted(counts.values()) or [0]
print("%.1f %.1f %d %d %d" % (lags[len(lags) // 2] if lags else -1, lags[int(len(lags) * .99)] if lags else -1,
                             per[0], per[-1], nbytes))
PY
fpid=$!
pids+=($fpid)
sleep 3
c2=$(cpu_ticks)
wait "$fpid" || true
c3=$(cpu_ticks)
read -r lag50 lag99 upd_min upd_max fan_bytes <"$T/fanout"
wall_ticks=$((c3 - c2))
cpu_per_update=$(awk -v w="$wall_ticks" -v b="$base_ticks" -v u="$upd_min" -v hz="$hz" \
  'BEGIN { if (u > 0) printf "%.2f", (w - b) / hz * 1000 / u; else print "nan" }')
cpu_all_per_update=$(awk -v w="$wall_ticks" -v u="$upd_min" -v hz="$hz" \
  'BEGIN { if (u > 0) printf "%.2f", w / hz * 1000 / u; else print "nan" }')
cpu_total=$(awk -v w="$wall_ticks" -v hz="$hz" -v d="$duration" 'BEGIN { printf "%.1f", w / hz / d * 100 }')
cpu_base=$(awk -v b="$base_ticks" -v hz="$hz" -v d="$duration" 'BEGIN { printf "%.1f", b / hz / d * 100 }')
echo "auth=${BENCH_AUTH:-anonymous} scoped_streams=$([ -n "$stream_hdr" ] && echo 1 || echo 0) devices=$devices walls=$walls seconds=$duration wall_json_ttfb_ms=$json_ttfb wall_json_total_ms=$json_total wall_json_gzip_bytes=$json_bytes sse_snapshot_ttfb_ms=$snap_ttfb sse_snapshot_total_ms=$snap_total sse_snapshot_bytes=$snap_bytes updates_per_wall=$upd_min..$upd_max fanout_lag_p50_ms=$lag50 fanout_lag_p99_ms=$lag99 sse_bytes_per_wall_per_s=$(awk -v b="$fan_bytes" -v w="$walls" -v d="$duration" 'BEGIN{printf "%d", b / w / d}') cpu_polling_only_pct=$cpu_base cpu_with_walls_pct=$cpu_total cpu_ms_per_update_all=$cpu_all_per_update cpu_ms_per_update_marginal=$cpu_per_update"
