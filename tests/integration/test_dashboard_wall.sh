#!/usr/bin/env bash
# The NOC wall seen as a person sees it: headless Chromium (playwright-core) against
# dcmond with real pollers: snmpsim serving UPS and sensor recordings, a TCP listener
# checked by a server device, the local host's resources.  Asserts tiles and the alert
# list, an alarm reaching the open wall without a reload, the stale banner when dcmond
# stops and the reconnect after it restarts; screenshots go to tests/artifacts/.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

sim_port=$(free_udp_port)
mkdir -p "$T/snmprec"
cp "$DCMON_SOURCE_DIR"/tests/data/snmprec/{ups-mains,ups-battery,env-sensor}.snmprec "$T/snmprec/"
chmod 755 "$T/snmprec"; chmod 644 "$T"/snmprec/*
sim_args=(--data-dir="$T/snmprec" --agent-udpv4-endpoint=127.0.0.1:$sim_port)
[ "$(id -u)" -eq 0 ] && sim_args+=(--process-user=nobody --process-group=nogroup)
snmpsimd "${sim_args[@]}" >"$T/snmpsim.log" 2>&1 &
track $!
wait_peer 30 snmpsimd $! "$T/snmpsim.log" snmpget -v2c -c ups-mains -r 0 -t 0.3 127.0.0.1:$sim_port 1.3.6.1.2.1.1.3.0

# The service web-01 checks: a TCP listener the browser test stops.
$PY - "$T/listen.port" >"$T/listen.log" 2>&1 <<'PYEOF' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(1.0)
end = time.time() + 600
while time.time() < end:
    try:
        c, _ = s.accept(); c.close()
    except socket.timeout:
        pass
PYEOF
LISTENER_PID=$!
track $LISTENER_PID
wait_peer 10 "TCP listener" "$LISTENER_PID" "$T/listen.log" test -s "$T/listen.port"
svc_port=$(cat "$T/listen.port")
http_port=$(free_port)
head -c 24 /dev/urandom | base64 >"$T/token"; chmod 600 "$T/token"

{ daemon_yaml "timeout: 800ms" "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "archive_flush: 500ms" \
    "http: {listen: 127.0.0.1, port: $http_port, token_file: token}"
  cat <<YAML; } >"$T/dcmon.yaml"
sites:
  - id: tokyo-1
    name: Tokyo 1
    rooms:
      - {id: hall-1, name: Hall 1}
tenants:
  - {id: acme, name: ACME, email: [noc@acme.example]}
devices:
  - id: ups-a
    kind: ups
    host: 127.0.0.1
    profile: ups-rfc1628
    location: {site: tokyo-1, room: hall-1}
    snmp: {port: $sim_port, community: ups-mains, timeout: 350ms, retries: 1}
  - id: ups-b
    kind: ups
    host: 127.0.0.1
    profile: ups-rfc1628
    location: {site: tokyo-1, room: hall-1}
    snmp: {port: $sim_port, community: ups-battery, timeout: 350ms, retries: 1}
  - id: env-1
    kind: env
    host: 127.0.0.1
    profile: entity-sensor
    location: {site: tokyo-1, room: hall-1, row: r1}
    snmp: {port: $sim_port, community: env-sensor, timeout: 350ms, retries: 1}
  - id: web-01
    kind: server
    host: 127.0.0.1
    tenant: acme
    location: {site: tokyo-1, room: hall-1, row: r1}
    checks: {tcp: [$svc_port], resources: local}
rules:
  # the default waits 20 s; the wall test wants the alarm at once
$(port_closed_rule)
YAML
chmod 600 "$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
wait_until 10 "dashboard answering" curl -sf "http://127.0.0.1:$http_port/api/v1/health"

BASE_URL="http://127.0.0.1:$http_port" ARTIFACTS="$ART" LISTENER_PID=$LISTENER_PID \
DCMOND_PID=$DCMOND_PID DCMOND="$DCMOND" DCMOND_CONFIG="$T/dcmon.yaml" DCMOND_LOG="$T/dcmond.log" \
  timeout 240 node "$E2E/wall.test.js" || fail "browser test failed"
pass "wall e2e (screenshots in $ART)"
