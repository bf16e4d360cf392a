#!/usr/bin/env bash
# SNMP traps as events decoded with MIB modules, and log rules on traps and structured
# fields, against net-snmp's snmptrap(1):
#  - a linkDown trap's varbinds are fields named by IF-MIB (ifOperStatus.2, the column's
#    instance kept), its enumerated integers decoded (down(2)), the trap named by its
#    NOTIFICATION-TYPE; an OID no MIB names keeps its number;
#  - a notification of DCMON-MIB (mibs/, the module dcmon ships) decoded the same way;
#  - a count-window log rule on linkDown traps whose ifOperStatus is down fires the
#    engine's rule at its second trap (a linkDown with another ifOperStatus, a syslog
#    line naming linkDown, count nothing) and a linkUp trap clears it; with `instance:
#    ifIndex` a linkUp ends its own interface's linkDowns only (one naming none ends
#    all); a field by its enumerated number, an RFC 5424 SD param;
#  - config errors at file:line:col: a rule's unknown key, a bad kind, a NOC rule's
#    device that does not exist; a trap name no MIB read defines is a warning.
# The IETF modules are stand-ins written for the tests (tests/data/mibs/): Debian ships
# the real ones only in non-free snmp-mibs-downloader.
. "$(dirname "$0")/lib.sh"
command -v snmptrap >/dev/null || { echo "snmptrap not installed (scripts/install-deps.sh)"; exit 77; }

UDP=$(free_udp_port); TRAP=$(free_udp_port)
MIBS="[$DCMON_SOURCE_DIR/mibs, $DCMON_SOURCE_DIR/tests/data/mibs, /usr/share/snmp/mibs]"
IF=1.3.6.1.2.1.2.2.1      # ifEntry
DCMON_MIB=1.3.6.1.4.1.8072.9999.9999.3266  # dcmonMIB

# receivers_yaml: the daemon: block with the trap receiver and the syslog receiver, up
# to the rules: of the latter
receivers_yaml() {
  daemon_yaml
  cat <<EOF
  snmp_trap:
    listen: 127.0.0.1
    port: $TRAP
    communities: [public]
    source_rate: 1000
    mibs: $MIBS
  syslog:
    listen: 127.0.0.1
    udp_port: $UDP
    rules:
EOF
}

# ---- config errors -------------------------------------------------------------------
# check FILE: dcmond -t on a config whose syslog: rules (and more) come from stdin
check() {
  { receivers_yaml; cat; } >"$T/$1"
  rc=0; "$DCMOND" -t -c "$T/$1" >"$T/$1.out" 2>&1 || rc=$?
}
check bad.yaml <<EOF
      - name: typo
        trap: linkDown
        feilds: {ifOperStatus: down}
      - name: badkind
        kind: mail
        match: x
      - name: nodev
        trap: linkDown
        devices: [sw-1, sw-9]
      - name: noclear
        trap: linkDown
        instance: ifIndex
devices:
  - {id: sw-1, kind: switch, host: 127.0.0.1}
EOF
assert_eq "$rc" 1 "bad log rules are refused"
grep -qF "bad.yaml:18:9: error: unknown key 'feilds'" "$T/bad.yaml.out" || fail "unknown key: $(cat "$T/bad.yaml.out")"
grep -qF "bad.yaml:20:15: error: kind: " "$T/bad.yaml.out" || fail "bad kind: $(cat "$T/bad.yaml.out")"
grep -qF "bad.yaml:24:25: error: devices: unknown device 'sw-9'" "$T/bad.yaml.out" ||
  fail "unknown device: $(cat "$T/bad.yaml.out")"
grep -qF "bad.yaml:27:19: error: syslog rule noclear: instance: names what a clearing event ends; give clear too" \
  "$T/bad.yaml.out" || fail "instance without clear: $(cat "$T/bad.yaml.out")"
assert_eq "$(grep -c 'error' "$T/bad.yaml.out")" 4 "four errors, and no trap-name complaint: IF-MIB defines linkDown"
pass "log rules: an unknown key, a bad kind, a device that does not exist, instance without clear: errors at file:line:col"
check warn.yaml <<EOF
      - name: typo
        trap: linkDwn
      - name: numeric
        trap: 1.3.6.1.6.3.1.1.5.3
EOF
assert_eq "$rc" 0 "a trap name no MIB defines is only a warning"
grep -qF "warn.yaml:17:15: warning: syslog rule typo: trap: no MIB module read defines a notification 'linkDwn'" \
  "$T/warn.yaml.out" || fail "trap name warning: $(cat "$T/warn.yaml.out")"
assert_eq "$(grep -c 'warning' "$T/warn.yaml.out")" 1 "a numeric OID needs no MIB"
pass "a trap name no MIB read defines: a warning at file:line:col"

# ---- the daemon ----------------------------------------------------------------------
{
  receivers_yaml
  cat <<EOF
      - name: link-down
        trap: linkDown
        fields: {ifOperStatus: down}
        window: 10m
        clear: linkUp
      - name: link-down-by-if
        trap: linkDown
        fields: {ifOperStatus: down}
        window: 10m
        clear: linkUp
        instance: ifIndex
      - name: oper-2
        fields: {ifOperStatus.2: 2}
      - name: sd-origin
        kind: syslog
        fields: {origin@32473.ip: 10.9.9.9}
rules:
  - name: links-down
    match: {metric: log_matches_count, inst: link-down}
    above: {warn: 1}
    summary: two or more interfaces went down
  - name: any-link-down
    match: {metric: log_matches_count, inst: link-down-by-if}
    above: {warn: 0}
    summary: an interface is down
devices:
  - {id: sw-1, kind: switch, host: 127.0.0.1}
EOF
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

search() { api_get "/api/v1/events/search?kind=trap&$1" | jq -r "$2"; }
traps() { search "limit=100" '.events | length'; }
wait_traps() { want=$1; has() { [ "$(traps)" -ge "$want" ]; }; wait_until 10 "$want trap event(s)" has; }
trap_v2() { snmptrap -v2c -c public "127.0.0.1:$TRAP" '' "$@"; }
# link N INDEX ADMIN OPER [VARBIND...]: linkDown (N 3) or linkUp (4) of interface INDEX
link() { trap_v2 "1.3.6.1.6.3.1.1.5.$1" "$IF.1.$2" i "$2" "$IF.7.$2" i "$3" "$IF.8.$2" i "$4" "${@:5}"; }
count() { api_get "/api/v1/metrics?device=sw-1&name=log_matches_count&inst=${1:-link-down}" | jq '.metrics[0].value'; }

# ---- a linkDown trap, decoded with IF-MIB ----------------------------------------------
link 3 2 1 2 1.3.6.1.4.1.99999.1.0 s "vendor text"
wait_traps 1
first=$(search "limit=1" '.events[0]')
assert_eq "$(jq -r '.program + " " + .msgid + " " + .device' <<<"$first")" \
  "linkDown 1.3.6.1.6.3.1.1.5.3 sw-1" "trap named by its NOTIFICATION-TYPE, its OID kept"
assert_eq "$(jq -r '.fields["ifIndex.2"] + " " + .fields["ifAdminStatus.2"] + " " + .fields["ifOperStatus.2"]' <<<"$first")" \
  "2 up(1) down(2)" "varbinds named by IF-MIB, the instance kept, enumerations decoded"
assert_eq "$(jq -r '.fields["1.3.6.1.4.1.99999.1.0"]' <<<"$first")" "vendor text" "an OID no MIB names keeps its number"
assert_eq "$(jq -r '.fields | has("snmpTrapOID")' <<<"$first")" true "a scalar's .0 left out (snmpTrapOID.0)"
assert_eq "$(jq -r '.message' <<<"$first")" \
  "linkDown sysUpTime=$(jq -r '.fields.sysUpTime' <<<"$first") snmpTrapOID=1.3.6.1.6.3.1.1.5.3 ifIndex.2=2 ifAdminStatus.2=up(1) ifOperStatus.2=down(2) 1.3.6.1.4.1.99999.1.0=vendor text" \
  "the message names the trap and its decoded varbinds"
assert_eq "$(count)" 1 "the rule counts the linkDown whose ifOperStatus is down"

# ---- a notification of DCMON-MIB, the module dcmon ships -------------------------------
trap_v2 "$DCMON_MIB.0.1" "$DCMON_MIB.1.2.1.2.7" s ups-1 "$DCMON_MIB.1.2.1.5.7" i 3 "$DCMON_MIB.1.2.1.6.7" i 2
wait_traps 2
dc=$(search "limit=1" '.events[0]')
assert_eq "$(jq -r '.program' <<<"$dc")" dcmonAlertRaised "DCMON-MIB: notification name"
assert_eq "$(jq -r '.fields["dcmonAlertDevice.7"] + " " + .fields["dcmonAlertSeverity.7"] + " " + .fields["dcmonAlertState.7"]' <<<"$dc")" \
  "ups-1 critical(3) firing(2)" "DCMON-MIB: varbinds named, textual conventions' enumerations decoded"

# ---- the log rule: counted in its window, fired through the engine, cleared by linkUp --
link 3 3 1 1                                                   # linkDown, ifOperStatus up
logger -n 127.0.0.1 -P "$UDP" -d --rfc5424 -t linkDown "linkDown ifOperStatus=down"  # not a trap
wait_traps 3
line_stored() { [ "$(api_get "/api/v1/events/search?kind=syslog&text=linkDown" | jq '.events | length')" -ge 1 ]; }
wait_until 10 "the syslog line stored" line_stored
assert_eq "$(count)" 1 "a linkDown with ifOperStatus up and a syslog line count nothing"
assert_eq "$(alerts_json --all | jq '[.alerts[] | select(.rule == "links-down")] | length')" 0 "one linkDown: no alert"
link 3 4 1 2
wait_until 10 "links-down firing" alert_is links-down '.state == "firing" and .device == "sw-1"'
assert_eq "$(count)" 2 "a second linkDown within the window"
pass "a count-window rule on linkDown traps fires the engine's rule"
link 4 4 1 1
wait_until 10 "links-down resolved" alert_is links-down '.state == "resolved"'
assert_eq "$(count)" 0 "a linkUp trap clears the count"
pass "a linkUp trap clears it"
# instance: ifIndex: a linkUp ends the linkDowns of its own interface only
assert_eq "$(count link-down-by-if)" 1 "by interface: interface 2 still down after interface 4's linkUp"
assert_eq "$(alerts_json --all | jq -r '[.alerts[] | select(.rule == "any-link-down")] | map(.state) | join(",")')" firing \
  "by interface: its alert still firing"
link 4 2 1 1
wait_until 10 "any-link-down resolved" alert_is any-link-down '.state == "resolved"'
assert_eq "$(count link-down-by-if)" 0 "by interface: interface 2's linkUp ends the last"
link 3 5 1 2
wait_until 10 "interface 5 counted" eval '[ "$(count link-down-by-if)" = 1 ]'
trap_v2 1.3.6.1.6.3.1.1.5.4                                     # a linkUp naming no interface
wait_until 10 "a linkUp without ifIndex clears" eval '[ "$(count link-down-by-if)" = 0 ]'
pass "instance: a clearing trap ends its own interface's count; one naming none ends all"
assert_eq "$(count oper-2)" 1 "an enumerated field by its number, of one instance (ifOperStatus.2: 2)"

# ---- structured fields of a syslog line (RFC 5424 SD params) ---------------------------
sd() { logger -n 127.0.0.1 -P "$UDP" -d --rfc5424 --sd-id origin@32473 --sd-param "ip=\"$1\"" -t app "from $1"; }
sd 10.9.9.9; sd 10.1.1.1
sd_stored() { [ "$(api_get "/api/v1/events/search?kind=syslog&text=from&limit=10" | jq '.events | length')" -ge 2 ]; }
wait_until 10 "two SD lines stored" sd_stored
assert_eq "$(count sd-origin)" 1 "a rule on an SD param counts the line that holds its value only"

kill -0 "$DCMOND_PID" || fail "dcmond died"
stop_dcmond
done_checks
