#!/usr/bin/env bash
# Alert e-mail latency on the SNMP trap path: from the moment a UPS sends
# upsTrapOnBattery to dcmond's trap receiver to the SMTP server accepting the e-mail;
# median and p99 over N traps (target: below 0.5 s).
#
# N UPSes (profile ups-rfc1628), each its own snmpsim agent on its own loopback address
# (127.0.1.I) with its own recording, polled once an hour: only the re-poll a trap asks
# for reads them.  At start a coldStart trap has each polled (on mains).  For crossing I
# the recording of ups-I is switched to on-battery (the agent then answers on-battery,
# checked with snmpget), and upsTrapOnBattery is sent from ups-I's address by
# bench/send_trap.py, which stamps the moment the datagram leaves.  dcmond re-polls
# ups-I at once (repoll_min_interval 1s: the coldStart poll at the start is older), the
# poll reads on-battery (a trap alone is no reading: trap/poll fusion waits for it), and
# the profile's critical "UPS is on battery" alert fires.  One UPS per crossing: each is
# a new alert (flap detection holds back one alert firing over and over, by design).
#
# collectd has no trap path: its snmp plugin only polls (traps would need snmptrapd and
# a separate handler), so there is no collectd figure here.
#
#   bench/trap_latency.sh [N=20]     (DCMON_BUILD_DIR, default ./build)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DCMON_BUILD_DIR:-$SRC/build}
N=${1:-20}
[ "$N" -ge 1 ] && [ "$N" -le 250 ] || { echo "N must be 1..250" >&2; exit 2; }
source "$SRC/bench/mail_lib.sh"
bench_init dcmon-bench-trap
addr() { echo "127.0.1.$1"; }

smtp=$(free_port tcp); sim=$(free_port udp); trapp=$(free_port udp)
mkdir -p "$T/snmprec"
start_sink "$T/mail" "$smtp"

# recording I (community ups-I): mains at first; set_rec I mains|battery switches it.  The
# new file gets a future mtime of its own, so snmpsim (which compares whole seconds)
# re-indexes it at the next request.
set_rec() {
  local f="$T/snmprec/ups-$1.snmprec"
  cp "$SRC/tests/data/snmprec/ups-$2.snmprec" "$f.tmp"
  chmod 644 "$f.tmp"
  touch -d "@$(($(date +%s) + 1000 + STAMP))" "$f.tmp"
  mv "$f.tmp" "$f"
  STAMP=$((STAMP + 1))
}
STAMP=0
args=(--data-dir="$T/snmprec")
for i in $(seq 1 "$N"); do
  set_rec "$i" mains
  args+=(--agent-udpv4-endpoint="$(addr "$i"):$sim")
done
chmod 755 "$T" "$T/snmprec"
[ "$(id -u)" -eq 0 ] && args+=(--process-user=nobody --process-group=nogroup)
snmpsimd "${args[@]}" >"$T/snmpsim.log" 2>&1 &
PIDS+=($!)
source_oid=1.3.6.1.2.1.33.1.4.1.0 # upsOutputSource: 3 normal, 5 battery
agent_says() { [ "$(snmpget -v2c -c "ups-$1" -r 0 -t 0.5 -Oqv "$(addr "$1"):$sim" $source_oid)" = "$2" ]; }
wait_for 30 agent_says 1 3
wait_for 30 agent_says "$N" 3

{
  cat <<YAML
daemon:
  data_dir: $T/data
  socket: $T/dcmon.sock
  profiles_dir: $SRC/etc/profiles
  snmp_trap: {listen: 127.0.0.1, port: $trapp, communities: [dcmon-traps], repoll_min_interval: 1s}
  smtp: {host: 127.0.0.1, port: $smtp, starttls: off, from: dcmon@dc.example, rate_limit: 1000}
teams: [{id: ops, email: [ops@dc.example]}]
routes:
  # group_wait 0: every trap is measured as the first alert of its group
  - {name: ops, teams: [ops], group_wait: 0s, send_resolved: false}
devices:
YAML
  for i in $(seq 1 "$N"); do
    cat <<YAML
  - {id: ups-$i, kind: ups, host: $(addr "$i"), profile: ups-rfc1628, interval: 1h, timeout: 2s,
     snmp: {port: $sim, community: ups-$i, timeout: 500ms, retries: 1}}
YAML
  done
} >"$T/dcmon.yaml"
chmod 600 "$T/dcmon.yaml"
"$BUILD/dcmond" ${DCMON_BENCH_DEBUG:+--debug} -c "$T/dcmon.yaml" >"$T/dcmond.log" 2>&1 &
PIDS+=($!)
export DCMON_SOCKET=$T/dcmon.sock
api_up() { { "$BUILD/dcmon" status --json || true; } | jq -e '.devices | length > 0'; }
wait_for 20 api_up

trap_oid_cold=1.3.6.1.6.3.1.1.5.1
trap_oid_onbat=1.3.6.1.2.1.33.2.1           # UPS-MIB upsTrapOnBattery
seconds_on_bat=1.3.6.1.2.1.33.1.2.2.0       # upsSecondsOnBattery
send() { $PY "$SRC/bench/send_trap.py" "$(addr "$1")" 127.0.0.1 "$trapp" dcmon-traps "${@:2}"; }
on_mains() { # every UPS polled (after its coldStart) and on mains
  { "$BUILD/dcmon" status --json || true; } | jq -e --argjson n "$N" '[.devices[] | .metrics[]? |
    select(.name == "output_source_state" and .value_name == "normal")] | length == $n'; }
for i in $(seq 1 "$N"); do send "$i" "$trap_oid_cold" >/dev/null; done
wait_for 60 on_mains
sleep 1 # past the re-poll hold-off (repoll_min_interval) of the coldStart polls

: >"$T/t0"
for i in $(seq 1 "$N"); do
  set_rec "$i" battery
  wait_for 10 agent_says "$i" 5 # the agent answers on-battery (and has re-indexed)
  sleep 0.$((RANDOM % 5))
  t0=$(send "$i" "$trap_oid_onbat" "$seconds_on_bat=30")
  echo "$i $t0" >>"$T/t0"
  # the poll raises its alerts together: one message names them all (or this one)
  wait_for 15 has_after "$T/mail" "ups-$i\\b(.|\\n)*UPS is on battery|UPS is on battery(.|\\n)*ups-$i\\b" "$t0"
  printf '.' >&2
done
echo >&2
# the re-polls confirmed: every UPS reads battery from its agent, its alert still firing
on_battery() { { "$BUILD/dcmon" status --json || true; } | jq -e --argjson n "$N" '[.devices[] | .metrics[]? |
    select(.name == "output_source_state" and .value_name == "battery" and .quality == "ok")] | length == $n'; }
wait_for 20 on_battery || echo "warning: not every re-poll read on-battery" >&2
cat "$T/mail"/msg-*.json | jq -s '[.[] | {ts, data}]' >"$T/m.json"
$PY - "$T/t0" "$T/m.json" "$N" <<'PYEOF'
import json, re, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
msgs = json.load(open(sys.argv[2]))
n = int(sys.argv[3])
lat = []
for i, t0 in rows:
    t0 = float(t0)
    dev = re.compile(r"\bups-%s\b" % i)
    lat.append(min(m["ts"] for m in msgs if dev.search(m["data"]) and "UPS is on battery" in m["data"]
                   and m["ts"] >= t0) - t0)
lat.sort()
med = lat[len(lat) // 2] if len(lat) % 2 else (lat[len(lat)//2 - 1] + lat[len(lat)//2]) / 2
p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))]
print("alert e-mail latency, SNMP trap (upsTrapOnBattery) sent -> SMTP server accepted, %d traps" % n)
print("  dcmond    median %6.3f s  p99 %6.3f s  min %6.3f s  max %6.3f s" % (med, p99, lat[0], lat[-1]))
print("  collectd  no trap path (its snmp plugin only polls): not measured")
print("traps=%d dcmond_trap_median_s=%.3f dcmond_trap_p99_s=%.3f" % (n, med, p99))
PYEOF
