#!/usr/bin/env bash
# The demo: installs dependencies, builds, and starts the simulated data center
# (dcmon-sim on etc/demo/sim.yaml: UPSs, PDUs, sensors and servers over SNMP,
# generators, cooling, fire and leak over Modbus TCP, all on loopback), dcmond
# monitoring it (etc/demo/dcmon.yaml) and a local SMTP sink writing every message to
# run/mail/ (for the e-mail notifications, once dcmond sends them).
# Stops everything on Ctrl-C (or after DCMON_DEMO_SECONDS seconds, if set).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
bash scripts/build.sh build
mkdir -p run/demo run/mail/new run/mail/cur run/mail/tmp # a Maildir

pids=()
stopped=0
stop() {
  [ "$stopped" -eq 0 ] || return 0
  stopped=1
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "demo stopped; RRD archives stay in $root/run/demo/data, mail in $root/run/mail"
}
trap stop EXIT
trap 'exit 130' INT TERM # through the EXIT trap

# die MESSAGE LOG: a part did not start; show its log and stop the rest.
die() {
  echo "demo: $1 (log: $2)" >&2
  tail -n 20 "$2" >&2 || true
  exit 1
}

smtp_port=${DCMON_DEMO_SMTP_PORT:-2525}
/usr/bin/python3 - "$smtp_port" "$root/run/mail" >run/smtp.log 2>&1 <<'PYEOF' &
import sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
ctl = Controller(Mailbox(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]))
ctl.start()
print("smtp sink on 127.0.0.1:%s -> %s" % (sys.argv[1], sys.argv[2]), flush=True)
while True:
    time.sleep(3600)
PYEOF
pids+=($!)
./build/sim/dcmon-sim -c etc/demo/sim.yaml serve >run/sim.log 2>&1 &
pids+=($!)
up=0
for _ in $(seq 50); do
  grep -q '^dcmon-sim: serving' run/sim.log && { up=1; break; }
  kill -0 "${pids[1]}" 2>/dev/null || break
  sleep 0.2
done
[ "$up" -eq 1 ] || die "dcmon-sim did not start" run/sim.log
# the wall's write actions (ack, silence) need this token; only we may read it
( umask 077; [ -s run/demo/token ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >run/demo/token )
./build/dcmond -c etc/demo/dcmon.yaml >run/dcmond.log 2>&1 &
pids+=($!)

sock="$root/run/demo/dcmon.sock"
for _ in $(seq 50); do
  [ -S "$sock" ] && break
  kill -0 "${pids[2]}" 2>/dev/null || die "dcmond did not start" run/dcmond.log
  sleep 0.2
done
# Wait (bounded) until every device has a state: each polled device has answered once
# and the racks (nothing to poll) have the power state the facility derives from their
# PDUs (docs/FACILITY.md).
for _ in $(seq 60); do
  ./build/dcmon --socket "$sock" status --json 2>/dev/null | jq -e '
    [.devices[] | select(.health == "unknown")] | length == 0' >/dev/null 2>&1 && break
  sleep 0.5
done
dcmon="./build/dcmon --socket run/demo/dcmon.sock"
sim="./build/sim/dcmon-sim -c etc/demo/sim.yaml"
cat <<MSG

The demo data center is running: dcmon-sim serves 29 simulated devices on loopback,
dcmond monitors them (logs: run/sim.log, run/dcmond.log, run/smtp.log).
In another terminal, from $root:

  every device, key values:       $dcmon status
  one device, every metric:       $dcmon status -d ups-1
  what is firing:                 $dcmon alerts
  the facility as simulated:      $sim status
  make something happen:          $sim run utility-outage
    (also generator-fail-to-start, cooling-failure, fire-prealarm, server-down, leak;
     normal resets; --speed K runs a scenario K times faster)
  or flip one input by hand:      $sim set globex-app-1.up 0
  one RRD file per metric:        ls run/demo/data/
  e-mails the SMTP sink received: ls run/mail/new/   (127.0.0.1:$smtp_port)
  the NOC wall:                   http://127.0.0.1:8080/wall   (token for ack/silence: run/demo/token)

Press Ctrl-C to stop the demo.
MSG
./build/dcmon --socket "$sock" status || true
if [ -n "${DCMON_DEMO_SECONDS:-}" ]; then
  sleep "$DCMON_DEMO_SECONDS"
else
  wait "${pids[2]}"
fi
