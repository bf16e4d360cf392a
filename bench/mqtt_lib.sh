# Shared by bench/mqtt.sh and bench/mqtt_publish.sh (sourced; set -euo pipefail and
# the repository as working directory are the caller's): a temporary directory $T and
# the processes in pids, both removed on exit, the helpers, and a mosquitto on a free
# loopback port ($port, $broker_pid).
#   mqtt_bench_setup NAME [tls]
# With tls the broker also listens with TLS on $tls_port (requiring a client
# certificate), with a test CA made here: $T/tls/{ca,srv,cli}.{pem,key}.
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
# CPU time (ns) of PID's threads, from the scheduler's own clock: exact, where /proc/PID/stat's
# ticks (10 ms) are sampled, about 20 of them in a 20 s window of dcmond at 2000 values/s.
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%d", s}'; }
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
# Times the main thread (dcmond's loop) went to sleep and was woken: its wake-ups.
wakes() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$1/task/$1/status"; }
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

# A test CA in $T/tls, the broker's certificate for 127.0.0.1 and a client's.
mqtt_bench_certs() {
	local d=$T/tls n
	mkdir -p "$d"
	for n in ca srv cli; do
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$d/$n.key" 2>/dev/null
	done
	openssl req -x509 -key "$d/ca.key" -days 2 -subj "/CN=dcmon bench CA" -out "$d/ca.pem" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/san.ext"
	for n in srv cli; do # the client's certificate gets the SAN too: harmless
		openssl req -new -key "$d/$n.key" -subj "/CN=bench-$n" -out "$d/$n.csr" 2>/dev/null
		openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
			-days 2 -extfile "$d/san.ext" -out "$d/$n.pem" 2>/dev/null
	done
}

mqtt_bench_setup() {
	T=$(mktemp -d "/tmp/dcmon-$1.XXXXXX")
	chmod 755 "$T"
	port=$(free_port)
	{ echo "listener $port 127.0.0.1"; echo "allow_anonymous true"; echo "persistence false"
	  echo "max_queued_messages 100000"; [ "$(id -u)" -ne 0 ] || echo "user root"; } >"$T/mosquitto.conf"
	if [ "${2:-}" = tls ]; then
		mqtt_bench_certs
		tls_port=$(free_port)
		{ echo "listener $tls_port 127.0.0.1"; echo "cafile $T/tls/ca.pem"
		  echo "certfile $T/tls/srv.pem"; echo "keyfile $T/tls/srv.key"
		  echo "require_certificate true"; } >>"$T/mosquitto.conf"
	fi
	start_mosquitto "$T/mosquitto.conf" "$T/broker.log" "$port" mosquitto
	broker_pid=$mosq_pid
}

# mosquitto with CONF, its log appended to LOG, waited for until it listens on PORT;
# sets mosq_pid (in pids).  WHAT names it if it does not start.
#   start_mosquitto CONF LOG PORT WHAT
start_mosquitto() {
	mosquitto -c "$1" >>"$2" 2>&1 &
	mosq_pid=$!
	pids+=($mosq_pid)
	wait_for 10 grep -q "Opening ipv4 listen socket on port $3" "$2" ||
		{ echo "$4 did not start" >&2; exit 1; }
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

# A site's mosquitto on PORT, bridged to the hub broker on HUB_PORT (QoS 1, persistent
# session) for NAME/#: sets site_broker_pid.  Its log is $T/NAME-broker.log.  The bridge's
# client id at the hub is <hostname>.hub-NAME: bridges with one id would take the hub
# broker's session from each other, every few seconds.
#   start_site_broker NAME PORT HUB_PORT
start_site_broker() {
	local name=$1 p=$2 hub=$3
	{ echo "listener $p 127.0.0.1"; echo "allow_anonymous true"; echo "persistence false"
	  echo "max_queued_messages 1000000"; [ "$(id -u)" -ne 0 ] || echo "user root"
	  echo "connection hub-$name"; echo "address 127.0.0.1:$hub"; echo "topic $name/# out 1"
	  echo "cleansession false"; echo "notifications false"; echo "restart_timeout 1"; } >"$T/$name-broker.conf"
	start_mosquitto "$T/$name-broker.conf" "$T/$name-broker.log" "$p" "the broker of $name"
	site_broker_pid=$mosq_pid
}

# A site dcmond's config on stdout: client NAME publishing KINDS (a YAML list) with the
# prefix NAME to the broker on PORT, subscribed to bench_mqtt_pub's stream of N devices,
# with the rule that makes events (a value of point p000 moving across 1000.45 fires or
# resolves it) and, with nodata, the no-data rule (every series, 5 intervals of 2 s).
# State in $T/NAME, API on $T/NAME.sock.
#   bench_site_yaml NAME PORT N KINDS [nodata]
bench_site_yaml() {
	echo "daemon: {data_dir: $T/$1, socket: $T/$1.sock, interval: 2s, timeout: 1s,"
	echo "         archive_flush: 1h, rrdcached: unix:$T/absent.sock, log_level: warn,"
	echo "         mqtt: {host: 127.0.0.1, port: $2, client_id: $1, qos: 0, reconnect_max: 1s,"
	echo "                publish: {prefix: $1, kinds: $4},"
	bench_mqtt_stream_yaml
	echo "rules:"
	echo "  - {name: high, match: {metric: reading_volts, inst: gauge-p000}, above: {warn: 1000.45}}"
	[ "${5:-}" != nodata ] ||
		echo "  - {name: silent, match: {metric: reading_volts}, nodata: {intervals: 5}}"
	bench_mqtt_devices_yaml "$3"
}

# The hub dcmond (role: hub) on the broker on PORT: state in $T/hub, API on $T/hub.sock;
# sets hub_pid.
start_hub_dcmond() {
	mkdir -p "$T/hub"
	echo "daemon: {data_dir: $T/hub, socket: $T/hub.sock, interval: 2s, log_level: warn,
         mqtt: {host: 127.0.0.1, port: $1, client_id: hub, reconnect_max: 1s, role: hub}}
devices: []" >"$T/hub.yaml"
	"$build/dcmond" -c "$T/hub.yaml" >"$T/hub.log" 2>&1 &
	hub_pid=$!
	pids+=($hub_pid)
	wait_for 30 hub_api /api/v1/health || { echo "the hub dcmond did not start" >&2; tail "$T/hub.log" >&2; exit 1; }
}
hub_api() { curl -sf --unix-socket "$T/hub.sock" "http://dcmond$1"; }

# p50 and p99 of the latencies (ms) of event lines "ARRIVAL_S.FRACTION {...,"ts":MS,...}"
# on stdin (arrival minus the event's ts); "nan nan" without any.
event_latency() {
	awk '{ split($1, a, "."); arr = a[1] * 1000 + substr(a[2], 1, 3)
	       match($0, /"ts":[0-9]+/); ts = substr($0, RSTART + 5, RLENGTH - 5); print arr - ts }' |
		sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "nan nan"; exit }
			i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
			print v[i50], v[i99] }'
}
