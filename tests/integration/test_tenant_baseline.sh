#!/usr/bin/env bash
# A tenant's baseline switch (docs/PORTAL.md, "Baselines"): a tenant's server polled over
# SNMP (real snmpd, HOST-RESOURCES-MIB) has no baseline rule until the tenant turns its
# switch on (the label `baseline: "on"` in the device item, which the portal's checkbox
# writes); a tenant-operator's switch is a request like any change: not applied while
# pending, applied once approved, and off again once the label is gone.  "Applied"
# is read where the dashboard reads it: the graph's JSON carries the baseline's band
# (and its learning state) only for a metric an anomaly rule (the NOC's default
# cpu-unusual and memory-unusual) applies to.
source "$(dirname "$0")/lib.sh"
# librrd's graph code leaks by design; full stacks so only its allocations are ignored
export LSAN_OPTIONS="suppressions=$DCMON_SOURCE_DIR/tests/lsan-librrd.supp:fast_unwind_on_malloc=0:print_suppressions=0"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user as root over the socket)"; exit 1; }
hport=$(free_port)
sport=$(free_udp_port)
# hrProcessorLoad is not served in every container: one CPU at 12 %
printf 'rocommunity public 127.0.0.1\noverride .1.3.6.1.2.1.25.3.3.1.2.196608 integer 12\n' >"$T/snmpd.conf"
MIBS= MIBDIRS=/nonexistent snmpd -f -Lf "$T/snmpd.log" -C -c "$T/snmpd.conf" "udp:127.0.0.1:$sport" \
  >/dev/null 2>&1 &
track $!
wait_until 15 "snmpd answering" snmpget -v2c -c public -r 0 -t 0.5 "127.0.0.1:$sport" .1.3.6.1.2.1.25.3.3.1.2.196608

{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "archive_flush: 200ms" \
    "http: {listen: 127.0.0.1, port: $hport}" "accounts: {yescrypt_cost: 5}"
  cat <<YAML
  tenant_layer:
    limits:
      - {tenant: acme, min_interval: 2s, targets: [127.0.0.0/29], snmp_credentials: true}
tenants:
  - {id: acme, email: [noc@acme.example]}
YAML
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

declare -A TOK
for u in admin:tenant-admin op:tenant-operator appr:tenant-approver; do
  IFS=: read -r name role <<<"$u"
  TOK[$name]=$(account_token "u-$name" "$role" acme)
done
# req WHO METHOD PATH [BODY]: prints "STATUS BODY"
req() {
  local h=(-H "Authorization: Bearer ${TOK[$1]}")
  [ -n "${4:-}" ] && h+=(-H "Content-Type: application/json" --data "$4")
  curl -s -m 20 -o "$T/body" -w '%{http_code}' -X "$2" "${h[@]}" "http://127.0.0.1:$hport$3"
  printf ' %s' "$(cat "$T/body")"
}
code() { echo "${1%% *}"; }
body() { echo "${1#* }"; }
# server [EXTRA-LINE]: the tenant's server item
server() {
  printf 'id: acme-db\nkind: server\nhost: 127.0.0.1\ninterval: 2s\nprofile: host-resources\n'
  printf 'snmp: {community: public, port: %s}\nchecks: {resources: snmp}\n%s' "$sport" "${1:-}"
}
put() { jq -cn --arg y "$2" '{kind: "device", yaml: $y}' | { read -r b; req "$1" POST /api/v1/layer/items "$b"; }; }
# band METRIC: the band's state of the metric's graph, "none" without one
band() {
  local out
  out=$(req admin GET "/api/v1/graph?device=acme-db&metric=$1&range=1h&format=json")
  [ "$(code "$out")" = 200 ] || return 1
  body "$out" | jq -r '.band.state // "none"'
}
band_is() { [ "$(band "$1")" = "$2" ]; }
band_learning() { band "$1" | grep -qE '^learning \([0-9]+ days of 14\)$'; }

out=$(put admin "$(server)")
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.state)" "200:applied" "the tenant-admin's server"
for m in cpu_used_percent memory_used_percent; do
  wait_until 30 "$m archived" band "$m"
done
metric_is acme-db cpu_used_percent "" '.value == 12' || fail "cpu: $(metric_field acme-db cpu_used_percent "" value)"
for m in cpu_used_percent memory_used_percent; do
  assert_eq "$(band "$m")" none "$m: no baseline before the switch"
done

out=$(put op "$(server 'labels: {baseline: "on"}')")
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.state)" "202:pending" "the operator's switch is a request"
rid=$(body "$out" | jq -r .request.id)
wait_polls acme-db 2
for m in cpu_used_percent memory_used_percent; do
  assert_eq "$(band "$m")" none "$m: no baseline while the switch is pending"
done
out=$(req appr POST "/api/v1/layer/requests/$rid/approve" '{}')
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.state)" "200:applied" "the approver approves"
for m in cpu_used_percent memory_used_percent; do
  wait_until 20 "$m judged against its baseline" band_learning "$m"
  pass "$m: the baseline rule applies once approved ($(band "$m"))"
done
out=$(req admin GET /api/v1/layer/items)
body "$out" | jq -e '.items[] | select(.id == "acme-db") | .yaml | contains("baseline: \"on\"")' >/dev/null \
  || fail "the stored item: $out"

# the switch off again: no baseline
out=$(put admin "$(server)")
assert_eq "$(code "$out")" 200 "the tenant-admin turns it off"
wait_until 20 "cpu baseline gone" band_is cpu_used_percent none
pass "switched off: no baseline rule on acme-db"
stop_dcmond
done_checks
