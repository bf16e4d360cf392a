#!/usr/bin/env bash
# Federation benchmark (issue 18): a site dcmond publishing alert events to its own
# mosquitto, bridged (a real mosquitto bridge, QoS 1, persistent session) to a hub
# mosquitto, where a hub dcmond (role: hub) and a plain QoS 1 subscriber both listen.
#
#   [CUT_SECONDS=0] bench/mqtt_hub.sh [DEVICES=1000] [RATE=2000 values/s] [SECONDS=20]
#
# 1. Latency and rate: bench_mqtt_pub's stream (DEVICES x 9 points: not a multiple of 10, RATE values/s)
#    into the site; a rule at 1000.45 fires and resolves point p000 of each device as
#    its value moves between 1000.0 and 1000.9, so every device makes events.  The
#    subscriber on the hub broker stamps each event's arrival: latency = arrival - the
#    event's ts (the alert engine's time at the site), p50/p99; events/s at the hub.
# 2. Replay: right after the stream the site broker is stopped (the cut: the site
#    dcmond loses its broker); every series goes no-data (5 intervals of 2 s: the stream must come round every series within 10 s) and its
#    transition waits in the site dcmond's outbox (<state_dir>/mqtt_outbox.db), DEVICES
#    x 9 events and more; the cut lasts CUT_SECONDS (600: the issue's 10 minutes), and
#    at least until the outbox stops growing (every event the cut made waits in it:
#    the no-data storm's notifications follow its transitions); the broker is started
#    again and the replay time is from its
#    start until the hub's subscriber holds as many events as the outbox held; the hub
#    dcmond's replay time is until its /api/v1/sites counts them all applied, with its
#    CPU per event applied (parse, sequence check, SQLite commit) and the events it
#    applied twice (held events minus distinct seqs: must be 0).
# Prints one final line of key=value.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-1000}
rate=${2:-2000}
duration=${3:-20}
build=${DCMON_BUILD_DIR:-build}
[ -x "$build/dcmond" ] && [ -x "$build/bench_mqtt_pub" ] ||
	{ echo "no $build/dcmond or $build/bench_mqtt_pub: run scripts/build.sh" >&2; exit 2; }
source bench/mqtt_lib.sh
mqtt_bench_setup mqtthubbench # the hub's broker on $port
hub_port=$port
site_port=$(free_port)

start_site_broker site1 "$site_port" "$hub_port"

mkdir -p "$T/site1"
bench_site_yaml site1 "$site_port" "$devices" "[alerts, transitions]" nodata >"$T/site1.yaml"
"$build/dcmond" -c "$T/site1.yaml" >"$T/site1.log" 2>&1 &
site_pid=$!
pids+=($site_pid)
health() { curl -sf --unix-socket "$T/site1.sock" http://dcmond/api/v1/health; }
wait_for 30 health || { echo "the site dcmond did not start" >&2; tail "$T/site1.log" >&2; exit 1; }

start_hub_dcmond "$hub_port"
hub_held() { hub_api /api/v1/sites | jq '[.sites[] | select(.id == "site1") | .events] | add // 0'; }

# the hub's subscriber: a persistent session at QoS 1, each message stamped on arrival
mosquitto_sub -h 127.0.0.1 -p "$hub_port" -i hub-sub -c -q 1 -t site1/_events -F '%U %p' \
	>"$T/hub.txt" 2>"$T/hub-sub.log" &
pids+=($!)
sleep 1

# --- 1. latency and rate through the bridge ------------------------------------------
echo "mqtt hub bench: $devices devices x 9 points at $rate values/s for ${duration}s," \
	"$(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench_mqtt_pub" 127.0.0.1 "$site_port" "$devices" 9 "$rate" "$duration" >/dev/null
sleep 2
events=$(wc -l <"$T/hub.txt")
read -r p50 p99 < <(event_latency <"$T/hub.txt")
echo "latency phase: $events events at the hub in ${duration}s, p50 ${p50} ms, p99 ${p99} ms" >&2

# --- 2. the cut and the replay --------------------------------------------------------
before=$(wc -l <"$T/hub.txt")
kill "$site_broker_pid"; wait "$site_broker_pid" 2>/dev/null || true
cut_start=$SECONDS
outbox() { sqlite3 "$T/site1/mqtt_outbox.db" 'SELECT count(*) FROM outbox'; }
# every series' no-data transition is in the outbox
fired() { [ "$(outbox)" -ge $((devices * 9)) ]; }
wait_for 120 fired || { echo "only $(outbox) events queued" >&2; exit 1; }
cut_min=${CUT_SECONDS:-0}
last=-1
while queued=$(outbox); [ "$queued" -ne "$last" ] || [ $SECONDS -lt $((cut_start + cut_min)) ]; do
	[ $SECONDS -lt $((cut_start + cut_min + 900)) ] ||
		{ echo "the outbox still grows 15 min into the cut: $queued events" >&2; exit 1; }
	last=$queued
	sleep 5
done
cut_s=$((SECONDS - cut_start))
echo "cut: $queued events in the site's outbox after ${cut_s} s" >&2
hub_before=$(hub_held)
hub_cpu0=$(cpu_ticks "$hub_pid")
t0=$(date +%s%N)
start_site_broker site1 "$site_port" "$hub_port"
arrived() { [ $(($(wc -l <"$T/hub.txt") - before)) -ge "$queued" ]; }
bound=$((queued / 100 > 300 ? queued / 100 : 300)) # at least 100 events/s
wait_for "$bound" arrived || { echo "only $(($(wc -l <"$T/hub.txt") - before)) of $queued arrived" >&2; exit 1; }
t1=$(date +%s%N)
replay_ms=$(((t1 - t0) / 1000000))
hub_arrived() { [ $(($(hub_held) - hub_before)) -ge "$queued" ]; }
wait_for "$bound" hub_arrived || { echo "only $(($(hub_held) - hub_before)) of $queued applied at the hub" >&2; exit 1; }
t2=$(date +%s%N)
hub_replay_ms=$(((t2 - t0) / 1000000))
hub_applied=$(($(hub_held) - hub_before))
hub_us=$(( ($(cpu_ticks "$hub_pid") - hub_cpu0) * 1000000 / $(getconf CLK_TCK) / (hub_applied > 0 ? hub_applied : 1) ))
hub_twice=$(sqlite3 "$T/hub/hub.db" 'SELECT count(*) - count(DISTINCT incarnation || "." || seq) FROM events')
echo "hub dcmond: $hub_applied events applied $hub_replay_ms ms after the site broker's restart," \
	"$hub_us us of CPU per event, $hub_twice applied twice" >&2
dups=$(tail -n +$((before + 1)) "$T/hub.txt" | grep -o '"seq":[0-9]*' | sort | uniq -d | wc -l)
echo "replay: $queued events queued in the site's outbox, all at the hub $replay_ms ms after" \
	"the site broker's restart ($((queued * 1000 / (replay_ms > 0 ? replay_ms : 1))) events/s), $dups seq twice" >&2
echo "hub_events=$events latency_p50_ms=$p50 latency_p99_ms=$p99 cut_s=$cut_s replay_events=$queued" \
	"replay_ms=$replay_ms replay_events_per_s=$((queued * 1000 / (replay_ms > 0 ? replay_ms : 1)))" \
	"replay_duplicates=$dups hub_replay_ms=$hub_replay_ms hub_applied=$hub_applied" \
	"hub_us_per_event=$hub_us hub_applied_twice=$hub_twice"
