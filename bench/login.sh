#!/usr/bin/env bash
# Login cost: milliseconds of one password check (yescrypt) for a wrong password and
# for a user that does not exist, which must cost the same (see bench/login_main.c).
#
#   bench/login.sh [N=20] [COST=6]
#
# Builds a Release tree in build-bench/ (or uses $DCMON_BUILD_DIR) and prints one final
# line of key=value.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${DCMON_BUILD_DIR:-build-bench}
if [ -z "${DCMON_BUILD_DIR:-}" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j2 --target bench_login >/dev/null
fi
"$build/bench_login" "${1:-20}" ${2:+"$2"}
