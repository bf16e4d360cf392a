#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ into build-fuzz/ (clang, ASan+UBSan) and
# runs each for SECONDS (default 60) on a scratch copy of its seed corpus
# (tests/fuzz/corpus/<target>/, which does not grow).  A crash, leak, timeout or
# out-of-memory input is copied to tests/fuzz/crashes/<target>/ (the ctest replay runs
# every file there from then on) and the script fails naming the target and the file.
# Prints per target: target= execs= seconds= crashes= corpus= (inputs at the end).
#
#   scripts/fuzz.sh [SECONDS]
#   FUZZ_TARGETS="config snmp_trap"  only these targets
#   FUZZ_ARGS="-jobs=4 -workers=2"   more libFuzzer options (docs/FUZZING.md)
#   FUZZ_KEEP_CORPUS=DIR             keep each target's grown corpus in DIR/<target>
# With more than 7 targets the 7 x SECONDS are shared among them, so a CI run keeps
# its length as targets are added.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=build-fuzz
rss_mb=2048    # a target above this is an out-of-memory crash
timeout_s=30   # one input running longer is a hang (a crash)
budget_targets=7

cc=$(command -v clang-14 || command -v clang || true)
if [ -z "$cc" ]; then
  echo "fuzz: clang not found (scripts/install-deps.sh installs clang-14)" >&2
  exit 1
fi
CC=$cc cmake -S . -B "$build" -DDCMON_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_all >/dev/null

if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for src in tests/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    t=${t#fuzz_}
    [ "$t" = util ] || targets+=("$t")
  done
fi
per_target=$seconds
if [ ${#targets[@]} -gt $budget_targets ]; then
  per_target=$((seconds * budget_targets / ${#targets[@]}))
  [ "$per_target" -ge 1 ] || per_target=1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/dcmon-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  work=$scratch/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  cp tests/fuzz/corpus/"$t"/* "$work/corpus/"
  start=$(date +%s)
  rc=0
  # fuzzer output goes to its log; shown in full when the target fails
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$per_target" -rss_limit_mb=$rss_mb -timeout=$timeout_s \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/" ${FUZZ_ARGS:-} \
      "$work/corpus" >"$work/log" 2>&1 || rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  found=("$work"/artifacts/*)
  [ -e "${found[0]}" ] || found=()
  echo "target=$t execs=${execs:-0} seconds=$elapsed crashes=${#found[@]}" \
       "corpus=$(find "$work/corpus" -type f | wc -l)"
  if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
    mkdir -p "$FUZZ_KEEP_CORPUS/$t"
    cp "$work"/corpus/* "$FUZZ_KEEP_CORPUS/$t/"
  fi
  if [ ${#found[@]} -gt 0 ] || [ $rc -ne 0 ]; then
    mkdir -p tests/fuzz/crashes/"$t"
    tail -n 60 "$work/log" >&2
    for f in "${found[@]}"; do
      cp "$f" tests/fuzz/crashes/"$t"/
      echo "fuzz: $t crashed: tests/fuzz/crashes/$t/$(basename "$f")" >&2
    done
    [ ${#found[@]} -gt 0 ] || echo "fuzz: $t failed (exit $rc) without a reproducer" >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (reproducers in tests/fuzz/crashes/; docs/FUZZING.md)" >&2
  exit 1
fi
