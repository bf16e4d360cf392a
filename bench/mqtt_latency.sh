#!/usr/bin/env bash
# MQTT ingest latency: how long a value waits between the broker and dcmond's registry,
# with the read pause of a busy stream (docs/MQTT.md "Wake-ups").
#
#   bench/mqtt_latency.sh [DEVICES=100] [POINTS=20] [RATE=2000 values/s] [PROBES=40]
#
# dcmond subscribes as in bench/mqtt.sh (plain TCP) while bench_mqtt_pub publishes
# RATE values/s; one mosquitto_pub -l, connected once, then publishes PROBES values
# "N:i" to collectd/d00000/bench/gauge-probe, 0.2-0.5 s apart.  A collectd value without
# a time takes the time of its read, so latency = the value's value_ts_ms (GET
# /api/v1/devices/d00000) - the wall clock just before the probe went to mosquitto_pub.
# Prints key=value: probes, latency_ms_p50, latency_ms_p99, latency_ms_max.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-100}
points=${2:-20}
rate=${3:-2000}
probes=${4:-40}
build=${DCMON_BUILD_DIR:-build}
[ -x "$build/dcmond" ] && [ -x "$build/bench_mqtt_pub" ] ||
	{ echo "no $build/dcmond or $build/bench_mqtt_pub: run scripts/build.sh" >&2; exit 2; }
source bench/mqtt_lib.sh

mqtt_bench_setup mqttlat
"$build/bench_mqtt_pub" 127.0.0.1 "$port" "$devices" "$points" "$rate" $((probes + 90)) \
	>"$T/pub.out" 2>"$T/pub.err" &
pids+=($!)
{
	echo "daemon: {data_dir: $T/data, socket: $T/dcmon.sock, interval: 10s, timeout: 1s,"
	echo "         archive_flush: 1h, rrdcached: unix:$T/absent.sock, log_level: warn,"
	echo "         mqtt: {host: 127.0.0.1, port: $port, client_id: dcmond-latency, qos: 0,"
	bench_mqtt_stream_yaml
	bench_mqtt_devices_yaml "$devices"
} >"$T/dcmond.yaml"
mkdir -p "$T/data"
"$build/dcmond" -c "$T/dcmond.yaml" >"$T/dcmond.log" 2>&1 &
pids+=($!)
probe_value() {
	curl -sf --unix-socket "$T/dcmon.sock" http://dcmond/api/v1/devices/d00000 |
		jq -r '[.. | objects | select((.inst? // "" | tostring) | test("probe"))][0] | "\(.value) \(.value_ts_ms)"'
}
series_made() { [ "$(curl -sf --unix-socket "$T/dcmon.sock" http://dcmond/api/v1/health | jq -r .metrics)" -ge $((devices * points)) ]; }
wait_for 60 series_made || { echo "dcmond did not see every series" >&2; exit 1; }

mkfifo "$T/probe.fifo"
mosquitto_pub -h 127.0.0.1 -p "$port" -t collectd/d00000/bench/gauge-probe -l <"$T/probe.fifo" &
pids+=($!)
exec 3>"$T/probe.fifo"
echo "mqtt latency: $rate values/s, $probes probes, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for i in $(seq 1 "$probes"); do
	t0=$(date +%s%3N)
	echo "N:$i" >&3
	got() { read -r v ts < <(probe_value) && [ "$v" = "$i" ]; }
	wait_for 5 got || { echo "probe $i did not arrive" >&2; exit 1; }
	echo $((ts - t0)) >>"$T/latency"
	sleep "0.$((2 + RANDOM % 4))"
done
exec 3>&-
sort -n "$T/latency" | awk -v n="$probes" -v r="$rate" '{v[NR] = $1}
	END {p99 = int(n * 0.99 + 0.5); if (p99 < 1) p99 = 1
	     printf "rate=%d probes=%d latency_ms_p50=%d latency_ms_p99=%d latency_ms_max=%d\n",
	     r, n, v[int((n + 1) / 2)], v[p99], v[n]}'
