#!/usr/bin/env bash
# GET /metrics scraped by a real Prometheus (Debian's package) every second, with its own
# config, storage and loopback port: a job reading every device, and a job with a
# tenant account's API token as its bearer token.  Asserts, through Prometheus' query
# API, a series' value and labels, that a failed point is no series (not a 0), that
# dcmond's own metrics are there, and that the tenant's scrape holds no other tenant's
# device; and on the text itself: the 0.0.4 text format (promtool check metrics), the
# OpenMetrics one when asked for (# EOF), label escaping and the state label.
source "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || { echo "SKIP: prometheus is not installed"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user add over the socket)"; exit 1; }

port=$(free_port)
prom_port=$(free_port)
cat >"$T/temp" <<'SH'
#!/bin/sh
echo "TEMP OK|inlet=23.5;;;; 'dq\"x\\y'=7;;;;"
SH
chmod 755 "$T/temp"
{ daemon_yaml "http: {listen: 127.0.0.1, port: $port}"
  two_tenant_site_yaml
  cat <<YAML
devices:
  - id: acme-web
    kind: server
    location: {site: tokyo-1, room: hall-a, rack: a01}
    checks: {plugin: [{name: temp, command: [$T/temp]}]}
  - id: acme-bad
    kind: server
    location: {site: tokyo-1, room: hall-a, rack: a01}
    checks: {plugin: [{name: missing, command: [$T/no-such-plugin]}]}
  - id: globex-db
    kind: server
    location: {site: tokyo-1, room: hall-a, rack: a02}
    checks: {plugin: [{name: temp, command: [$T/temp]}]}
YAML
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
echo "acme-password-1" | "$DCMON" user add u-acme --role tenant-operator --tenant acme >/dev/null
acme_token=$("$DCMON" user token u-acme | head -1)
# with accounts, anonymous reads are refused (http.anonymous: auto): the NOC's scraper is
# an unscoped wall account's token
echo "all-password-12" | "$DCMON" user add u-all --role wall >/dev/null
all_token=$("$DCMON" user token u-all | head -1)
all=(-H "Authorization: Bearer $all_token")
base="http://127.0.0.1:$port"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$base/metrics")" 401 "an anonymous scrape"
# the page is read whole first: `curl | grep -q` under pipefail fails when grep stops
# early and curl's write of the rest meets a closed pipe
has_line() { local page; page=$(curl -sf "${all[@]}" "$base/metrics") && grep -q "$1" <<<"$page"; }
wait_until 20 "perfdata of both devices in /metrics" has_line '^dcmon_plugin_perf_count{device="globex-db"'
wait_until 20 "dcmond's own metrics in /metrics" has_line '^dcmon_state_store_state{device="dcmond"'
bad_failed() { api_get '/api/v1/metrics?device=acme-bad&name=plugin_state' | grep -q '"quality":"error"'; }
wait_until 20 "the missing plugin's error" bad_failed

# ---- the text itself ------------------------------------------------------------------
curl -sf "${all[@]}" -D "$T/head" -o "$T/text" "$base/metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$T/head" \
  || fail "text content type: $(grep -i content-type "$T/head")"
# exit 1: a parse error; 3: lint findings, of which only the project's names of gauges
# of counts (plugin_perf_count, state_held_count: documented in docs/METRICS.md) may be
rc=0; out=$(promtool check metrics <"$T/text" 2>&1) || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "promtool check metrics ($rc): $out"
lint=$(printf '%s\n' "$out" | grep -v 'non-histogram and non-summary metrics should not have "_count" suffix' || true)
assert_eq "$lint" "" "promtool check metrics: no parse error, no other lint finding"
line=$(grep '^dcmon_plugin_perf_count{device="acme-web",.*instance="temp/inlet"}' "$T/text")
assert_eq "$line" 'dcmon_plugin_perf_count{device="acme-web",kind="server",site="tokyo-1",room="hall-a",rack="a01",tenant="acme",instance="temp/inlet"} 23.5' "a sample's labels and value"
line=$(grep '^dcmon_plugin_perf_count{device="acme-web",.*dq' "$T/text")
assert_eq "${line#*instance=}" '"temp/dq\"x\\y"} 7' "a label value escaped"
line=$(grep '^dcmon_plugin_state{device="acme-web"' "$T/text")
assert_eq "${line#*instance=}" '"temp",state="ok"} 0' "a state metric: its value and state label"
assert_eq "$(grep -c 'device="acme-bad"' "$T/text" || true)" 0 "the failed point is left out"
grep -q '^dcmon_state_store_state{device="dcmond",instance="alerts.db",state="ok"} 0$' "$T/text" \
  || fail "dcmond's own metrics: $(grep dcmond "$T/text")"
pass "dcmond's own health metrics are exported"
curl -sf "${all[@]}" -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
  -D "$T/head" -o "$T/om" "$base/metrics"
grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0' "$T/head" \
  || fail "OpenMetrics content type: $(grep -i content-type "$T/head")"
assert_eq "$(tail -n 1 "$T/om")" "# EOF" "OpenMetrics ends with # EOF"
curl -sf -H "Authorization: Bearer $acme_token" -o "$T/acme" "$base/metrics"
assert_eq "$(grep -v '^#' "$T/acme" | grep -c 'device="acme-web"')" 4 "the tenant's scrape holds its device"
assert_eq "$(grep -Ec 'device="(globex-db|dcmond)"' "$T/acme" || true)" 0 \
  "the tenant's scrape holds no other tenant's device, nor dcmond's"

# ---- a real Prometheus ------------------------------------------------------------------
start_prometheus "$prom_port" "all:127.0.0.1:$port:$all_token" "acme:127.0.0.1:$port:$acme_token"
query() { prom_query "$@"; }
have_series() { [ -n "$(query "$1")" ]; }
wait_until 30 "Prometheus scraped both jobs" have_series 'dcmon_plugin_perf_count{job="acme",instance="temp/inlet"}'
wait_until 30 "Prometheus scraped both jobs" have_series 'dcmon_plugin_perf_count{job="all",device="globex-db"}'
assert_eq "$(query 'dcmon_plugin_perf_count{job="all",instance="temp/inlet"}')" \
"device=acme-web,instance=temp/inlet,job=all,kind=server,rack=a01,room=hall-a,site=tokyo-1,tenant=acme 23.5
device=globex-db,instance=temp/inlet,job=all,kind=server,rack=a02,room=hall-a,site=tokyo-1,tenant=globex 23.5" \
  "Prometheus' series: values and labels"
assert_eq "$(query 'count(dcmon_plugin_state{job="all",device="acme-bad"})')" "" "no series of the failed point"
assert_eq "$(query 'dcmon_state_store_state{job="all",instance="alerts.db"}')" \
  "device=dcmond,instance=alerts.db,job=all,state=ok 0" "dcmond's health in Prometheus"
assert_eq "$(query 'count by (device) ({job="acme",__name__=~"dcmon_.+"})' | cut -d' ' -f1)" \
  "device=acme-web" "the tenant's job scraped its device only"
assert_eq "$(query 'up{job="acme"}')" "instance=127.0.0.1:$port,job=acme 1" "the tenant's scrape succeeded"
done_checks
