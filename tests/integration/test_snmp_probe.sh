#!/usr/bin/env bash
# `dcmon probe snmp` against snmpsim serving a UPS card that runs net-snmp (the ABB
# PowerScale recording, tests/data/snmprec/abb-powerscale.source): every SNMP profile
# is polled once and listed with the points the agent answers; the profiles that do not
# fit say so; the stanza names the UPS and host profiles that probing selects.  Vendor
# profiles picked by sysObjectID are selected for recordings of their devices.  A
# wrong option is a usage error.
source "$(dirname "$0")/lib.sh"

start_snmpsim 127.0.0.1 ups-mains abb-powerscale eaton-epdu-ma cyberpower-pdu81005 cisco-c9500h
"$DCMON" probe snmp "127.0.0.1:$SIM_PORT" --community abb-powerscale \
  --profiles "$DCMON_SOURCE_DIR/etc/profiles" --timeout 1000 >"$T/probe.out" 2>"$T/probe.err" ||
  fail "probe failed: $(cat "$T/probe.err")"
cat "$T/probe.out"
line() { grep -E "^$1 " "$T/probe.out" | tr -s ' '; }
assert_eq "$(line ups-rfc1628)" "ups-rfc1628 18 of 26 points answer" "UPS points answered"
assert_eq "$(line host-resources)" "host-resources 2 of 10 points answer" "host points answered"
assert_eq "$(line apc-rpdu2)" \
  "apc-rpdu2 0 of 17 points answer profile apc-rpdu2 does not fit this agent: 17 of 17 points unanswered" \
  "a PDU profile does not fit a UPS"
grep -q "^    profile: ups-rfc1628+host-resources$" "$T/probe.out" || fail "stanza profile"
grep -q "^    snmp: {version: 2c, community: abb-powerscale, port: $SIM_PORT}$" "$T/probe.out" ||
  fail "stanza snmp"
pass "stanza names UPS and host profiles"

# RECORDING PROFILE: probing the recording selects PROFILE by its sysObjectID alone.
selected_by_id() {
  "$DCMON" probe snmp "127.0.0.1:$SIM_PORT" --community "$1" \
    --profiles "$DCMON_SOURCE_DIR/etc/profiles" --timeout 2000 >"$T/$1.out" 2>"$T/$1.err" ||
    fail "probe of $1 failed: $(cat "$T/$1.err")"
  grep -q "^    profile: $2$" "$T/$1.out" ||
    fail "$1: want profile $2, got: $(grep -E '^(#|    profile:)' "$T/$1.out")"
}
selected_by_id eaton-epdu-ma eaton-epdu                  # .534.6.6.7
selected_by_id cyberpower-pdu81005 cyberpower-pdu        # .3808.1.1.6
selected_by_id cisco-c9500h cisco-entity-sensor          # .9.1.2688
pass "eaton-epdu, cyberpower-pdu and cisco-entity-sensor selected by sysObjectID"

"$DCMON" probe snmp "127.0.0.1:$SIM_PORT" --colour red >"$T/bad.out" 2>"$T/bad.err" && fail "bad option accepted"
grep -q "dcmon probe snmp: bad option --colour red" "$T/bad.err" || fail "usage: $(cat "$T/bad.err")"
pass "bad option is a usage error"
done_checks
