#!/usr/bin/env bash
# Host names of a tenant's ping, tcp and snmp checks (docs/PORTAL.md, "Host names"), on a
# real dcmond beside a TCP listener and a real snmpd.  dcmond runs in its own mount
# namespace with a hosts file of the test bound over /etc/hosts, so that the test can
# re-point a name (as test_tenant_http.sh does).  A tenant's server named
# srv.acme.test (a name the NOC lists among its targets) is pinged, has a TCP port and
# is read over SNMP, plus a TCP check on 127.0.0.1: all are polled.  Once the name is
# re-pointed at a facility device's address, the name is judged at the next poll: ping,
# tcp and snmp each fail with "srv.acme.test resolves to 127.0.0.4: refused by the
# check's allow/deny", no connection reaches the facility's address, the check on
# 127.0.0.1 keeps polling, and each refusal is audited once as the tenant's device, not
# again at the next polls.  Each tenant's event search shows the refusals of its own
# devices and never another tenant's (globex has a re-pointed name too).  On the old code the name was resolved once, at the load,
# and went on being probed wherever it had pointed then.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (a mount namespace for the hosts file)"; exit 1; }
hport=$(free_port)
tport=$(free_port)
sport=$(free_udp_port)

start_tcp_listener "$tport"
# the facility's address: counts the connections that reach it (there must be none)
echo 0 >"$T/facility.count"
$PY - "$tport" "$T/facility.count" >"$T/facility.log" 2>&1 <<'PYEOF' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.4", int(sys.argv[1]))); s.listen(64)
n = 0
while True:
    c, _ = s.accept(); c.close(); n += 1
    open(sys.argv[2], "w").write(str(n))
PYEOF
track $!
# hrProcessorLoad is not served in every container: one CPU at 12 %
printf 'rocommunity public 127.0.0.1\noverride .1.3.6.1.2.1.25.3.3.1.2.196608 integer 12\n' >"$T/snmpd.conf"
MIBS= MIBDIRS=/nonexistent snmpd -f -Lf "$T/snmpd.log" -C -c "$T/snmpd.conf" \
  "udp:127.0.0.1:$sport" >/dev/null 2>&1 &
track $!
wait_until 15 "snmpd answering" snmpget -v2c -c public -r 0 -t 0.5 "127.0.0.1:$sport" .1.3.6.1.2.1.25.3.3.1.2.196608

hosts_ns "127.0.0.1 localhost" "127.0.0.1 srv.acme.test" "127.0.0.1 srv.globex.test"

{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "interval: 1s" \
    "http: {listen: 127.0.0.1, port: $hport}" "accounts: {yescrypt_cost: 5}" \
    "events: {retention: 30d}"
  cat <<YAML
  tenant_layer:
    limits:
      - {tenant: acme, min_interval: 2s, targets: [127.0.0.0/29, srv.acme.test],
         ports: [$tport, $sport], snmp_credentials: true}
      - {tenant: globex, min_interval: 2s, targets: [srv.globex.test], ports: [$tport]}
tenants:
  - {id: acme, email: [noc@acme.example]}
  - {id: globex, email: [noc@globex.example]}
devices:
  - {id: ups-1, kind: ups, host: 127.0.0.4, checks: {ping: true}}
YAML
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

TOKEN=$(account_token u-admin tenant-admin acme)
GTOKEN=$(account_token u-gadmin tenant-admin globex)
gsrv="id: globex-srv
kind: server
host: srv.globex.test
checks: {tcp: [$tport]}"
out=$(token_req "$GTOKEN" POST "http://127.0.0.1:$hport/api/v1/layer/items" \
  "$(layer_item device "$gsrv")")
assert_eq "${out%% *}" 200 "globex's server by name applies"
srv="id: acme-srv
kind: server
host: srv.acme.test
interval: 2s
profile: host-resources
snmp: {community: public, port: $sport}
checks:
  ping: {count: 1}
  tcp: [$tport, {host: 127.0.0.1, port: $tport}]
  resources: snmp"
out=$(token_req "$TOKEN" POST "http://127.0.0.1:$hport/api/v1/layer/items" \
  "$(layer_item device "$srv")")
assert_eq "${out%% *}:$(echo "${out#* }" | jq -r .request.state)" "200:applied" "the tenant's server by name applies"

# ---- polled while the name points at the tenant's server -----------------------------------
own="127.0.0.1:$tport"
polled() {
  local doc
  doc=$(status_json) || return 1
  metric_in "$doc" acme-srv host_up "" '.value == 1' &&
    metric_in "$doc" acme-srv tcp_port_up "$tport" '.value == 1' &&
    metric_in "$doc" acme-srv tcp_port_up "$own" '.value == 1' &&
    metric_in "$doc" acme-srv cpu_used_percent "" '.value == 12'
}
wait_until 30 "acme-srv polled by name" polled
pass "ping, tcp and snmp of srv.acme.test are polled"

# ---- the name re-pointed at the facility's address --------------------------------------------
hosts "127.0.0.1 localhost" "127.0.0.4 srv.acme.test" "127.0.0.4 srv.globex.test"
assert_eq "$(resolved_in_ns srv.acme.test)" 127.0.0.4 \
  "the name now resolves to the facility's address"
why="srv.acme.test resolves to 127.0.0.4: refused by the check's allow/deny"
# refused DOC DEVICE METRIC INST: the metric is an error whose reason is the refusal
refused() { metric_in "$1" "$2" "$3" "$4" "(.quality == \"error\") and ((.reason // \"\") | contains(\"$why\"))"; }
all_refused() {
  local doc
  doc=$(status_json) || return 1
  refused "$doc" acme-srv ping_rtt_avg_seconds "" && refused "$doc" acme-srv tcp_connect_seconds "$tport" &&
    refused "$doc" acme-srv probe_address_allowed snmp
}
wait_until 30 "ping, tcp and snmp refused once re-pointed" all_refused
metric_is acme-srv host_up "" '.value == 0' || fail "host_up after the refusal: $(metric_field acme-srv host_up "" value)"
metric_is acme-srv tcp_port_up "$tport" '.value == 0' || fail "tcp_port_up after the refusal"
for c in ping "tcp:$tport" snmp; do
  metric_is acme-srv probe_address_allowed "$c" "(.reason // \"\") | contains(\"$why\")" ||
    fail "probe_address_allowed $c: $(metric_field acme-srv probe_address_allowed "$c" reason)"
done
pass "ping, tcp and snmp each fail with the refusal ($(metric_field acme-srv ping_rtt_avg_seconds "" reason))"
status_json | jq -e --arg w "$why" '.devices[] | select(.id == "acme-srv") | .reason | contains($w)' >/dev/null ||
  fail "the device's reason: $(status_json | jq -r '.devices[] | select(.id == "acme-srv") | .reason')"

# the tenant's other check, on 127.0.0.1, keeps polling
before=$(metric_field acme-srv tcp_port_up "$own" ts_ms)
wait_polls acme-srv 2
metric_is acme-srv tcp_port_up "$own" ".value == 1 and .ts_ms > $before" ||
  fail "the check on 127.0.0.1 beside them: $(metric_field acme-srv tcp_port_up "$own" value)"
all_refused || fail "no longer refused"
assert_eq "$(cat "$T/facility.count")" 0 "no connection reached the facility's address"
pass "the check on 127.0.0.1 keeps polling; nothing reached 127.0.0.4"

# ---- one audit record per check --------------------------------------------------------------
# poll_refusals CHECK: the audit records of acme-srv's refusals of CHECK at a poll
poll_refusals() {
  audit_json --action tenant-refused --target tenant:acme/device/acme-srv |
    jq -c --arg c "check $1: $why" '.entries[] | select(.detail | contains($c) and contains("at a poll"))'
}
audited() { for c in ping "tcp:$tport" snmp; do [ "$(poll_refusals "$c" | wc -l)" -ge 1 ] || return 1; done; }
wait_until 10 "an audit record of each refusal" audited
wait_polls acme-srv 2
for c in ping "tcp:$tport" snmp; do
  assert_eq "$(poll_refusals "$c" | wc -l)" 1 "$c: one audit record, not one per poll"
  poll_refusals "$c" | jq -e '.who == "dcmond"' >/dev/null || fail "$c: $(poll_refusals "$c")"
done
pass "each refusal is audited once as the tenant's device ($(poll_refusals ping | jq -r .detail))"

# ---- each tenant's event search: its own devices' refusals, never another's ---------------------
# refusal_events TOKEN: the objects of the poll-time refusals the token's search shows
refusal_events() {
  token_req "$1" GET "http://127.0.0.1:$hport/api/v1/events/search?kind=audit&limit=1000" | cut -d' ' -f2- |
    jq -r '[.events[] | select(.program == "tenant-refused" and (.fields["audit.detail"] | contains("at a poll")))
            | .fields["audit.object"]] | unique | join(",")'
}
globex_refused() { [ "$(refusal_events "$GTOKEN")" = tenant:globex/device/globex-srv ]; }
wait_until 20 "globex's refusal in its event search" globex_refused
assert_eq "$(refusal_events "$TOKEN")" tenant:acme/device/acme-srv "acme's event search: its own device's refusals only"
assert_eq "$(refusal_events "$GTOKEN")" tenant:globex/device/globex-srv "globex's event search: its own device's refusal only"
pass "each tenant's event search shows its own poll-time refusals and never another tenant's"
stop_dcmond
done_checks
