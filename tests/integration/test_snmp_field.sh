#!/usr/bin/env bash
# dcmond against an agent recorded from a real UPS card (ABB PowerScale, net-snmp,
# tests/data/snmprec/abb-powerscale.source) and a profile that does not fit: the card's
# optional UPS-MIB objects are "not supported by this agent" and the device stays up,
# healthy and alert-free (no alarm table is not an all-clear); read as UPS + host
# (profile: ups-rfc1628+host-resources) the default UPS rules apply; a PDU profile on
# a UPS says so in `dcmon status` and the device API.
source "$(dirname "$0")/lib.sh"

start_snmpsim 127.0.0.1 ups-mains abb-powerscale
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles"
  cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: ups-abb
    kind: ups
    host: 127.0.0.1
    profile: ups-rfc1628+host-resources
    snmp: {port: $SIM_PORT, community: abb-powerscale, timeout: 300ms, retries: 0}
  - id: ups-wrong
    kind: ups
    host: 127.0.0.1
    profile: apc-rpdu2
    snmp: {port: $SIM_PORT, community: ups-mains, timeout: 300ms, retries: 0}
YAML
chmod 600 "$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects profile a+b"
start_dcmond "$T/dcmon.yaml"

wait_until 15 "ups-abb runtime" metric_is ups-abb battery_runtime_seconds "" '.value == 27120 and .quality == "ok"'
wait_polls ups-abb 2
dev_field() { status_json | jq -r --arg d "$1" --arg f "$2" '.devices[] | select(.id == $d) | .[$f]'; }
assert_eq "$(dev_field ups-abb state)" up "ups-abb state"
assert_eq "$(dev_field ups-abb health)" ok "ups-abb health"
assert_eq "$(metric_field ups-abb input_line_bads_total "" reason)" "not supported by this agent" \
  "upsInputLineBads"
assert_eq "$(metric_field ups-abb alarm_active_state on_battery quality)" error "alarm without a table"
assert_eq "$(metric_field ups-abb memory_total_bytes "" reason)" "no rows to aggregate" \
  "memory of an agent without hrStorage"
assert_eq "$(metric_field ups-abb cpu_used_percent "" value)" 17 "host part of ups-abb"
api_get /api/v1/alerts | json_check 'all(.alerts[]; .device != "ups-abb")' ||
  fail "alerts on a healthy UPS: $(api_get /api/v1/alerts)"
pass "no alert on ups-abb"

misfit="profile apc-rpdu2 does not fit this agent: 17 of 17 points unanswered"
wait_until 15 "ups-wrong degraded" eval '[ "$(dev_field ups-wrong state)" = degraded ]'
reason=$(api_get /api/v1/devices/ups-wrong | jq -r '.device.health_reason // empty')
case $reason in *"$misfit"*) pass "device API: $reason" ;; *) fail "device API reason: '$reason'" ;; esac
"$DCMON" status --device ups-wrong -v >"$T/status.txt" || true
grep -F "$misfit" "$T/status.txt" >/dev/null || fail "dcmon status: $(cat "$T/status.txt")"
pass "dcmon status names the profile that does not fit"
stop_dcmond
done_checks
