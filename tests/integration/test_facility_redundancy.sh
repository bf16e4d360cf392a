#!/usr/bin/env bash
# Redundancy on real pollers: a dual-corded rack fed by pdu-a and pdu-b (snmpsim, the PDU
# recording), two servers in it (TCP checks against listeners the test starts).  pdu-a
# never answers (a UDP socket that reads nothing): the rack's redundancy_state is
# redundancy_lost and the warning "redundancy-lost" fires for the rack, carrying its
# tenant; the servers keep power and raise nothing, and nothing is suppressed.
source "$(dirname "$0")/lib.sh"

start_snmpsim 127.0.0.1 pdu
sim_port=$SIM_PORT
start_dead_agent   # pdu-a is down
dead_port=$DEAD_PORT
port1=$(free_port)
port2=$(free_port)
start_tcp_listener "$port1"
start_tcp_listener "$port2"

{ daemon_yaml; cat <<YAML; } >"$T/dcmon.yaml"
  profiles_dir: $DCMON_SOURCE_DIR/etc/profiles
tenants:
  - {id: acme, name: ACME Corp}
devices:
  - id: pdu-a
    kind: pdu
    host: 127.0.0.1
    profile: apc-rpdu2
    snmp: {port: $dead_port, community: pdu, timeout: 300ms, retries: 0}
  - id: pdu-b
    kind: pdu
    host: 127.0.0.1
    profile: apc-rpdu2
    snmp: {port: $sim_port, community: pdu, timeout: 300ms, retries: 0}
  - {id: rack1, kind: rack, tenant: acme, fed_by: [pdu-a, pdu-b]}
  - {id: srv1, kind: server, host: 127.0.0.1, fed_by: rack1, checks: {tcp: [$port1]}}
  - {id: srv2, kind: server, host: 127.0.0.1, fed_by: rack1, checks: {tcp: [$port2]}}
YAML
chmod 600 "$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"
start_dcmond "$T/dcmon.yaml"

dev_state_is() { status_json | json_check ".devices[] | select(.id == \"$1\") | .state == \"$2\""; }
wait_until 15 "pdu-a unreachable" dev_state_is pdu-a unreachable
wait_until 15 "pdu-b polled" metric_is pdu-b phase_power_watts 1 '.value == 3420'
wait_until 15 "srv1 port up" metric_is srv1 tcp_port_up "$port1" '.value == 1'
wait_until 15 "srv2 port up" metric_is srv2 tcp_port_up "$port2" '.value == 1'
pass "pdu-a down (no answer), pdu-b and both servers up"

wait_until 15 "rack1 redundancy_state" metric_is rack1 redundancy_state "" \
  '.value_name == "redundancy_lost" and .quality == "ok"'
pass "rack1 redundancy_state = redundancy_lost"
rack_alert() { api_get /api/v1/alerts | jq -c '
  [.alerts[] | select(.device == "rack1")] | select(length == 1) | .[0]'; }
wait_until 15 "rack1 redundancy-lost alert" eval 'rack_alert | json_check ".state == \"firing\""'
rack_alert | json_check '.rule == "redundancy-lost" and .severity == "warning" and .suppressed_by == null' \
  || fail "rack1's alert: $(rack_alert)"
wait_until 5 "redundancy-lost event" grep -qF 'msg="fired rule=redundancy-lost metric=redundancy_state ' "$T/dcmond.log"
pass "rack1: warning redundancy-lost firing and notified (not suppressed)"
api_get /api/v1/alerts?tenant=acme | json_check '[.alerts[].device] == ["rack1"]' \
  || fail "alerts of tenant acme: $(api_get /api/v1/alerts?tenant=acme)"
pass "the rack's alert is the tenant's (tenant=acme)"

# The servers keep power: a few more polls and still nothing for them.
wait_polls srv1 3
api_get /api/v1/alerts | json_check 'all(.alerts[]; .device != "srv1" and .device != "srv2")' \
  || fail "server alerts: $(api_get /api/v1/alerts)"
api_get /api/v1/alerts | json_check 'all(.alerts[]; .suppressed_by == null)' \
  || fail "suppressed alerts with power on one feed: $(api_get /api/v1/alerts)"
for s in srv1 srv2; do
  status_json | json_check ".devices[] | select(.id == \"$s\") | (.metrics | map(select(.name == \"redundancy_state\")) | length == 0)" \
    || fail "$s (one feed) has a redundancy_state"
done
assert_eq "$(grep -F 'msg="fired ' "$T/dcmond.log" | grep -cE ' dev=srv[12] ' || true)" 0 \
  "fired events of the servers"
stop_dcmond
done_checks
