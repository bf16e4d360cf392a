# Shared helpers for integration tests: temp dirs, free loopback ports, real peers,
# dcmond start/stop, bounded waits and value assertions.  Source it from a test script.
set -euo pipefail

: "${DCMON_BUILD_DIR:?DCMON_BUILD_DIR must point at the build directory}"
: "${DCMON_SOURCE_DIR:?DCMON_SOURCE_DIR must point at the source tree}"
DCMOND="$DCMON_BUILD_DIR/dcmond"
DCMON="$DCMON_BUILD_DIR/dcmon"
PY=/usr/bin/python3

T=$(mktemp -d /tmp/dcmon-itest.XXXXXX)
chmod 755 "$T"
_PIDS=()
_FAILED=0
_CHECKS=0

cleanup() {
  local rc=$?
  release_ports
  for pid in "${_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${_PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  if [ ! -d "$T" ]; then
    # every test's directory is /tmp/dcmon-itest.*: a glob clean-up by another process
    # on the machine removes it under a running test ("ports.sed: No such file")
    echo "--- $T was removed while the test ran (by another process?) ---"
  fi
  if [ "$rc" -ne 0 ] || [ "$_FAILED" -ne 0 ]; then
    # the scheduler's per-poll debug lines would fill the tail: left out (the file is kept)
    echo "--- dcmond log (tail, without the scheduler's debug lines) ---"
    grep -v 'level=debug sub=sched ' "$T/dcmond.log" 2>/dev/null | tail -n 80 || true
    echo "--- kept $T for inspection ---"
  else
    rm -rf "$T"
  fi
}
trap cleanup EXIT

# Remembers a background pid so it is killed at exit.
track() { _PIDS+=("$1"); }

# Prints a port free on 127.0.0.1 for KIND (tcp or udp), drawn at random below the
# kernel's ephemeral range (32768+): a port the kernel picked for us could be handed
# to another test's outgoing connection before our peer binds it.  A port handed out
# is reserved (a file in $_PORT_DIR naming this test's pid) until the test ends, so
# neither this test (peers often bind after the next draw) nor a test running beside
# it draws the same number; a reservation whose test is gone is cleared.
_PORT_DIR=/tmp/dcmon-itest-ports
pick_port() {
  $PY - "$1" "$_PORT_DIR" "$$" <<'PYEOF'
import os, random, socket, sys
kind_name, port_dir, owner = sys.argv[1], sys.argv[2], sys.argv[3]
kind = socket.SOCK_DGRAM if kind_name == "udp" else socket.SOCK_STREAM
os.makedirs(port_dir, mode=0o1777, exist_ok=True)

def reserve(port):
    path = os.path.join(port_dir, str(port))  # one namespace: tcp and udp alike
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        try:
            holder = int(open(path).read().strip() or 0)
        except (OSError, ValueError):
            holder = 0
        if holder and not os.path.exists(f"/proc/{holder}"):
            try:
                os.unlink(path)  # free for a later draw, not this one
            except OSError:
                pass
        return False
    os.write(fd, owner.encode()); os.close(fd)
    return True

for _ in range(400):
    port = random.randrange(20000, 32768)
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    if reserve(port):
        print(port); break
else:
    sys.exit("no free port found")
PYEOF
}
# Clears this test's port reservations (called from cleanup).
release_ports() {
  grep -lx "$$" "$_PORT_DIR"/* 2>/dev/null | xargs -r rm -f || true
}
free_port() { pick_port tcp; }
free_udp_port() { pick_port udp; }

# start_tcp_listener PORT: a TCP service on 127.0.0.1:PORT that accepts and closes;
# its pid in LISTENER_PID.  Waits until it accepts (bounded).
start_tcp_listener() {
  $PY - "$1" >>"$T/listener.log" 2>&1 <<'PYEOF' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept(); c.close()
PYEOF
  LISTENER_PID=$!
  track "$LISTENER_PID"
  wait_peer 10 "TCP listener on port $1" "$LISTENER_PID" "$T/listener.log" $PY -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()"
}

# stop_tcp_listener: the port is closed (connections refused).
stop_tcp_listener() {
  kill "$LISTENER_PID"
  wait "$LISTENER_PID" 2>/dev/null || true
}

# start_snmpsim ADDR RECORDING...: snmpsim serving tests/data/snmprec/RECORDING.snmprec
# (community = RECORDING) on ADDR:SIM_PORT (a free UDP port, in SIM_PORT; its pid in
# SIM_PID), more addresses in SIM_ADDRS; waits until it answers (bounded).
start_snmpsim() {
  local addr=$1; shift
  SIM_PORT=$(free_udp_port)
  mkdir -p "$T/snmprec"
  for r in "$@"; do cp "$DCMON_SOURCE_DIR/tests/data/snmprec/$r.snmprec" "$T/snmprec/"; done
  chmod 755 "$T/snmprec"; chmod 644 "$T"/snmprec/*
  local args=(--data-dir="$T/snmprec") a
  for a in $addr ${SIM_ADDRS:-}; do args+=(--agent-udpv4-endpoint=$a:$SIM_PORT); done
  [ "$(id -u)" -eq 0 ] && args+=(--process-user=nobody --process-group=nogroup)
  snmpsimd "${args[@]}" >"$T/snmpsim.log" 2>&1 &
  SIM_PID=$!
  track $SIM_PID
  wait_peer 30 snmpsimd $SIM_PID "$T/snmpsim.log" snmpget -v2c -c "$1" -r 0 -t 0.3 "$addr:$SIM_PORT" 1.3.6.1.2.1.1.3.0
}

# start_dead_agent: a UDP socket on 127.0.0.1 that never answers; its port in DEAD_PORT.
start_dead_agent() {
  $PY - "$T/dead.port" >"$T/dead.log" 2>&1 <<'PYEOF' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(600)
PYEOF
  track $!
  wait_peer 10 "dead agent" $! "$T/dead.log" test -s "$T/dead.port"
  DEAD_PORT=$(cat "$T/dead.port")
}

# start_slow_agent PORT DELAY_MS: the agent on 127.0.0.1:PORT behind a relay that holds
# each answer DELAY_MS; sets SLOW_PORT.
start_slow_agent() {
  $PY "$DCMON_SOURCE_DIR/tests/peers/udp_delay.py" "$T/slow.port" "$1" "$2" >"$T/slow.log" 2>&1 &
  track $!
  wait_peer 10 "slow agent relay" $! "$T/slow.log" test -s "$T/slow.port"
  SLOW_PORT=$(cat "$T/slow.port")
}

fail() { echo "FAIL: $*"; _FAILED=1; exit 1; }
pass() { _CHECKS=$((_CHECKS + 1)); echo "ok - $*"; }

# wait_peer SECONDS NAME PID LOG CMD...: waits (bounded) until the peer NAME, process PID,
# is ready (CMD succeeds). A peer that exits or never gets ready fails the test with one
# message naming it and the tail of LOG, its stderr (a missing python module, say).
wait_peer() {
  local limit=$1 name=$2 pid=$3 log=$4; shift 4
  local end=$((SECONDS + limit)) why="not ready after ${limit}s"
  while [ $SECONDS -lt $end ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then why="exited"; break; fi
    sleep 0.2
  done
  echo "$name $why; the end of $log:"
  tail -n 15 "$log" 2>/dev/null | sed 's/^/  | /'
  fail "$name did not start ($why)"
}

# wait_until SECONDS DESCRIPTION CMD...: retries CMD every 0.2 s, bounded in time.
wait_until() {
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  while [ $SECONDS -lt $end ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "timed out after ${limit}s waiting for: $what"
}

# daemon_yaml ["key: value"...]: the `daemon:` block of a test config (state in $T,
# 1 s polls); a "socket: ...", "interval: ..." or "timeout: ..." argument replaces the
# default, any other is added as a key of the block (nested sections such as smtp: can
# follow the block, indented by two spaces).
daemon_yaml() {
  local socket="socket: $T/dcmon.sock" interval="interval: 1s" timeout="timeout: 500ms" a
  local extra=()
  for a in "$@"; do
    case $a in
      socket:*) socket=$a ;;
      interval:*) interval=$a ;;
      timeout:*) timeout=$a ;;
      *) extra+=("$a") ;;
    esac
  done
  printf 'daemon:\n  data_dir: %s/data\n  %s\n  %s\n  %s\n' "$T" "$socket" "$interval" "$timeout"
  for a in "${extra[@]}"; do printf '  %s\n' "$a"; done
}

# servers_yaml N: a site s1 (room r1) and N servers srv-0 .. srv-(N-1) in it, without
# checks (nothing polled): the devices: section of a large configuration.
servers_yaml() {
  printf 'sites:\n  - {id: s1, rooms: [{id: r1}]}\ndevices:\n'
  for ((i = 0; i < $1; i++)); do
    printf '  - {id: srv-%d, kind: server, location: {site: s1, room: r1}}\n' "$i"
  done
}

# port_closed_rule: a rules: entry (indented for a top-level `rules:` list) raising a
# critical alert as soon as a checked TCP port stops accepting connections: the alert
# most integration tests fire by closing a listener.
port_closed_rule() {
  cat <<'YAML'
  - name: port-closed
    match: {metric: tcp_port_up}
    state: {values: [down], severity: critical}
    summary: TCP port does not accept connections
YAML
}

# The two tenants most scoping tests use (acme and globex) and their racks a01 and a02
# in tokyo-1 hall-a; the sites list is left open so a caller can add rooms and sites.
two_tenant_site_yaml() {
  cat <<'YAML'
tenants:
  - {id: acme, email: [noc@acme.example]}
  - {id: globex, email: [noc@globex.example]}
sites:
  - id: tokyo-1
    rooms:
      - id: hall-a
        racks:
          - {id: a01, tenant: acme}
          - {id: a02, tenant: globex}
YAML
}

# two_tenant_servers_yaml: tenants acme and globex with one server each, whose syslog
# lines name them by id: acme-web (127.0.0.2) and globex-db (127.0.1.2).
two_tenant_servers_yaml() {
  cat <<'YAML'
tenants:
  - {id: acme, email: [noc@acme.example]}
  - {id: globex, email: [noc@globex.example]}
devices:
  - {id: acme-web, kind: server, host: 127.0.0.2, tenant: acme}
  - {id: globex-db, kind: server, host: 127.0.1.2, tenant: globex}
YAML
}

# syslog_two_tenants_yaml HTTP_PORT TCP_PORT: a config serving HTTP on HTTP_PORT (and
# accounts of a cheap hash) that receives syslog over TCP on TCP_PORT, with
# two_tenant_servers_yaml's tenants and servers.
syslog_two_tenants_yaml() {
  daemon_yaml "http: {listen: 127.0.0.1, port: $1}" "accounts: {yescrypt_cost: 5}"
  cat <<YAML
  syslog:
    listen: 127.0.0.1
    udp_port: 0
    tcp_port: $2
YAML
  two_tenant_servers_yaml
}

# start_prometheus PORT JOB:TARGET:TOKEN...: Debian's Prometheus on 127.0.0.1:PORT,
# scraping each TARGET (host:port) every second with its TOKEN as job JOB (dcmon's own
# labels kept), its data under $T; waits until it is ready.  prom_query then asks it.
start_prometheus() {
  PROM_PORT=$1; shift
  local j
  { echo "global: {scrape_interval: 1s, scrape_timeout: 1s}"
    echo "scrape_configs:"
    for j in "$@"; do
      IFS=: read -r job host port token <<<"$j"
      printf '  - {job_name: %s, honor_labels: true, authorization: {credentials: "%s"}, static_configs: [{targets: ["%s:%s"]}]}\n' \
        "$job" "$token" "$host" "$port"
    done; } >"$T/prometheus.yml"
  prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$T/prometheus.log" 2>&1 &
  track $!
  wait_peer 30 prometheus $! "$T/prometheus.log" curl -sf "http://127.0.0.1:$PROM_PORT/-/ready"
}

# prom_query EXPR: the result vector of an instant query, as "labels value" lines (the
# metric name left out), sorted.
prom_query() {
  curl -sf -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
    jq -r '.data.result[] | "\(.metric | del(.__name__) | to_entries | map("\(.key)=\(.value)") | join(",")) \(.value[1])"' | sort
}

# archive_around_incident FILE: the RRD file of the reports tests' utility outage (2026-11-25
# 08:00-08:45 UTC): one value a minute from 07:00 to 10:00, 1 (up) but 0 while it lasted.
archive_around_incident() {
  local t end down back updates=()
  t=$(date -u -d '2026-11-25 07:00' +%s); end=$(date -u -d '2026-11-25 10:00' +%s)
  down=$(date -u -d '2026-11-25 08:00' +%s); back=$(date -u -d '2026-11-25 08:45' +%s)
  mkdir -p "$(dirname "$1")"
  rrdtool create "$1" --start $((t - 60)) --step 60 DS:value:GAUGE:120:U:U \
    RRA:AVERAGE:0.5:1:1000 || fail "rrdtool create $1"
  for ((; t <= end; t += 60)); do
    updates+=("$t:$(( t >= down && t < back ? 0 : 1 ))")
  done
  rrdtool update "$1" "${updates[@]}" || fail "rrdtool update $1"
}

# Starts dcmond on CONFIG in the background; waits for its API socket.  DCMOND_PREFIX
# (words, may be unset): a command that execs dcmond, like "setpriv --reuid nobody ...".
# hosts_ns LINE...: dcmond (started next) runs in its own mount namespace with $T/hosts
# bound over /etc/hosts, holding LINEs, so that a test can point names at addresses;
# hosts LINE... rewrites the file in place (the bind mount holds its inode) to re-point
# them; resolved_in_ns NAME: the address NAME resolves to in such a namespace.
hosts() { printf '%s\n' "$@" >"$T/hosts"; }
hosts_ns() {
  hosts "$@"
  printf '#!/bin/sh\nmount --bind "%s" /etc/hosts || exit 99\nexec "$@"\n' "$T/hosts" >"$T/ns.sh"
  chmod +x "$T/ns.sh"
  export DCMOND_PREFIX="unshare -m $T/ns.sh"
}
resolved_in_ns() { unshare -m "$T/ns.sh" getent hosts "$1" | awk '{print $1}'; }

start_dcmond() {
  local cfg=$1 sock
  sock=$(grep -E '^\s*socket:' "$cfg" | head -1 | awk '{print $2}')
  ${DCMOND_PREFIX:-} "$DCMOND" -c "$cfg" --log-level debug >>"$T/dcmond.log" 2>&1 &
  DCMOND_PID=$!
  track "$DCMOND_PID"
  DCMON_SOCKET=$sock
  export DCMON_SOCKET
  wait_until 20 "dcmond API socket $sock" api_get /api/v1/health
}

# token_req TOKEN METHOD URL [JSON-BODY]: an HTTP request with an API token; prints
# "STATUS BODY" (the body also left in $T/body).
token_req() {
  local h=(-H "Authorization: Bearer $1")
  [ -n "${4:-}" ] && h+=(-H "Content-Type: application/json" --data "$4")
  curl -s -m 20 -o "$T/body" -w '%{http_code}' -X "$2" "${h[@]}" "$3"
  printf ' %s' "$(cat "$T/body")"
}

# account_token NAME ROLE TENANT [PASSWORD]: makes the account NAME (of TENANT; "" for
# none) through the CLI and prints an API token of it.
account_token() {
  local t=()
  [ -n "$3" ] && t=(--tenant "$3")
  printf '%s\n' "${4:-password-of-$1-1}" | "$DCMON" user add "$1" --role "$2" "${t[@]}" >/dev/null ||
    fail "user add $1"
  "$DCMON" user token "$1" | head -1
}

# layer_item KIND YAML: the JSON body of a change to the tenant layer.
layer_item() { jq -cn --arg k "$1" --arg y "$2" '{kind: $k, yaml: $y}'; }

# api_get PATH: GET on the daemon's API socket, body on stdout; fails on HTTP errors.
api_get() { curl -sf --unix-socket "$DCMON_SOCKET" "http://dcmond$1"; }

stop_dcmond() {
  kill -TERM "$DCMOND_PID"
  local rc=0
  wait "$DCMOND_PID" || rc=$?
  [ "$rc" -eq 0 ] || fail "dcmond exited with $rc on SIGTERM"
}

# status_json: the full status document; fails (and prints nothing) when there is none.
# (jq 1.6 -e exits 0 on empty input: never let an empty document pass a check.)
status_json() {
  local out rc=0
  out=$("$DCMON" status --json) || rc=$?
  [ "$rc" -le 2 ] && [ -n "$out" ] || return 1
  printf '%s\n' "$out"
}

# json_check JQ-EXPR: reads a document on stdin, true if non-empty and EXPR is truthy.
json_check() {
  local doc
  doc=$(cat)
  [ -n "$doc" ] || return 1
  printf '%s\n' "$doc" | jq -e "$1" >/dev/null
}

# metric_field DEVICE NAME INST FIELD: one field of one metric ("" inst = none).
metric_field() {
  local dev=$1 name=$2 inst=$3 field=$4
  status_json | jq -r --arg d "$dev" --arg n "$name" --arg i "$inst" --arg f "$field" '
    .devices[] | select(.id == $d) | .metrics[]
    | select(.name == $n and ((.inst // "") == $i)) | .[$f]'
}

# metric_is DEVICE NAME INST JQ-PREDICATE: true if the metric object satisfies it.
metric_is() {
  local doc
  doc=$(status_json) || return 1
  metric_in "$doc" "$@"
}

# metric_in DOC DEVICE NAME INST JQ-PREDICATE: metric_is on a status document already read
# (false for an empty one: jq 1.6 -e exits 0 on empty input).
metric_in() {
  local doc=$1 dev=$2 name=$3 inst=$4 pred=$5
  [ -n "$doc" ] || return 1
  printf '%s\n' "$doc" | jq -e --arg d "$dev" --arg n "$name" --arg i "$inst" "
    [.devices[] | select(.id == \$d) | .metrics[]
     | select(.name == \$n and ((.inst // \"\") == \$i))] | length == 1 and (.[0] | $pred)" \
    >/dev/null
}

# stop_dcmond_hard: kill -9 (a crash: nothing flushed or cleaned up by dcmond itself).
stop_dcmond_hard() {
  kill -KILL "$DCMOND_PID"
  wait "$DCMOND_PID" 2>/dev/null || true
}

# alerts_json [ARGS...]: the `dcmon alerts --json` document (exit 0..2 carry one);
# fails (and prints nothing) when there is none.
alerts_json() {
  local out rc=0
  out=$("$DCMON" alerts --json "$@") || rc=$?
  [ "$rc" -le 2 ] && [ -n "$out" ] || return 1
  printf '%s\n' "$out"
}

# alert_is RULE JQ-PREDICATE: true if exactly one alert of RULE (resolved ones too)
# exists and satisfies the predicate.
alert_is() {
  local rule=$1 pred=$2 doc
  doc=$(alerts_json --all) || return 1
  printf '%s\n' "$doc" | jq -e --arg r "$rule" "
    [.alerts[] | select(.rule == \$r)] | length == 1 and (.[0] | $pred)" >/dev/null
}

# alert_firing DEVICE SEVERITY SUMMARY: true if an alert of DEVICE with that summary is
# firing at that severity (GET /api/v1/alerts).
alert_firing() {
  api_get /api/v1/alerts | json_check "any(.alerts[]; .device == \"$1\" and .severity == \"$2\"
                                           and .summary == \"$3\" and .state == \"firing\")"
}

# alert_field RULE FIELD: one field of the alert of RULE ("" when there is none).
alert_field() {
  alerts_json --all | jq -r --arg r "$1" --arg f "$2" '.alerts[] | select(.rule == $r) | .[$f]'
}

# audit_json [ARGS...]: the `dcmon audit --json` document; fails when there is none.
audit_json() {
  local out
  out=$("$DCMON" audit --json "$@") || return 1
  [ -n "$out" ] || return 1
  printf '%s\n' "$out"
}

# wait_polls DEVICE N: waits (bounded) until DEVICE has completed N more polls.
wait_polls() { # DEV N [SECONDS]: wait for N more polls of DEV (default 10 + 5 N seconds)
  local dev=$1 n=$2 secs=${3:-} before
  before=$(status_json | jq --arg d "$dev" '.devices[] | select(.id == $d) | .polls')
  [ -n "$before" ] || fail "no device $dev"
  polls_reached() { status_json | json_check ".devices[] | select(.id == \"$dev\") | .polls >= $((before + n))"; }
  wait_until "${secs:-$((10 + 5 * n))}" "$n more polls of $dev" polls_reached
}

# log_count PATTERN: lines of the dcmond log (all runs) matching the fixed string.
log_count() {
  grep -cF -- "$1" "$T/dcmond.log" || true
}

assert_eq() {
  local got=$1 want=$2 what=$3
  [ "$got" = "$want" ] || fail "$what: got '$got', want '$want'"
  pass "$what = $want"
}

# audit_tamper SQL WANT: alerts.db back to $T/pristine.db, tampered with by SQL; then
# `dcmon audit verify --log $T/checkpoints.log` of dcmond on $T/dcmon.yaml exits 2 and
# prints what matches the pattern WANT.
audit_tamper() {
  local sql=$1 want=$2 db="$T/data/alerts.db" out rc=0
  cp "$T/pristine.db" "$db"; rm -f "$db-wal" "$db-shm"
  sqlite3 "$db" "$sql"
  start_dcmond "$T/dcmon.yaml"
  out=$("$DCMON" audit verify --log "$T/checkpoints.log") || rc=$?
  stop_dcmond
  assert_eq "$rc" 2 "exit status after: $sql"
  [[ $out == $want ]] || fail "after '$sql': $out, want $want"
  pass "$out"
}

# config_refused SED-EXPR WORD PATTERN: the config edited by SED-EXPR fails --check-config
# with an error matching PATTERN at the line and column of WORD (its first occurrence).
config_refused() {
  local rc=0 at
  sed "$1" "$T/dcmon.yaml" >"$T/bad.yaml"
  "$DCMOND" --check-config "$T/bad.yaml" 2>"$T/check.err" || rc=$?
  assert_eq "$rc" 1 "check-config refuses: $3"
  at=$(awk -v w="$2" 'i = index($0, w) { print NR ":" i; exit }' "$T/bad.yaml")
  grep -q "bad.yaml:$at: error: $3" "$T/check.err" || fail "no error at $at: $(cat "$T/check.err")"
  pass "error at bad.yaml:$at: $3"
}

# use_faketime: dcmond (started after this) runs under libfaketime, its wall clock at
# real time + the offset in $T/faketime, re-read on every call (the monotonic clock
# left alone); step OFFSET (+3h, +2d, +0) moves it.
use_faketime() {
  local lib
  lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1 || true)
  [ -n "$lib" ] || fail "libfaketime not installed (Debian package faketime; scripts/install-deps.sh)"
  echo "+0" >"$T/faketime"
  cat >"$T/dcmond-faketime" <<EOF
#!/bin/sh
# dcmond with a wall clock the test steps; ASan must accept a library loaded before it
ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0" \\
LD_PRELOAD="$lib" FAKETIME_TIMESTAMP_FILE="$T/faketime" FAKETIME_NO_CACHE=1 \\
FAKETIME_DONT_FAKE_MONOTONIC=1 exec "$DCMOND" "\$@"
EOF
  chmod +x "$T/dcmond-faketime"
  DCMOND="$T/dcmond-faketime"
}
step() { echo "$1" >"$T/faketime"; }
# step_to DATE: the offset that puts dcmond's faked wall clock at DATE (UTC) now.
step_to() { local off=$(( $(date -u -d "$1" +%s) - $(date -u +%s) )); step "$( ((off >= 0)) && echo +)$off"; }

# events_with WORD: how many stored events hold WORD (GET /api/v1/events/search),
# through every page.
events_with() {
  local next="" total=0 page
  while :; do
    page=$(api_get "/api/v1/events/search?text=$1&limit=1000${next:+&before=$next}")
    total=$((total + $(jq '.events | length' <<<"$page")))
    next=$(jq -r '.next // empty' <<<"$page")
    [ -n "$next" ] || break
  done
  echo "$total"
}

# sse_events FILE: the events of an event stream saved in FILE (curl -N of
# /api/v1/events), as JSON lines {"event": ..., "data": ...}.
sse_events() {
  $PY - "$1" <<'PYEOF'
import json, sys
ev, data = None, []
for line in open(sys.argv[1]).read().split("\n"):
    if line.startswith("event: "):
        ev = line[7:]
    elif line.startswith("data: "):
        data.append(line[6:])
    elif line == "" and ev:
        print(json.dumps({"event": ev, "data": json.loads("\n".join(data))}))
        ev, data = None, []
PYEOF
}

# totp SECRET: the RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of a base32 secret now,
# written apart from liboath.
totp() {
  $PY - "$1" <<'PYEOF'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1])
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 10**6))
PYEOF
}

# done_checks: prints the closing line ctest output is read for.
# One-off or weekly silences written into a state dir's alerts.db before dcmond starts,
# as the alert store keeps them (history for availability reports).  VALUES rows on
# stdin, for the columns device, reason, created_by, created_ms, starts_ms, ends_ms,
# days, start_min, end_min, tz.
silences_before_start() { # STATE_DIR
  sqlite3 "$1/alerts.db" <<SQL
CREATE TABLE IF NOT EXISTS silences(id INTEGER PRIMARY KEY, device TEXT, kind TEXT,
  site TEXT, room TEXT, tenant TEXT, metric TEXT, inst TEXT, labels TEXT, rule TEXT,
  reason TEXT NOT NULL, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL,
  starts_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL, days INTEGER NOT NULL,
  start_min INTEGER NOT NULL, end_min INTEGER NOT NULL, tz TEXT, deleted_ms INTEGER);
INSERT INTO silences(device, reason, created_by, created_ms, starts_ms, ends_ms, days,
  start_min, end_min, tz) VALUES $(cat);
SQL
}

done_checks() {
  echo "$_CHECKS passed, 0 failed"
}
