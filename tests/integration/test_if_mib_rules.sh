#!/usr/bin/env bash
# The IF-MIB network rules against snmpsim serving tests/data/snmprec/switch-ifmib
# (counters growing at fixed rates): an interface down while administratively up
# (and a disabled one that is not), utilisation of the link speed in and out,
# errors and discards per second; the values, and the default rules of the if-mib
# profile that they raise (pending: each rule has a `for`).
source "$(dirname "$0")/lib.sh"

start_snmpsim 127.0.0.1 switch-ifmib
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "interval: 2s" "timeout: 1500ms"
  cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: sw1
    host: 127.0.0.1
    profile: if-mib
    snmp: {port: $SIM_PORT, community: switch-ifmib, timeout: 1s, retries: 0}
YAML
chmod 600 "$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects the if-mib profile"
start_dcmond "$T/dcmon.yaml"

wait_until 20 "interface states" metric_is sw1 if_enabled_oper_state ge-0/0/1 '.value == 1'
metric_is sw1 if_enabled_oper_state ge-0/0/2 '.value == 2 and .value_name == "down"' \
  || fail "ge-0/0/2 (admin up, oper down): $(metric_field sw1 if_enabled_oper_state ge-0/0/2 value)"
metric_is sw1 if_enabled_oper_state vlan100 '.value == 0 and .value_name == "admin_down"' \
  || fail "vlan100 (admin down): $(metric_field sw1 if_enabled_oper_state vlan100 value)"
pass "if_enabled_oper_state: ge-0/0/1 up, ge-0/0/2 down, vlan100 admin_down"

# rates need two readings of the counters
near() { metric_is sw1 "$1" "$2" ".quality == \"ok\" and .value > $3 - $4 and .value < $3 + $4"; }
wait_until 20 "utilisation in" near if_in_utilization_percent ge-0/0/1 50 5
pass "if_in_utilization_percent{ge-0/0/1} = $(metric_field sw1 if_in_utilization_percent ge-0/0/1 value) (62.5 MB/s of 1000 Mbit/s: 50)"
near if_out_utilization_percent ge-0/0/1 88 5 \
  || fail "out utilisation $(metric_field sw1 if_out_utilization_percent ge-0/0/1 value), want 88"
pass "if_out_utilization_percent{ge-0/0/1} = $(metric_field sw1 if_out_utilization_percent ge-0/0/1 value) (110 MB/s: 88)"
near if_in_utilization_percent ge-0/0/2 0 0.001 || fail "idle ge-0/0/2 not at 0 %"
metric_is sw1 if_in_utilization_percent vlan100 '.quality == "error" and (.reason | test("valid_if"))' \
  || fail "vlan100 without a speed: $(metric_field sw1 if_in_utilization_percent vlan100 reason)"
pass "idle port 0 %; vlan100 without a speed: not available"
near if_in_errors_total ge-0/0/1 5 1 || fail "errors $(metric_field sw1 if_in_errors_total ge-0/0/1 value)/s, want 5"
near if_in_discards_total ge-0/0/1 20 3 || fail "discards $(metric_field sw1 if_in_discards_total ge-0/0/1 value)/s, want 20"
pass "ge-0/0/1: 5 errors/s, 20 discards/s"
status_json | json_check '.devices[] | select(.id == "sw1") | .state == "up"' \
  || fail "sw1 not up: $(status_json | jq -c '.devices[] | select(.id == "sw1") | .reason')"
pass "sw1 up: the disabled interface's points degrade nothing"

# rule METRIC SEVERITY: an alert of RULE on that metric key, pending or firing.
rule_on() { api_get /api/v1/alerts | json_check "any(.alerts[]; .rule == \"$1\" and .device == \"sw1\"
  and .metric == \"$2\" and .severity == \"$3\" and (.state == \"pending\" or .state == \"firing\"))"; }
wait_until 10 "interface-down" rule_on interface-down "if_enabled_oper_state@ge-0/0/2" warning
pass "interface-down: warning for ge-0/0/2"
api_get /api/v1/alerts | json_check 'all(.alerts[]; .metric != "if_enabled_oper_state@vlan100")' \
  || fail "interface-down raised for the disabled vlan100"
pass "no interface-down for the disabled vlan100"
wait_until 10 "interface-utilization" rule_on interface-utilization "if_out_utilization_percent@ge-0/0/1" warning
api_get /api/v1/alerts | json_check 'all(.alerts[]; .metric != "if_in_utilization_percent@ge-0/0/1")' \
  || fail "interface-utilization raised at 50 %"
pass "interface-utilization: warning at 88 % out, none at 50 % in"
wait_until 10 "interface-errors" rule_on interface-errors "if_in_errors_total@ge-0/0/1" warning
wait_until 10 "interface-discards" rule_on interface-discards "if_in_discards_total@ge-0/0/1" warning
pass "interface-errors and interface-discards: warnings for 5 errors/s and 20 discards/s"

stop_dcmond
pass "SIGTERM: clean exit 0"
done_checks
