#!/usr/bin/env bash
# The Grafana dashboard dcmon ships (etc/grafana/dcmon-facility.json) against real data:
# the demo data center under dcmon-sim, scraped by Debian's Prometheus, and every query
# of the dashboard (its panels' and its template variables') run by that Prometheus as
# Grafana would run it, with the variables set to the demo's site and every room.  Each
# must return series, and the facility panels the values the simulator serves.
# (Grafana itself is not in Debian: Prometheus is the peer that evaluates the queries.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps.sh)"
DASH="$DCMON_SOURCE_DIR/etc/grafana/dcmon-facility.json"
SIM_HTTP_PORT=$(free_port)
prom_port=$(free_port)
sim_start
sim_wait_polled

# ---- the file is a dashboard Grafana imports ------------------------------------------
jq -e '.uid == "dcmon-facility" and (.schemaVersion | type == "number")
       and ([.templating.list[].name] == ["datasource", "site", "room"])' "$DASH" >/dev/null \
  || fail "uid, schemaVersion or variables: $(jq -c '{uid, schemaVersion, v: [.templating.list[].name]}' "$DASH")"
bad=$(jq -r '.panels[] | select(.type != "row") | select(.datasource.uid != "${datasource}"
             or ([.targets[].datasource.uid] | unique) != ["${datasource}"]) | .title' "$DASH")
assert_eq "$bad" "" "every panel and query reads the chosen Prometheus data source"
overlap=$(jq -r '[.panels[] | .gridPos as $g | range($g.x; $g.x + $g.w) as $c
                  | range($g.y; $g.y + $g.h) as $r | "\($c),\($r)"] | group_by(.)
                 | map(select(length > 1)) | length' "$DASH")
assert_eq "$overlap" 0 "no two panels overlap on the grid"

# ---- Prometheus scrapes the demo ------------------------------------------------------
start_prometheus "$prom_port" "dcmon:127.0.0.1:$SIM_HTTP_PORT:$(cat "$T/token")"
PROM="http://127.0.0.1:$prom_port/api/v1"
query() { prom_query "$@"; }
scraped() { [ -n "$(query 'dcmon_leak_state{job="dcmon"}')" ]; }
wait_until 30 "Prometheus scraped the demo" scraped
# the variables as Grafana asks: label values of a selector
sites=$(curl -sf -G "$PROM/label/site/values" --data-urlencode 'match[]=dcmon_redundancy_state' | jq -r '.data | join(",")')
assert_eq "$sites" "dc1" "the site variable's values"
rooms=$(curl -sf -G "$PROM/label/room/values" --data-urlencode 'match[]={__name__=~"dcmon_.+",site=~"dc1"}' | jq -r '.data | join(",")')
assert_eq "$rooms" "hall-1,hall-2,plant" "the room variable's values for dc1"

# ---- every panel's query returns series -----------------------------------------------
jq -r '.panels[] | select(.type != "row") | .title as $t | .targets[] | "\($t)\t\(.expr)"' "$DASH" >"$T/exprs"
n=0
while IFS=$'\t' read -r title expr; do
  e=${expr//\$site/dc1}
  e=${e//\$room/.*}
  out=$(query "$e")
  [ -n "$out" ] || fail "panel '$title': no series for $e"
  n=$((n + 1))
done <"$T/exprs"
assert_eq "$n" "$(jq '[.panels[].targets // [] | length] | add' "$DASH")" "queries run"
pass "every one of the dashboard's $n queries returns series from the demo"

# ---- and the values the simulator serves ----------------------------------------------
# panel TITLE [N]: the N-th (default 1) query of the panel, variables set, as query prints
panel() {
  local e
  e=$(jq -r --arg t "$1" --argjson i "${2:-0}" '.panels[] | select(.title == $t) | .targets[$i].expr' "$DASH")
  e=${e//\$site/dc1}
  query "${e//\$room/.*}" | sed -E 's/(^|,)(job|instance)=[^, ]*//g; s/^,//'
}
assert_eq "$(panel 'Generator fuel' | sed 's/,kind=[^ ]*//')" \
"device=gen-1 80
device=gen-2 80" "generator fuel: both generators at the simulator's 80 %"
assert_eq "$(panel 'UPS output source' | grep -c 'state=normal.* 3$')" 2 "both UPSes on normal output"
assert_eq "$(panel 'Generator engines' | grep -c 'state=stopped.* 0$')" 2 "both generators stopped"
assert_eq "$(panel 'Rack power' | wc -l)" 4 "rack power: the demo's four racks"
assert_eq "$(panel 'Rack inlet temperature' | grep -c 'device=env-h')" 4 "four inlet sensors"
assert_eq "$(panel 'dcmond'"'"'s state stores' | grep -c 'state=ok')" \
  "$(panel 'dcmond'"'"'s state stores' | wc -l)" "dcmond's stores all ok"
done_checks
