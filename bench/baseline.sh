#!/usr/bin/env bash
# Baseline (anomaly rule) benchmark: CPU per sample of judging 100,000 metrics against
# their hour-of-week baselines, next to bench/rules.sh's per-sample cost (the target is
# under 10 % of it; see bench/baseline_main.c for the workload).
#
#   bench/baseline.sh [ROUNDS=20]
#
# Builds a Release tree in build-bench/ (or uses $DCMON_BUILD_DIR) and prints one final
# line of key=value.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
rules=$(bash bench/rules.sh "$rounds" | tail -1) # builds build-bench unless $DCMON_BUILD_DIR
build=${DCMON_BUILD_DIR:-build-bench}
[ -n "${DCMON_BUILD_DIR:-}" ] || cmake --build "$build" -j1 --target bench_baseline >/dev/null
pin=()
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
	pin=(taskset -c 0) # one core
fi
base=$("${pin[@]}" "$build/bench_baseline" "$rounds" | tail -1)
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
r=$(field "$rules" engine_ns_per_sample)
a=$(field "$base" anomaly_extra_ns_per_sample)
echo "$base rules_engine_ns_per_sample=$r anomaly_share_pct=$(awk -v a="$a" -v r="$r" 'BEGIN{printf "%.1f", 100*a/r}')"
