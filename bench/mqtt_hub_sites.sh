#!/usr/bin/env bash
# Federation benchmark with many sites (issue 18): SITES site dcmonds, each on its own
# mosquitto bridged (QoS 1, persistent session) to one hub mosquitto, where a hub dcmond
# (role: hub) applies every site's events and two plain subscribers count what arrives.
#
#   bench/mqtt_hub_sites.sh [SITES=10] [DEVICES=99 per site] [RATE=500 values/s per site]
#                           [SECONDS=20]
#
# Each site takes bench_mqtt_pub's stream (DEVICES x 9 points, RATE values/s; DEVICES x 9
# not a multiple of 10, so that each visit of a point brings it a new value; a round of
# every point within the sites' 2 s interval, else they go stale between visits) and
# publishes every value change (retained state topics, QoS 0) and every alert event
# (QoS 1, its outbox): a rule at 1000.45 fires and resolves point p000 of each device
# as its value moves, so every device makes events.  At the hub broker:
#   - values: the state messages of every site (+/+/+/+/+), counted: values/s at the hub;
#   - events: every site's events topic (+/_events), each stamped on arrival: events/s
#     and the site-to-hub latency (arrival - the event's ts at its site), p50/p99;
#   - the hub dcmond: the events it applied (its /api/v1/sites), per second, its CPU per
#     event, and per site whether it holds every event the site numbered (the site's
#     last outbox seq): hub_missing and hub_applied_twice must be 0.
# The window opens once every series reported (a warm-up round) and closes 2 s after
# the stream.  CPU (µs per message handled) of the hub broker and of the site dcmonds
# together (ingest, rules, publish).
# Then a storm at every site at once: all site brokers stop, every series goes no-data
# (its transition and notification wait in the site's outbox), and once no outbox grows
# the brokers start together: the events/s the hub dcmond applies while the bridges
# replay side by side, its CPU per event, none applied twice, none missing.
# Prints one final line of key=value.
set -euo pipefail
cd "$(dirname "$0")/.."
sites=${1:-10}
devices=${2:-99}
rate=${3:-500}
duration=${4:-20}
warmup=$(((devices * 9 + rate - 1) / rate + 2)) # s: a round of every series, and 2
build=${DCMON_BUILD_DIR:-build}
[ -x "$build/dcmond" ] && [ -x "$build/bench_mqtt_pub" ] ||
	{ echo "no $build/dcmond or $build/bench_mqtt_pub: run scripts/build.sh" >&2; exit 2; }
source bench/mqtt_lib.sh
mqtt_bench_setup mqtthubsites # the hub's broker on $port, $broker_pid
hub_port=$port
start_hub_dcmond "$hub_port"

site_pids=()
site_ports=()
site_brokers=()
for i in $(seq 1 "$sites"); do
	p=$(free_port)
	site_ports+=("$p")
	start_site_broker "site$i" "$p" "$hub_port"
	site_brokers+=("$site_broker_pid")
	mkdir -p "$T/site$i"
	bench_site_yaml "site$i" "$p" "$devices" "[values, alerts, transitions]" nodata >"$T/site$i.yaml"
	"$build/dcmond" -c "$T/site$i.yaml" >"$T/site$i.log" 2>&1 &
	site_pids+=($!)
	pids+=($!)
done
site_up() { curl -sf --unix-socket "$T/site$1.sock" http://dcmond/api/v1/health; }
for i in $(seq 1 "$sites"); do
	wait_for 60 site_up "$i" || { echo "site$i did not start" >&2; tail "$T/site$i.log" >&2; exit 1; }
done

mosquitto_sub -h 127.0.0.1 -p "$hub_port" -i hub-events -c -q 1 -t '+/_events' -F '%U %p' \
	>"$T/events.txt" 2>"$T/events-sub.log" &
pids+=($!)
mosquitto_sub -h 127.0.0.1 -p "$hub_port" -i hub-values -q 0 -t '+/+/+/+/+' -F '%t' \
	>"$T/values.txt" 2>"$T/values-sub.log" &
pids+=($!)
sleep 2 # the subscriptions are in place; the first retained values are not counted
hub_events() { hub_api /api/v1/sites | jq '[.sites[] | select(.id | startswith("site")) | .events] | add // 0'; }
site_cpu() { local s=0 p; for p in "${site_pids[@]}"; do s=$((s + $(cpu_ns "$p"))); done; echo "$s"; }

echo "mqtt hub sites bench: $sites sites x $devices devices x 9 points at $rate values/s each" \
	"for ${duration}s, $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
pub_pids=()
for i in $(seq 1 "$sites"); do
	"$build/bench_mqtt_pub" 127.0.0.1 "${site_ports[$((i - 1))]}" "$devices" 9 "$rate" \
		"$((warmup + duration))" >"$T/pub$i.txt" &
	pub_pids+=($!)
done
sleep "$warmup" # every series reported once: its first report's derived metrics are out
values0=$(wc -l <"$T/values.txt")
events0=$(wc -l <"$T/events.txt")
applied0=$(hub_events)
hub_cpu0=$(cpu_ns "$hub_pid")
broker_cpu0=$(cpu_ns "$broker_pid")
sites_cpu0=$(site_cpu)
t0=$(date +%s%N)
for p in "${pub_pids[@]}"; do wait "$p"; done
sleep 2 # the last values and events cross the bridges
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
values=$(($(wc -l <"$T/values.txt") - values0))
events=$(($(wc -l <"$T/events.txt") - events0))
published=$((sites * rate * duration)) # in the window
# every event each site numbered reaches the hub dcmond (bounded wait)
last_seq() { sqlite3 "$T/site$1/mqtt_outbox.db" "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"; }
hub_seq() { hub_api /api/v1/sites | jq --arg s "site$1" '[.sites[] | select(.id == $s) | .seq] | add // 0'; }
# the events the sites numbered and the hub does not hold
missing() {
	local i want got n=0
	for i in $(seq 1 "$sites"); do
		want=$(last_seq "$i"); got=$(hub_seq "$i")
		[ "$got" -ge "${want:-0}" ] || n=$((n + ${want:-0} - got))
	done
	echo "$n"
}
holds_all() { [ "$(missing)" -eq 0 ]; }
wait_for 120 holds_all || true
missing=$(missing)
applied=$(($(hub_events) - applied0))
hub_ns=$(($(cpu_ns "$hub_pid") - hub_cpu0))
broker_ns=$(($(cpu_ns "$broker_pid") - broker_cpu0))
sites_ns=$(($(site_cpu) - sites_cpu0))
seen=$(hub_api /api/v1/sites | jq '[.sites[] | select(.id | startswith("site"))] | length')
twice=$(sqlite3 "$T/hub/hub.db" 'SELECT count(*) - count(DISTINCT origin || "." || incarnation || "." || seq) FROM events')
read -r p50 p99 < <(tail -n +$((events0 + 1)) "$T/events.txt" | event_latency)
per_s() { echo $(($1 / duration)); } # what the stream's seconds brought, its tail too

# --- 2. a storm at every site, replayed side by side ------------------------------------
# Every site broker stops at once: each site's series go no-data (5 intervals of 2 s),
# their transitions and notifications wait in its outbox; once no outbox grows, the
# brokers start again together and the 10 bridges replay side by side into the hub.
for b in "${site_brokers[@]}"; do kill "$b"; wait "$b" 2>/dev/null || true; done
queued_all() { local i n=0; for i in $(seq 1 "$sites"); do
	n=$((n + $(sqlite3 "$T/site$i/mqtt_outbox.db" 'SELECT count(*) FROM outbox'))); done; echo "$n"; }
sleep 12
last=-1
while storm=$(queued_all); [ "$storm" -ne "$last" ]; do
	[ $SECONDS -lt 900 ] || { echo "the outboxes still grow: $storm events" >&2; exit 1; }
	last=$storm
	sleep 3
done
applied0=$(hub_events)
hub_cpu0=$(cpu_ns "$hub_pid")
s0=$(date +%s%N)
for i in $(seq 1 "$sites"); do start_site_broker "site$i" "${site_ports[$((i - 1))]}" "$hub_port"; done
wait_for 600 holds_all || { echo "$(missing) events of the storm missing at the hub" >&2; exit 1; }
s1=$(date +%s%N)
storm_ms=$(((s1 - s0) / 1000000))
storm_applied=$(($(hub_events) - applied0))
storm_us=$(($(($(cpu_ns "$hub_pid") - hub_cpu0)) / 1000 / (storm_applied > 0 ? storm_applied : 1)))
storm_twice=$(sqlite3 "$T/hub/hub.db" 'SELECT count(*) - count(DISTINCT origin || "." || incarnation || "." || seq) FROM events')
storm_per_s=$((storm_applied * 1000 / (storm_ms > 0 ? storm_ms : 1)))
echo "storm: $storm events queued at $sites sites, all applied at the hub ${storm_ms} ms after the" \
	"brokers' restart ($storm_per_s events/s), $storm_us us of CPU each, $storm_twice twice" >&2
echo "hub: $seen sites, $values values ($(per_s "$values")/s) and $events events ($(per_s "$events")/s)" \
	"in ${ms} ms; the hub dcmond applied $applied, $((hub_ns / 1000 / (applied > 0 ? applied : 1))) us" \
	"of CPU each; $missing missing, $twice twice; latency p50 $p50 ms, p99 $p99 ms" >&2
echo "sites=$seen values_published=$published hub_values=$values hub_values_per_s=$(per_s "$values")" \
	"hub_events=$events hub_events_per_s=$(per_s "$events") latency_p50_ms=$p50 latency_p99_ms=$p99" \
	"hub_applied=$applied hub_applied_per_s=$(per_s "$applied")" \
	"hub_us_per_event=$((hub_ns / 1000 / (applied > 0 ? applied : 1)))" \
	"hub_broker_us_per_msg=$((broker_ns / 1000 / (values + events > 0 ? values + events : 1)))" \
	"site_us_per_value=$((sites_ns / 1000 / (published > 0 ? published : 1)))" \
	"hub_missing=$missing hub_applied_twice=$twice storm_events=$storm storm_ms=$storm_ms" \
	"storm_events_per_s=$storm_per_s storm_hub_us_per_event=$storm_us storm_applied_twice=$storm_twice"
