#!/usr/bin/env bash
# Baseline (anomaly rule) benchmark: CPU per sample of judging metrics against their
# hour-of-week baselines, next to bench/rules.sh's per-sample cost (issue 20: under
# 10 % of it; see bench/baseline_main.c for the workload).
#
#   bench/baseline.sh [ROUNDS=360] [REPEAT=3]
#
# One run measures both side by side, REPEAT times in turn: bench_rules 20 (10,000
# rules over 100,000 metrics: the engine's own cost a sample), then bench_baseline
# ROUNDS at 10,000 and at 100,000 metrics (what an anomaly rule adds a sample on top of
# an `above` rule; within bench_baseline the registry alone, the `above` engine and the
# anomaly engine take turns round by round), each pinned to one core.  360 rounds 10 s
# apart are an hour: each metric takes its next hour's slot from its baseline once, as
# in the daemon at a 10 s interval (with 20 rounds, a take in every 20 values weighs 18
# times more).  Prints a
# key=value line per measurement (round=N), then one per size with the medians:
#   metrics=N rules_ns_per_sample=X baseline_extra_ns_per_sample=Y ratio=Y/X
# Builds a Release tree in build-bench/ (or uses $DCMON_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-360}
repeat=${2:-3}
build=${DCMON_BUILD_DIR:-build-bench}
if [ -z "${DCMON_BUILD_DIR:-}" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j1 --target bench_rules bench_baseline >/dev/null
fi
pin=()
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
	pin=(taskset -c 0) # one core
fi
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
median() { sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v r="$2" 'BEGIN {printf "%.3f", a / r}'; }
declare -A extra
rules=()
for ((i = 1; i <= repeat; i++)); do
	r=$(field "$("${pin[@]}" "$build/bench_rules" 20 | tail -1)" engine_ns_per_sample)
	rules+=("$r")
	for devices in 100 1000; do # 10,000 and 100,000 metrics
		line=$("${pin[@]}" "$build/bench_baseline" "$rounds" "$devices" | tail -1)
		a=$(field "$line" baseline_extra_ns_per_sample)
		extra[$devices]+="$a "
		echo "round=$i $line rules_ns_per_sample=$r ratio=$(ratio "$a" "$r")"
	done
done
r=$(printf '%s\n' "${rules[@]}" | median)
for devices in 100 1000; do
	a=$(tr ' ' '\n' <<<"${extra[$devices]}" | grep . | median)
	echo "metrics=$((devices * 100)) rules_ns_per_sample=$r baseline_extra_ns_per_sample=$a ratio=$(ratio "$a" "$r") repeats=$repeat"
done
