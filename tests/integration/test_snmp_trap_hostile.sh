#!/usr/bin/env bash
# Traps from a hostile network, sent with net-snmp's snmptrap / snmpinform and a flood
# peer (tests/peers/trap_flood.py) to dcmond; two UPSs on snmpsim polled once an hour
# (only the re-polls traps ask for read them) and an SMTP sink (aiosmtpd):
#  - a receiver without a listen address or without credentials is a config error;
#  - a trap from an address of no device is counted (dcmond's trap_dropped_count) and
#    ignored, and told in a summary line, not one line per trap;
#  - a forged "on battery" trap from the address of a UPS whose poll says on mains
#    raises nothing and mails nothing; a UPS really on battery still mails;
#  - an inform with a wrong community gets no answer (snmpinform times out), one with
#    the right community is answered;
#  - a flood of 5,000 traps from one UPS's address: its polls stay within one re-poll
#    per hold-off, the log has a few summary lines, not thousands;
#  - after a reload (SIGHUP) the receiver still checks credentials.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/email_lib.sh"

HOLD_S=2 # repoll_min_interval
RATE=50  # source_rate

# ---- config errors -----------------------------------------------------------------
# check_errors YAML PATTERN...: --check-config on a daemon section ending in YAML exits
# 1 with an error matching each PATTERN.
check_errors() {
  local body=$1 rc=0 want; shift
  printf 'daemon:\n  data_dir: %s/data\n%s\n' "$T" "$body" >"$T/dcmon.yaml"
  "$DCMOND" --check-config "$T/dcmon.yaml" 2>"$T/check.err" || rc=$?
  [ "$rc" -eq 1 ] || fail "check-config exit code $rc for: $body"
  for want in "$@"; do
    grep -q "$want" "$T/check.err" || fail "no error like '$want': $(cat "$T/check.err")"
  done
}
check_errors '  snmp_trap:
    port: 1162' \
  "dcmon.yaml:4:5: error: snmp_trap: listen is required" \
  "dcmon.yaml:4:5: error: snmp_trap: no communities and no users"
pass "snmp_trap without listen or credentials: errors at dcmon.yaml:4:5"
check_errors '  snmp_trap: {listen: 127.0.0.1, communities: [c], source_rate: 0,
              repoll_min_interval: 10ms}' \
  "dcmon.yaml:3:65: error: source_rate: 0 is out of range 1..100000" \
  "dcmon.yaml:4:36: error: repoll_min_interval: 10ms is out of range 1s..1h"
check_errors '  snmp_trap: {listen: traps.example, communities: [c]}' \
  "dcmon.yaml:3:14: error: snmp_trap: listen: expected a numeric IPv4 or IPv6 address"
pass "snmp_trap: source_rate 0, repoll_min_interval 10ms, a host name as listen: errors at their positions"

# ---- the site ----------------------------------------------------------------------
SIM_ADDRS=127.0.0.3 start_snmpsim 127.0.0.2 ups-mains ups-battery
smtp_port=$(free_port)
trap_port=$(free_udp_port)
start_sink "$T/mail" "$smtp_port"
{
  daemon_block "$smtp_port"
  cat <<YAML
  snmp_trap: {listen: 127.0.0.1, port: $trap_port, communities: [dcmon-traps],
              source_rate: $RATE, repoll_min_interval: ${HOLD_S}s, summary_interval: 1s}
teams:
  - {id: facility, email: [facility@dc.example]}
devices:
  - id: ups-mains
    kind: ups
    host: 127.0.0.2
    profile: ups-rfc1628
    interval: 1h
    timeout: 2s
    snmp: {port: $SIM_PORT, community: ups-mains, timeout: 300ms, retries: 0}
  - id: ups-bat
    kind: ups
    host: 127.0.0.3
    profile: ups-rfc1628
    interval: 1h
    timeout: 2s
    snmp: {port: $SIM_PORT, community: ups-battery, timeout: 300ms, retries: 0}
routes:
  - {name: facility, teams: [facility], group_wait: 0s}
YAML
} >"$T/dcmon.yaml"
chmod 600 "$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

# trap FROM TRAP-OID [VARBINDS...]: one v2c trap with the right community from FROM.
trap_from() {
  local from=$1; shift
  snmptrap -v2c -c dcmon-traps --clientaddr="$from" 127.0.0.1:$trap_port '' "$@" \
    || fail "snmptrap from $from failed"
}
# dropped REASON: dcmond's trap_dropped_count for REASON ("" when not published).
dropped() {
  api_get "/api/v1/metrics?device=dcmond&name=trap_dropped_count&inst=$1" \
    | jq -r '.metrics[0].value // empty'
}
dropped_is() { [ "$(dropped "$1")" = "$2" ]; }
received() {
  api_get "/api/v1/metrics?device=dcmond&name=trap_received_count" | jq -r '.metrics[0].value // empty'
}
# (the API, not `dcmon status`: that exits 3 while ups-bat was never polled)
polls_of() { api_get "/api/v1/devices/$1" | jq '.device.polls'; }
# metric_ok DEVICE NAME JQ-PREDICATE: the device's (single) metric NAME satisfies it.
metric_ok() {
  api_get "/api/v1/metrics?device=$1&name=$2" | json_check "(.metrics | length) == 1 and (.metrics[0] | $3)"
}
# trap_lines: what the receiver logged at info and above (the test runs dcmond at debug)
trap_lines() { grep -cE 'level=(info|warn|error) sub=snmp_trap' "$T/dcmond.log" || true; }
# summed_drops: traps over the rate limit, summed over the summary lines
summed_drops() {
  grep -o 'traps dropped in the last [0-9]*s: [0-9]* over the rate limit' "$T/dcmond.log" \
    | awk '{s += $7} END {print s + 0}'
}
# mail_about DEVICE: messages recorded that name DEVICE.
mail_about() { count_to "$T/mail" facility@dc.example ".data | test(\"$1\")"; }

wait_until 10 "trap self-metrics published" dropped_is unknown_source 0

# ---- an address of no device -------------------------------------------------------
lines0=$(trap_lines)
trap_from 127.0.0.5 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.2.0 i 30
wait_until 10 "trap from 127.0.0.5 counted" dropped_is unknown_source 1
wait_until 10 "summary line for 127.0.0.5" \
  grep -q 'traps dropped in the last [0-9]*s: 1 from an address of no device (last from 127.0.0.5)' "$T/dcmond.log"
assert_eq "$(($(trap_lines) - lines0))" 1 "snmp_trap log lines for the trap from 127.0.0.5 (the summary)"
metric_ok ups-mains trap_last_state 'true' && fail "ups-mains took a trap from 127.0.0.5"
pass "trap from 127.0.0.5 (no device's address): counted, ignored, one summary line"

# ---- a forged on-battery trap for the UPS on mains ---------------------------------
# a neutral trap (coldStart) first: its poll reads the UPS on mains
trap_from 127.0.0.2 1.3.6.1.6.3.1.1.5.1
wait_until 10 "ups-mains polled after coldStart" metric_ok ups-mains output_source_state \
  '.value_name == "normal" and .quality == "ok"'
sent_ms=$(date +%s%3N)
trap_from 127.0.0.2 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.2.0 i 30
wait_until 10 "ups-mains re-polled after the trap" metric_ok ups-mains output_source_state \
  ".quality == \"ok\" and .ts_ms >= $sent_ms"
metric_ok ups-mains output_source_state '.value_name == "normal"' || fail "ups-mains not on mains"
metric_ok ups-mains trap_last_state '.value_name == "on_battery"' || fail "trap not recorded"
wait_until 10 "not-confirmed line" grep -q 'dev=ups-mains msg="trap on_battery not confirmed' "$T/dcmond.log"
api_get /api/v1/alerts | json_check '[.alerts[] | select(.device == "ups-mains")] == []' \
  || fail "alert raised by a forged trap: $(api_get /api/v1/alerts)"
pass "forged on-battery trap for ups-mains: recorded, its re-poll reads normal, no alert"

# ---- a UPS really on battery -------------------------------------------------------
trap_from 127.0.0.3 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.2.0 i 30
onbat_mailed() { [ "$(count_to "$T/mail" facility@dc.example '.data | test("ups-bat") and test("UPS is on battery")')" -ge 1 ]; }
wait_until 15 "mail: ups-bat on battery" onbat_mailed
assert_eq "$(mail_about ups-mains)" 0 "messages about ups-mains (the forged trap)"
pass "ups-bat really on battery: its trap's re-poll confirms, mail sent"

# ---- informs: a wrong community is never answered ----------------------------------
rejected0=$(dropped rejected)
rc=0
out=$(snmpinform -v2c -c wrong -r 0 -t 1 127.0.0.1:$trap_port '' 1.3.6.1.2.1.33.2.1 2>&1) || rc=$?
[ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q Timeout \
  || fail "an inform with a wrong community was answered (rc=$rc: $out)"
wait_until 10 "wrong-community inform counted" dropped_is rejected $((rejected0 + 1))
snmpinform -v2c -c dcmon-traps -r 1 -t 2 --clientaddr=127.0.0.3 127.0.0.1:$trap_port '' \
  1.3.6.1.6.3.1.1.5.1 >/dev/null 2>&1 || fail "an inform with the right community was not answered"
pass "inform with a wrong community unanswered (timeout), with the right one answered"

# ---- a flood from ups-mains' address ------------------------------------------------
polls0=$(polls_of ups-mains)
lines0=$(trap_lines)
recv0=$(received)
start_s=$(date +%s.%N)
flood_ms=$(date +%s%3N)
flood=$($PY "$DCMON_SOURCE_DIR/tests/peers/trap_flood.py" 127.0.0.2 "$trap_port" 5000 \
  dcmon-traps 1.3.6.1.2.1.33.2.1) || fail "flood peer failed"
echo "# flood: $flood"
# polled after the last trap that passed the rate limit (the traps within a hold-off
# get one poll at its end)
polled_after_last_trap() {
  local trap_ms
  trap_ms=$(api_get "/api/v1/metrics?device=ups-mains&name=trap_last_state" | jq '.metrics[0].ts_ms')
  [ "$trap_ms" -ge "$flood_ms" ] && metric_ok ups-mains output_source_state ".ts_ms >= $trap_ms"
}
wait_until $((HOLD_S + 10)) "ups-mains polled after the flood's last trap" polled_after_last_trap
elapsed=$(awk -v s="$start_s" -v n="$(date +%s.%N)" 'BEGIN { printf "%.3f", n - s }')
polls=$(( $(polls_of ups-mains) - polls0 ))
# rule: one poll at once, then at most one per hold-off; plus one scheduled poll
max_polls=$(awk -v e="$elapsed" -v h="$HOLD_S" 'BEGIN { print 2 + int(e / h) }')
[ "$polls" -le "$max_polls" ] || fail "ups-mains polled $polls times in ${elapsed}s (rule: at most $max_polls)"
pass "flood: ups-mains polled $polls times in ${elapsed}s (at most $max_polls by the rule)"
# the counters are published with the summary (every summary_interval): wait for the
# flood's drops to show, and for each of them to be in a summary line
flood_summed() {
  local d
  d=$(dropped rate_limit)
  [ -n "$d" ] && [ "$d" -ge 1 ] && [ "$(summed_drops)" = "$d" ]
}
wait_until 10 "the flood's drops counted, every one in a summary line" flood_summed
nrecv=$(( $(received) - recv0 ))
ndrop=$(dropped rate_limit)
echo "# flood: received=$nrecv dropped_rate_limit=$ndrop"
[ "$ndrop" -ge 1 ] || fail "nothing dropped over the rate limit (received $nrecv)"
# what passed is what the rule allows: RATE in each second it touched
passed=$((nrecv - ndrop))
max_passed=$(awk -v r="$RATE" -v e="$elapsed" 'BEGIN { print int(r * (e + 2)) }')
[ "$passed" -le "$max_passed" ] || fail "$passed traps passed the rate limit in ${elapsed}s (rule: $max_passed)"
pass "flood: $nrecv received, $ndrop over the rate limit (all in summary lines), $passed passed"
lines=$(( $(trap_lines) - lines0 ))
max_lines=$(awk -v e="$elapsed" -v p="$polls" 'BEGIN { print int(e + 2 + p) }')
[ "$lines" -le "$max_lines" ] || fail "$lines snmp_trap log lines for the flood (at most $max_lines)"
pass "flood of 5000 traps: $lines snmp_trap log lines (at most $max_lines)"
api_get /api/v1/alerts | json_check '[.alerts[] | select(.device == "ups-mains")] == []' \
  || fail "alert raised by the forged flood: $(api_get /api/v1/alerts)"
assert_eq "$(mail_about ups-mains)" 0 "messages about ups-mains after the flood"

# ---- a reload keeps the receiver and its credentials -------------------------------
# (it kept a pointer into the config a SIGHUP frees: read after free)
rejected0=$(dropped rejected)
kill -HUP "$DCMOND_PID"
wait_until 10 "reloaded" grep -q 'msg="reloaded: 2 devices"' "$T/dcmond.log"
snmptrap -v2c -c wrong --clientaddr=127.0.0.3 127.0.0.1:$trap_port '' 1.3.6.1.6.3.1.1.5.3
wait_until 10 "wrong community refused after the reload" dropped_is rejected $((rejected0 + 1))
trap_from 127.0.0.3 1.3.6.1.6.3.1.1.5.4
wait_until 10 "trap accepted after the reload" metric_ok ups-bat trap_last_state '.value_name == "link_up"'
pass "after SIGHUP: a wrong community still refused, the right one accepted"
stop_dcmond
done_checks
