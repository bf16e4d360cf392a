#!/usr/bin/env bash
# MQTT publish benchmark: the CPU dcmond spends per value it publishes
# (daemon.mqtt.publish), from two dcmonds side by side in one run on the same broker
# and the same ingested stream, one that only ingests and one that also publishes
# every value change.
#
#   bench/mqtt_publish.sh [DEVICES=99] [POINTS=21] [RATE=2000 values/s] [SECONDS=20]
#
# The stream is bench/mqtt.sh's (bench_mqtt_pub: collectd-layout values over DEVICES x
# POINTS series, QoS 0).  A value's decimal is its message number mod 10, so with a
# series count that is not a multiple of 10 every report changes its series' value and
# is published (kinds: [values], max_rate PUBLISH_RATE or 0, QoS PUBLISH_QOS or 0, retained).  A mosquitto_sub on
# the publish prefix counts what the publisher sent.  CPU from /proc/PID/stat over the
# window: publish us per value = (CPU of the publishing dcmond - CPU of the other) /
# values published.  Prints a table and one final line of key=value.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-99}
points=${2:-21}
rate=${3:-2000}
duration=${4:-20}
warmup_max=${WARMUP_MAX:-60}
build=${DCMON_BUILD_DIR:-build}
[ -x "$build/dcmond" ] && [ -x "$build/bench_mqtt_pub" ] ||
	{ echo "no $build/dcmond or $build/bench_mqtt_pub: run scripts/build.sh" >&2; exit 2; }
source bench/mqtt_lib.sh
series=$((devices * points))
mqtt_bench_setup mqttpubbench

# --- the two dcmonds --------------------------------------------------------------------
start_dcmond() { # NAME [PUBLISH-SECTION]
	mkdir -p "$T/$1"
	{
		echo "daemon: {data_dir: $T/$1, socket: $T/$1.sock, interval: 10s, timeout: 1s,"
		echo "         archive_flush: 1h, rrdcached: unix:$T/absent.sock, log_level: warn,"
		echo "         mqtt: {host: 127.0.0.1, port: $port, client_id: $1, qos: 0, ${2:-}"
		echo "                subscriptions: [{topic: collectd/+/bench/+, device_level: 2,"
		echo "                                 instance_level: 4, format: collectd, metric: reading_volts}]}}"
		echo "devices:"
		for d in $(seq 0 $((devices - 1))); do printf '  - {id: d%05d, kind: env, mqtt: true}\n' "$d"; done
	} >"$T/$1.yaml"
	"$build/dcmond" -c "$T/$1.yaml" >"$T/$1.log" 2>&1 &
	pids+=($!)
	echo $! >"$T/$1.pid"
}
start_dcmond ingest
start_dcmond publish "publish: {prefix: out, kinds: [values], max_rate: ${PUBLISH_RATE:-0}, queue: 100000, qos: ${PUBLISH_QOS:-0}},"
ingest_pid=$(cat "$T/ingest.pid"); publish_pid=$(cat "$T/publish.pid")
health() { curl -sf --unix-socket "$T/$1.sock" http://dcmond/api/v1/health | jq -r ".$2"; }
for n in ingest publish; do
	wait_for 20 health $n reports || { echo "dcmond $n did not start" >&2; tail "$T/$n.log" >&2; exit 1; }
done
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'out/#' -q 0 >"$T/out.txt" 2>"$T/sub.log" &
pids+=($!)
wait_for 10 grep -q "Sending SUBACK" "$T/broker.log" 2>/dev/null || sleep 1

# --- the stream: warm-up, then the window ------------------------------------------------
echo "mqtt publish bench: $devices devices x $points points, $rate values/s," \
	"window ${duration}s, $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench_mqtt_pub" 127.0.0.1 "$port" "$devices" "$points" "$rate" \
	$((duration + warmup_max + 10)) >"$T/pub.out" 2>"$T/pub.err" &
pids+=($!)
series_made() { [ "$(health "$1" metrics)" -ge $((series + devices)) ]; }
wait_for "$warmup_max" series_made ingest && wait_for "$warmup_max" series_made publish ||
	{ echo "dcmond did not see every series" >&2; exit 1; }
sleep 2
out0=$(wc -l <"$T/out.txt"); r0=$(health publish reports)
i0=$(cpu_ticks "$ingest_pid"); p0=$(cpu_ticks "$publish_pid")
t0=$(date +%s.%N)
sleep "$duration"
out1=$(wc -l <"$T/out.txt"); r1=$(health publish reports)
i1=$(cpu_ticks "$ingest_pid"); p1=$(cpu_ticks "$publish_pid")
t1=$(date +%s.%N)

wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
published=$((out1 - out0))
reports=$((r1 - r0))
read -r i_us p_us pub_us pps < <(awk -v i=$((i1 - i0)) -v p=$((p1 - p0)) -v hz="$hz" \
	-v r="$reports" -v n="$published" -v w="$wall" 'BEGIN {
	printf "%.2f %.2f %.2f %.0f\n", i * 1e6 / hz / r, p * 1e6 / hz / r,
	       (n > 0 ? (p - i) * 1e6 / hz / n : 0), n / w }')
echo "ingest only:      $i_us us/value ingested" >&2
echo "ingest + publish: $p_us us/value ingested; $pps values/s published" >&2
echo "publish:          $pub_us us/value published (the difference over what was published)" >&2
printf 'devices=%d points=%d rate=%d seconds=%s reports=%d published=%d published_per_s=%s' \
	"$devices" "$points" "$rate" "$wall" "$reports" "$published" "$pps"
printf ' ingest_cpu_us_per_value=%s ingest_publish_cpu_us_per_value=%s publish_cpu_us_per_value=%s\n' \
	"$i_us" "$p_us" "$pub_us"
