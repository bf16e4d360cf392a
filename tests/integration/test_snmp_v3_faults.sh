#!/usr/bin/env bash
# SNMPv3 and broken agents end to end (issue 15).  dcmond starts while its v3 agent (a
# real snmpd with an authPriv user) is stopped with SIGSTOP: the case that aborted
# dcmond within 2 s (double free).  It polls the agent as down beside a live device
# that keeps its values, reads it again after SIGCONT, and again after a second
# silence.  An agent answering a value net-snmp cannot parse is "malformed reply", and
# net-snmp's complaint about it is a key=value line of the log: no raw line at all.
source "$(dirname "$0")/lib.sh"

port=$(free_udp_port)
mkdir -p "$T/snmpd/state"
cat >"$T/snmpd/snmpd.conf" <<CONF
agentAddress udp:127.0.0.1:$port
rocommunity public 127.0.0.1
createUser dcmonv3 SHA-256 "auth-pass-123" AES "priv-pass-456"
rouser dcmonv3 priv
CONF
# its persistent state is read back only from its config path (engineBoots grows)
SNMPCONFPATH="$T/snmpd/state" snmpd -f -Lf "$T/snmpd/snmpd.log" -c "$T/snmpd/snmpd.conf" \
  --persistentDir="$T/snmpd/state" >/dev/null 2>&1 &
SNMPD_PID=$!
track "$SNMPD_PID"
# a stopped snmpd would not see the clean-up's SIGTERM
trap 'kill -CONT "$SNMPD_PID" 2>/dev/null; cleanup' EXIT
wait_until 15 "snmpd answering" snmpget -v2c -c public -r 0 -t 0.5 "127.0.0.1:$port" 1.3.6.1.2.1.1.3.0
mem_kb=$(snmpget -v2c -c public -Oqv "127.0.0.1:$port" 1.3.6.1.4.1.2021.4.5.0)
[ "$mem_kb" -gt 0 ] || fail "memTotalReal over v2c: '$mem_kb'"
mem=$((mem_kb * 1024))

# start_bad_agent MODE: tests/peers/snmp_bad_agent.py answering in MODE; sets BAD_PORT.
start_bad_agent() {
  $PY "$DCMON_SOURCE_DIR/tests/peers/snmp_bad_agent.py" "$T/$1.port" "$1" >"$T/$1.log" 2>&1 &
  track $!
  wait_until 10 "$1 agent socket" test -s "$T/$1.port"
  BAD_PORT=$(cat "$T/$1.port")
}
start_bad_agent badtype
badtype_port=$BAD_PORT
start_bad_agent good
good_port=$BAD_PORT

{ daemon_yaml "timeout: 900ms" "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles"; cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: srv-v3
    kind: server
    host: 127.0.0.1
    profile: ucd-snmp
    snmp: {port: $port, version: 3, user: dcmonv3, auth_proto: sha256, auth_pass: "auth-pass-123",
           priv_proto: aes, priv_pass: "priv-pass-456", timeout: 300ms, retries: 1}
  - id: srv-live
    kind: server
    host: 127.0.0.1
    profile: ucd-snmp
    snmp: {port: $good_port, timeout: 300ms, retries: 0}
  - id: srv-badtype
    kind: server
    host: 127.0.0.1
    profile: ucd-snmp
    snmp: {port: $badtype_port, timeout: 300ms, retries: 0}
YAML
chmod 600 "$T/dcmon.yaml" # inline v3 pass phrases

kill -STOP "$SNMPD_PID"
start_dcmond "$T/dcmon.yaml"
v3_polled() { status_json | json_check ".devices[] | select(.id == \"srv-v3\") | .polls >= $1"; }
wait_until 20 "3 polls of srv-v3" v3_polled 3
kill -0 "$DCMOND_PID" || fail "dcmond died with its v3 agent silent"
pass "dcmond polls a v3 agent silent from the start (3 polls, still running)"
metric_is srv-v3 memory_total_bytes "" '.quality == "error" and .reason == "timeout"' \
  || fail "srv-v3 while silent: $(metric_field srv-v3 memory_total_bytes "" reason)"
status_json | json_check '.devices[] | select(.id == "srv-v3") | .state == "unreachable"' \
  || fail "srv-v3 should be unreachable"
pass "the silent agent: unreachable, its points errors with reason timeout"
metric_is srv-live memory_total_bytes "" '.quality == "ok" and .value == 43008' \
  || fail "srv-live: $(metric_field srv-live memory_total_bytes "" reason)"
pass "the live device beside it reads its values (42 kB)"

kill -CONT "$SNMPD_PID"
wait_until 15 "srv-v3 values after SIGCONT" metric_is srv-v3 memory_total_bytes "" \
  ".quality == \"ok\" and .value == $mem"
pass "after SIGCONT the v3 agent's memory_total_bytes reads $mem again"

kill -STOP "$SNMPD_PID"
wait_until 15 "srv-v3 down again" metric_is srv-v3 memory_total_bytes "" \
  '.quality == "error" and .reason == "timeout"'
kill -CONT "$SNMPD_PID"
wait_until 15 "srv-v3 back again" metric_is srv-v3 memory_total_bytes "" \
  ".quality == \"ok\" and .value == $mem"
pass "a second silence: timeout, then values again"

metric_is srv-badtype memory_total_bytes "" \
  '.quality == "error" and (.reason | startswith("malformed reply from the agent"))' \
  || fail "srv-badtype: $(metric_field srv-badtype memory_total_bytes "" reason)"
status_json | json_check '.devices[] | select(.id == "srv-badtype") | .state == "degraded"' \
  || fail "srv-badtype should be degraded (it answers), not unreachable"
pass "an unparsable answer: malformed reply, the device degraded"
[ "$(log_count 'sub=snmp dev=srv-badtype msg="net-snmp: bad type returned (30)"')" -ge 1 ] \
  || fail "no key=value line for net-snmp's complaint"
raw=$(grep -cv '^ts=' "$T/dcmond.log" || true)
[ "$raw" -eq 0 ] || fail "$raw raw lines in the log: $(grep -v '^ts=' "$T/dcmond.log" | head -3)"
pass "net-snmp's complaint is a key=value line; every log line is key=value"

stop_dcmond
done_checks
