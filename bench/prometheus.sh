#!/usr/bin/env bash
# Prometheus scrape benchmark: dcmond with DEVICES server devices (bench/servers_lib.sh:
# a TCP check each, 10 s interval) and SCRAPES scrapes of GET /metrics in a row, as
# Prometheus asks (OpenMetrics), anonymously (every device) and with a tenant account's
# token (acme: half the devices, its scope computed per request).  Measures per scrape
# the median total time, the bytes and series, and dcmond's CPU time (/proc/PID/stat
# over the scrapes, divided by their count: polling included, a few % at 10 s).
#
#   bench/prometheus.sh [DEVICES=5000] [SCRAPES=50] [PERF_ITEMS=0]
#
# PERF_ITEMS > 0 (at most 64, a plugin's perfdata bound): each device runs a Nagios
# plugin (a shell script) every 60 s instead of its TCP check, whose perfdata has that
# many items, each a series: 2000 devices with 50 items scrape 100,000 series.
#
# Prints one final line of key=value.  Needs a built tree (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-5000}
scrapes=${2:-50}
perf_items=${3:-0}
source bench/servers_lib.sh
if [ "$perf_items" -gt 0 ]; then
  BENCH_PLUGIN=$T/perf
  { echo '#!/bin/sh'
    printf 'echo "OK|'; for ((i = 0; i < perf_items; i++)); do printf 'item%d=%d ' "$i" "$i"; done
    echo '"'; } >"$BENCH_PLUGIN"
  chmod 755 "$BENCH_PLUGIN"
fi
start_servers "$devices" 50
tenant=(-H "Authorization: Bearer $(bench_token tenant-operator acme)")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$dpid/stat"; }
hz=$(getconf CLK_TCK)
url="http://127.0.0.1:$http_port/metrics"
om=(-H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5')

# the plugins' first runs spread over their 60 s interval: wait (at most 120 s) for
# every device's series
if [ "$perf_items" -gt 0 ]; then
  for _ in $(seq 120); do
    n=$(curl -s -m 20 "${om[@]}" "$url" | grep -c '^dcmon_plugin_perf_count' || true)
    [ "$n" -ge $((devices * perf_items)) ] && break
    sleep 1
  done
fi

# scrape [CURL ARGS...]: "median_ms cpu_ms_per_scrape bytes series" over $scrapes scrapes
scrape() {
  curl -s -m 20 "${om[@]}" "$@" -o "$T/out" "$url"
  local bytes series c0 c1
  bytes=$(wc -c <"$T/out")
  series=$(grep -vc '^#' "$T/out" || true)
  c0=$(cpu_ticks)
  local ms
  ms=$(for _ in $(seq "$scrapes"); do
         curl -s -o /dev/null -m 20 "${om[@]}" "$@" -w '%{time_total}\n' "$url"
       done | sort -n | awk -v n="$scrapes" 'NR == int((n + 1) / 2) {printf "%.1f", $1 * 1000}')
  c1=$(cpu_ticks)
  echo "$ms $(awk -v d=$((c1 - c0)) -v hz="$hz" -v n="$scrapes" 'BEGIN {printf "%.1f", d * 1000 / hz / n}') $bytes $series"
}
read -r all_ms all_cpu all_bytes all_series < <(scrape)
read -r ten_ms ten_cpu ten_bytes ten_series < <(scrape "${tenant[@]}")
echo "devices=$devices scrapes=$scrapes series=$all_series bytes=$all_bytes scrape_ms=$all_ms" \
     "cpu_ms_per_scrape=$all_cpu tenant_series=$ten_series tenant_bytes=$ten_bytes" \
     "tenant_scrape_ms=$ten_ms tenant_cpu_ms_per_scrape=$ten_cpu"
