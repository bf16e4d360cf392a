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
mkdir -p run/demo run/mail

pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo stopped; RRD archives stay in $root/run/demo/data, mail in $root/run/mail"
}
trap stop EXIT INT TERM

smtp_port=${DCMON_DEMO_SMTP_PORT:-2525}
/usr/bin/python3 - "$smtp_port" "$root/run/mail" >run/smtp.log 2>&1 <<'PYEOF' &
import asyncio, sys, time
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
for _ in $(seq 50); do
  grep -q '^dcmon-sim: serving' run/sim.log && break
  sleep 0.2
done
./build/dcmond -c etc/demo/dcmon.yaml >run/dcmond.log 2>&1 &
pids+=($!)

sock="$root/run/demo/dcmon.sock"
for _ in $(seq 50); do
  [ -S "$sock" ] && break
  sleep 0.2
done
for _ in $(seq 60); do # wait (bounded) for the first polls
  rc=0; ./build/dcmon --socket "$sock" status >/dev/null 2>&1 || rc=$?
  [ "$rc" -lt 3 ] && break
  sleep 0.5
done
sim="./build/sim/dcmon-sim -c etc/demo/sim.yaml"
cat <<MSG

The demo data center is running (logs: run/sim.log, run/dcmond.log, run/smtp.log).
In another terminal:

  ./build/dcmon --socket $sock status            # every device, key values
  ./build/dcmon --socket $sock alerts            # what is firing
  $sim status                                    # the facility as simulated
  $sim run utility-outage                        # make something happen:
      (also: generator-fail-to-start, cooling-failure, fire-prealarm, server-down, leak, normal)
  $sim set globex-app-1.up 0                     # or flip one input by hand
  ls run/mail/new/                               # e-mails received by the SMTP sink

Press Ctrl-C to stop the demo.
MSG
./build/dcmon --socket "$sock" status || true
if [ -n "${DCMON_DEMO_SECONDS:-}" ]; then
  sleep "$DCMON_DEMO_SECONDS"
else
  wait "${pids[2]}"
fi
