#!/usr/bin/env bash
# MQTT ingest benchmark: dcmond and collectd's mqtt plugin subscribed side by side, in
# one run, to the same mosquitto broker on loopback and the same published stream.
#
#   bench/mqtt.sh [DEVICES=100] [POINTS=20] [RATE=2000 values/s] [SECONDS=30]
#   env: PERF_OUT=FILE, PERF_FLAGS as in bench/snmp.sh (a perf record of dcmond's window)
#        TLS=1: a second round where both subscribe over TLS (see below)
#
# The stream (bench_mqtt_pub, bench/mqtt_pub_main.c): RATE messages a second, QoS 0,
# round-robin over DEVICES x POINTS series, topic collectd/dNNNNN/bench/gauge-pNNN and
# payload "N:VALUE", the layout of collectd's own MQTT plugins, so that both read the
# very same bytes.  dcmond: one daemon subscription collectd/+/bench/+ (device = level 2,
# instance = level 4, format collectd), DEVICES devices with `mqtt: true` polled every
# 10 s (their state and mqtt_payload_errors_count: part of its CPU, not of its values), its archive pointed at an rrdcached
# socket nobody listens on (values are queued, no file written: the same for both).
# collectd: the mqtt plugin's <Subscribe> of collectd/#, and the network plugin sending
# every value to a loopback counter (bench/collectd_net_counter.py, not counted).
#
# The floor (bench_mqtt_floor, bench/mqtt_floor_main.c): a bare libmosquitto subscriber
# to the same stream and transport, read as dcmond reads it, that only counts messages:
# what libmosquitto's receive path costs here, under any subscriber built on it.
# dcmond_above_floor_us: dcmond's CPU a value less the floor's, its own work.
#
# Values counted over the window: dcmond's /api/v1/health `reports`, and the values the
# counter received from collectd.  CPU from /proc/PID/task/*/schedstat (the scheduler's
# run time of every thread, in ns) over the window; cpu us per value = CPU / values.
# dcmond_wakes_per_s: how often its loop thread slept and was woken (voluntary context
# switches).  A warm-up (all series created in dcmond,
# collectd's values flowing) precedes the window.  Prints a table and one final line
# of key=value (transport=plain).  With TLS=1 the broker also listens with TLS (a test
# CA made here, client certificates required), and a second round starts a fresh dcmond
# and collectd subscribed over TLS (ca_file/cert_file/key_file; CACert/CertificateFile/
# CertificateKeyFile) to the same stream, still published in plain text: a second line,
# transport=tls.  PERF_OUT then records the TLS round.  Needs a built tree (scripts/build.sh).  Target: dcmond at most 1/5 of
# collectd's CPU per value.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-100}
points=${2:-20}
rate=${3:-2000}
duration=${4:-30}
warmup_max=${WARMUP_MAX:-60}
tls=${TLS:-0}
build=${DCMON_BUILD_DIR:-build}
PY=/usr/bin/python3
[ -x "$build/dcmond" ] && [ -x "$build/bench_mqtt_pub" ] ||
	{ echo "no $build/dcmond or $build/bench_mqtt_pub: run scripts/build.sh" >&2; exit 2; }
source bench/mqtt_lib.sh
series=$((devices * points))

# --- broker, collectd's value counter, the stream --------------------------------------
mqtt_bench_setup mqttbench "$([ "$tls" = 1 ] && echo tls)"
$PY bench/collectd_net_counter.py "$T/net.port" "$T/net.count" >"$T/net.log" 2>&1 &
net_pid=$!
pids+=($net_pid)
wait_for 10 test -s "$T/net.port"
net_count() { kill -USR1 "$net_pid"; sleep 0.3; cat "$T/net.count"; }
rounds=$((tls == 1 ? 2 : 1))
echo "mqtt bench: $devices devices x $points points, $rate values/s, window ${duration}s," \
	"$(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench_mqtt_pub" 127.0.0.1 "$port" "$devices" "$points" "$rate" \
	$((rounds * (duration + warmup_max + 30))) >"$T/pub.out" 2>"$T/pub.err" &
pub_pid=$!
pids+=($pub_pid)

# --- dcmond ---------------------------------------------------------------------------
start_dcmond() { # TRANSPORT PORT
	mkdir -p "$T/dcmond-$1"
	{
		echo "daemon: {data_dir: $T/dcmond-$1, socket: $T/dcmon-$1.sock, interval: 10s, timeout: 1s,"
		echo "         archive_flush: 1h, rrdcached: unix:$T/absent.sock, log_level: warn,"
		echo "         mqtt: {host: 127.0.0.1, port: $2, client_id: dcmond-bench-$1, qos: 0,"
		[ "$1" = plain ] ||
			echo "                ca_file: $T/tls/ca.pem, cert_file: $T/tls/cli.pem, key_file: $T/tls/cli.key,"
		bench_mqtt_stream_yaml
		bench_mqtt_devices_yaml "$devices"
	} >"$T/dcmond-$1.yaml"
	"$build/dcmond" -c "$T/dcmond-$1.yaml" >"$T/dcmond-$1.log" 2>&1 &
	dcmond_pid=$!
	pids+=($dcmond_pid)
	sock=$T/dcmon-$1.sock
}
health() { curl -sf --unix-socket "$sock" http://dcmond/api/v1/health | jq -r ".$1"; }

# --- collectd -------------------------------------------------------------------------
start_collectd() { # TRANSPORT PORT
	{
		echo "Hostname \"bench\""
		echo "FQDNLookup false"
		echo "Interval 1"
		echo "TypesDB \"/usr/share/collectd/types.db\""
		echo "PIDFile \"$T/collectd-$1.pid\""
		echo "BaseDir \"$T/collectd-$1\""
		echo "PluginDir \"/usr/lib/collectd\""
		echo "LoadPlugin logfile"
		echo "<Plugin logfile>"
		echo "  LogLevel warning"
		echo "  File \"$T/collectd-$1.log\""
		echo "</Plugin>"
		echo "LoadPlugin network"
		echo "<Plugin network>"
		echo "  Server \"127.0.0.1\" \"$(cat "$T/net.port")\""
		echo "</Plugin>"
		echo "LoadPlugin mqtt"
		echo "<Plugin mqtt>"
		echo "  <Subscribe \"bench\">"
		echo "    Host \"127.0.0.1\""
		echo "    Port $2"
		echo "    ClientId \"collectd-bench-$1\""
		echo "    Topic \"collectd/#\""
		echo "    QoS 0"
		echo "    CleanSession true"
		[ "$1" = plain ] || {
			echo "    CACert \"$T/tls/ca.pem\""
			echo "    CertificateFile \"$T/tls/cli.pem\""
			echo "    CertificateKeyFile \"$T/tls/cli.key\""
		}
		echo "  </Subscribe>"
		echo "</Plugin>"
	} >"$T/collectd-$1.conf"
	mkdir -p "$T/collectd-$1"
	collectd -f -C "$T/collectd-$1.conf" >"$T/collectd-$1.out" 2>&1 &
	collectd_pid=$!
	pids+=($collectd_pid)
}

# --- one round: both subscribe over TRANSPORT, warm up, then the window ------------------
start_floor() { # TRANSPORT PORT
	local tls_args=()
	[ "$1" = plain ] || tls_args=("$T/tls/ca.pem" "$T/tls/cli.pem" "$T/tls/cli.key")
	"$build/bench_mqtt_floor" 127.0.0.1 "$2" 'collectd/#' "$T/floor-$1.count" "${tls_args[@]}" \
		>"$T/floor-$1.out" 2>&1 &
	floor_pid=$!
	pids+=($floor_pid)
	floor_file=$T/floor-$1.count
}
floor_count() { kill -USR1 "$floor_pid"; sleep 0.3; cat "$floor_file"; }

round() { # TRANSPORT PORT
	start_dcmond "$@"
	start_floor "$@"
	wait_for 20 health reports || { echo "dcmond did not start" >&2; tail "$T/dcmond-$1.log" >&2; exit 1; }
	start_collectd "$@"
	wait_for 10 grep -q "collectd-bench-$1" "$T/broker.log" ||
		{ echo "collectd did not subscribe" >&2; cat "$T/collectd-$1.out" "$T/collectd-$1.log" >&2; exit 1; }
	wait_for 10 grep -q "dcmond-bench-$1" "$T/broker.log" || { echo "dcmond did not subscribe" >&2; exit 1; }
	series_made() { [ "$(health metrics)" -ge $((series + devices)) ]; }
	wait_for "$warmup_max" series_made || { echo "dcmond did not see every series" >&2; exit 1; }
	local n
	collectd_flows() { n=$(net_count); [ "$n" -gt "${n_last:-0}" ]; }
	n_last=$(net_count)
	wait_for 10 collectd_flows || { echo "collectd sends no values" >&2; exit 1; }
	floor_flows() { [ "$(floor_count)" -gt 0 ]; }
	wait_for 10 floor_flows || { echo "the floor subscriber receives nothing" >&2; cat "$T/floor-$1.out" >&2; exit 1; }
	sleep 2
	measure "$1"
	kill "$dcmond_pid" "$collectd_pid" "$floor_pid"
	wait "$dcmond_pid" "$collectd_pid" "$floor_pid" 2>/dev/null || true
}

measure() { # TRANSPORT
	local d0 d1 n0 n1 f0 f1 dc0 dc1 cc0 cc1 fc0 fc1 bc0 bc1 t0 t1 w0 w1
	d0=$(health reports); n0=$(net_count); f0=$(floor_count); w0=$(wakes "$dcmond_pid")
	dc0=$(cpu_ns "$dcmond_pid"); cc0=$(cpu_ns "$collectd_pid"); fc0=$(cpu_ns "$floor_pid")
	bc0=$(cpu_ns "$broker_pid")
	t0=$(date +%s.%N)
	if [ -n "${PERF_OUT:-}" ] && [ "$1" = "$last_round" ]; then # as in bench/snmp.sh: perf record of dcmond over the window
		# shellcheck disable=SC2086 # the flags are words
		perf record -q ${PERF_FLAGS:--g} -o "$PERF_OUT" -p "$dcmond_pid" -- sleep "$duration" >/dev/null 2>&1 || sleep "$duration"
	else
		sleep "$duration"
	fi
	d1=$(health reports); n1=$(net_count); f1=$(floor_count); w1=$(wakes "$dcmond_pid")
	dc1=$(cpu_ns "$dcmond_pid"); cc1=$(cpu_ns "$collectd_pid"); fc1=$(cpu_ns "$floor_pid")
	bc1=$(cpu_ns "$broker_pid")
	t1=$(date +%s.%N)

	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
	echo "-- $1 (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
	# dcmond's reports less those of its polls (one mqtt_payload_errors_count per device per 10 s)
	d_values=$(awk -v r=$((d1 - d0)) -v d="$devices" -v w="$wall" 'BEGIN {printf "%.0f", r - d * w / 10}')
	read -r d_vps d_us < <(row dcmond "$d_values" $((dc1 - dc0)) "$(hwm_kib "$dcmond_pid")")
	read -r c_vps c_us < <(row collectd $((n1 - n0)) $((cc1 - cc0)) "$(hwm_kib "$collectd_pid")")
	read -r f_vps f_us < <(row floor $((f1 - f0)) $((fc1 - fc0)) "$(hwm_kib "$floor_pid")")
	b_pct=$(awk -v t=$((bc1 - bc0)) -v w="$wall" 'BEGIN {printf "%.0f", 100 * t / 1e9 / w}')
	ratio=$(awk -v a="$c_us" -v b="$d_us" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}')
	echo "broker ${b_pct}% cpu; ratio collectd/dcmond cpu per value: $ratio (target >= 5)" >&2
	printf 'transport=%s devices=%d points=%d rate=%d seconds=%s dcmond_values_per_s=%s dcmond_cpu_us_per_value=%s' \
		"$1" "$devices" "$points" "$rate" "$wall" "$d_vps" "$d_us"
	printf ' dcmond_wakes_per_s=%s collectd_values_per_s=%s collectd_cpu_us_per_value=%s' \
		"$(awk -v w=$((w1 - w0)) -v s="$wall" 'BEGIN {printf "%.0f", w / s}')" "$c_vps" "$c_us"
	printf ' floor_values_per_s=%s floor_cpu_us_per_value=%s dcmond_above_floor_us=%s broker_cpu_percent=%s ratio=%s\n' \
		"$f_vps" "$f_us" "$(awk -v a="$d_us" -v b="$f_us" 'BEGIN {printf "%.2f", a - b}')" "$b_pct" "$ratio"
}

row() { # NAME VALUES CPU_NS RSS
	local vps us cpu
	cpu=$(awk -v t="$3" 'BEGIN {printf "%.3f", t / 1e9}')
	vps=$(awk -v v="$2" -v w="$wall" 'BEGIN {printf "%.0f", v / w}')
	us=$(awk -v t="$3" -v v="$2" 'BEGIN {printf "%.2f", (v > 0 ? t / 1e3 / v : 0)}')
	printf '%-9s values/s %s (of %s published); cpu %ss over %ss = %s us/value; peak RSS %s KiB\n' \
		"$1" "$vps" "$rate" "$cpu" "$wall" "$us" "$4" >&2
	echo "$vps $us"
}

last_round=plain
[ "$tls" != 1 ] || last_round=tls
round plain "$port"
[ "$tls" != 1 ] || round tls "$tls_port"
