#!/usr/bin/env bash
# Threshold-engine benchmark: samples/s evaluated on one core against 10,000 rules and
# 100,000 metrics, and memory per alert (see bench/rules_main.c for the workload).
#
#   bench/rules.sh [ROUNDS=20]
#
# Builds a Release tree in build-bench/ (or uses $DCMON_BUILD_DIR) and prints one final
# line of key=value.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
build=${DCMON_BUILD_DIR:-build-bench}
if [ -z "${DCMON_BUILD_DIR:-}" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j2 --target bench_rules >/dev/null
fi
pin=()
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
	pin=(taskset -c 0) # one core
fi
"${pin[@]}" "$build/bench_rules" "$rounds"
