#!/usr/bin/env bash
# Archive benchmark: CPU per value of the rrdcached path, FILES files x UPDATES values
# written in one writer round through a private rrdcached (see bench/archive_main.c).
# Reports dcmon's CPU (loop side + writer thread) and rrdcached's, per value, for the
# update round (file creation is timed apart).
#
#   bench/archive.sh [FILES=20000] [UPDATES=10]
#
# Builds a Release tree in build-bench/ (or uses $DCMON_BUILD_DIR) and prints one final
# line of key=value.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-20000}
updates=${2:-10}
build=${DCMON_BUILD_DIR:-build-bench}
if [ -z "${DCMON_BUILD_DIR:-}" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j2 --target bench_archive >/dev/null
fi
T=$(mktemp -d /tmp/dcmon-archbench.XXXXXX)
cpid=
trap '[ -n "$cpid" ] && kill "$cpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/data" "$T/journal"
# Nothing written to disk during the run (-w): the figure is the sending and caching.
/usr/bin/rrdcached -g -l "unix:$T/cached.sock" -p "$T/cached.pid" -j "$T/journal" \
	-b "$T/data" -w 3600 -f 7200 >"$T/cached.log" 2>&1 &
cpid=$!
for _ in $(seq 100); do [ -S "$T/cached.sock" ] && break; sleep 0.1; done
"$build/bench_archive" "unix:$T/cached.sock" "$T/data" "$files" "$updates" "$cpid"
