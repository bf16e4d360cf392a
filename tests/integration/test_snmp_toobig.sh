#!/usr/bin/env bash
# GETs split on tooBig, against snmpd limited to 600-byte replies (sendMessageMaxSize):
# twelve points asked in one GET whose answer cannot fit; dcmond halves the request
# until each part fits and every point gets its own answer; a value that does not fit
# even alone is that point's error, the others are unaffected.  snmpd's own
# snmpOutTooBigs counter shows it really answered tooBig.
source "$(dirname "$0")/lib.sh"

port=$(free_udp_port)
base=.1.3.6.1.4.1.99999.7
long=$(printf 'x%.0s' $(seq 100))
huge=$(printf 'y%.0s' $(seq 700))
{
  echo "rocommunity public 127.0.0.1"
  echo "[snmp] sendMessageMaxSize 600"
  for i in $(seq 10); do echo "override $base.$i.0 octet_str $long"; done
  echo "override $base.11.0 integer 42"
  echo "override $base.12.0 octet_str $huge"
} >"$T/snmpd.conf"
MIBS= MIBDIRS=/nonexistent snmpd -f -Lf "$T/snmpd.log" -C -c "$T/snmpd.conf" \
  -I override,system_mib,snmp_mib,vacm_conf "udp:127.0.0.1:$port" >/dev/null 2>&1 &
track $!
wait_until 15 "snmpd answering" snmpget -v2c -c public -r 0 -t 0.5 "127.0.0.1:$port" "$base.11.0"
too_bigs() { snmpget -v2c -c public -r 1 -t 2 -Oqv "127.0.0.1:$port" .1.3.6.1.2.1.11.20.0; }
before=$(too_bigs)

mkdir -p "$T/profiles"
{
  echo "name: big"
  echo "transport: snmp"
  echo "points:"
  for i in $(seq 10); do echo "  - {metric: s${i}_volts, oid: ${base#.}.$i, unit: volts}"; done
  echo "  - {metric: n_volts, oid: ${base#.}.11, unit: volts}"
  echo "  - {metric: huge_volts, oid: ${base#.}.12, unit: volts}"
} >"$T/profiles/big.yaml"
{ daemon_yaml "profiles_dir: $T/profiles"; cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: big
    kind: env
    host: 127.0.0.1
    profile: big
    snmp: {port: $port, timeout: 400ms, retries: 0}
YAML
start_dcmond "$T/dcmon.yaml"

wait_until 15 "the integer point" metric_is big n_volts "" '.value == 42 and .quality == "ok"'
pass "n_volts = 42 beside answers too big for one reply"
for i in $(seq 10); do
  metric_is big "s${i}_volts" "" '.reason == "string where a number was expected"' \
    || fail "s${i}_volts: $(metric_field big "s${i}_volts" "" reason)"
done
pass "each of the 10 long strings answered on its own (string where a number was expected)"
metric_is big huge_volts "" '.quality == "error" and (.reason | startswith("tooBig"))' \
  || fail "huge_volts: $(metric_field big huge_volts "" reason)"
pass "a value too big for a reply even alone: its own tooBig error"
after=$(too_bigs)
[ "$after" -gt "$before" ] || fail "snmpd counted no tooBig answers ($before -> $after)"
pass "snmpd answered tooBig $((after - before)) times"
stop_dcmond
done_checks
