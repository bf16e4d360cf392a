#!/usr/bin/env bash
# Archiving at a high rate: dcmond alone polling local snmpd agents every 2 s and
# writing every value through its rrdcached, at a scale whose files fit the disk.
# bench/snmp.sh does the work (SMALL_RRD=1: the files are made before dcmond starts,
# in dcmond's layout with 10 rows per archive, ~4 KB of disk per series).
#
#   bench/scale.sh [DEVICES=2500] [POINTS=40] [SECONDS=60] [AGENTS=4]
#   env: INTERVAL=2 (s; at 1 s, two polls of a series that end in the same second
#          under load make one RRD value, which the bench counts as lost)
#        RRDC_FLAGS="-w 60 -z 60 -f 3600 -F -B" (rrdcached's; -j is added; -w = the
#          window, so each file gets about one write of SECONDS/INTERVAL values)
#        PERF_OUT / RRDC_PERF_OUT / PERF_FLAGS: perf record of dcmond / its rrdcached
#          over the window; and the rest of bench/snmp.sh's knobs.
#
# Prints bench/snmp.sh's key=value line: the offered rate (expected_values_per_s),
# dcmond_values_per_s and dcmond_kept_up, dcmond_values_written_per_s and
# dcmond_values_lost, CPU us per value of dcmond (tool_only), its rrdcached and the
# agents, and the rate those costs allow on this machine's cores
# (dcmond_ceiling_values_per_s; _no_agents with the agents on other machines).
set -euo pipefail
cd "$(dirname "$0")/.."
export ARCHIVE=rrdcached TOOLS=dcmond SMALL_RRD=1 INTERVAL=${INTERVAL:-2}
export RRDC_FLAGS=${RRDC_FLAGS:--w 60 -z 60 -f 3600 -F -B}
exec bash bench/snmp.sh "${1:-2500}" "${2:-40}" "${3:-60}" "${4:-4}"
