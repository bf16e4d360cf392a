#!/usr/bin/env bash
# Northbound SNMP (docs/SNMP_NORTHBOUND.md) against real net-snmp peers: DCMON-MIB passes
# smilint -l 4 with no message; a real snmpd is the AgentX master of dcmond's subagent
# and snmpwalk of its tables (MIB loaded) gives what /api/v1 says; a real snmptrapd
# receives, for a raised, changed (acknowledged) and cleared alert, a v2c trap (manager
# v2, every alert) and a v3 authPriv inform (manager v3, routed by the route `crit`)
# with their varbinds; with snmptrapd stopped, the inform of an alert waits in the
# outbox and arrives once when it is back, also across a dcmond restart; a reload
# changes the routing and keeps the subagent; a hung master (SIGSTOP) stalls nothing.
# Plus the section's config errors at
# file:line:col.
source "$(dirname "$0")/lib.sh"

MIBPATH="$DCMON_SOURCE_DIR/tests/data/mibs:$DCMON_SOURCE_DIR/mibs:/usr/share/snmp/mibs"

# ---- the MIB ------------------------------------------------------------------------
command -v smilint >/dev/null || fail "smilint missing (scripts/install-deps.sh installs smitools)"
lint=$(cd "$T" && SMIPATH="$MIBPATH" smilint -l 4 "$DCMON_SOURCE_DIR/mibs/DCMON-MIB.txt" 2>&1)
[ -z "$lint" ] || fail "smilint -l 4 DCMON-MIB: $lint"
# smilint does report at this level: a group left out is a warning
sed 's/dcmonDeviceSite, dcmonDeviceState$/dcmonDeviceSite/' "$DCMON_SOURCE_DIR/mibs/DCMON-MIB.txt" \
  >"$T/DCMON-MIB.txt"
lint=$(cd "$T" && SMIPATH="$MIBPATH" smilint -l 4 "$T/DCMON-MIB.txt" 2>&1)
grep -q "dcmonDeviceState' must be contained in at least one conformance group" <<<"$lint" ||
  fail "smilint did not see a broken module: $lint"
pass "DCMON-MIB passes smilint -l 4 with no message (and smilint reports a broken copy)"

trap_port=$(free_udp_port)
snmpd_port=$(free_udp_port)
tcp_port=$(free_port)
printf 'authpass-nb-1\n' >"$T/nb.auth"
printf 'privpass-nb-1\n' >"$T/nb.priv"
chmod 600 "$T/nb.auth" "$T/nb.priv"

write_config() { # a key of manager v3 instead of its routes (one line, e.g. "notify: trap")
  { daemon_yaml
    cat <<YAML
  snmp_northbound:
    agentx: $T/agentx.sock
    retry_min: 300ms
    retry_max: 1s
    managers:
      - {name: v2, snmp: {host: 127.0.0.1, port: $trap_port, community: nb-traps}}
      - name: v3
        snmp: {host: 127.0.0.1, port: $trap_port, version: 3, user: nbuser,
               auth_pass_file: $T/nb.auth, priv_pass_file: $T/nb.priv, timeout: 300ms,
               retries: 0}
        ${1:-routes: [crit]}
sites:
  - {id: s1}
devices:
  - id: box
    kind: server
    description: the web server
    host: 127.0.0.1
    location: {site: s1}
    checks: {tcp: [$tcp_port]}
rules:
  - {name: port-down, match: {device: box, metric: tcp_port_up}, below: {crit: 1},
     summary: service port closed}
  - {name: port-warn, match: {device: box, metric: tcp_port_up}, below: {warn: 1}}
routes:
  - {name: crit, match: {severity: critical}, email: [noc@example.com]}
YAML
  } >"$T/dcmon.yaml"
}

# ---- config errors --------------------------------------------------------------------
write_config "routes: [nosuch]"
sed -i 's/community: nb-traps}/community: nb-traps, version: "1"}/' "$T/dcmon.yaml"
out=$("$DCMOND" --check-config "$T/dcmon.yaml" 2>&1) && fail "a bad snmp_northbound: accepted"
grep -q "dcmon.yaml:[0-9]*:[0-9]*: .*manager 'v2': version 1 has no SNMPv2 notifications" <<<"$out" ||
  fail "version 1 manager: $out"
grep -q "dcmon.yaml:[0-9]*:[0-9]*: .*routes: unknown route 'nosuch'" <<<"$out" ||
  fail "unknown route: $out"
write_config "notify: trap"
out=$("$DCMOND" --check-config "$T/dcmon.yaml" 2>&1) && fail "a v3 trap accepted"
grep -q "dcmon.yaml:[0-9]*:[0-9]*: .*SNMPv3 notifications are sent as informs" <<<"$out" ||
  fail "v3 trap: $out"
pass "snmp_northbound: errors at file:line:col (version 1, unknown route, v3 trap)"

write_config
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"

# ---- the peers --------------------------------------------------------------------------
# configs apart from the persistent directories, where the daemons write their own
# snmpd.conf / snmptrapd.conf when they stop
mkdir -p "$T/snmpd" "$T/trapd" "$T/conf"
cat >"$T/conf/snmpd.conf" <<CONF
master agentx
agentXSocket $T/agentx.sock
rocommunity public 127.0.0.1
CONF
MIBS= MIBDIRS=/nonexistent snmpd -f -Lf "$T/snmpd/snmpd.log" -C -c "$T/conf/snmpd.conf" \
  --persistentDir="$T/snmpd" "udp:127.0.0.1:$snmpd_port" >/dev/null 2>&1 &
SNMPD_PID=$!
track $SNMPD_PID
wait_until 15 "snmpd answering" snmpget -v2c -c public -r 0 -t 0.5 "127.0.0.1:$snmpd_port" 1.3.6.1.2.1.1.3.0

cat >"$T/conf/snmptrapd.conf" <<CONF
authCommunity log nb-traps
createUser nbuser SHA "authpass-nb-1" AES "privpass-nb-1"
authUser log nbuser priv
CONF
# one line per notification: its type and security, then the varbinds
start_trapd() {
  local started
  started=$(grep -c "NET-SNMP version" "$T/trapd/log" || true)
  snmptrapd -f -C -c "$T/conf/snmptrapd.conf" --persistentDir="$T/trapd" -M "$MIBPATH" \
    -m DCMON-MIB -A -Lf "$T/trapd/log" -F '%P|%V~%v\n' "udp:127.0.0.1:$trap_port" \
    >>"$T/trapd/out" 2>&1 &
  TRAPD_PID=$!
  track "$TRAPD_PID"
  wait_until 10 "snmptrapd listening" eval '[ "$(grep -c "NET-SNMP version" "$T/trapd/log")" -gt "$started" ]'
}
stop_trapd() { kill "$TRAPD_PID"; wait "$TRAPD_PID" 2>/dev/null || true; }
: >"$T/trapd/log"
start_trapd

start_tcp_listener "$tcp_port"
start_dcmond "$T/dcmon.yaml"
wait_until 15 "port up" metric_is box tcp_port_up "$tcp_port" '.value == 1'

# ---- the tables through the master agent ---------------------------------------------------
walk() { snmpwalk -v2c -c public -r 1 -t 2 -M "$MIBPATH" -m DCMON-MIB -Oqs "127.0.0.1:$snmpd_port" "$1"; }
# walk_value OBJECT.INDEX: the value snmpwalk gives the instance (quotes removed)
walk_value() { walk DCMON-MIB::dcmonObjects | awk -v k="$1" '$1 == k {$1 = ""; sub(/^ /, ""); gsub(/"/, ""); print}'; }
alert_rows() { walk DCMON-MIB::dcmonObjects | grep '^dcmonAlert' || true; }
wait_until 15 "the device table through snmpd" eval '[ "$(walk_value dcmonDeviceState.1)" = up ]'
dev=$(status_json | jq -c '.devices[] | select(.id == "box")')
assert_eq "$(walk_value dcmonDeviceId.1)" "$(jq -r .id <<<"$dev")" "dcmonDeviceId"
assert_eq "$(walk_value dcmonDeviceName.1)" "$(jq -r .description <<<"$dev")" "dcmonDeviceName"
assert_eq "$(walk_value dcmonDeviceKind.1)" "$(jq -r .kind <<<"$dev")" "dcmonDeviceKind"
assert_eq "$(walk_value dcmonDeviceSite.1)" "$(jq -r .location.site <<<"$dev")" "dcmonDeviceSite"
assert_eq "$(walk_value dcmonDeviceState.1)" "$(jq -r .state <<<"$dev")" "dcmonDeviceState"
[ -z "$(alert_rows)" ] || fail "alert rows with no alert: $(alert_rows)"
pass "snmpwalk through snmpd (AgentX): the device row is /api/v1/status's device, no alert row"

# ---- notifications: raised, changed, cleared ----------------------------------------------
# notes KIND EVENT ID: lines of snmptrapd's log from line NOTES_FROM on for KIND (TRAP2 or
# INFORM) of notification EVENT (dcmonAlertRaised ...) about alert ID (an alert of the
# same rule and metric keeps its id when it fires again: each phase counts its own)
NOTES_FROM=1
notes() {
  tail -n +"$NOTES_FROM" "$T/trapd/log" | grep -a "^$1" | grep -a "DCMON-MIB::$2" |
    grep -a "dcmonAlertDevice\.$3 " || true
}
notes_mark() { NOTES_FROM=$(( $(wc -l <"$T/trapd/log") + 1 )); }
notes_count() { notes "$@" | wc -l; }
stop_tcp_listener
wait_until 15 "port-down firing" alert_is port-down '.state == "firing"'
id=$(alert_field port-down id)
wait_until 15 "raised trap" eval '[ "$(notes_count TRAP2 dcmonAlertRaised "$id")" -ge 1 ]'
wait_until 15 "raised inform" eval '[ "$(notes_count INFORM dcmonAlertRaised "$id")" -ge 1 ]'
for kind in TRAP2 INFORM; do
  line=$(notes $kind dcmonAlertRaised "$id")
  for want in "dcmonAlertDevice.$id = STRING: box" "dcmonAlertRule.$id = STRING: port-down" \
      "dcmonAlertMetric.$id = STRING: tcp_port_up{$tcp_port}" "dcmonAlertSeverity.$id = INTEGER: critical(3)" \
      "dcmonAlertState.$id = INTEGER: firing(2)" "dcmonAlertValue.$id = STRING: 0" \
      "dcmonAlertSummary.$id = STRING: service port closed"; do
    grep -qF "$want" <<<"$line" || fail "$kind raised lacks '$want': $line"
  done
done
grep -q "^TRAP2, SNMP v2c, community nb-traps" <<<"$(notes TRAP2 dcmonAlertRaised "$id")" ||
  fail "not a v2c trap of community nb-traps: $(notes TRAP2 dcmonAlertRaised "$id")"
grep -q "^INFORM, SNMP v3, user nbuser" <<<"$(notes INFORM dcmonAlertRaised "$id")" ||
  fail "not a v3 inform of nbuser: $(notes INFORM dcmonAlertRaised "$id")"
since=$(alert_field port-down since_ms)
grep -qF "dcmonAlertSince.$id = Gauge32: $((since / 1000))" <<<"$(notes INFORM dcmonAlertRaised "$id")" ||
  fail "dcmonAlertSince is not the API's since_ms $since: $(notes INFORM dcmonAlertRaised "$id")"
pass "raised: a v2c trap and a v3 authPriv inform with the alert's varbinds"
warn_id=$(alert_field port-warn id)
wait_until 15 "the warning's trap" eval '[ "$(notes_count TRAP2 dcmonAlertRaised "$warn_id")" = 1 ]'
grep -qF "dcmonAlertSeverity.$warn_id = INTEGER: warning(2)" <<<"$(notes TRAP2 dcmonAlertRaised "$warn_id")" ||
  fail "warning trap: $(notes TRAP2 dcmonAlertRaised "$warn_id")"
wait_until 10 "nothing waiting" eval '[ "$(sqlite3 "$T/data/snmp_outbox.db" "SELECT count(*) FROM outbox")" = 0 ]'
assert_eq "$(notes_count INFORM dcmonAlertRaised "$warn_id")" 0 "v3 informs of a warning (route crit takes critical only)"
pass "routed like mail: the warning went to v2 (every alert), not to v3 (route crit)"

wait_until 10 "the alert row" eval '[ "$(walk_value dcmonAlertRule.$id)" = port-down ]'
a=$(api_get "/api/v1/alerts/$id" | jq -c '.alert // .')
assert_eq "$(walk_value dcmonAlertDevice.$id)" "$(jq -r .device <<<"$a")" "dcmonAlertDevice"
assert_eq "$(walk_value dcmonAlertSeverity.$id)" "$(jq -r .severity <<<"$a")" "dcmonAlertSeverity"
assert_eq "$(walk_value dcmonAlertState.$id)" "$(jq -r .state <<<"$a")" "dcmonAlertState"
assert_eq "$(walk_value dcmonAlertSince.$id)" "$(( $(jq -r .since_ms <<<"$a") / 1000 )) seconds" "dcmonAlertSince"
pass "snmpwalk: the alert row is /api/v1/alerts/$id's alert"

"$DCMON" ack "$id" --comment "looking" >/dev/null || fail "dcmon ack $id"
wait_until 15 "changed trap" eval '[ "$(notes_count TRAP2 dcmonAlertChanged "$id")" -ge 1 ]'
wait_until 15 "changed inform" eval '[ "$(notes_count INFORM dcmonAlertChanged "$id")" -ge 1 ]'
grep -qF "dcmonAlertState.$id = INTEGER: firing(2)" <<<"$(notes INFORM dcmonAlertChanged "$id")" ||
  fail "changed: $(notes INFORM dcmonAlertChanged "$id")"
start_tcp_listener "$tcp_port"
wait_until 15 "cleared trap" eval '[ "$(notes_count TRAP2 dcmonAlertCleared "$id")" -ge 1 ]'
wait_until 15 "cleared inform" eval '[ "$(notes_count INFORM dcmonAlertCleared "$id")" -ge 1 ]'
grep -qF "dcmonAlertState.$id = INTEGER: resolved(3)" <<<"$(notes INFORM dcmonAlertCleared "$id")" ||
  fail "cleared: $(notes INFORM dcmonAlertCleared "$id")"
wait_until 10 "the alert row gone" eval '[ -z "$(alert_rows)" ]'
for ev in Raised Changed Cleared; do
  for kind in TRAP2 INFORM; do
    assert_eq "$(notes_count $kind dcmonAlert$ev "$id")" 1 "$kind dcmonAlert$ev of alert $id"
  done
done
pass "changed (acknowledged) and cleared: one trap and one inform each; the row leaves the table"

# ---- the manager away: the inform waits and arrives once ----------------------------------------
OUTBOX=$T/data/snmp_outbox.db
outbox_n() { sqlite3 "$OUTBOX" 'SELECT count(*) FROM outbox'; }
notes_mark
stop_trapd
stop_tcp_listener
firing_id() { alerts_json | jq -r '.alerts[] | select(.rule == "port-down" and .state == "firing") | .id'; }
wait_until 15 "port-down firing again" eval '[ -n "$(firing_id)" ]'
id2=$(firing_id)
wait_until 15 "inform kept for retry" grep -q "manager v3: .*notification .* kept, tried" "$T/dcmond.log"
assert_eq "$(outbox_n)" 1 "notifications waiting in the outbox while snmptrapd is down"
start_trapd
wait_until 15 "the raised inform after snmptrapd's return" \
  eval '[ "$(notes_count INFORM dcmonAlertRaised "$id2")" -ge 1 ]'
# emptied: nothing is left to send, so the count below is final
wait_until 10 "outbox emptied" eval '[ "$(outbox_n)" = 0 ]'
assert_eq "$(notes_count INFORM dcmonAlertRaised "$id2")" 1 "raised informs of alert $id2"
pass "snmptrapd stopped: the inform waited in the outbox and arrived once it was back"

# ---- across a dcmond restart -----------------------------------------------------------------
notes_mark
stop_trapd
start_tcp_listener "$tcp_port"
resolved() { alerts_json --all | json_check ".alerts[] | select(.id == $id2) | .state == \"resolved\""; }
wait_until 15 "port-down resolved" resolved
wait_until 15 "cleared inform kept" eval '[ "$(outbox_n)" = 1 ]'
stop_dcmond
assert_eq "$(outbox_n)" 1 "the cleared inform in the outbox after dcmond stopped"
start_trapd
start_dcmond "$T/dcmon.yaml"
wait_until 15 "the cleared inform after the restart" \
  eval '[ "$(notes_count INFORM dcmonAlertCleared "$id2")" -ge 1 ]'
wait_until 10 "outbox emptied after the restart" eval '[ "$(outbox_n)" = 0 ]'
assert_eq "$(notes_count INFORM dcmonAlertCleared "$id2")" 1 "cleared informs of alert $id2"
grep -qF "dcmonAlertState.$id2 = INTEGER: resolved(3)" <<<"$(notes INFORM dcmonAlertCleared "$id2")" ||
  fail "cleared after restart: $(notes INFORM dcmonAlertCleared "$id2")"
pass "across a dcmond restart: the cleared inform kept in the outbox arrived once"
wait_until 15 "the subagent attached again" eval '[ "$(walk_value dcmonDeviceId.1)" = box ]'
pass "the subagent serves the tables again after the restart"

# ---- a reload: routes anew, the subagent kept ------------------------------------------------
notes_mark
write_config "notify: inform" # manager v3 without routes: every alert
reloads=$(log_count "msg=\"reloaded:")
kill -HUP "$DCMOND_PID"
wait_until 10 "reloaded" eval '[ "$(log_count "msg=\"reloaded:")" -gt "$reloads" ]'
stop_tcp_listener
wait_until 15 "the warning's inform after the reload" \
  eval '[ "$(notes_count INFORM dcmonAlertRaised "$warn_id")" = 1 ]'
wait_until 10 "the warning's row" eval '[ "$(walk_value dcmonAlertRule.$warn_id)" = port-warn ]'
pass "after a reload the new routes apply (the warning reaches v3) and the subagent still serves"

# ---- a hung master agent stalls nothing ------------------------------------------------------
# (the alerts have moved often by now: they resolve as flapping, a dcmonAlertChanged)
notes_mark
kill -STOP "$SNMPD_PID"
start_tcp_listener "$tcp_port"
wait_until 15 "the warning's next inform with the master hung" \
  eval '[ "$(notes_count INFORM "dcmonAlert[A-Za-z]*" "$warn_id")" -ge 1 ]'
wait_polls box 2
api_get /api/v1/health | json_check '.status == "ok"' || fail "health with the master hung: $(api_get /api/v1/health)"
kill -CONT "$SNMPD_PID"
wait_until 15 "the subagent answering again" eval '[ "$(walk_value dcmonDeviceId.1)" = box ]'
pass "snmpd stopped (SIGSTOP): polls, alerts, informs and the API go on; the tables come back with it"

stop_dcmond
done_checks
