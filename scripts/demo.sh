#!/usr/bin/env bash
# The demo: installs dependencies, builds, and runs dcmond on etc/dcmon.yaml, which
# monitors this machine for real: ping 127.0.0.1, the TCP port of a small web service
# this script starts, dcmond's own process, and local CPU, memory, load and filesystems.
# Stops everything on Ctrl-C (or after DCMON_DEMO_SECONDS seconds, if set).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
bash scripts/build.sh build
mkdir -p run/www run/data
echo "dcmon demo service" > run/www/index.html

pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo stopped; RRD archives stay in $root/run/data"
}
trap stop EXIT INT TERM

/usr/bin/python3 -m http.server --bind 127.0.0.1 18080 --directory run/www \
  >run/www.log 2>&1 &
pids+=($!)
./build/dcmond -c etc/dcmon.yaml >run/dcmond.log 2>&1 &
pids+=($!)

sock="$root/run/dcmon.sock"
for _ in $(seq 50); do
  [ -S "$sock" ] && break
  sleep 0.2
done
# wait (bounded) for the first poll, so the first status shows values
for _ in $(seq 60); do
  rc=0; ./build/dcmon --socket "$sock" status >/dev/null 2>&1 || rc=$?
  [ "$rc" -lt 3 ] && break
  sleep 0.5
done
cat <<MSG

dcmond is running (log: run/dcmond.log). In another terminal:

  ./build/dcmon --socket $sock status              # every device, key values
  ./build/dcmon --socket $sock status -v           # every metric
  ./build/dcmon --socket $sock status --json       # the API document
  ls run/data/localhost/                           # one RRD file per metric

Stop the web service (kill the python3 http.server) and watch tcp_port_up drop to 0.
Press Ctrl-C to stop the demo.
MSG
./build/dcmon --socket "$sock" status || true
if [ -n "${DCMON_DEMO_SECONDS:-}" ]; then
  sleep "$DCMON_DEMO_SECONDS"
else
  wait "${pids[1]}"
fi
