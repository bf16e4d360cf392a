#!/usr/bin/env bash
# Availability report benchmark (issue 20): the time to compute the NOC's monthly report
# for DEVICES_MONTH servers and a yearly one for DEVICES_YEAR, from a synthetic history
# of SPANS outages per server per month (bench/avail_main.c): reading reports.db and
# alerts.db, building the report, serializing its JSON.
#
#   bench/avail.sh [DEVICES_MONTH=10000] [DEVICES_YEAR=1000] [SPANS=4]
#
# Builds a Release tree in build-bench/ (or uses $DCMON_BUILD_DIR); prints one line of
# key=value per report.
set -euo pipefail
cd "$(dirname "$0")/.."
month=${1:-10000}
year=${2:-1000}
spans=${3:-4}
build=${DCMON_BUILD_DIR:-build-bench}
if [ -z "${DCMON_BUILD_DIR:-}" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j1 --target bench_avail >/dev/null
fi
T=$(mktemp -d /tmp/dcmon-availbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/month" "$T/year"
"$build/bench_avail" "$T/month" "$month" 2026-11 "$spans"
"$build/bench_avail" "$T/year" "$year" 2026 "$spans"
