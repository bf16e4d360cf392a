#!/usr/bin/env bash
# Archive writer benchmark: CPU of the writer thread per value while FILES series stream
# in at RATE values/s (MQTT-like; see bench/archive_writer_main.c), the journal's bytes
# per value.  Prints one final line of key=value.
#
#   bench/archive_writer.sh [FILES=5000] [VALUES=300000] [RATE=10000]
#   env: DCMON_BUILD_DIR=DIR (default build/, made by scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${DCMON_BUILD_DIR:-build}
[ -x "$build/bench_archive_writer" ] ||
	{ echo "no $build/bench_archive_writer: run scripts/build.sh" >&2; exit 2; }
T=$(mktemp -d /tmp/dcmon-writerbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
echo "archive writer bench: load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench_archive_writer" "$T" "${1:-5000}" "${2:-300000}" "${3:-10000}" 2>"$T/log" ||
	{ cat "$T/log" >&2; exit 1; }
