#!/usr/bin/env bash
# A device that does not answer is not up (issue 20, docs/REPORTS.md "What counts"):
# `dead`, whose SNMP agent never answers and which no rule raises critical on, is down
# as its check `dead/unreachable` from its first failed poll, in reports.db (one row a
# transition, not a write per poll) and in `dcmon report availability`; `box`, whose
# only TCP port is closed with a rule raising critical, is down once, through its alert,
# as before.  A reload keeps the span, a restart closes it at the stop and opens another,
# and a reload that removes the device closes it.  A reload that removes box's rule
# while its alert fires closes box's span at that reload.
source "$(dirname "$0")/lib.sh"

start_dead_agent
closed=$(free_port)
config() { # WITH_DEAD [WITH_RULE]
  daemon_yaml "reports: {target: 99.9}"
  echo "devices:"
  [ "$1" = yes ] && cat <<YAML
  - id: dead
    kind: server
    host: 127.0.0.1
    snmp: {port: $DEAD_PORT, timeout: 200ms, retries: 0}
YAML
  cat <<YAML
  - id: box
    kind: server
    host: 127.0.0.1
    checks:
      tcp: [$closed]
YAML
  [ "${2:-yes}" = yes ] && cat <<YAML
rules:
  - name: port-down
    match: {device: box, metric: tcp_port_up}
    below: {crit: 1}
    summary: service port closed
YAML
  true
}
config yes >"$T/dcmon.yaml"
db="$T/data/reports.db"
rows() { sqlite3 "$db" "SELECT count(*), count(*) - count(end_ms) FROM down WHERE device = '$1'"; }
state_is() { status_json | json_check ".devices[] | select(.id == \"$1\") | .state == \"$2\""; }

start_dcmond "$T/dcmon.yaml"
wait_until 15 "dead unreachable" state_is dead unreachable
wait_until 15 "port-down firing" alert_is port-down '.state == "firing"'
wait_polls dead 3
wait_polls box 3
assert_eq "$(rows dead)" "1|1" "dead: one open span after several failed polls"
assert_eq "$(sqlite3 "$db" "SELECT object FROM down WHERE device = 'dead'")" "dead/unreachable" \
  "dead: its span is its unreachable check"
assert_eq "$(sqlite3 "$db" "SELECT group_concat(object) FROM down WHERE device = 'box'")" \
  "box/tcp_port_up:$closed" "box: down once, through its critical alert (no unreachable span)"

today=$(date -u +%F) tomorrow=$(date -u -d tomorrow +%F)
report() { "$DCMON" report availability --period "$today..$tomorrow" --format json >"$T/r.json" ||
  fail "report: $(cat "$T/r.json")"; }
dev() { jq -c --arg d "$1" ".devices[] | select(.name == \$d) | $2" "$T/r.json"; }
report
dev dead '.unplanned_s > 0 and .availability < 1' |
  grep -qx true || fail "dead counted up: $(dev dead .)"
pass "dead: its unreachable time is unplanned downtime ($(dev dead .unplanned_s) s), not up"
assert_eq "$(dev dead '[.checks[].object]')" '["dead/unreachable"]' "dead: reported as its unreachable check"
assert_eq "$(dev box '[.checks[].object]')" "[\"box/tcp_port_up:$closed\"]" "box: its TCP check only"
assert_eq "$(dev box '.unplanned_s == .checks[0].unplanned_s')" "true" "box: its downtime counted once"
assert_eq "$(jq '[.outages[] | select(.root == "box")] | length' "$T/r.json")" "1" "box: one incident"

kill -HUP "$DCMOND_PID"
wait_until 15 "reload" grep -q "reloaded" "$T/dcmond.log"
wait_polls dead 2
assert_eq "$(rows dead)" "1|1" "a reload keeps dead's span open"

stop_dcmond
stopped=$(sqlite3 "$db" "SELECT max(seen_ms) FROM runs")
start_dcmond "$T/dcmon.yaml"
wait_polls dead 2
assert_eq "$(rows dead)" "2|1" "after the restart, a new span from its first failed poll"
assert_eq "$(sqlite3 "$db" "SELECT end_ms FROM down WHERE device = 'dead' AND id = (SELECT min(id) FROM down WHERE device = 'dead')")" \
  "$stopped" "the span before the restart ends at the stop"
report
assert_eq "$(dev dead '.unknown_s > 0 and .unplanned_s > 0')" "true" \
  "the gap of the restart is unknown, the rest unplanned"

config no >"$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
wait_until 15 "reload without dead" grep -q "reloaded: 1 devices" "$T/dcmond.log"
assert_eq "$(rows dead)" "2|0" "a reload that removes dead ends its span"
# The report's downtime of dead is its spans' length, to the ms.
want=$(sqlite3 "$db" "SELECT printf('%.3f', sum(end_ms - start_ms) / 1000.0) FROM down WHERE device = 'dead'")
report
assert_eq "$(dev dead '.unplanned_s * 1000 | round / 1000' | xargs printf '%.3f')" "$want" \
  "dead: unplanned is exactly its unreachable spans"

config no no >"$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
wait_until 15 "reload without the rule" eval '[ "$(grep -c "reloaded: 1 devices" "$T/dcmond.log")" = 2 ]'
assert_eq "$(rows box)" "2|0" "a reload that removes box's firing rule ends its span"
stop_dcmond
done_checks
