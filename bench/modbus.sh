#!/usr/bin/env bash
# Modbus benchmark: dcmond and collectd's modbus plugin, one after the other in one run,
# polling the same pymodbus peer (bench/modbus_peer.py: PORTS gateways x 10 unit ids)
# for the same 24 registers per device every 10 s, both writing RRD files with rrdtool.
# Measures after all RRD files exist plus one interval: values/s, CPU µs per value (/proc/PID/stat),
# peak RSS (VmHWM) and read requests on the wire (counted by the peer).
#
#   bench/modbus.sh [DEVICES=300] [SECONDS=60] [rrdtool|rrdcached]
#
# The third argument picks how both daemons write RRD files: directly with librrd
# (default) or through a private rrdcached (batched writes; CPU per value then shows
# the pollers rather than librrd's file updates).
#
# With DEVICES above ~1000, collectd's plugin (libmodbus, select()) is expected to fail
# once descriptors pass FD_SETSIZE; the script reports whether each daemon kept going.
# Prints one key=value line per daemon and a final ratio line.  Needs a built tree.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-300}
duration=${2:-60}
writer=${3:-rrdtool}
interval=10
units=10
ports=$(( (devices + units - 1) / units ))
build=${DCMON_BUILD_DIR:-build}
T=$(mktemp -d /tmp/dcmon-mbbench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT
ulimit -n "$(ulimit -Hn)"
hz=$(getconf CLK_TCK)

/usr/bin/python3 bench/modbus_peer.py "$ports" "$units" >"$T/peer.out" 2>"$T/peer.log" &
peer=$!
pids+=($peer)
for _ in $(seq 600); do grep -q READY "$T/peer.out" && break; sleep 0.1; done
grep -q READY "$T/peer.out" || { echo "peer did not start"; exit 1; }
mapfile -t portlist < <(grep -v READY "$T/peer.out")

cached_cfg=""
if [ "$writer" = rrdcached ]; then
  mkdir -p "$T/journal"
  /usr/bin/rrdcached -g -l "unix:$T/rrdcached.sock" -p "$T/rrdcached.pid" -j "$T/journal" \
    -b "$T" -w 60 -z 10 -f 120 >"$T/rrdcached.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -S "$T/rrdcached.sock" ] && break; sleep 0.1; done
  cached_cfg=" rrdcached: \"unix:$T/rrdcached.sock\","
fi

# peer_requests: read requests served since the last call.
peer_requests() {
  local before
  before=$(grep -c '^REQUESTS' "$T/peer.out" || true)
  kill -USR1 "$peer"
  for _ in $(seq 100); do
    [ "$(grep -c '^REQUESTS' "$T/peer.out" || true)" -gt "$before" ] && break
    sleep 0.05
  done
  grep '^REQUESTS' "$T/peer.out" | tail -1 | awk '{print $2}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }

# warm_up DIR EXPECTED: waits (bounded) until DIR holds EXPECTED RRD files, so the
# window measures polling and updates, not the one-off creation of the files.
warm_up() {
  for _ in $(seq 600); do
    [ "$(find "$1" -name '*.rrd' 2>/dev/null | wc -l)" -ge "$2" ] && break
    sleep 1
  done
  sleep "$interval"
}

# measure NAME PID VALUES_CMD RRD_DIR: warm up, then CPU and requests over the window.
measure() {
  local name=$1 pid=$2 t0 t1 req vals alive=yes
  warm_up "$4" $((devices * 24))
  peer_requests >/dev/null
  t0=$(cpu_ticks "$pid")
  sleep "$duration"
  if kill -0 "$pid" 2>/dev/null; then t1=$(cpu_ticks "$pid"); else alive=no; t1=$t0; fi
  req=$(peer_requests)
  vals=$($3)
  local vps cpu_us
  vps=$(awk -v v="$vals" -v i="$interval" 'BEGIN{printf "%.1f", v / i}')
  cpu_us=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v vps="$vps" -v d="$duration" \
    'BEGIN{ if (vps > 0) printf "%.2f", t / hz * 1e6 / (vps * d); else print "nan" }')
  echo "$name writer=$writer devices=$devices alive=$alive values_per_s=$vps cpu_us_per_value=$cpu_us" \
       "peak_rss_kb=$( [ $alive = yes ] && hwm_kb "$pid" || echo 0)" \
       "requests=$req requests_per_value=$(awk -v r="$req" -v v="$vps" -v d="$duration" \
       'BEGIN{ if (v > 0) printf "%.3f", r / (v * d); else print "nan" }')"
}

# ---- dcmond ------------------------------------------------------------------------
{
  echo "daemon: {data_dir: $T/dcmon-data, socket: $T/dcmon.sock, profiles_dir: $PWD/bench,$cached_cfg"
  echo "         interval: ${interval}s, timeout: 5s, log_level: warn}"
  echo "devices:"
  for ((i = 0; i < devices; i++)); do
    echo "  - {id: gen-$i, profile: modbus-bench, modbus: {host: 127.0.0.1, port: ${portlist[$((i / units))]}, unit: $((i % units + 1)), timeout: 2s}}"
  done
} >"$T/dcmon.yaml"
"$build/dcmond" -c "$T/dcmon.yaml" 2>"$T/dcmond.log" &
dpid=$!
pids+=($dpid)
dcmon_values() { # metrics with a fresh value
  "$build/dcmon" -s "$T/dcmon.sock" status --json 2>/dev/null |
    jq '[.devices[].metrics[] | select(.quality == "ok")] | length'
}
dline=$(measure dcmond "$dpid" dcmon_values "$T/dcmon-data")
echo "$dline"
kill "$dpid"; wait "$dpid" 2>/dev/null || true

# ---- collectd ----------------------------------------------------------------------
{
  cat <<CONF
Interval $interval
BaseDir "$T/collectd"
PIDFile "$T/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
FQDNLookup false
ReadThreads 5
LoadPlugin logfile
<Plugin logfile>
  File "$T/collectd.log"
  LogLevel warning
</Plugin>
CONF
  if [ "$writer" = rrdcached ]; then
    printf 'LoadPlugin rrdcached\n<Plugin rrdcached>\n  DaemonAddress "unix:%s/rrdcached.sock"\n  DataDir "%s/collectd-rrd"\n  CreateFiles true\n</Plugin>\n' "$T" "$T"
  else
    printf 'LoadPlugin rrdtool\n<Plugin rrdtool>\n  DataDir "%s/collectd-rrd"\n</Plugin>\n' "$T"
  fi
  cat <<CONF
LoadPlugin modbus
<Plugin modbus>
CONF
  for r in $(seq 0 19); do
    printf '  <Data "r%d">\n    RegisterBase %d\n    RegisterType Uint16\n    RegisterCmd ReadHolding\n    Type gauge\n    Instance "r%d"\n  </Data>\n' "$r" "$r" "$r"
  done
  printf '  <Data "f0">\n    RegisterBase 20\n    RegisterType Float\n    RegisterCmd ReadHolding\n    Type gauge\n    Instance "f0"\n  </Data>\n'
  printf '  <Data "f1">\n    RegisterBase 22\n    RegisterType Float\n    RegisterCmd ReadHolding\n    Type gauge\n    Instance "f1"\n  </Data>\n'
  printf '  <Data "i0">\n    RegisterBase 30\n    RegisterType Int32\n    RegisterCmd ReadHolding\n    Type gauge\n    Instance "i0"\n  </Data>\n'
  printf '  <Data "i1">\n    RegisterBase 32\n    RegisterType Int32\n    RegisterCmd ReadHolding\n    Type gauge\n    Instance "i1"\n  </Data>\n'
  for ((i = 0; i < devices; i++)); do
    printf '  <Host "gen-%d">\n    Address "127.0.0.1"\n    Port "%s"\n    Interval %d\n    <Slave %d>\n      Instance "u"\n' \
      "$i" "${portlist[$((i / units))]}" "$interval" "$((i % units + 1))"
    for r in $(seq 0 19); do printf '      Collect "r%d"\n' "$r"; done
    printf '      Collect "f0"\n      Collect "f1"\n      Collect "i0"\n      Collect "i1"\n    </Slave>\n  </Host>\n'
  done
  echo "</Plugin>"
} >"$T/collectd.conf"
mkdir -p "$T/collectd" "$T/collectd-rrd"
/usr/sbin/collectd -f -C "$T/collectd.conf" >"$T/collectd.out" 2>&1 &
cpid=$!
pids+=($cpid)
collectd_values() { # one request per value: what the peer served in the window
  awk -v r="$(grep '^REQUESTS' "$T/peer.out" | tail -1 | awk '{print $2}')" -v d="$duration" \
      -v i="$interval" 'BEGIN{printf "%d", r * i / d}'
}
cline=$(measure collectd "$cpid" collectd_values "$T/collectd-rrd")
echo "$cline"
grep -m3 -iE "error|abort|FD_SETSIZE" "$T/collectd.log" "$T/collectd.out" 2>/dev/null | sed 's/^/collectd log: /' || true

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }
echo "ratio cpu_per_value=$(awk -v a="$(field cpu_us_per_value "$cline")" -v b="$(field cpu_us_per_value "$dline")" \
  'BEGIN{ if (b > 0 && a == a) printf "%.1f", a / b; else print "nan" }')" \
  "requests_per_value=$(awk -v a="$(field requests_per_value "$cline")" -v b="$(field requests_per_value "$dline")" \
  'BEGIN{ if (b > 0 && a == a) printf "%.1f", a / b; else print "nan" }')"
