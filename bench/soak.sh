#!/usr/bin/env bash
# The soak: for MINUTES (default 30), the demo data center (dcmon-sim on
# etc/demo/sim.yaml, dcmond on etc/demo/dcmon.yaml with free ports and its state in a
# private temp dir) with the scenarios of etc/scenarios cycling at --speed $SPEED
# (utility-outage, generator-fail-to-start, cooling-failure, fire-prealarm,
# server-down, leak, normal), beside broken agents (silent SNMPv2c and v3 agents, a v3
# snmpd stopped and restarted, tests/peers/snmp_bad_agent.py in four modes,
# snmp_walk_peer.py looping and endless, a Modbus device that never answers) and a
# bounded trap flood (tests/peers/trap_flood.py, 500 traps every 10 s: a forged
# "on battery" from the UPS's address, linkDown from a server's, traps from no device's
# address and with a wrong community); 20 kill -9 of dcmond at random times spread
# over the run, each followed by a restart; a disk-full interval (the state directory
# is a small tmpfs in this script's private mount namespace, filled up and freed) and
# an SMTP relay outage (tests/peers/smtp_sink.py stopped, then started again), the two
# overlapping.  Then everything goes back to normal, the spool drains, dcmond gets
# SIGTERM, and the checks:
#  - every alert transition dcmond logged is in alerts.db's history once (no duplicate
#    row, no row missing, none that was not logged);
#  - every message notify.db marks sent reached the sink exactly once per recipient,
#    nothing is left pending or failed, the sink got nothing notify.db does not know;
#  - `rrdtool info` reads every RRD file (a sample of 500 past 2,000 files);
#  - SQLite's integrity_check is ok on alerts.db and notify.db;
#  - RSS bounded: dcmond's VmHWM every 3 s; the last third's max may not exceed the
#    first third's by more than 1.5x + 20 MB;
#  - dcmond ended only by our kill -9 and the final SIGTERM (exit 0), no sanitizer
#    report, no core.
# Kills are never planned while the disk is full nor before alerts.db and notify.db
# were written back (kill -9 while their state is held in memory loses it by design:
# docs/CONFIG.md, "Disk full").  A message sent again because a kill -9 or the relay
# stop fell within 2 s after the relay accepted it (before the spool recorded it: SMTP
# delivers at least once) is counted apart, as resent_at_interrupt, not as a duplicate;
# likewise a transition logged in the last 2 s before a kill whose transaction never
# committed (uncommitted_at_kill).
# Prints key=value lines, the last `result=pass|fail`; exits 1 on any failure (the
# temp dir is then kept and named on stderr).
#
#   bench/soak.sh [MINUTES]   (BUILD=build by default; BUILD=build-asan for ASan+UBSan;
#                              SPEED, KILLS, INTERVAL, TIMEOUT, TRAP_BURST, TRAP_EVERY,
#                              SEED: bench/soak.py)
# Needs root (mount namespace, tmpfs); traffic only to 127.0.0.0/8.
set -euo pipefail
[ -n "${DCMON_UNSHARED:-}" ] || DCMON_UNSHARED=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
for b in dcmond dcmon sim/dcmon-sim; do
  [ -x "$BUILD/$b" ] || { echo "soak: $BUILD/$b is missing (bash scripts/build.sh $BUILD)" >&2; exit 2; }
done
ulimit -c unlimited # a crash leaves a core in the temp dir (dcmond's working directory)
# read by sanitizer builds only
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$SRC/tests/lsan-librrd.supp:print_suppressions=0}
exec /usr/bin/python3 "$SRC/bench/soak.py" --minutes "${1:-30}" --build "$BUILD" --src "$SRC"
