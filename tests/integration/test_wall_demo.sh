#!/usr/bin/env bash
# The NOC wall on the demo data center (etc/demo served by dcmon-sim), in headless
# Chromium at 1920x1080 and 3840x2160: every configured device shown by id, no
# truncated text, nothing clipped, no page scroll, values labelled, "not running" rather
# than an error where a value does not apply; screenshots go to tests/artifacts/.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

SIM_HTTP_PORT=$(free_port)
sim_start
sim_wait_polled

# the archive's last hour as JSON (the wall's sparklines): the values the UPS reports
charge_series() {
  curl -sf "http://127.0.0.1:$SIM_HTTP_PORT/api/v1/graph?device=ups-1&metric=battery_charge_percent&format=json" \
    >"$T/series.json" && jq -e '[.values[] | select(. != null)] | length >= 2' "$T/series.json" >/dev/null
}
wait_until 30 "two archived values of ups-1's charge" charge_series
series=$(cat "$T/series.json")
assert_eq "$(jq -c '[.values[] | select(. != null)] | unique' <<<"$series")" "[100]" "ups-1 charge over the last hour"
assert_eq "$(jq '.step_s' <<<"$series")" "1" "archive step of a 1 s poll"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SIM_HTTP_PORT/api/v1/graph?device=ups-1&metric=battery_charge_percent&format=gif")" \
  "400" "unknown graph format"

e2e_run wall_demo.test.js DEVICES="$(
  awk '/^devices:/ { on = 1 } /^rules:/ { on = 0 } on && match($0, /^  - (\{)?id: [^,]+/) {
         s = substr($0, RSTART, RLENGTH); sub(/.*id: /, "", s); print s }' "$T/dcmon.yaml" | paste -sd ' ')"
sim_report
pass "wall on the demo data center (screenshots in $ART)"
