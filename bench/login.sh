#!/usr/bin/env bash
# Login cost: milliseconds of one password check (yescrypt) for a wrong password and
# for a user that does not exist, which must cost the same (see bench/login_main.c);
# then the same over HTTP through a real dcmond, whose checks run on its worker pool
# (accounts/pw_work.c): the medians of N logins as the client sees them (curl's
# time_total), each kind alternating with the other so the machine's load hits both.
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
	cmake --build "$build" -j2 --target bench_login dcmond dcmon >/dev/null
fi
n=${1:-20}
inproc=$("$build/bench_login" "$n" ${2:+"$2"})

T=$(mktemp -d /tmp/dcmon-bench-login.XXXXXX)
trap 'kill "$dpid" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$T"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/dcmon.yaml" <<YAML
daemon: {data_dir: $T/data, state_dir: $T/state, socket: $T/dcmon.sock, log_level: warn,
         http: {port: $port, auth_fail_limit: 100000},
         accounts: {yescrypt_cost: ${2:-6}, lock_failures: 1000}}
devices: []
YAML
"$build/dcmond" -c "$T/dcmon.yaml" >"$T/dcmond.log" 2>&1 &
dpid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
echo "bench-password-$RANDOM$RANDOM" | DCMON_SOCKET=$T/dcmon.sock "$build/dcmon" user add bench \
  --role noc-operator >/dev/null
login_ms() { # NAME: milliseconds of one failed login over HTTP
  curl -s -o /dev/null -m 10 -w '%{time_total}\n' -X POST -H 'Content-Type: application/json' \
    --data "{\"name\":\"$1\",\"password\":\"not the password\"}" "http://127.0.0.1:$port/api/v1/login" |
    awk '{printf "%.1f\n", $1 * 1000}'
}
for _ in $(seq "$n"); do
  login_ms bench >>"$T/wrong"
  login_ms nobody-here >>"$T/missing"
done
median() { sort -n "$1" | awk '{v[NR] = $1} END {print v[int(NR / 2) + 1]}'; }
echo "$inproc http_login_ms_wrong_password=$(median "$T/wrong") http_login_ms_missing_user=$(median "$T/missing")"
