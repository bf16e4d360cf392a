#!/usr/bin/env bash
# Discovery benchmark: `dcmon discover` sweeps a /24 (254 addresses) in a network namespace of its own
# where LIVE addresses run an SNMP agent (one snmpsim process serving a UPS recording on
# every one of them) and the others are assigned nowhere (each costs the full ICMP wait
# and the SNMP wait with its retry).
#
#   bench/discover.sh [LIVE=50] [CONCURRENCY=64] [TIMEOUT_MS=1000]
#   env: RECORDING=abb-powerscale (tests/data/snmprec/NAME.snmprec)
#
# Prints key=value lines: the addresses swept, devices found (and with SNMP and a
# profile), the sweep's wall time, addresses per second, and dcmon's CPU time.  Needs
# root (network namespaces) and a built tree (DCMON_BUILD_DIR, default ./build).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespace)" >&2; exit 1; }
[ -n "${DCMON_NETNS:-}" ] || DCMON_NETNS=1 exec unshare --net "$BASH" "$0" "$@"

LIVE=${1:-50} CONCURRENCY=${2:-64} TIMEOUT_MS=${3:-1000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DCMON_BUILD_DIR:-$SRC/build}
RECORDING=${RECORDING:-abb-powerscale}
T=$(mktemp -d /tmp/dcmon-bench-discover.XXXXXX)
SIM_PID=
trap '[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; rm -rf "$T"' EXIT

ip link set lo up
ip link add dsc0 type veth peer name dsc1
ip addr add 10.99.1.1/16 dev dsc0    # outside the /24 swept
ip link set dsc0 up
ip link set dsc1 up
endpoints=()
for i in $(seq 1 "$LIVE"); do
  a=10.99.0.$((i * 254 / (LIVE + 1) + 1))   # spread over the range
  ip addr add "$a/32" dev lo
  endpoints+=(--agent-udpv4-endpoint="$a:161")
done
mkdir -p "$T/snmprec"
cp "$SRC/tests/data/snmprec/$RECORDING.snmprec" "$T/snmprec/public.snmprec"
chmod -R a+rX "$T"
snmpsimd --v2c-arch --data-dir="$T/snmprec" --process-user=nobody --process-group=nogroup \
  "${endpoints[@]}" >"$T/snmpsim.log" 2>&1 &
SIM_PID=$!
last=${endpoints[-1]#*=}
for _ in $(seq 1 150); do
  snmpget -v2c -c public -r 0 -t 0.3 "$last" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && break
  sleep 0.2
done

/usr/bin/time -f "%U %S" -o "$T/time" "$BUILD/dcmon" discover --json --concurrency "$CONCURRENCY" \
  --timeout "$TIMEOUT_MS" --profiles "$SRC/etc/profiles" 10.99.0.0/24 >"$T/out.json"
python3 - "$T/out.json" "$T/time" "$LIVE" "$CONCURRENCY" "$TIMEOUT_MS" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
user, sys_s = map(float, open(sys.argv[2]).read().split()[-2:])
devs = d["devices"]
snmp = sum(1 for x in devs if x["snmp"])
prof = sum(1 for x in devs if x.get("snmp_info", {}).get("profile"))
print(f"addresses={d['swept']}")
print(f"live_agents={sys.argv[3]}")
print(f"found={len(devs)}")
print(f"found_snmp={snmp}")
print(f"found_with_profile={prof}")
print(f"concurrency={sys.argv[4]}")
print(f"timeout_ms={sys.argv[5]}")
print(f"seconds={d['seconds']:.2f}")
print(f"addresses_per_second={d['swept'] / d['seconds']:.1f}")
print(f"cpu_seconds={user + sys_s:.2f}")
PYEOF
