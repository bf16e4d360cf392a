# Shared by bench/mqtt.sh and bench/mqtt_publish.sh (sourced; set -euo pipefail and
# the repository as working directory are the caller's): a temporary directory $T and
# the processes in pids, both removed on exit, the helpers, and a mosquitto on a free
# loopback port ($port, $broker_pid).
#   mqtt_bench_setup NAME
T=
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -z "$T" ] || rm -rf "$T"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
wait_for() { # SECONDS CMD...: retries CMD every 0.5 s, bounded in time
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.5
	done
}
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mqtt_bench_setup() {
	T=$(mktemp -d "/tmp/dcmon-$1.XXXXXX")
	chmod 755 "$T"
	port=$(free_port)
	{ echo "listener $port 127.0.0.1"; echo "allow_anonymous true"; echo "persistence false"
	  echo "max_queued_messages 100000"; [ "$(id -u)" -ne 0 ] || echo "user root"; } >"$T/mosquitto.conf"
	mosquitto -c "$T/mosquitto.conf" >"$T/broker.log" 2>&1 &
	broker_pid=$!
	pids+=($broker_pid)
	wait_for 10 grep -q "Opening ipv4 listen socket on port $port" "$T/broker.log" ||
		{ echo "mosquitto did not start" >&2; exit 1; }
}

# The end of a daemon: line's mqtt: map subscribing to bench_mqtt_pub's stream (closes
# the mqtt: and daemon: maps), and the devices: section of its N devices.
bench_mqtt_stream_yaml() {
	echo "                subscriptions: [{topic: collectd/+/bench/+, device_level: 2,"
	echo "                                 instance_level: 4, format: collectd, metric: reading_volts}]}}"
}
bench_mqtt_devices_yaml() { # N
	echo "devices:"
	for d in $(seq 0 $(($1 - 1))); do printf '  - {id: d%05d, kind: env, mqtt: true}\n' "$d"; done
}
