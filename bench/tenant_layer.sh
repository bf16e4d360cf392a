#!/usr/bin/env bash
# Tenant layer benchmark (docs/PORTAL.md), two figures:
#  * apply latency: CHANGES devices (a TCP check each, 2 s interval) asked by a
#    tenant-operator and approved by a tenant-approver over HTTP, one after the other;
#    for each, the time from the approval's request to the start of the device's first
#    poll (its last_poll_ms, dcmond's wall clock); p50 and p99;
#  * scale: TENANTS tenants (limits each, and one NOC server each) with CHECKS checks in
#    their layers (CHECKS/5 devices of 5 TCP ports, 1 h interval, written to tenants.db
#    before the start): the reload time (SIGHUP to "reloaded" in the log, median of 3),
#    dcmond's RSS, and the same for the NOC's file alone (an empty layer).
#
#   bench/tenant_layer.sh [CHANGES=50] [TENANTS=1000] [CHECKS=50]
#
# Prints one final line of key=value.  Needs a built tree (scripts/build.sh) and root
# (accounts are added over the Unix socket).
set -euo pipefail
cd "$(dirname "$0")/.."
changes=${1:-50}
tenants=${2:-1000}
checks=${3:-50}
source bench/servers_lib.sh
DCMON=$build/dcmon
export DCMON_SOCKET=$T/dcmon.sock
now_ms() { date +%s%3N; }
free_tcp_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_dcmond CONFIG: dcmond in the background (dpid), once its socket answers
start_dcmond() {
  "$build/dcmond" -c "$1" >>"$T/dcmond.log" 2>&1 &
  dpid=$!
  pids+=($dpid)
  for _ in $(seq 600); do curl -sf --unix-socket "$DCMON_SOCKET" http://d/api/v1/health >/dev/null 2>&1 && return; sleep 0.1; done
  echo "dcmond did not start: $(tail -5 "$T/dcmond.log")" >&2; exit 1
}
stop_dcmond() { kill "$dpid"; wait "$dpid" 2>/dev/null || true; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$dpid/status"; }
pct() { sort -n | awk -v p="$1" '{v[NR] = $1} END {i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i]}'; }

# ---- apply latency ------------------------------------------------------------------
start_listeners 1
http_port=$(free_tcp_port)
cat >"$T/apply.yaml" <<YAML
daemon:
  data_dir: $T/data
  socket: $DCMON_SOCKET
  interval: 2s
  timeout: 1s
  log_level: info
  http: {listen: 127.0.0.1, port: $http_port}
  accounts: {yescrypt_cost: 5}
  tenant_layer:
    limits: [{tenant: acme, min_interval: 1s, max_checks: $((changes + 10)), targets: [127.0.0.1]}]
tenants: [{id: acme, email: [a@acme.example]}]
YAML
start_dcmond "$T/apply.yaml"
declare -A TOK
for r in tenant-operator tenant-approver; do
  echo "bench-password-$RANDOM$RANDOM" | "$DCMON" user add "b-$r" --role "$r" --tenant acme >/dev/null
  TOK[$r]=$("$DCMON" user token "b-$r" | head -1)
done
post() { # ROLE PATH BODY
  curl -sf -m 30 -X POST -H "Authorization: Bearer ${TOK[$1]}" -H 'Content-Type: application/json' \
    --data "$3" "http://127.0.0.1:$http_port$2"
}
: >"$T/latency"
for i in $(seq "$changes"); do
  yaml="id: b$i
kind: server
host: 127.0.0.1
interval: 2s
checks: {tcp: [${ports[0]}]}"
  rid=$(post tenant-operator /api/v1/layer/items "$(jq -cn --arg y "$yaml" '{kind: "device", yaml: $y}')" | jq -r .request.id)
  t0=$(now_ms)
  post tenant-approver "/api/v1/layer/requests/$rid/approve" '{}' >/dev/null
  first=0
  for _ in $(seq 200); do
    first=$(curl -sf --unix-socket "$DCMON_SOCKET" "http://d/api/v1/devices/b$i" | jq '.device.last_poll_ms // .last_poll_ms // 0')
    [ "$first" -gt 0 ] && break
    sleep 0.05
  done
  [ "$first" -gt 0 ] || { echo "b$i was never polled" >&2; exit 1; }
  echo $((first - t0)) >>"$T/latency"
done
apply_p50=$(pct 50 <"$T/latency")
apply_p99=$(pct 99 <"$T/latency")
stop_dcmond

# ---- scale: TENANTS x CHECKS ----------------------------------------------------------
rm -rf "$T/data"
$PY - "$T" "$tenants" "$checks" "${ports[0]}" <<'PYEOF'
import sys
T, ntenants, nchecks, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def addr(t): return "127.%d.%d.1" % (1 + t // 250, t % 250)
with open(T + "/scale.yaml", "w") as f:
    f.write("daemon:\n  data_dir: %s/data\n  socket: %s/dcmon.sock\n  interval: 1h\n"
            "  timeout: 2s\n  log_level: info\n  tenant_layer:\n    limits:\n" % (T, T))
    for t in range(ntenants):
        f.write("      - {tenant: t%d, min_interval: 1h, max_checks: %d, targets: [%s/32]}\n"
                % (t, nchecks, addr(t)))
    f.write("tenants:\n")
    for t in range(ntenants):
        f.write("  - {id: t%d, email: [noc@t%d.example]}\n" % (t, t))
    f.write("devices:\n")
    for t in range(ntenants):
        f.write("  - {id: srv-%d, kind: server, host: %s, tenant: t%d, checks: {tcp: [%d]}}\n"
                % (t, addr(t), t, port))
with open(T + "/items.sql", "w") as f:
    f.write("BEGIN;\n")
    for t in range(ntenants):
        for d in range(nchecks // 5):
            ports = ", ".join(str(20000 + d * 5 + k) for k in range(5))
            y = "id: t%d-d%d\nkind: server\nhost: %s\ninterval: 1h\nchecks: {tcp: [%s]}" % (
                t, d, addr(t), ports)
            f.write("INSERT INTO items VALUES('t%d','device','t%d-d%d','%s','tenant','bench',0);\n"
                    % (t, t, d, y))
    f.write("COMMIT;\n")
PYEOF
# reload_ms: median of 3 SIGHUPs, from "reloading" to "reloaded" in the log
reload_ms() {
  local i n
  for i in 1 2 3; do
    n=$(grep -c 'msg="reloaded:' "$T/dcmond.log" || true)
    kill -HUP "$dpid"
    for _ in $(seq 1200); do [ "$(grep -c 'msg="reloaded:' "$T/dcmond.log" || true)" -gt "$n" ] && break; sleep 0.05; done
    grep -E 'msg="reloading|msg="reloaded:' "$T/dcmond.log" | tail -2 |
      sed -E 's/^ts=([^ ]+).*/\1/' | xargs -n1 date +%s%3N -d | paste -sd' ' | awk '{print $2 - $1}'
  done | pct 50
}
start_dcmond "$T/scale.yaml"   # makes tenants.db
sleep 2
noc_rss=$(rss_kb)
noc_reload=$(reload_ms)
stop_dcmond
sqlite3 "$T/data/tenants.db" <"$T/items.sql"
t0=$(now_ms)
start_dcmond "$T/scale.yaml"
start_ms=$(( $(now_ms) - t0 ))
sleep 5
layer_rss=$(rss_kb)
layer_reload=$(reload_ms)
devices=$(curl -sf --unix-socket "$DCMON_SOCKET" http://d/api/v1/status | jq '.devices | length')
echo "changes=$changes apply_first_poll_p50_ms=$apply_p50 apply_first_poll_p99_ms=$apply_p99" \
     "tenants=$tenants checks_per_tenant=$checks devices=$devices start_ms=$start_ms" \
     "reload_ms=$layer_reload rss_kb=$layer_rss noc_only_reload_ms=$noc_reload noc_only_rss_kb=$noc_rss"
