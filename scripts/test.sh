#!/usr/bin/env bash
# The test command: installs dependencies, checks the layers (scripts/check-layers.sh),
# builds, runs every test (unit, integration), then the same suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer, then every fuzz target of tests/fuzz
# for CI_FUZZ_SECONDS (default 60; 0 skips them) under libFuzzer with ASan+UBSan
# (scripts/fuzz.sh, docs/FUZZING.md).
# DCMON_TEST_NO_ASAN=1 skips the sanitizer and fuzz passes (local iteration only; CI
# runs them all).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/check-layers.sh
bash scripts/build.sh build
ctest --test-dir build --output-on-failure -j2 --timeout 300
if [ "${DCMON_TEST_NO_ASAN:-0}" != 1 ]; then
  bash scripts/build.sh build-asan -DDCMON_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j2 --timeout 600
  if [ "${CI_FUZZ_SECONDS:-60}" != 0 ]; then
    bash scripts/fuzz.sh "${CI_FUZZ_SECONDS:-60}"
  fi
fi
