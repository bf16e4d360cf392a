#!/usr/bin/env bash
# The portal's forms open filled in from an existing item (docs/PORTAL.md, "Pages"): a
# tenant-admin's server, threshold and a server with a key no form has, made through the
# API; in headless Chromium (tests/e2e/tenant_forms.test.js) Change fills the server form
# (the baseline switch too) and the threshold form from them, or opens the YAML; the
# server saved again from its filled form with a new interval is the same item but for
# the interval (GET /api/v1/layer/items "item": the YAML as JSON).  The log pattern form
# (docs/PORTAL.md "Log patterns") makes a log_rule item scoped to a server of the tenant
# chosen in the form, listed in the items and in the layer; a regex that does not compile
# gets the decoder's message at the regex field and nothing is stored.  A threshold on
# the pattern's count made in the threshold form fires on a syslog line of the pattern's
# program from that server, sent by the browser test (after another program's line,
# which is not counted): the alert is in the portal and in the API.  The threshold
# form's "unusual" on the server the NOC declared for the tenant, with a side, a
# deviation and `for`, makes an anomaly rule with them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user as root over the socket)"; exit 1; }
http=$(free_port); p1=$(free_port); p2=$(free_port); slog=$(free_port)
{ daemon_yaml "http: {listen: 127.0.0.1, port: $http}" "accounts: {yescrypt_cost: 5}"
  cat <<YAML
  syslog: {listen: 127.0.0.1, udp_port: 0, tcp_port: $slog, default_rules: false}
  tenant_layer:
    limits:
      - {tenant: acme, min_interval: 1s, targets: [127.0.0.0/29]}
tenants:
  - {id: acme}
devices:
  - {id: acme-noc, kind: server, host: 127.0.0.3, tenant: acme}
YAML
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
pw=pw-acme-admin-1
printf '%s\n' "$pw" | "$DCMON" user add acme-admin --role tenant-admin --tenant acme >/dev/null || fail "user add"
TOKEN=$("$DCMON" user token acme-admin | head -1)
items() { curl -sf -m 10 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$http/api/v1/layer/items"; }
put() { # KIND YAML: the admin's change, its state
  curl -s -m 10 -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    --data "$(jq -cn --arg k "$1" --arg y "$2" '{kind: $k, yaml: $y}')" \
    "http://127.0.0.1:$http/api/v1/layer/items" | jq -r '.request.state // .error'
}
url="http://127.0.0.1:$p1/health"
assert_eq "$(put device "id: acme-web
kind: server
host: 127.0.0.1
interval: 3s
labels: {baseline: \"on\"}
checks:
  ping: true
  tcp: [$p1, {port: $p2, send: PING, expect: PONG}]
  http: [{url: \"$url\", body: hello acme}]")" applied "acme-web through the API"
assert_eq "$(put rule "name: acme-slow
match: {device: acme-web, metric: tcp_port_up}
below: {crit: 1}
for: 10s")" applied "acme-slow through the API"
assert_eq "$(put device "id: acme-described
kind: server
host: 127.0.0.2
description: kept as YAML")" applied "acme-described through the API"
# the item as JSON: the settings the forms write, ports and keys as the YAML's text
shape='.items[] | select(.id == "acme-web") | .item | {host, labels, ping: .checks.ping,
  tcp: [.checks.tcp[] | if type == "object" then . else {port: .} end], http: .checks.http}'
before=$(items | jq -cS "$shape")
assert_eq "$(items | jq -r '.items[] | select(.id == "acme-web") | .item.interval')" 3s "the item's JSON"

SIM_HTTP_PORT=$http # e2e_run's BASE_URL
e2e_run tenant_forms.test.js ADMIN_PW="$pw" P1="$p1" P2="$p2" URL="$url" SLOG="$slog"

assert_eq "$(items | jq -r '.items[] | select(.id == "acme-web") | .item.interval')" 4s "saved from the form: the new interval"
assert_eq "$(items | jq -cS "$shape")" "$before" "saved from the form: every other setting as it was"
assert_eq "$(api_get /api/v1/devices/acme-web | jq .device.interval_ms)" 4000 "the saved form is live"
assert_eq "$(items | jq -cS '.items[] | select(.kind == "log_rule") | {id, origin, item}')" \
  '{"id":"acme-quota","item":{"devices":["acme-web"],"match":"disk quota exceeded","name":"acme-quota","program":"quotad","window":"5m"},"origin":"tenant"}' \
  "the log pattern made in the form is in the layer, scoped to the server chosen"
assert_eq "$(items | jq '[.items[] | select(.id == "acme-bad")] | length')" 0 "the log pattern with a bad regex is not stored"
assert_eq "$(api_get /api/v1/alerts | jq -c '[.alerts[] | select(.rule == "acme-quota-alert") | [.device, .state, .tenant, .value]]')" \
  '[["acme-web","firing","acme",1]]' "the API: the log alert fires on acme-web, acme's"
assert_eq "$(metric_field acme-web log_matches_count acme-quota value)" 1 "only quotad's line counted (program)"
assert_eq "$(items | jq -cS '.items[] | select(.id == "acme-noc-cpu") | .item')" \
  '{"anomaly":{"deviation":"4","direction":"up"},"for":"10m","match":{"device":"acme-noc","metric":"cpu_used_percent"},"name":"acme-noc-cpu"}' \
  "the unusual threshold on the NOC's server of the tenant is an anomaly rule with its side, deviation and for"
done_checks
