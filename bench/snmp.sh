#!/usr/bin/env bash
# SNMP benchmark: the same targets polled by dcmond and by collectd's snmp plugin, one
# after the other in one run, against local snmpd instances on loopback ports.
#
#   bench/snmp.sh [DEVICES=1000] [POINTS=20] [SECONDS=45, rrdcached: its -w] [AGENTS=4]
#   env: ARCHIVE=rrdcached (default) | rrdtool | none     TOOLS="dcmond collectd"
#        RRDC_FLAGS="-w 480 -z 480 -f 3600 -F -B" (both rrdcacheds; -j is added, and
#          -t 2 unless the flags have -t)
#        RRD_DELAY=30 (s, ARCHIVE=rrdtool: how long both tools hold values)
#        ARCHIVE_FLUSH=30s (dcmond's archive_flush with rrdcached: values per UPDATE line)
#        ARCHIVE_QUEUE_MAX= (dcmond's archive_queue_max, default 2,000,000: its writer
#          sends when 1/8 of it is queued, so below 8 x values/s x ARCHIVE_FLUSH an
#          UPDATE line carries less than ARCHIVE_FLUSH's worth of values)
#        WARMUP_MAX=240 (s, bound on waiting for the first archive writes)
#        COLLECTD_THREADS=32 (collectd ReadThreads)
#        PERF_OUT=FILE (perf record of dcmond over the window, for `perf report -i FILE`)
#        PERF_FLAGS="-g" (perf record's flags, e.g. "--call-graph dwarf -F 500")
#        DCMOND_START_MAX=30 (s, bound on waiting for dcmond's API socket)
#        INTERVAL=10 (s, every device's poll interval and the RRD step)
#        SMALL_RRD=1 (ARCHIVE=rrdcached, dcmond only: its files made before it starts,
#          with its archives but few rows each; see below; bench/scale.sh)
#        RRDC_PERF_OUT=FILE (perf record of dcmond's rrdcached over the window; with
#          REOPEN from before dcmond's launch until every file is reopened)
#        DCMOND_WRAP="" (words run before dcmond, a tool that keeps its pid, e.g.
#          "valgrind --tool=massif --massif-out-file=F": where the bytes go, for
#          `ms_print F`; slows dcmond down, so on a smaller run)
#
# Targets: DEVICES devices, each POINTS scalar OIDs (integers served by snmpd's
# `override` objects), all polled every 10 s; the devices are spread round-robin over
# AGENTS snmpd processes (one snmpd is single-threaded: several so that the agents are
# not what limits a poller; their CPU is printed).  dcmond reads a generated profile
# with POINTS points (GET of up to 40 varbinds per PDU); collectd gets one <Data> per
# point, which its snmp plugin reads with one GET per value (its usual configuration).
#
# ARCHIVE=rrdcached: each tool writes through its own rrdcached, both started with
# the same flags: those docs/CONFIG.md ("rrdcached for a production site") recommends
# but a -w and -z of 480 s instead of 1800 (so that the whole run stays under 30
# minutes), plus a journal (-j) per daemon.  With -w 480 rrdcached writes nothing by itself
# during a run: a FLUSHALL at the window's start (drained before it, not counted) and
# one after it bound what is counted.  rrdcached's CPU per value = its CPU from the
# window's start until the final FLUSHALL has drained it (receiving the UPDATEs, the
# journal, the writes) / the values written meanwhile.  Every file then gets one write
# carrying one value per 10 s of the window, for both tools alike.  The default
# window is rrdcached's -w (480 s: under 30 minutes for the whole run), so a write
# carries 48 values (production's -w 1800, 180 values, with RRDC_FLAGS="-w 1800 -z
# 1800 -f 3600 -F -B": about 70 minutes in all); a shorter window puts fewer
# values in each write and overstates the write cost, which is most of rrdcached's
# CPU (munmap of the file and its TLB flush, page faults) for both tools alike: a 120 s
# window showed dcmond ~29 us/value in rrdcached against ~4 at 1800 s.  File creation
# is before the window for both (each tool creates its files itself).  RRD files are
# real: dcmond's layout is ~480 KB per series, collectd's ~140 KB; the warm-up waits
# until every series has its file, then 10 s more.
# ARCHIVE=rrdtool: no rrdcached; each tool writes its RRD files itself (dcmond's writer
# thread, collectd's rrdtool plugin), both holding values RRD_DELAY s (dcmond's
# archive_flush, collectd's CacheTimeout) and writing all of a file's values in one
# rrd_update; the window should span several RRD_DELAY.
# ARCHIVE=none (for rates whose RRD files would not fit on disk): dcmond's archive
# points at an rrdcached socket nobody listens on, so it holds every value in memory
# (the oldest dropped past 2,000,000) and writes no file: poller, registry, rules and
# archive queue all run, only the send is missing.  collectd has no RRD plugin and
# sends its values with the network plugin to a loopback counter (the counter's CPU is
# not counted).
# Values counted: dcmond's /api/v1/health `values` (good values only: a timed-out poll
# is a point error, counted apart as dcmond_point_errors); collectd's: rrdcached's
# UpdatesReceived (one value per UPDATE), the values the counter received (none), or
# the varbinds the agents answered (rrdtool: snmpInTotalReqVars, collectd asks one
# per value).  After each rrdcached run, FLUSHALL and DataSetsWritten check that every
# value produced was archived: <tool>_values_lost = values produced (counted just before
# the tool's TERM) - values written, must be 0; <tool>_values_written_per_s = values
# rrdcached wrote from the window's start until the final flush drained / that time
# (above the expected rate: it includes what the tool still held at the window's start
# and its last flush).  CPU per value with and without the archive: run once with the
# default ARCHIVE=rrdcached and once with ARCHIVE=none, same arguments.
#
# "kept up" = values per second over the window / expected (DEVICES x POINTS / 10 s).
# dcmond_startup_s: from launching dcmond until its first good value (the first poll's
# end; the data directory is new, so no RRD file of an earlier run is reopened);
# dcmond_first_round_s: until every series had one (first polls spread over the interval);
# dcmond_bytes_per_series: its peak RSS / series.
# REOPEN (start-up over an existing archive; see its block below) measures only the start.
# Agents' CPU per value (agents_cpu_us_per_value) and what the three costs imply on
# this machine's cores (dcmond_ceiling_values_per_s: cores x 1e6 / (dcmond + its
# rrdcached + agents us/value); _no_agents: with the agents elsewhere).
# CPU from /proc/PID/stat (utime + stime) over the window, peak RSS = VmHWM.
# Prints a table and one final line of key=value.  Needs a built tree (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-1000}
points=${2:-20}
duration=${3:-}
agents=${4:-4}
archive=${ARCHIVE:-rrdcached}
rrdc_flags=${RRDC_FLAGS:--w 480 -z 480 -f 3600 -F -B}
# 2 write threads unless the flags say
rrdc_threads=$(awk '{for (i = 1; i <= NF; i++) if ($i == "-t") f = 1} END {if (!f) print "-t 2"}' <<<"$rrdc_flags")
rrdc_w=$(awk '{for (i = 1; i < NF; i++) if ($i == "-w") print $(i + 1)}' <<<"$rrdc_flags")
[ -n "$duration" ] || { [ "$archive" = rrdcached ] && duration=${rrdc_w:-480} || duration=45; }
tools=${TOOLS:-dcmond collectd}
warmup_max=${WARMUP_MAX:-240}
threads=${COLLECTD_THREADS:-32}
rrd_delay=${RRD_DELAY:-30}
# s until dcmond's socket exists (DCMOND_START_MAX; a loaded machine parses a million
# series' configuration slower); a wrapper (valgrind) slows the start
start_max=${DCMOND_START_MAX:-30}
[ -z "${DCMOND_WRAP:-}" ] || start_max=600
interval=${INTERVAL:-10}
build=${DCMON_BUILD_DIR:-build}
PY=/usr/bin/python3
case $archive in rrdcached | rrdtool | none) ;; *) echo "ARCHIVE must be rrdcached, rrdtool or none" >&2; exit 2 ;; esac
[ -x "$build/dcmond" ] || { echo "no $build/dcmond: run scripts/build.sh" >&2; exit 2; }
T=$(mktemp -d /tmp/dcmon-snmpbench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	reopen_keep
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
hz=$(getconf CLK_TCK)
oid_base=1.3.6.1.4.1.99999.1
series=$((devices * points))
expected=$(awk -v s="$series" -v i="$interval" 'BEGIN {printf "%.1f", s / i}')

# --- helpers ------------------------------------------------------------------------
free_udp_ports() { # N distinct free UDP ports on 127.0.0.1
	$PY - "$1" <<'PY'
import socket, sys
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
rrdc_stat() { # rrdcached at unix socket $1: the STATS value $2 (FLUSHALL first when $3 = flush)
	$PY - "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); f = s.makefile("r")
if len(sys.argv) > 3:
    s.sendall(b"FLUSHALL\n"); f.readline()
s.sendall(b"STATS\n")
n = int(f.readline().split()[0])
for _ in range(n):
    k, v = f.readline().split(":", 1)
    if k == sys.argv[2]: print(int(v))
PY
}
# rrdcached has written every value it received: FLUSHALL, then its queue empty and
# DataSetsWritten (values written) steady for a second; prints DataSetsWritten
rrdc_written() {
	local prev=-1 cur
	rrdc_stat "$1" QueueLength flush >/dev/null
	for _ in $(seq 120); do
		cur=$(rrdc_stat "$1" DataSetsWritten)
		[ "$cur" = "$prev" ] && [ "$(rrdc_stat "$1" QueueLength)" = 0 ] && break
		prev=$cur
		sleep 1
	done
	echo "$cur"
}
# wait_for SECONDS CMD...: retries CMD every 0.5 s, bounded in time
wait_for() {
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.5
	done
}
rrd_count() { find "$1" -name '*.rrd' 2>/dev/null | wc -l; }
enough_rrds() { [ "$(rrd_count "$1")" -ge "$series" ]; }

# --- agents -------------------------------------------------------------------------
read -r -a ports <<<"$(free_udp_ports "$agents")"
{
	echo "rocommunity public 127.0.0.1"
	for i in $(seq "$points"); do echo "override .$oid_base.$i.0 integer $((1000 + i))"; done
} >"$T/snmpd.conf"
agent_pids=()
for p in "${ports[@]}"; do
	# only the modules needed: the override objects, system (sysUpTime) and access control
	MIBS= MIBDIRS=/nonexistent snmpd -f -Lf "$T/snmpd-$p.log" -C -c "$T/snmpd.conf" \
		-I override,system_mib,snmp_mib,vacm_conf "udp:127.0.0.1:$p" >/dev/null 2>&1 &
	pids+=($!); agent_pids+=($!)
done
for p in "${ports[@]}"; do
	wait_for 15 snmpget -v2c -c public -r 0 -t 0.5 "127.0.0.1:$p" ".$oid_base.$points.0" ||
		{ echo "snmpd on port $p does not answer" >&2; exit 1; }
done
# varbinds the agents answered to GET/GETNEXT requests (snmpInTotalReqVars)
agents_vars() {
	local s=0 p v
	for p in "${ports[@]}"; do
		v=$(snmpget -v2c -c public -r 1 -t 2 -Oqv "127.0.0.1:$p" .1.3.6.1.2.1.11.13.0)
		s=$((s + v))
	done
	echo $s
}
agents_ticks() { local s=0 p; for p in "${agent_pids[@]}"; do s=$((s + $(cpu_ticks "$p"))); done; echo $s; }

start_rrdcached() { # NAME: starts rrdcached on $T/rrdc-NAME.sock, sets rrdc_pid
	mkdir -p "$T/journal-$1"
	# shellcheck disable=SC2086 # the flags are words
	rrdcached -g -l "unix:$T/rrdc-$1.sock" -p "$T/rrdc-$1.pid" -b "$T" -j "$T/journal-$1" \
		$rrdc_flags $rrdc_threads >"$T/rrdc-$1.log" 2>&1 &
	rrdc_pid=$!
	pids+=($rrdc_pid)
	wait_for 15 test -S "$T/rrdc-$1.sock" || { echo "rrdcached $1 did not start" >&2; exit 1; }
}

# counter for collectd's network plugin (ARCHIVE=none): values received, on request
start_net_counter() {
	$PY bench/collectd_net_counter.py "$T/net.port" "$T/net.count" >"$T/net.log" 2>&1 &
	net_pid=$!
	pids+=($net_pid)
	wait_for 10 test -s "$T/net.port"
}
net_count() { kill -USR1 "$net_pid"; sleep 0.3; cat "$T/net.count"; }

# --- start-up over an existing archive (REOPEN) ----------------------------------------
# REOPEN=DIR: dcmond starts over DIR, an archive of one RRD file per series (made there
# when DIR has none, by copying a template of the smallest layout dcmond accepts: its
# step and data source, one row, 592 bytes; the copy is timed as rrd_make_s; 1 M files
# take about 4 GB of disk).  DIR is moved in as dcmond's data directory and back at the
# end, so several runs (old and new builds) reopen the same files.  Only the start is
# measured: dcmond_startup_s and dcmond_first_round_s as above, and dcmond_reopened_s,
# until dcmond had checked every existing file (its header) and sent it its first
# values (rrdcached holds a node for every file; reopened_files: how many it holds
# then, fewer when WARMUP_MAX ran out).  A file is checked when its first value comes,
# so the last file cannot be checked before the first round ends (one interval after
# the first poll); dcmond_reopen_lag_s = reopened - first_round is what checking the
# files adds to that: near 0 when the writer keeps pace with the first round's values
# (plus the writer's wait for its next batch, ARCHIVE_FLUSH or 1/8 of its queue).
# dcmond_cpu_s and rrdcached_cpu_s: each one's CPU from its start until then (the
# first round's polls and every file's first check and UPDATE).
# Then dcmond and rrdcached are killed (SIGKILL: rrdcached writes nothing).
# ARCHIVE=rrdcached only; TOOLS=dcmond.
reopen=${REOPEN:-}
[ -z "$reopen" ] || [ "$archive" = rrdcached ] || { echo "REOPEN needs ARCHIVE=rrdcached" >&2; exit 2; }
reopen_make() { # the files, unless DIR holds them already
	[ "$(find "$reopen" -maxdepth 2 -name '*.rrd' 2>/dev/null | head -1)" ] && return 0
	local t0
	t0=$(date +%s.%N)
	rrdtool create "$T/template.rrd" --step "$interval" --start "$(($(date +%s) - 3600))" \
		"DS:value:GAUGE:$((2 * interval)):U:U" RRA:AVERAGE:0.5:1:1
	rrd_copies "$T/template.rrd" "$reopen"
	R[rrd_make]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
}
rrd_copies() { # TEMPLATE DIR: a copy of TEMPLATE for every series, where dcmond looks
	$PY - "$1" "$2" "$devices" "$points" <<'PY'
import os, sys
tpl = open(sys.argv[1], "rb").read()
for d in range(1, int(sys.argv[3]) + 1):
    dd = "%s/d%05d" % (sys.argv[2], d)
    os.makedirs(dd, exist_ok=True)
    for p in range(1, int(sys.argv[4]) + 1):
        fd = os.open("%s/p%03d_volts.rrd" % (dd, p), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        os.write(fd, tpl)
        os.close(fd)
PY
}
# SMALL_RRD=1: a rate whose files in dcmond's layout would not fit the disk (at a 1 s
# step one is 1.4 MB).  Before dcmond starts, every series gets a file with dcmond's
# step, data source and archives (AVERAGE of each step, AVERAGE, MIN and MAX at 5 min,
# 1 h and 1 day) but 10 rows each (~2 KB): an update does the same work as in a full
# file (one row per archive, consolidations alike), the disk holds 4 KB per series.
# dcmond checks them as existing files (step and DS type) and writes through them.
small_rrd=${SMALL_RRD:-}
[ -z "$small_rrd" ] || [ "$archive" = rrdcached ] || { echo "SMALL_RRD needs ARCHIVE=rrdcached" >&2; exit 2; }
small_rrd_make() { # DIR
	local rras=() r cf
	for r in 300 3600 86400; do
		for cf in AVERAGE MIN MAX; do rras+=("RRA:$cf:0.5:$(((r + interval / 2) / interval)):10"); done
	done
	rrdtool create "$T/small.rrd" --step "$interval" --start "$(($(date +%s) - 3600))" \
		"DS:value:GAUGE:$((2 * interval)):U:U" RRA:AVERAGE:0.5:1:10 "${rras[@]}"
	rrd_copies "$T/small.rrd" "$1"
}
reopen_take() { # DIR becomes dcmond's data directory
	mkdir -p "$reopen"
	reopen_make
	rm -rf "$T/dcmond-data"
	mv "$reopen" "$T/dcmond-data"
}
reopen_keep() { # and goes back (from cleanup)
	[ -n "$reopen" ] && [ -d "$T/dcmond-data" ] && [ ! -e "$reopen" ] && mv "$T/dcmond-data" "$reopen"
	return 0
}
# rrdcached holds a node for every file: dcmond has checked each and sent it values
tree_nodes_all() { [ "$(rrdc_stat "$T/rrdc-dcmond.sock" TreeNodesNumber)" -ge "$series" ]; }
reopen_perf="" # perf of rrdcached from before dcmond's launch (RRDC_PERF_OUT)
reopen_perf_start() {
	[ -n "${RRDC_PERF_OUT:-}" ] || return 0
	# shellcheck disable=SC2086 # the flags are words
	perf record -q ${PERF_FLAGS:--g} -o "$RRDC_PERF_OUT" -p "$rrdc_pid" >/dev/null 2>&1 &
	reopen_perf=$!
	sleep 1 # perf attached before the first UPDATE
}
reopen_measure() { # PID: until rrdcached has a node per file; then kill both
	wait_for "$warmup_max" tree_nodes_all || echo "warning: not every file reopened after ${warmup_max}s" >&2
	R[dcmond.reopened]=$(since_launch)
	R[dcmond.reopened_n]=$(rrdc_stat "$T/rrdc-dcmond.sock" TreeNodesNumber)
	# CPU of both from launch to here: what reopening (and the first round) cost
	local dc rc
	dc=$(awk -v t="$(cpu_ticks "$1")" -v hz="$hz" 'BEGIN {printf "%.1f", t / hz}')
	rc=$(awk -v t="$(cpu_ticks "$rrdc_pid")" -v hz="$hz" 'BEGIN {printf "%.1f", t / hz}')
	[ -z "$reopen_perf" ] || { kill -INT "$reopen_perf"; wait "$reopen_perf" || true; }
	kill -9 "$1" "$rrdc_pid" 2>/dev/null || true
	wait "$1" "$rrdc_pid" 2>/dev/null || true
	printf 'devices=%d points=%d reopened_files=%d rrd_make_s=%s dcmond_startup_s=%s dcmond_first_round_s=%s dcmond_reopened_s=%s dcmond_reopen_lag_s=%s dcmond_cpu_s=%s rrdcached_cpu_s=%s load=%s\n' \
		"$devices" "$points" "${R[dcmond.reopened_n]}" "${R[rrd_make]:-0}" "${R[dcmond.startup]}" "${R[dcmond.first_round]}" \
		"${R[dcmond.reopened]}" "$(awk -v a="${R[dcmond.first_round]}" -v b="${R[dcmond.reopened]}" 'BEGIN {printf "%.1f", b - a}')" \
		"$dc" "$rc" "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
	exit 0
}

# --- dcmond ---------------------------------------------------------------------------
write_dcmond_config() {
	mkdir -p "$T/profiles" "$T/dcmond-data"
	{
		echo "name: bench"
		echo "transport: snmp"
		echo "points:"
		for i in $(seq "$points"); do printf '  - {metric: p%03d_volts, oid: %s.%d, unit: volts}\n' "$i" "$oid_base" "$i"; done
	} >"$T/profiles/bench.yaml"
	local flush=${ARCHIVE_FLUSH:-30s} rrdc="" timeout=5s snmp_timeout=2s
	# a poll's timeout may not exceed its interval
	[ "$interval" -ge 5 ] || timeout=${interval}s snmp_timeout=$((interval * 400))ms
	[ "$archive" = rrdtool ] && flush=${rrd_delay}s
	# none: an rrdcached socket nobody listens on: values are held, no file is written
	[ "$archive" = none ] && flush=1h rrdc=", rrdcached: unix:$T/absent.sock"
	[ "$archive" = rrdcached ] && rrdc=", rrdcached: unix:$T/rrdc-dcmond.sock"
	[ -z "${ARCHIVE_QUEUE_MAX:-}" ] || rrdc="$rrdc, archive_queue_max: $ARCHIVE_QUEUE_MAX"
	{
		echo "daemon: {data_dir: $T/dcmond-data, socket: $T/dcmon.sock, profiles_dir: $T/profiles,"
		echo "         interval: ${interval}s, timeout: $timeout, archive_flush: $flush, log_level: warn$rrdc}"
		echo "devices:"
		for d in $(seq "$devices"); do
			printf '  - {id: d%05d, kind: env, host: 127.0.0.1, profile: bench, snmp: {port: %s, timeout: %s, retries: 1}}\n' \
				"$d" "${ports[$(((d - 1) % agents))]}" "$snmp_timeout"
		done
	} >"$T/dcmond.yaml"
}
# dcmond_health FIELD: a number of /api/v1/health (reports: values and point errors;
# values: the good ones; point_errors)
dcmond_health() { # a busy dcmond with a million series may take seconds to answer
	local n
	for _ in 1 2 3; do
		n=$(curl -s --max-time 20 --unix-socket "$T/dcmon.sock" http://dcmond/api/v1/health | jq ".$1") &&
			[ -n "$n" ] && [ "$n" != null ] && { echo "$n"; return 0; }
	done
	echo "no answer from dcmond's API" >&2
	return 1
}
dcmond_values() { dcmond_health values; }

# --- collectd -------------------------------------------------------------------------
write_collectd_config() {
	mkdir -p "$T/collectd-data"
	{
		echo "Hostname \"bench\""
		echo "FQDNLookup false"
		echo "BaseDir \"$T/collectd-data\""
		echo "PIDFile \"$T/collectd.pid\""
		echo "TypesDB \"/usr/share/collectd/types.db\""
		echo "Interval $interval"
		echo "ReadThreads $threads"
		echo "WriteThreads 4"
		echo "LoadPlugin logfile"
		echo "<Plugin logfile>"
		echo "  LogLevel warning"
		echo "  File \"$T/collectd.log\""
		echo "</Plugin>"
		if [ "$archive" = rrdcached ]; then
			echo "LoadPlugin rrdcached"
			echo "<Plugin rrdcached>"
			echo "  DaemonAddress \"unix:$T/rrdc-collectd.sock\""
			echo "  DataDir \"$T/collectd-data/rrd\""
			echo "  CreateFiles true"
			echo "  CollectStatistics false"
			echo "</Plugin>"
		elif [ "$archive" = rrdtool ]; then
			echo "LoadPlugin rrdtool"
			echo "<Plugin rrdtool>"
			echo "  DataDir \"$T/collectd-data/rrd\""
			echo "  CacheTimeout $rrd_delay"
			echo "  CacheFlush $((rrd_delay * 10))"
			echo "</Plugin>"
		else
			echo "LoadPlugin network"
			echo "<Plugin network>"
			echo "  Server \"127.0.0.1\" \"$(cat "$T/net.port")\""
			echo "</Plugin>"
		fi
		echo "LoadPlugin snmp"
		echo "<Plugin snmp>"
		for i in $(seq "$points"); do
			printf '  <Data "p%03d">\n    Type "gauge"\n    Table false\n    Instance "p%03d"\n    Values ".%s.%d.0"\n  </Data>\n' \
				"$i" "$i" "$oid_base" "$i"
		done
		local collect
		collect=$(for i in $(seq "$points"); do printf ' "p%03d"' "$i"; done)
		for d in $(seq "$devices"); do
			printf '  <Host "d%05d">\n    Address "127.0.0.1:%s"\n    Version 2\n    Community "public"\n' \
				"$d" "${ports[$(((d - 1) % agents))]}"
			printf '    Collect%s\n    Interval %d\n    Timeout 2\n    Retries 1\n  </Host>\n' "$collect" "$interval"
		done
		echo "</Plugin>"
	} >"$T/collectd.conf"
}

# --- one measured run -------------------------------------------------------------------
# measure TOOL PID COUNTER_FN: warm-up, then the window; sets r_* results
measure() {
	local tool=$1 pid=$2 counter=$3 data=$4
	local t_start=$SECONDS
	if [ -n "$small_rrd" ]; then # the files exist: until dcmond has checked every one
		wait_for "$warmup_max" tree_nodes_all ||
			echo "warning: dcmond sent values to $(rrdc_stat "$T/rrdc-dcmond.sock" TreeNodesNumber) of $series files in ${warmup_max}s" >&2
		sleep 10
	elif [ "$archive" != none ]; then
		# every series has its RRD file, then one more flush period
		wait_for "$warmup_max" enough_rrds "$data" ||
			echo "warning: $tool created $(rrd_count "$data") of $series RRD files in ${warmup_max}s" >&2
		sleep 10
	else
		sleep 25
	fi
	kill -0 "$pid" 2>/dev/null || { echo "$tool died during warm-up" >&2; exit 1; }
	local t0 c0 a0 v0 t1 c1 a1 v1
	if [ "$archive" = rrdcached ]; then # rrdcached from here until its final FLUSHALL
		r_rrdc_w0=$(rrdc_written "$T/rrdc-$tool.sock")
		r_rrdc_c0=$(cpu_ticks "$rrdc_pid")
		r_rrdc_t0=$(date +%s.%N)
	fi
	# the counter first (a busy dcmond answers its API late), then time and CPU at once
	v0=$($counter); t0=$(date +%s.%N); c0=$(cpu_ticks "$pid"); a0=$(agents_ticks)
	local e0=0 e1=0
	[ "$tool" = dcmond ] && e0=$(dcmond_health point_errors)
	local rperf=""
	if [ -n "${RRDC_PERF_OUT:-}" ] && [ "$tool" = dcmond ] && [ "$archive" = rrdcached ]; then
		# shellcheck disable=SC2086 # the flags are words
		perf record -q ${PERF_FLAGS:--g} -o "$RRDC_PERF_OUT" -p "$rrdc_pid" -- sleep "$duration" >/dev/null 2>&1 &
		rperf=$!
	fi
	if [ -n "${PERF_OUT:-}" ] && [ "$tool" = dcmond ]; then
		# shellcheck disable=SC2086 # the flags are words
		perf record -q ${PERF_FLAGS:--g} -o "$PERF_OUT" -p "$pid" -- sleep "$duration" >/dev/null 2>&1 || sleep "$duration"
	else
		sleep "$duration"
	fi
	v1=$($counter); t1=$(date +%s.%N); c1=$(cpu_ticks "$pid"); a1=$(agents_ticks)
	[ -z "$rperf" ] || wait "$rperf" || true
	[ "$tool" = dcmond ] && e1=$(dcmond_health point_errors)
	r_errors=$((e1 - e0))
	r_warm=$((SECONDS - t_start - duration))
	r_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
	r_values=$((v1 - v0))
	r_cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')
	r_agents_pct=$(awk -v a="$a0" -v b="$a1" -v hz="$hz" -v w="$r_wall" 'BEGIN {printf "%.0f", 100 * (b - a) / hz / w}')
	r_agents_us=$(awk -v a="$a0" -v b="$a1" -v hz="$hz" -v v="$r_values" 'BEGIN {printf "%.2f", (v > 0 ? (b - a) / hz * 1e6 / v : 0)}')
	r_rss=$(hwm_kib "$pid")
	r_rrdc_rss=0
	[ "$archive" = rrdcached ] && r_rrdc_rss=$(hwm_kib "$rrdc_pid")
	r_load=$(cut -d' ' -f1 /proc/loadavg)
	return 0
}

declare -A R
report() { # TOOL: stores the r_* results under TOOL.*
	local t=$1
	R[$t.vps]=$(awk -v v="$r_values" -v w="$r_wall" 'BEGIN {printf "%.1f", v / w}')
	R[$t.kept]=$(awk -v v="$r_values" -v w="$r_wall" -v e="$expected" 'BEGIN {printf "%.3f", v / w / e}')
	R[$t.us]=$(awk -v c="$r_cpu" -v v="$r_values" 'BEGIN {printf "%.2f", (v > 0 ? c * 1e6 / v : 0)}')
	R[$t.us_all]=$(awk -v u="${R[$t.us]}" -v r="${R[$t.rrdc_us]:-0}" 'BEGIN {printf "%.2f", u + r}')
	R[$t.rss]=$r_rss
	R[$t.rrdc_rss]=$r_rrdc_rss
	R[$t.errors]=$r_errors
	R[$t.agents_us]=$r_agents_us
	# what these costs per value allow on this machine's cores (all three on it; agents elsewhere)
	R[$t.ceiling]=$(awk -v a="${R[$t.us_all]}" -v g="$r_agents_us" -v n="$(nproc)" 'BEGIN {printf "%.0f", (a + g > 0 ? n * 1e6 / (a + g) : 0)}')
	R[$t.ceiling_na]=$(awk -v a="${R[$t.us_all]}" -v n="$(nproc)" 'BEGIN {printf "%.0f", (a > 0 ? n * 1e6 / a : 0)}')
	printf '%-8s values/s %s of %s (kept up %s); cpu %ss over %ss = %s us/value' \
		"$t" "${R[$t.vps]}" "$expected" "${R[$t.kept]}" "$r_cpu" "$r_wall" "${R[$t.us]}"
	[ "$archive" = rrdcached ] && printf ', with rrdcached %s us/value' "${R[$t.us_all]}"
	[ "$t" = dcmond ] && printf ' (good values only; %s point errors besides)' "$r_errors"
	printf '; peak RSS %s KiB' "$r_rss"
	[ "$archive" = rrdcached ] && printf ' (rrdcached %s KiB)' "$r_rrdc_rss"
	printf '; agents %s%% cpu = %s us/value; load %s; warm-up %ss\n' "$r_agents_pct" "$r_agents_us" "$r_load" "$r_warm"
	printf '         %s cores at these costs: %s values/s (%s with the agents elsewhere)\n' "$(nproc)" "${R[$t.ceiling]}" "${R[$t.ceiling_na]}"
	[ "$archive" = rrdcached ] && echo "         $r_archive_note"
	return 0
}
archive_check() { # TOOL TOTAL: rrdcached wrote every value the tool produced over the run?
	local w c t1
	w=$(rrdc_written "$T/rrdc-$1.sock")
	t1=$(date +%s.%N)
	R[$1.archived]=$(awk -v w="$w" -v t="$2" 'BEGIN {printf "%.3f", (t > 0 ? w / t : 0)}')
	# TOTAL is counted just before the tool's TERM, so values of the last moment are
	# written without being counted: more written than counted is nothing lost
	R[$1.lost]=$(($2 > w ? $2 - w : 0))
	# values written per second: from the window's start until the final flush drained
	R[$1.written_per_s]=$(awk -v w="$((w - r_rrdc_w0))" -v a="$r_rrdc_t0" -v b="$t1" 'BEGIN {printf "%.1f", w / (b - a)}')
	c=$(awk -v a="$r_rrdc_c0" -v b="$(cpu_ticks "$rrdc_pid")" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')
	R[$1.rrdc_us]=$(awk -v c="$c" -v w="$((w - r_rrdc_w0))" 'BEGIN {printf "%.2f", (w > 0 ? c * 1e6 / w : 0)}')
	# a loss is explained in the tool's log (dcmond's; collectd's is apart)
	[ "${R[$1.lost]}" = 0 ] || [ ! -s "$T/$1.log" ] ||
		{ echo "$1 lost values; its log but the scheduler's skipped slots:" >&2; grep -v 'slot skipped' "$T/$1.log" | tail -n 20 >&2; }
	r_archive_note="rrdcached ($rrdc_flags) wrote $w of the $2 values produced in the whole run (${R[$1.archived]}, ${R[$1.lost]} lost); from the window's start to the final flush: $((w - r_rrdc_w0)) values (${R[$1.written_per_s]}/s), ${c}s cpu = ${R[$1.rrdc_us]} us/value"
}
stop() { # PID: TERM, bounded wait, then KILL
	kill "$1" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
}

echo "snmp bench: $devices devices x $points points every ${interval}s = $expected values/s expected," \
	"$agents snmpd agents, archive=$archive, window ${duration}s, $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"

for tool in $tools; do
	case $tool in
	dcmond)
		write_dcmond_config
		[ -z "$reopen" ] || reopen_take
		[ -z "$small_rrd" ] || small_rrd_make "$T/dcmond-data"
		[ "$archive" = rrdcached ] && start_rrdcached dcmond
		[ -z "$reopen" ] || reopen_perf_start
		t_launch=$(date +%s.%N)
		# shellcheck disable=SC2086 # the wrapper's words
		${DCMOND_WRAP:-} "$build/dcmond" -c "$T/dcmond.yaml" 2>"$T/dcmond.log" &
		pid=$!
		pids+=($pid)
		wait_for "$start_max" test -S "$T/dcmon.sock" || { echo "dcmond did not start" >&2; cat "$T/dcmond.log" >&2; exit 1; }
		# start-up: launch until the first good value (the first poll's end), then
		# until every series had one (the first round, spread over the interval)
		values_at_least() { [ "$(dcmond_health values)" -ge "$1" ]; }
		since_launch() { awk -v a="$t_launch" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
		wait_for "$warmup_max" values_at_least 1 || echo "warning: no value after ${warmup_max}s" >&2
		R[dcmond.startup]=$(since_launch)
		wait_for "$warmup_max" values_at_least "$series" ||
			echo "warning: not every series had a value after ${warmup_max}s" >&2
		R[dcmond.first_round]=$(since_launch)
		[ -z "$reopen" ] || reopen_measure "$pid"
		measure dcmond "$pid" dcmond_values "$T/dcmond-data"
		total=$(dcmond_health reports) # the archive gets a point error too (unknown)
		# rrdcached, rrdtool: TERM writes every queued value; none: nothing is to be written
		if [ -n "${DCMOND_WRAP:-}" ]; then # the wrapper writes its report when dcmond exits
			kill "$pid"; wait "$pid" 2>/dev/null || true
		elif [ "$archive" = none ]; then kill -9 "$pid"; wait "$pid" 2>/dev/null || true; else stop "$pid"; fi
		[ "$archive" = rrdcached ] && archive_check dcmond "$total"
		report dcmond
		;;
	collectd)
		[ "$archive" = rrdcached ] && start_rrdcached collectd
		[ "$archive" = none ] && start_net_counter
		write_collectd_config
		/usr/sbin/collectd -f -C "$T/collectd.conf" >"$T/collectd.out" 2>&1 &
		pid=$!
		pids+=($pid)
		sleep 1
		kill -0 "$pid" 2>/dev/null || { echo "collectd did not start" >&2; cat "$T/collectd.out" >&2; exit 1; }
		# its rrdcached plugin sends one value per UPDATE: rrdcached's UpdatesReceived;
		# it asks one varbind per value: the agents' count of varbinds answered
		case $archive in
		rrdcached) counter="rrdc_stat $T/rrdc-collectd.sock UpdatesReceived" ;;
		rrdtool) counter=agents_vars ;;
		*) counter=net_count ;;
		esac
		measure collectd "$pid" "$counter" "$T/collectd-data/rrd"
		stop "$pid"
		[ "$archive" = rrdcached ] && archive_check collectd "$(rrdc_stat "$T/rrdc-collectd.sock" UpdatesReceived)"
		report collectd
		;;
	*) echo "unknown tool $tool" >&2; exit 2 ;;
	esac
	[ "$archive" = rrdcached ] && stop "$rrdc_pid"
	rm -rf "$T/dcmond-data" "$T/collectd-data" # the next run needs the disk space
done

ratio() { awk -v a="${R[collectd.$1]:-0}" -v b="${R[dcmond.$1]:-0}" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}'; }
echo "ratio collectd/dcmond: cpu per value $(ratio us_all) (tools only $(ratio us)), peak RSS $(ratio rss)"
printf 'devices=%d points=%d archive=%s expected_values_per_s=%s' "$devices" "$points" "$archive" "$expected"
for t in dcmond collectd; do
	[ -n "${R[$t.vps]:-}" ] || continue
	printf ' %s_values_per_s=%s %s_kept_up=%s %s_cpu_us_per_value=%s %s_cpu_us_per_value_tool_only=%s %s_peak_rss_kib=%s' \
		"$t" "${R[$t.vps]}" "$t" "${R[$t.kept]}" "$t" "${R[$t.us_all]}" "$t" "${R[$t.us]}" "$t" "${R[$t.rss]}"
	printf ' %s_rrdcached_cpu_us_per_value=%s %s_agents_cpu_us_per_value=%s %s_ceiling_values_per_s=%s %s_ceiling_values_per_s_no_agents=%s' \
		"$t" "${R[$t.rrdc_us]:-0}" "$t" "${R[$t.agents_us]}" "$t" "${R[$t.ceiling]}" "$t" "${R[$t.ceiling_na]}"
	[ -z "${R[$t.lost]:-}" ] || printf ' %s_values_written_per_s=%s %s_values_lost=%s' "$t" "${R[$t.written_per_s]}" "$t" "${R[$t.lost]}"
done
if [ -n "${R[dcmond.errors]:-}" ]; then
	printf ' dcmond_point_errors=%s dcmond_startup_s=%s dcmond_first_round_s=%s dcmond_bytes_per_series=%s' \
		"${R[dcmond.errors]}" "${R[dcmond.startup]}" "${R[dcmond.first_round]}" "$(( ${R[dcmond.rss]} * 1024 / series ))"
fi
printf ' interval_s=%s cpu_ratio=%s rss_ratio=%s load=%s\n' "$interval" "$(ratio us_all)" "$(ratio rss)" "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
