#!/usr/bin/env bash
# `dcmon discover` in a network namespace of its own (all its traffic stays there):
# 10.99.0.0/16 is routed to a veth pair that nothing answers on, and some of its
# addresses are local ones: three snmpsim agents (one process, a recording per address:
# a UPS card, a PDU, a switch no profile fits), a real snmpd with an SNMPv3 user, a host that only
# answers ping (and has a TCP port open), and addresses assigned nowhere (dead).
# Checked: the devices found, the profiles proposed and the values of their stanzas,
# which `dcmond --check-config` loads; the progress bar on a terminal (script(1)),
# plain lines when piped, --json parsed, a sweep cut by SIGINT printing what it found,
# SNMPv3, IPv6, devices of one sysName, and what is refused.
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespace)"; exit 77; }
[ -n "${DCMON_NETNS:-}" ] || DCMON_NETNS=1 exec unshare --net "$BASH" "$0" "$@"
source "$(dirname "$0")/lib.sh"

ip link set lo up
ip link add dsc0 type veth peer name dsc1
ip addr add 10.99.0.1/16 dev dsc0
ip link set dsc0 up
ip link set dsc1 up
for a in 9 10 11 12 15 16 17; do ip addr add "10.99.0.$a/32" dev lo; done
# .9 UPS, .10 PDU, .11 switch (snmpsim); .12 ping and TCP only; .13 .14 dead; .15 snmpd v3;
# .16 .17 two UPSs of the same sysName (snmpsim)

# snmpsim in its v2c architecture picks the recording by endpoint: public/<transport id>
SIM_PORT=$(free_udp_port)
mkdir -p "$T/snmprec/public"
i=0
for r in abb-powerscale raritan-px2 switch-ifmib ups-mains ups-mains; do
  cp "$DCMON_SOURCE_DIR/tests/data/snmprec/$r.snmprec" "$T/snmprec/public/1.3.6.1.6.1.1.$i.snmprec"
  i=$((i + 1))
done
chmod -R a+rX "$T/snmprec"
snmpsimd --v2c-arch --data-dir="$T/snmprec" --process-user=nobody --process-group=nogroup \
  --agent-udpv4-endpoint=10.99.0.9:$SIM_PORT --agent-udpv4-endpoint=10.99.0.10:$SIM_PORT \
  --agent-udpv4-endpoint=10.99.0.11:$SIM_PORT --agent-udpv4-endpoint=10.99.0.16:$SIM_PORT \
  --agent-udpv4-endpoint=10.99.0.17:$SIM_PORT >"$T/snmpsim.log" 2>&1 &
track $!
wait_peer 30 snmpsimd $! "$T/snmpsim.log" snmpget -v2c -c public -r 0 -t 0.3 "10.99.0.11:$SIM_PORT" 1.3.6.1.2.1.1.3.0

# snmpd with an authPriv user on .15, on the same port
mkdir -p "$T/snmpd/state"
cat >"$T/snmpd/snmpd.conf" <<CONF
agentAddress udp:10.99.0.15:$SIM_PORT
sysName v3-box
createUser dcmonv3 SHA-256 "auth-pass-123" AES "priv-pass-456"
rouser dcmonv3 priv
CONF
SNMPCONFPATH="$T/snmpd/state" snmpd -f -Lf "$T/snmpd/snmpd.log" -c "$T/snmpd/snmpd.conf" \
  --persistentDir="$T/snmpd/state" >/dev/null 2>&1 &
track $!
V3="user=dcmonv3,auth_proto=sha256,auth_pass=auth-pass-123,priv_proto=aes,priv_pass=priv-pass-456"
wait_until 15 "snmpd answering" snmpget -v3 -l authPriv -u dcmonv3 -a SHA-256 -A auth-pass-123 \
  -x AES -X priv-pass-456 -r 0 -t 0.5 "10.99.0.15:$SIM_PORT" 1.3.6.1.2.1.1.3.0

# tcp_listener ADDR PORT: a TCP service on ADDR (v4 or v6) that accepts and closes.
tcp_listener() {
  $PY - "$1" "$2" >>"$T/listener.log" 2>&1 <<'PYEOF' &
import socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, port)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()
PYEOF
  track $!
  wait_until 10 "TCP listener on $1" $PY -c "import socket; socket.create_connection(('$1', $2), 1).close()"
}
TCP_PORT=$(free_port)
tcp_listener 10.99.0.12 "$TCP_PORT"   # on the ping-only host

DISC=("$DCMON" discover --snmp-port "$SIM_PORT" --ports "$TCP_PORT,9" --timeout 1000
      --profiles "$DCMON_SOURCE_DIR/etc/profiles")

# 1. piped: plain lines, then the stanzas.  .9-.14 holds the agents, the ping-only host
# and two dead addresses.
"${DISC[@]}" 10.99.0.9-14 >"$T/plain.out" 2>"$T/plain.err" || fail "discover: $(cat "$T/plain.err")"
cat "$T/plain.out"
grep -q $'\033' "$T/plain.out" && fail "terminal escapes in piped output"
found() { grep -E "^# found $1:" "$T/plain.out"; }
assert_eq "$(grep -c '^# found ' "$T/plain.out")" 4 "four addresses answer"
found 10.99.0.9 | grep -q "snmp .* profile ups-rfc1628+host-resources$" || fail "UPS line: $(found 10.99.0.9)"
found 10.99.0.10 | grep -q "snmp - (1.3.6.1.4.1.13742.6) profile raritan-px2$" || fail "PDU line: $(found 10.99.0.10)"
found 10.99.0.11 | grep -q "snmp - (1.3.6.1.4.1.99999.3) profile none$" || fail "switch line: $(found 10.99.0.11)"
found 10.99.0.12 | grep -qE "^# found 10.99.0.12: ping [0-9.]+ ms, tcp $TCP_PORT$" ||
  fail "ping-only line: $(found 10.99.0.12)"
found 10.99.0.13 && fail "a dead address found"
grep -q "^# swept 6 of 6 addresses of 10.99.0.9-14 in [0-9.]* s: 4 found, 3 with SNMP$" "$T/plain.out" ||
  fail "summary line"
pass "piped: one plain line per device found and a summary"

# the stanzas: values, and they load
# stanza_of HOST: the stanza whose host is HOST
stanza_of() {
  awk -v host="$1" '
    /^  - id: /  { if (hit) printf "%s", buf; buf = $0 "\n"; hit = 0; on = 1; next }
    on && /^    / { buf = buf $0 "\n"; if ($0 == "    host: " host) hit = 1; next }
    { if (hit) printf "%s", buf; hit = 0; on = 0 }
    END { if (hit) printf "%s", buf }' "$T/plain.out"
}
stanza_of 10.99.0.9 >"$T/ups.yaml"
cat "$T/ups.yaml"
grep -q "^    profile: ups-rfc1628+host-resources$" "$T/ups.yaml" || fail "UPS stanza profile"
grep -q "^    snmp: {version: 2c, community: \"public\", port: $SIM_PORT}$" "$T/ups.yaml" || fail "UPS stanza snmp"
grep -q "^      ping: true$" "$T/ups.yaml" || fail "UPS stanza ping"
grep -q "^    description: \"" "$T/ups.yaml" || fail "UPS stanza description (sysDescr)"
stanza_of 10.99.0.10 >"$T/pdu.yaml"
grep -q "^    profile: raritan-px2$" "$T/pdu.yaml" || fail "PDU stanza profile"
grep -q '^    description: "PX2 030400"$' "$T/pdu.yaml" || fail "PDU stanza description"
# an agent no profile fits: said, and no snmp: section that would fail every poll
grep -q "^  # SNMP answers, not polled: no profile fits this agent (sysObjectID 1.3.6.1.4.1.99999.3)$" \
  "$T/plain.out" || fail "no comment for the agent no profile fits"
stanza_of 10.99.0.11 >"$T/switch.yaml"
grep -q "snmp:\|profile:" "$T/switch.yaml" && fail "snmp section for an agent no profile fits"
stanza_of 10.99.0.12 >"$T/ping.yaml"
assert_eq "$(cat "$T/ping.yaml")" "  - id: 10.99.0.12
    host: 10.99.0.12
    checks:
      ping: true
      tcp: [$TCP_PORT]" "ping-only stanza"
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles"; sed -n '/^devices:$/,$p' "$T/plain.out"; } >"$T/dcmon.yaml"
chmod 600 "$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >"$T/check.out" 2>&1 || fail "check-config: $(cat "$T/check.out")"
pass "stanzas hold the values found and load with dcmond --check-config"

# 2. --json, a CIDR
"${DISC[@]}" --json 10.99.0.8/29 >"$T/disc.json" 2>"$T/json.err" || fail "discover --json: $(cat "$T/json.err")"
$PY - "$T/disc.json" "$TCP_PORT" <<'PYEOF' || fail "json"
import json, sys
d = json.load(open(sys.argv[1])); port = int(sys.argv[2])
assert d["addresses"] == 6 and d["swept"] == 6 and not d["interrupted"], d
by = {x["address"]: x for x in d["devices"]}
assert sorted(by) == ["10.99.0.10", "10.99.0.11", "10.99.0.12", "10.99.0.9"], sorted(by)
ups = by["10.99.0.9"]
assert ups["ping"] and ups["snmp"] and ups["rtt_ms"] >= 0, ups
assert ups["snmp_info"]["profile"] == "ups-rfc1628+host-resources", ups
assert ups["snmp_info"]["sys_object_id"].startswith("1.3.6.1."), ups
assert "profile: ups-rfc1628+host-resources\n" in ups["stanza"], ups["stanza"]
assert by["10.99.0.12"]["tcp_open"] == [port] and not by["10.99.0.12"]["snmp"], by["10.99.0.12"]
print("json ok")
PYEOF
pass "--json: the same devices, profiles and stanzas, machine-readable"

# 3. on a terminal: the progress bar (done/total, rate, ETA, found) redrawn in place
TERM=xterm script -qfec "${DISC[*]} 10.99.0.9-14" /dev/null >"$T/tty.out" 2>&1 || fail "discover on a pty"
grep -aqE $'\\[[#.]{24}\\] [0-9]+/6 +[0-9]+%  [0-9]+/s  ETA [^ ]+  found [0-9]+ \\(snmp [0-9]+\\)' "$T/tty.out" ||
  fail "no progress bar: $(tr '\r\033' '|~' <"$T/tty.out" | head -c 600)"
grep -aq $'\r\033\\[K' "$T/tty.out" || fail "the bar is not redrawn in place"
grep -aq "# swept 6 of 6 addresses" "$T/tty.out" || fail "summary on the terminal"
pass "terminal: progress bar with count, rate, ETA and finds"

# 4. SIGINT mid-sweep: what was found so far is printed.  A /22 of mostly dead
# addresses, 4 at a time, 1 s each, takes minutes; the agents come first.
"${DISC[@]}" --concurrency 4 10.99.0.9-10.99.3.254 >"$T/int.out" 2>"$T/int.err" &
pid=$!
wait_until 30 "the agents found" grep -q "^# found 10.99.0.11:" "$T/int.out"
kill -INT $pid
rc=0; wait $pid || rc=$?
cat "$T/int.out"
assert_eq "$rc" 1 "exit code after SIGINT"
grep -qE "^# interrupted: swept [0-9]+ of 1014 addresses" "$T/int.out" || fail "no interrupted summary"
grep -q "^    host: 10.99.0.9$" "$T/int.out" || fail "UPS stanza missing after SIGINT"
grep -q "^    host: 10.99.0.11$" "$T/int.out" || fail "switch stanza missing after SIGINT"
# the bound: the addresses asked are the first swept + 4 (.15 .16 .17 answer ping at
# once, so an unbounded sweep would have found them)
swept=$(sed -n 's/^# interrupted: swept \([0-9]*\) of .*/\1/p' "$T/int.out")
for a in $(sed -n 's/^# found 10\.99\.0\.\([0-9]*\):.*/\1/p' "$T/int.out"); do
  [ $((a - 9)) -lt $((swept + 4)) ] || fail "10.99.0.$a asked with $swept done and --concurrency 4"
done
pass "SIGINT: the sweep stops and prints what it found, with at most 4 addresses in flight"

# 5. SNMPv3 with the config's keys
"$DCMON" discover --snmp-port "$SIM_PORT" --timeout 1000 --profiles "$DCMON_SOURCE_DIR/etc/profiles" \
  --v3 "$V3" 10.99.0.15 >"$T/v3.out" 2>"$T/v3.err" || fail "discover --v3: $(cat "$T/v3.err")"
cat "$T/v3.out"
grep -q "^  - id: v3-box$" "$T/v3.out" || fail "v3 device id from sysName"
grep -q "^    snmp: {version: 3, user: \"dcmonv3\", auth_proto: sha256, auth_pass: \"auth-pass-123\", priv_proto: aes, priv_pass: \"priv-pass-456\", port: $SIM_PORT}$" \
  "$T/v3.out" || fail "v3 snmp section"
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles"; sed -n '/^devices:$/,$p' "$T/v3.out"; } >"$T/v3.yaml"
chmod 600 "$T/v3.yaml"
"$DCMOND" --check-config "$T/v3.yaml" >"$T/check3.out" 2>&1 || fail "check-config v3: $(cat "$T/check3.out")"
pass "SNMPv3: found with the user's keys, and loads"

# 6. two devices of one sysName: the second id gets its address, and both load
"${DISC[@]}" 10.99.0.16-17 >"$T/twins.out" 2>"$T/twins.err" || fail "discover twins: $(cat "$T/twins.err")"
cat "$T/twins.out"
assert_eq "$(grep -E '^  - id: ' "$T/twins.out" | tr '\n' ' ')" "  - id: ups-mains   - id: ups-mains-10.99.0.17 " \
  "ids of two devices named ups-mains"
assert_eq "$(grep -c '^    profile: ups-rfc1628$' "$T/twins.out")" 2 "both UPSs get the UPS-MIB profile"
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles"; sed -n '/^devices:$/,$p' "$T/twins.out"; } >"$T/twins.yaml"
chmod 600 "$T/twins.yaml"
"$DCMOND" --check-config "$T/twins.yaml" >"$T/check2.out" 2>&1 || fail "check-config twins: $(cat "$T/check2.out")"
pass "devices of one sysName get distinct ids"

# 7. IPv6: a /126 where one address answers ping and has the TCP port open
ip -6 addr add fd00:99::1/64 dev dsc0 nodad
ip -6 addr add fd00:99::9/128 dev lo nodad
tcp_listener fd00:99::9 "$TCP_PORT"
"${DISC[@]}" fd00:99::8/126 >"$T/v6.out" 2>"$T/v6.err" || fail "discover IPv6: $(cat "$T/v6.err")"
cat "$T/v6.out"
grep -qE "^# found fd00:99::9: ping [0-9.]+ ms, tcp $TCP_PORT$" "$T/v6.out" || fail "IPv6 host"
grep -q "^# swept 4 of 4 addresses of fd00:99::8/126 .*: 1 found, 0 with SNMP$" "$T/v6.out" || fail "IPv6 summary"
grep -q "^  - id: fd00-99--9$" "$T/v6.out" || fail "IPv6 id"
{ daemon_yaml; sed -n '/^devices:$/,$p' "$T/v6.out"; } >"$T/v6.yaml"
chmod 600 "$T/v6.yaml"
"$DCMOND" --check-config "$T/v6.yaml" >"$T/check6.out" 2>&1 || fail "check-config IPv6: $(cat "$T/check6.out")"
pass "IPv6 prefix: ping and TCP found, the stanza loads"

# 8. ranges refused
"$DCMON" discover 10.0.0.0/16 >/dev/null 2>"$T/big.err" && fail "a /16 swept without --large"
grep -q "10.0.0.0/16 holds 65534 addresses, more than 1024 (--large allows up to 65536)" "$T/big.err" ||
  fail "big range message: $(cat "$T/big.err")"
"$DCMON" discover 10.0.0.9-3 >/dev/null 2>"$T/back.err" && fail "a backwards range accepted"
grep -q "ends before it starts" "$T/back.err" || fail "backwards message: $(cat "$T/back.err")"
mkdir -p "$T/noprofiles"
"$DCMON" discover --profiles "$T/noprofiles" 10.99.0.9 >/dev/null 2>"$T/noprof.err" && fail "swept without profiles"
grep -q "no SNMP profile in $T/noprofiles (--profiles DIR)" "$T/noprof.err" || fail "no-profile message: $(cat "$T/noprof.err")"
pass "huge and backwards ranges, and a directory without profiles, are refused with a reason"
done_checks
