#!/usr/bin/env bash
# Prometheus scrape benchmark: dcmond with DEVICES server devices (bench/servers_lib.sh:
# a TCP check each, 10 s interval) and SCRAPES scrapes of GET /metrics in a row, as
# Prometheus asks (OpenMetrics), anonymously (every device) and with a tenant account's
# token (acme: half the devices, its scope computed per request).  Measures per scrape
# the median total time, the bytes and series, and dcmond's CPU time (/proc/PID/stat
# over the scrapes, divided by their count: polling included, a few % at 10 s).
#
#   bench/prometheus.sh [DEVICES=5000] [SCRAPES=50]
#
# Prints one final line of key=value.  Needs a built tree (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-5000}
scrapes=${2:-50}
source bench/servers_lib.sh
start_servers "$devices" 50
tenant=(-H "Authorization: Bearer $(bench_token tenant-operator acme)")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$dpid/stat"; }
hz=$(getconf CLK_TCK)
url="http://127.0.0.1:$http_port/metrics"
om=(-H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5')

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
