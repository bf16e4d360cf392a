# The large dcmond of the dashboard and Prometheus benchmarks (bench/dashboard.sh,
# bench/prometheus.sh): N server devices, a TCP check each against loopback listeners,
# spread over 10 halls of 2 sites, every other one acme's, the rest globex's.
# Source it from the source tree's root: it makes $T (removed at exit with every pid in
# `pids`), and sets build and PY.
build=${DCMON_BUILD_DIR:-build}
T=$(mktemp -d /tmp/dcmon-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT
ulimit -n "$(ulimit -Hn)"
PY=/usr/bin/python3

# start_listeners N: N loopback TCP listeners (bench/tcp_listeners.py); their ports in
# the array `ports`.
start_listeners() {
  $PY bench/tcp_listeners.py "$1" 4096 0.05 >"$T/ports" 2>"$T/listeners.log" &
  pids+=($!)
  for _ in $(seq 100); do [ "$(wc -l <"$T/ports")" -ge "$1" ] && break; sleep 0.1; done
  mapfile -t ports <"$T/ports"
}

# servers_yaml DEVICES HTTP_PORT: the configuration, on stdout (state in $T); the devices
# check the listeners of start_listeners round robin, every 10 s, or with BENCH_PLUGIN
# set (an executable) run it as a Nagios plugin check every 60 s instead (its perfdata
# items are the series).  Anonymous readers keep
# reading once bench_token has added an account (http.anonymous: wall), so an anonymous
# run measures the unscoped wall as before accounts (docs/ACCOUNTS.md).
servers_yaml() {
  local devices=$1 http_port=$2 i s t check
  # with BENCH_PLUGIN (100,000 series and more), no RRD files: about 480 KB each would
  # fill the disk (50 GB at 100,000); the archive holds values for an rrdcached that
  # is not there (bench/snmp.sh's ARCHIVE=none)
  local rrdc=""
  [ -z "${BENCH_PLUGIN:-}" ] || rrdc=" archive_flush: 1h, rrdcached: unix:$T/absent.sock,"
  echo "daemon: {data_dir: $T/data, socket: $T/dcmon.sock, interval: 10s, timeout: 2s, log_level: warn,$rrdc"
  echo "         http: {port: $http_port, anonymous: wall}}"
  echo "sites:"
  for s in 1 2; do
    echo "  - {id: site-$s, rooms: [{id: hall-1}, {id: hall-2}, {id: hall-3}, {id: hall-4}, {id: hall-5}]}"
  done
  echo "tenants: [{id: acme, email: [a@acme.example]}, {id: globex, email: [g@globex.example]}]"
  echo "devices:"
  for ((i = 0; i < devices; i++)); do
    t=$([ $((i % 2)) -eq 0 ] && echo acme || echo globex)
    check="checks: {tcp: [${ports[$((i % ${#ports[@]}))]}]}"
    [ -z "${BENCH_PLUGIN:-}" ] || check="interval: 60s, checks: {plugin: [{name: perf, command: [$BENCH_PLUGIN]}]}"
    echo "  - {id: srv-$i, kind: server, host: 127.0.0.1, tenant: $t, location: {site: site-$((i % 2 + 1)), room: hall-$((i % 5 + 1)), row: r$((i % 20))}, $check}"
  done
}

# start_servers DEVICES LISTENERS: dcmond on that configuration, once every device has
# values (one full poll interval); sets dpid and http_port.
start_servers() {
  start_listeners "$2"
  http_port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  servers_yaml "$1" "$http_port" >"$T/dcmon.yaml"
  "$build/dcmond" -c "$T/dcmon.yaml" >"$T/dcmond.log" 2>&1 &
  dpid=$!
  pids+=($dpid)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$http_port/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 12
}

# bench_token ROLE [TENANT]: the API token of a new account "bench" of that role.
bench_token() {
  local scope=(); [ -n "${2:-}" ] && scope=(--tenant "$2")
  echo "bench-password-$RANDOM$RANDOM" | DCMON_SOCKET=$T/dcmon.sock "$build/dcmon" user add bench \
    --role "$1" "${scope[@]}" >/dev/null
  DCMON_SOCKET=$T/dcmon.sock "$build/dcmon" user token bench | head -1
}
