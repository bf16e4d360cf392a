#!/usr/bin/env bash
# Alert e-mail latency: from the moment a polled value crosses a threshold at the device
# (a watched process is killed: its process count drops to 0) to the SMTP server
# accepting the message; median and p99 over N crossings, for dcmond and for collectd's
# processes + threshold + notify_email plugins, in one run, each with its own SMTP sink
# (tests/peers/smtp_sink.py).
#
# Fair conditions: both poll every INTERVAL seconds, and every crossing happens at the
# same lead before each monitor's next poll: the leads are N evenly spread fractions of
# the interval ((k + 0.5) / N, shuffled), the same set for both, each crossing placed on
# each monitor's own poll schedule (dcmond's from its API, collectd's from the csv
# plugin's timestamps) by bench/phase_kill.py.
#
# Why dcmond wins, honestly: it does not wait for its poll.  dcmond holds a pidfd on
# each process its check matched (pollers/pidwatch.c) and re-polls the device the moment
# one exits, so its latency is what follows the exit; collectd only polls, so its
# latency = lead (waiting for its next read) + what follows the read, reported
# separately.  (dcmond's poll schedule is the same as collectd's; it is simply not what
# detects a process exit.  Remote/SNMP process checks and other metrics stay polled.)
#   dcmond:   exit (pidfd readable) -> re-poll (/proc) -> rule -> alert -> durable
#             SQLite spool (WAL) -> grouping -> SMTP session on the worker pool
#             (libesmtp), retried on failure.
#   collectd: read (/proc) -> threshold -> notify_email in the read thread (libesmtp),
#             no spool, no retry, no grouping.
#
#   bench/alert_latency.sh [N=20] [INTERVAL=1]     (DCMON_BUILD_DIR, default ./build)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DCMON_BUILD_DIR:-$SRC/build}
N=${1:-20}
IV=${2:-1}
source "$SRC/bench/mail_lib.sh"
bench_init dcmon-bench-mail

sd=$(free_port); sc=$(free_port)
start_sink "$T/dcmond" "$sd"
start_sink "$T/collectd" "$sc"
# dcmond watches one process per crossing: each crossing is a new alert (the same alert
# firing and resolving over and over would be held back by flap detection, by design).
for i in $(seq 1 "$N"); do cp "$(command -v sleep)" "$T/bd$i"; done
cp "$(command -v sleep)" "$T/benchc"

cat >"$T/dcmon.yaml" <<YAML
daemon:
  data_dir: $T/data
  socket: $T/dcmon.sock
  profiles_dir: $SRC/etc/profiles
  interval: ${IV}s
  timeout: 500ms
  smtp: {host: 127.0.0.1, port: $sd, starttls: off, from: dcmon@dc.example, rate_limit: 1000}
teams: [{id: ops, email: [ops@dc.example]}]
devices:
  - {id: host, kind: server, checks: {process: [$(seq -s, -f 'bd%g' 1 "$N")]}}
rules:
  - {name: process-missing, match: {metric: process_count}, below: {crit: 1}, summary: bench process gone}
routes:
  # group_wait 0: every crossing is measured as the first alert of its group
  - {name: ops, teams: [ops], group_wait: 0s, send_resolved: false}
YAML
cat >"$T/collectd.conf" <<CONF
Hostname "bench"
BaseDir "$T"
PIDFile "$T/collectd.pid"
Interval $IV
LoadPlugin logfile
LoadPlugin csv
<Plugin csv>
  DataDir "$T/csv"
</Plugin>
<Plugin logfile>
  File "$T/collectd.log"
</Plugin>
LoadPlugin processes
LoadPlugin threshold
LoadPlugin notify_email
<Plugin processes>
  Process "benchc"
</Plugin>
<Plugin threshold>
  <Plugin "processes">
    Instance "benchc"
    <Type "ps_count">
      DataSource "processes"
      FailureMin 0.5
    </Type>
  </Plugin>
</Plugin>
<Plugin notify_email>
  SMTPServer "127.0.0.1"
  SMTPPort $sc
  From "collectd@dc.example"
  Recipient "ops@dc.example"
</Plugin>
CONF

declare -A BD
for i in $(seq 1 "$N"); do "$T/bd$i" 100000 & BD[$i]=$!; PIDS+=($!); done
"$T/benchc" 100000 & bc=$!; PIDS+=($bc)
"$BUILD/dcmond" ${DCMON_BENCH_DEBUG:+--debug} -c "$T/dcmon.yaml" >"$T/dcmond.log" 2>&1 & PIDS+=($!)
/usr/sbin/collectd -f -C "$T/collectd.conf" >"$T/collectd.out" 2>&1 & PIDS+=($!)
export DCMON_SOCKET=$T/dcmon.sock
dcmond_up() { "$BUILD/dcmon" status --json -d host | jq -e '[.devices[0].metrics[] | select(.name=="process_count" and .value == 1)] | length == '"$N"; }
wait_for $((20 + 2 * IV)) dcmond_up
# poll phases: dcmond's regular schedule (API: next_poll_ms; re-polls after a process
# exit do not move it, last_poll_ms would be off-schedule after one), collectd's schedule
dcmond_ref() { { "$BUILD/dcmon" status --json -d host || true; } | jq -e -r '.devices[0].next_poll_ms / 1000'; }
# collectd stamps a value when its /proc scan dispatches it, a varying time after the
# read was scheduled: its schedule is the earliest phase seen over the last 30 reads.
collectd_ref() { cat "$T"/csv/bench/processes-benchc/ps_count-* 2>/dev/null | grep -E '^[0-9.]+,' | tail -n 30 |
  $PY -c 'import sys; iv = float(sys.argv[1]); t = [float(l.split(",")[0]) for l in sys.stdin]
r = [((x - t[-1] + iv / 2) % iv) - iv / 2 for x in t]; print("%.3f" % (t[-1] + min(r))) if len(t) >= 3 else sys.exit(1)' "$IV"; }
wait_for $((10 + 3 * IV)) collectd_ref
sleep $((2 * IV)) # collectd has seen the process a few times
# the leads: N evenly spread fractions of the interval, shuffled (same set for both)
mapfile -t LEADS < <($PY -c "import random,sys; n,iv=int(sys.argv[1]),float(sys.argv[2]); l=[(k+0.5)/n*iv for k in range(n)]; random.shuffle(l); print('\n'.join('%.4f' % x for x in l))" "$N" "$IV")

: >"$T/t0"
WAIT=$((10 + 3 * IV))
for i in $(seq 1 "$N"); do
  lead=${LEADS[$((i - 1))]}
  # kills both processes, each $lead before its monitor's next poll; prints T0 P each
  out=$($PY "$SRC/bench/phase_kill.py" "$lead" "$IV" "$(dcmond_ref):${BD[$i]}" "$(collectd_ref):$bc")
  wait "${BD[$i]}" "$bc" 2>/dev/null || true
  read -r td pd tc pc <<<"$(echo $out)"
  echo "$lead $td $pd $tc $pc" >>"$T/t0"
  wait_for $WAIT has_after "$T/dcmond" 'Subject: \[dcmon\] CRITICAL' "$td"
  wait_for $WAIT has_after "$T/collectd" 'Subject: Collectd notify: FAILURE' "$tc"
  t1=$(date +%s.%N) # before the start: collectd may read it at once
  "$T/benchc" 100000 & bc=$!; PIDS+=($bc)
  wait_for $WAIT has_after "$T/collectd" 'Subject: Collectd notify: OKAY' "$t1"
  printf '.' >&2
done
echo >&2
cat "$T/dcmond"/msg-*.json | jq -s '[.[] | select(.data | test("Subject: \\[dcmon\\] CRITICAL")) | .ts] | sort' >"$T/d.json"
cat "$T/collectd"/msg-*.json | jq -s '[.[] | select(.data | test("Subject: Collectd notify: FAILURE")) | .ts] | sort' >"$T/c.json"
$PY - "$T/t0" "$T/d.json" "$T/c.json" "$N" "$IV" <<'PYEOF'
import json, sys
rows = [[float(x) for x in l.split()] for l in open(sys.argv[1]) if l.strip()]
d, c = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
n, iv = int(sys.argv[4]), sys.argv[5]
def pct(lat, q):
    return lat[min(len(lat) - 1, int(round(q * (len(lat) - 1))))]
def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v)//2 - 1] + v[len(v)//2]) / 2
def stats(ts, t0s, polls):
    # each crossing's message is the first one accepted after it
    lat = [min(t for t in ts if t >= s) - s for s in t0s]
    after = sorted(l - (p - s) for l, s, p in zip(lat, t0s, polls))
    lat = sorted(lat)
    return median(lat), pct(lat, 0.99), lat[0], lat[-1], median(after), pct(after, 0.99)
dm = stats(d, [r[1] for r in rows], [r[2] for r in rows])
cm = stats(c, [r[3] for r in rows], [r[4] for r in rows])
leads = sorted(r[0] for r in rows)
print("alert e-mail latency, threshold crossing at the device -> SMTP server accepted, "
      "%d crossings, poll interval %ss for both" % (n, iv))
print("  same leads (crossing -> next poll) for both: %.3f .. %.3f s, median %.3f s"
      % (leads[0], leads[-1], median(leads)))
fmt = "  %-9s median %6.3f s  p99 %6.3f s  min %6.3f s  max %6.3f s"
print(fmt % (("dcmond",) + dm[:4]) + "   no poll wait: the exit is seen through a pidfd")
print(fmt % (("collectd",) + cm[:4]) + "   after the poll: median %6.3f s  p99 %6.3f s" % cm[4:])
print("  dcmond includes: pidfd wake-up, re-poll, rule evaluation, durable SQLite spool,"
      " grouping, SMTP on a worker; collectd: threshold, notify_email in its read thread"
      " (no spool, no retry)")
print("crossings=%d interval_s=%s dcmond_median_s=%.3f dcmond_p99_s=%.3f collectd_median_s=%.3f "
      "collectd_p99_s=%.3f collectd_after_poll_p99_s=%.3f"
      % (n, iv, dm[0], dm[1], cm[0], cm[1], cm[5]))
PYEOF
