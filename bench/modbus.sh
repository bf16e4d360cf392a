#!/usr/bin/env bash
# Modbus benchmark: dcmond and collectd's modbus plugin, one after the other in one run,
# polling the same pymodbus peer(s) (bench/modbus_peer.py) for the same 24 values per
# device (20 uint16, 2 float32, 2 int32 in holding registers 0..33) every 10 s.
#
#   bench/modbus.sh [DEVICES=300] [SECONDS=60] [rrdtool|rrdcached|none]
#   env: ARCHIVE=rrdtool|rrdcached|none (the third argument's default)
#        UNITS=10   unit ids per gateway port: 10 = DEVICES/10 gateways with 10 unit ids
#                   each; 1 = every device its own port, so its own TCP connection
#        PEERS=1    peer processes the ports are spread over
#        TOOLS="dcmond collectd"   WARMUP_MAX=600 (s, bound on waiting for RRD files)
#        PERF_OUT=FILE (perf record -g of dcmond over the window, for `perf report -i FILE`)
#
#   e.g. bench/modbus.sh 300 60 rrdcached          (dcmond: 30 gateways, collectd: 300 hosts)
#        UNITS=1 bench/modbus.sh 3000 60 none      (3,000 devices, 3,000 TCP connections)
#
# Archive (how each tool stores what it polled):
#   rrdtool    both write RRD files directly with librrd;
#   rrdcached  both write through one private rrdcached (-w 60 -z 10);
#   none       for counts whose RRD files would not fit (3,000 devices = 72,000 files,
#              ~55 GB with dcmond's layout): dcmond keeps its registry and archive queue
#              but its first flush is an hour away and archive_queue_max is set so that
#              the writer's early wake-up (1/8 of it) is beyond every value of the run:
#              no file I/O (rrd_files= shows 0), the queued values (~24 bytes each) are
#              in its peak RSS; collectd has no RRD plugin and sends every value with
#              its network plugin to a loopback counter (bench/collectd_net_counter.py,
#              whose CPU is not counted).
# Warm-up: rrd modes wait until every series has its RRD file, then one interval;
# none waits 25 s.  Then the window (SECONDS, rounded up to whole 10 s intervals so that
# collectd's bursts and dcmond's spread polls are each counted once): CPU from
# /proc/PID/stat (utime + stime), peak RSS (VmHWM), peak open descriptors (sampled every
# second), read requests on the wire (counted by the peers) and values:
#   dcmond   /api/v1/health `reports` over the window (values and point errors), and at
#            the end `dcmon status`: devices whose 24 metrics are all ok, and metrics
#            in error (with a sample of reasons);
#   collectd none: values its network plugin sent; rrd modes: the peer's requests
#            (its plugin reads one value per request) over the peer's own window.
# Requests per value = requests/s (peer's window) / values/s; CPU per value = CPU/s
# over the window / values/s.
# "kept up" = values/s over the window / expected (DEVICES x 24 / 10 s).
#
# Descriptors: the script raises its soft limit to the hard one for both tools and the
# peers, as a deployment would (systemd LimitNOFILE); dcmond also raises its own at
# start.  collectd's plugin waits with select() in libmodbus: past ~1,020 connections
# it aborts (FD_SETSIZE).  A tool that dies is a result (alive=no, exit status,
# signal, seconds to death, its last stderr line), not a failure of the script.
# Prints one key=value line per tool, then a ratio line.  Needs a built tree
# (scripts/build.sh; DCMON_BUILD_DIR picks another build directory).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-300}
duration=${2:-60}
archive=${3:-${ARCHIVE:-rrdtool}}
units=${UNITS:-10}
npeers=${PEERS:-1}
tools=${TOOLS:-dcmond collectd}
warmup_max=${WARMUP_MAX:-600}
interval=10
points=24
# a window of whole intervals counts every periodic poll once, whatever its phase
duration=$(((duration + interval - 1) / interval * interval))
ports=$(((devices + units - 1) / units))
build=${DCMON_BUILD_DIR:-build}
PY=/usr/bin/python3
case $archive in rrdtool | rrdcached | none) ;; *) echo "archive must be rrdtool, rrdcached or none" >&2; exit 2 ;; esac
[ -x "$build/dcmond" ] || { echo "no $build/dcmond: run scripts/build.sh" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
# the peers hold a listener and a connection per port and a connection per collectd host
need=$((ports + devices + 100))
[ "$(ulimit -n)" -ge "$need" ] || { echo "open files hard limit $(ulimit -Hn) < $need needed" >&2; exit 2; }
T=$(mktemp -d /tmp/dcmon-mbbench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
series=$((devices * points))
expected=$(awk -v s="$series" -v i="$interval" 'BEGIN {printf "%.1f", s / i}')

# --- helpers ------------------------------------------------------------------------
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
wait_for() { # SECONDS CMD...: retries CMD every 0.2 s, bounded in time
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
# watch PID SECONDS: waits SECONDS (by the clock, so a window is exactly a whole number
# of intervals) while PID lives, keeping the peak of its open descriptors in r_fds
# (sampled about every second); returns 1 as soon as it is gone
watch() {
	local i n left end=$((${EPOCHREALTIME/./} + $2 * 1000000))
	for ((i = 0; i < $2 + 5; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		n=$(nfds "$1")
		[ "$n" -gt "$r_fds" ] && r_fds=$n
		left=$((end - ${EPOCHREALTIME/./}))
		[ "$left" -gt 0 ] || break
		[ "$left" -gt 1000000 ] && left=1000000
		sleep "$((left / 1000000)).$(printf %06d $((left % 1000000)))"
	done
	kill -0 "$1" 2>/dev/null
}
stop() { # PID: TERM, bounded wait, then KILL
	kill "$1" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
}

# --- peers --------------------------------------------------------------------------
peer_pids=()
portlist=()
per_peer=$(((ports + npeers - 1) / npeers))
for ((k = 0; k < npeers; k++)); do
	n=$((ports - k * per_peer)); [ "$n" -gt "$per_peer" ] && n=$per_peer
	[ "$n" -gt 0 ] || break
	$PY bench/modbus_peer.py "$n" "$units" >"$T/peer-$k.out" 2>"$T/peer-$k.log" &
	pids+=("$!"); peer_pids+=("$!")
done
for k in "${!peer_pids[@]}"; do
	wait_for 120 grep -q READY "$T/peer-$k.out" || { echo "peer $k did not start" >&2; cat "$T/peer-$k.log" >&2; exit 1; }
	mapfile -t -O "${#portlist[@]}" portlist < <(grep -v READY "$T/peer-$k.out")
done
[ "${#portlist[@]}" -eq "$ports" ] || { echo "peers listen on ${#portlist[@]} of $ports ports" >&2; exit 1; }
peers_ticks() { local s=0 p; for p in "${peer_pids[@]}"; do s=$((s + $(cpu_ticks "$p"))); done; echo $s; }
# peer_requests: "N SECONDS": read requests the peers served since the last call, and
# over how long (by the first peer's clock; the peers are signalled within milliseconds)
peer_requests() {
	local k before sum=0 secs=""
	for k in "${!peer_pids[@]}"; do
		before=$(grep -c '^REQUESTS' "$T/peer-$k.out" || true)
		kill -USR1 "${peer_pids[$k]}"
		for _ in $(seq 100); do
			[ "$(grep -c '^REQUESTS' "$T/peer-$k.out" || true)" -gt "$before" ] && break
			sleep 0.05
		done
		read -r _ n s < <(grep '^REQUESTS' "$T/peer-$k.out" | tail -1)
		sum=$((sum + n))
		secs=${secs:-$s}
	done
	echo "$sum $secs"
}

# --- archive back-ends ----------------------------------------------------------------
start_rrdcached() {
	mkdir -p "$T/journal"
	/usr/bin/rrdcached -g -l "unix:$T/rrdcached.sock" -p "$T/rrdcached.pid" -j "$T/journal" \
		-b "$T" -w 60 -z 10 -f 120 >"$T/rrdcached.log" 2>&1 &
	rrdc_pid=$!
	pids+=("$rrdc_pid")
	wait_for 15 test -S "$T/rrdcached.sock" || { echo "rrdcached did not start" >&2; exit 1; }
}
start_net_counter() {
	$PY bench/collectd_net_counter.py "$T/net.port" "$T/net.count" >"$T/net.log" 2>&1 &
	net_pid=$!
	pids+=("$net_pid")
	wait_for 10 test -s "$T/net.port" || { echo "counter did not start" >&2; exit 1; }
}
net_count() { # values received so far
	rm -f "$T/net.count"
	kill -USR1 "$net_pid"
	wait_for 5 test -s "$T/net.count" || { echo 0; return; }
	cat "$T/net.count"
}
[ "$archive" = rrdcached ] && start_rrdcached

# --- dcmond ---------------------------------------------------------------------------
write_dcmond_config() {
	local flush="" rrdc=""
	# none: the writer's first round an hour away, and its early wake-up (at 1/8 of
	# archive_queue_max) beyond every value of the run (warm-up, window, 30 s margin)
	[ "$archive" = none ] && flush=" archive_flush: 1h, archive_queue_max: $(queue_max_for_run),"
	[ "$archive" = rrdcached ] && rrdc=" rrdcached: \"unix:$T/rrdcached.sock\","
	{
		echo "daemon: {data_dir: $T/dcmond-data, socket: $T/dcmon.sock, profiles_dir: $PWD/bench,$rrdc$flush"
		echo "         interval: ${interval}s, timeout: 5s, log_level: warn}"
		echo "devices:"
		for ((i = 0; i < devices; i++)); do
			echo "  - {id: gen-$i, profile: modbus-bench, modbus: {host: 127.0.0.1, port: ${portlist[$((i / units))]}, unit: $((i % units + 1)), timeout: 2s}}"
		done
	} >"$T/dcmond.yaml"
}
queue_max_for_run() {
	awk -v e="$expected" -v d="$duration" 'BEGIN {q = 8 * e * (25 + d + 30); if (q < 2000000) q = 2000000;
		if (q > 100000000) q = 100000000; printf "%d", q}'
}
dcmond_reports() { curl -s --max-time 5 --unix-socket "$T/dcmon.sock" http://dcmond/api/v1/health | jq '.reports'; }
# dcmond_devices: "OK BAD ERRS REASONS": devices with all metrics ok, devices with any
# metric not ok, metrics not ok, and up to 3 distinct reasons
dcmond_devices() {
	"$build/dcmon" -s "$T/dcmon.sock" status --json 2>/dev/null | jq -r '
		[.devices[] | [.metrics[] | select(.quality != "ok")]] as $bad
		| "\([$bad[] | select(length == 0)] | length) \([$bad[] | select(length > 0)] | length)" +
		  " \([$bad[][]] | length) \([$bad[][] | .reason // .quality] | unique | .[:3] | join("; "))"'
}

# --- collectd -------------------------------------------------------------------------
write_collectd_config() {
	mkdir -p "$T/collectd" "$T/collectd-rrd"
	{
		cat <<-CONF
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
		case $archive in
		rrdcached) printf 'LoadPlugin rrdcached\n<Plugin rrdcached>\n  DaemonAddress "unix:%s/rrdcached.sock"\n  DataDir "%s/collectd-rrd"\n  CreateFiles true\n</Plugin>\n' "$T" "$T" ;;
		rrdtool) printf 'LoadPlugin rrdtool\n<Plugin rrdtool>\n  DataDir "%s/collectd-rrd"\n</Plugin>\n' "$T" ;;
		none) printf 'LoadPlugin network\n<Plugin network>\n  Server "127.0.0.1" "%s"\n</Plugin>\n' "$(cat "$T/net.port")" ;;
		esac
		echo "LoadPlugin modbus"
		echo "<Plugin modbus>"
		for r in $(seq 0 19); do
			printf '  <Data "r%d">\n    RegisterBase %d\n    RegisterType Uint16\n    RegisterCmd ReadHolding\n    Type gauge\n    Instance "r%d"\n  </Data>\n' "$r" "$r" "$r"
		done
		local name base type
		for d in f0:20:Float f1:22:Float i0:30:Int32 i1:32:Int32; do
			IFS=: read -r name base type <<<"$d"
			printf '  <Data "%s">\n    RegisterBase %d\n    RegisterType %s\n    RegisterCmd ReadHolding\n    Type gauge\n    Instance "%s"\n  </Data>\n' \
				"$name" "$base" "$type" "$name"
		done
		local collect
		collect=$(for r in $(seq 0 19); do printf '      Collect "r%d"\n' "$r"; done
			printf '      Collect "f0"\n      Collect "f1"\n      Collect "i0"\n      Collect "i1"\n')
		for ((i = 0; i < devices; i++)); do
			printf '  <Host "gen-%d">\n    Address "127.0.0.1"\n    Port "%s"\n    Interval %d\n    <Slave %d>\n      Instance "u"\n%s\n    </Slave>\n  </Host>\n' \
				"$i" "${portlist[$((i / units))]}" "$interval" "$((i % units + 1))" "$collect"
		done
		echo "</Plugin>"
	} >"$T/collectd.conf"
}
collectd_values() { net_count; } # none: what its network plugin sent
# --- one measured run -------------------------------------------------------------------
rrd_count() { find "$1" -name '*.rrd' 2>/dev/null | wc -l; }
enough_rrds() { [ "$(rrd_count "$1")" -ge "$series" ]; }
# warm_up PID DATA_DIR: returns 1 if PID died
warm_up() {
	if [ "$archive" = none ]; then
		watch "$1" 25 || return 1
		return 0
	fi
	local end=$((SECONDS + warmup_max))
	until enough_rrds "$2"; do
		[ $SECONDS -lt $end ] || { echo "warning: $(rrd_count "$2") of $series RRD files after ${warmup_max}s" >&2; break; }
		watch "$1" 1 || return 1
	done
	watch "$1" "$interval"
}
# measure TOOL PID COUNTER DATA_DIR: warm-up then the window; sets r_*
measure() {
	local tool=$1 pid=$2 counter=$3 start=$SECONDS t0 t1 c0 c1 p0 p1 v0 v1
	r_fds=0 r_alive=yes r_died_after="" r_values=0 r_wall=0 r_cpu=0 r_cpu_wall=0 r_req=0 r_req_s=0 r_peer_pct=0
	if ! warm_up "$pid" "$4"; then
		r_alive=no r_died_after=$((SECONDS - start))
		return 0
	fi
	# the count window is from one counter reading to the other (t0, t1 right after
	# each), so the time a reading takes is on both ends
	peer_requests >/dev/null
	v0=$($counter); t0=$(date +%s.%N); c0=$(cpu_ticks "$pid"); p0=$(peers_ticks)
	if [ -n "${PERF_OUT:-}" ] && [ "$tool" = dcmond ]; then
		perf record -q -g -o "$PERF_OUT" -p "$pid" -- sleep "$duration" >/dev/null 2>&1 || true
		kill -0 "$pid" 2>/dev/null || { r_alive=no r_died_after=$((SECONDS - start)); }
	else
		watch "$pid" "$duration" || { r_alive=no r_died_after=$((SECONDS - start)); }
	fi
	c1=$(cpu_ticks "$pid"); p1=$(peers_ticks)
	if [ "$r_alive" = yes ]; then v1=$($counter); else v1=$v0; fi
	t1=$(date +%s.%N)
	read -r r_req r_req_s < <(peer_requests)
	r_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
	r_cpu_wall=$r_wall
	# collectd writing RRD files: its plugin reads one value per request, so its values
	# are the requests, over the peer's window
	[ "$tool" = collectd ] && [ "$archive" != none ] && v0=0 v1=$r_req r_wall=$r_req_s
	r_values=$((v1 - v0))
	r_cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')
	r_peer_pct=$(awk -v a="$p0" -v b="$p1" -v hz="$hz" -v w="$r_wall" 'BEGIN {printf "%.0f", 100 * (b - a) / hz / w}')
	r_rss=$(hwm_kib "$pid")
	r_load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)
}
declare -A R
# report TOOL [EXTRA]: prints the key=value line of TOOL and keeps its figures in R
report() {
	local t=$1
	if [ "$r_alive" = no ]; then
		R[$t.us]=nan R[$t.rpv]=nan R[$t.dead]="exit $r_exit after ${r_died_after}s"
		echo "$t archive=$archive devices=$devices alive=no exit=$r_exit died_after_s=$r_died_after" \
			"open_fds_peak=$r_fds load=${r_load:-$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)} ${2:-}"
		return 0
	fi
	local vps
	vps=$(awk -v v="$r_values" -v w="$r_wall" 'BEGIN {printf "%.1f", v / w}')
	# CPU per second (over the CPU window) / values per second (over the values' window)
	R[$t.us]=$(awk -v c="$r_cpu" -v cw="$r_cpu_wall" -v v="$r_values" -v w="$r_wall" \
		'BEGIN {if (v > 0 && cw > 0) printf "%.2f", (c / cw) * 1e6 / (v / w); else print "nan"}')
	# requests per second (over the peer's window) / values per second (over the tool's)
	R[$t.rpv]=$(awk -v r="$r_req" -v rs="$r_req_s" -v v="$r_values" -v w="$r_wall" \
		'BEGIN {if (v > 0 && rs > 0) printf "%.3f", (r / rs) / (v / w); else print "nan"}')
	R[$t.rss]=$r_rss
	echo "$t archive=$archive devices=$devices alive=yes values_per_s=$vps expected=$expected" \
		"kept_up=$(awk -v v="$vps" -v e="$expected" 'BEGIN {printf "%.3f", v / e}')" \
		"cpu_s=$r_cpu window_s=$r_cpu_wall values_window_s=$r_wall cpu_us_per_value=${R[$t.us]} peak_rss_kib=$r_rss open_fds_peak=$r_fds" \
		"requests=$r_req requests_per_value=${R[$t.rpv]} peer_cpu_pct=$r_peer_pct load=$r_load ${2:-}"
}

echo "modbus bench: $devices devices x $points values every ${interval}s = $expected values/s expected;" \
	"$ports gateway ports x $units unit ids on ${#peer_pids[@]} peer(s); archive=$archive; window ${duration}s;" \
	"open files limit $(ulimit -n); $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg)"

for tool in $tools; do
	case $tool in
	dcmond)
		write_dcmond_config
		"$build/dcmond" -c "$T/dcmond.yaml" 2>"$T/dcmond.log" &
		pid=$!
		pids+=("$pid")
		wait_for 60 test -S "$T/dcmon.sock" || { echo "dcmond did not start" >&2; cat "$T/dcmond.log" >&2; exit 1; }
		measure dcmond "$pid" dcmond_reports "$T/dcmond-data"
		extra=""
		if [ "$r_alive" = yes ]; then
			read -r ok bad errs reasons <<<"$(dcmond_devices)"
			extra="devices_all_ok=$ok devices_with_errors=$bad metrics_in_error=$errs rrd_files=$(rrd_count "$T/dcmond-data")"
			extra+="${reasons:+ reasons=\"$reasons\"}"
			# none: nothing is to be written; rrd modes: TERM writes the queue
			if [ "$archive" = none ]; then kill -9 "$pid"; else stop "$pid"; fi
		fi
		r_exit=0
		wait "$pid" 2>/dev/null || r_exit=$?
		report dcmond "$extra"
		[ "$r_alive" = no ] && tail -3 "$T/dcmond.log" | sed 's/^/dcmond log: /'
		;;
	collectd)
		[ "$archive" = none ] && start_net_counter
		write_collectd_config
		/usr/sbin/collectd -f -C "$T/collectd.conf" >"$T/collectd.out" 2>&1 &
		pid=$!
		pids+=("$pid")
		measure collectd "$pid" "$([ "$archive" = none ] && echo collectd_values || echo true)" "$T/collectd-rrd"
		[ "$r_alive" = yes ] && stop "$pid"
		r_exit=0
		wait "$pid" 2>/dev/null || r_exit=$?
		extra=""
		if [ "$r_alive" = no ]; then
			[ "$r_exit" -gt 128 ] && extra="signal=$(kill -l $((r_exit - 128)) 2>/dev/null || echo $((r_exit - 128))) "
			extra+="message=\"$(grep -v '^$' "$T/collectd.out" | tail -1 | tr -d '"' | cut -c1-160)\""
		fi
		report collectd "$extra"
		grep -m3 -iE "error|abort|FD_SETSIZE" "$T/collectd.log" 2>/dev/null | sed 's/^/collectd log: /' || true
		;;
	*) echo "unknown tool $tool" >&2; exit 2 ;;
	esac
	rm -rf "$T/dcmond-data" "$T/collectd-rrd" # the next run needs the disk space
done

ratio() { awk -v a="${R[collectd.$1]:-nan}" -v b="${R[dcmond.$1]:-nan}" \
	'BEGIN {if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.1f", a / b; else print "nan"}'; }
if [ -n "${R[collectd.dead]:-}" ]; then
	echo "ratio collectd/dcmond: none (collectd failed at $devices devices: ${R[collectd.dead]})"
else
	echo "ratio collectd/dcmond: cpu_per_value=$(ratio us) requests_per_value=$(ratio rpv) peak_rss=$(ratio rss)"
fi
