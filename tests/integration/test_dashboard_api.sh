#!/usr/bin/env bash
# The dashboard's HTTP server over TLS: every endpoint's status codes, JSON shape and
# 400s with a message; bearer token for writes (and the audit of who did it); caching
# headers and gzip of the built-in assets; the SSE stream; librrd graphs.
source "$(dirname "$0")/lib.sh"
# librrd's graph code leaks by design; full stacks so only its allocations are ignored
export LSAN_OPTIONS="suppressions=$DCMON_SOURCE_DIR/tests/lsan-librrd.supp:fast_unwind_on_malloc=0:print_suppressions=0"

port=$(free_port)
closed=$(free_port) # nothing listens here: web-01's port-closed alert fires at once
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 \
  || fail "openssl could not make a test certificate"
token=$(head -c 24 /dev/urandom | base64)
printf '%s\n' "$token" >"$T/token"; chmod 600 "$T/token"
{ daemon_yaml "timeout: 800ms" "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "archive_flush: 200ms" \
    "http: {port: $port, tls_cert: cert.pem, tls_key: key.pem, token_file: token}"
  cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: web-01
    kind: server
    host: 127.0.0.1
    labels: {baseline: "on"}
    checks: {tcp: [$closed], resources: local}
rules:
  - name: port-closed
    match: {metric: tcp_port_up}
    state: {values: [down], severity: critical}
YAML
# a bad section is a config error with its position
sed 's/tls_key: key.pem, //' "$T/dcmon.yaml" >"$T/bad.yaml"
out=$("$DCMOND" --check-config "$T/bad.yaml" 2>&1) && fail "check-config accepted tls_cert without tls_key"
grep -q "bad.yaml:[0-9]*:[0-9]*: error: http: tls_cert and tls_key go together" <<<"$out" || fail "bad http section: $out"
pass "http: tls_cert without tls_key rejected with file:line:col"

start_dcmond "$T/dcmon.yaml"
B="https://127.0.0.1:$port"
C=(curl -s --cacert "$T/cert.pem" -m 10)
# req METHOD PATH [curl args]: prints "STATUS BODY"
req() { local m=$1 p=$2; shift 2; "${C[@]}" -X "$m" -o "$T/body" -w '%{http_code}' "$@" "$B$p"; }
expect() { # expect STATUS JQ METHOD PATH [args]
  local want=$1 jqx=$2; shift 2
  local got; got=$(req "$@")
  [ "$got" = "$want" ] || fail "$1 $2: status $got, want $want: $(cat "$T/body")"
  jq -e "$jqx" "$T/body" >/dev/null || fail "$1 $2: body fails $jqx: $(cat "$T/body")"
  pass "$1 $2 -> $want ($jqx)"
}
wait_until 20 "https health" "${C[@]}" -f "$B/api/v1/health"
wait_until 20 "port-closed firing" sh -c "\"\$0\" -s --cacert '$T/cert.pem' '$B/api/v1/alerts?state=firing' | jq -e '.alerts | length == 1'" curl

expect 200 '.status == "ok" and .devices == 1' GET /api/v1/health
expect 200 '.devices[0].id == "web-01" and (.summary | has("critical"))' GET "/api/v1/status?metrics=1"
expect 400 '.error | test("kind")' GET "/api/v1/status?kind=toaster"
expect 400 '.error | test("unknown query parameter")' GET "/api/v1/status?bogus=1"
expect 200 '.device.id == "web-01" and (.device.metrics | length > 5)' GET /api/v1/devices/web-01
expect 404 '.error | test("web-99")' GET /api/v1/devices/web-99
expect 200 '.metrics | all(.device == "web-01")' GET "/api/v1/metrics?device=web-01"
expect 200 '.alerts[0].rule == "port-closed" and .alerts[0].state == "firing"' GET /api/v1/alerts
expect 400 '.error | test("state")' GET "/api/v1/alerts?state=burning"
expect 404 '.error' GET /api/v1/alerts/999
expect 404 '.error | test("no such endpoint")' GET /api/v1/nothing
expect 405 '.error | test("not allowed")' DELETE /api/v1/health -H "Authorization: Bearer $token"
id=$(jq -r '.alerts[0].id' "$T/body" 2>/dev/null || true)
id=$("${C[@]}" "$B/api/v1/alerts" | jq -r '.alerts[0].id')

# writes need the token
expect 401 '.error | test("Authorization")' POST "/api/v1/alerts/$id/ack" -d '{"comment":"x"}'
expect 401 '.error | test("wrong")' POST "/api/v1/alerts/$id/ack" -H "Authorization: Bearer nope" -d '{"comment":"x"}'
expect 200 '.' POST "/api/v1/alerts/$id/ack" -H "Authorization: Bearer $token" -d '{"comment":"on it","by":"alice"}'
# the token holder acts over HTTP from its address; the name it claims is kept beside it
expect 200 '.acked == true and (.ack.by | test("^http:127\\.0\\.0\\.1:[0-9]+ \\(as alice\\)$")) and .ack.comment == "on it"' GET "/api/v1/alerts/$id"
audit=$(sqlite3 "$T/data/alerts.db" ".dump" 2>/dev/null | grep -c "alice" || true)
[ "$audit" -ge 1 ] || fail "ack by alice not in the audit log"
pass "ack recorded in the audit log (alerts.db)"
expect 400 '.error' POST /api/v1/silences -H "Authorization: Bearer $token" -d '{"match":{"device":"web-01"}}'
expect 201 '.id > 0' POST /api/v1/silences -H "Authorization: Bearer $token" \
  -d '{"match":{"device":"web-01"},"for":"2h","reason":"maintenance","by":"alice"}'
sid=$(jq -r .id "$T/body")
expect 200 '.silences | any(.id == '"$sid"' and .reason == "maintenance")' GET /api/v1/silences
expect 401 '.error' DELETE "/api/v1/silences/$sid"
expect 200 '.ended == true' DELETE "/api/v1/silences/$sid" -H "Authorization: Bearer $token"

# graphs
wait_until 20 "an archive for cpu_used_percent" test -f "$T/data/web-01/cpu_used_percent.rrd"
for r in 1h 1d 1w 1y; do
  code=$(req GET "/api/v1/graph?device=web-01&metric=cpu_used_percent&range=$r")
  [ "$code" = 200 ] && [ "$(head -c 4 "$T/body" | tail -c 3)" = PNG ] || fail "graph $r: $code"
done
pass "GET /api/v1/graph: PNG for 1h, 1d, 1w, 1y"
code=$(req GET "/api/v1/graph?device=web-01&metric=fs_used_percent&inst=/&range=1d&format=svg")
[ "$code" = 200 ] && grep -q "<svg" "$T/body" || fail "svg graph: $code"
pass "GET /api/v1/graph format=svg with an instance"
# the opt-in default rule cpu-unusual (label baseline: on) draws its band, still learning
expect 200 '(.band.lo | length) == (.values | length) and (.band.hi | length) == (.values | length)
  and (.band.state | test("^learning \\([12] days of 14\\)$"))' \
  GET "/api/v1/graph?device=web-01&metric=cpu_used_percent&range=1h&format=json"
expect 200 '.band == null' GET "/api/v1/graph?device=web-01&metric=fs_used_percent&inst=/&range=1h&format=json"
pass "GET /api/v1/graph format=json: the baseline's band and its learning state"
amber='rgb(94.117647%,62.745098%,18.823529%)' # the band's colour, #f0a030, as cairo writes it
code=$(req GET "/api/v1/graph?device=web-01&metric=cpu_used_percent&range=1h&format=svg")
[ "$code" = 200 ] && grep -qF "$amber" "$T/body" || fail "svg graph with the band: $code"
code=$(req GET "/api/v1/graph?device=web-01&metric=fs_used_percent&inst=/&range=1h&format=svg")
[ "$code" = 200 ] && ! grep -qF "$amber" "$T/body" || fail "svg graph without a band: $code"
pass "GET /api/v1/graph: the band drawn (amber) only where an anomaly rule applies"
expect 400 '.error | test("range")' GET "/api/v1/graph?device=web-01&metric=cpu_used_percent&range=2h"
expect 400 '.error | test("metric: required")' GET "/api/v1/graph?device=web-01"
expect 400 '.error | test("width")' GET "/api/v1/graph?device=web-01&metric=cpu_used_percent&width=9"
expect 400 '.error | test("unknown query parameter")' GET "/api/v1/graph?device=web-01&metric=x&color=red"
expect 404 '.error | test("no such device")' GET "/api/v1/graph?device=nope&metric=cpu_used_percent"
expect 404 '.error | test("has no metric")' GET "/api/v1/graph?device=web-01&metric=nope_percent"

# the event stream
"${C[@]}" -N -m 3 -D "$T/sse.h" "$B/api/v1/events" >"$T/sse" || true
grep -qi "^content-type: text/event-stream" "$T/sse.h" || fail "events: content type"
head -3 "$T/sse" | grep -q "^event: snapshot" || fail "events: no snapshot first"
sed -n 's/^data: //p' "$T/sse" | head -1 | jq -e '.devices[0].id == "web-01" and (.alerts | length == 1)' >/dev/null \
  || fail "events: snapshot shape"
grep -qE "^event: (diff|ping)" "$T/sse" || fail "events: no diff or ping within 3 s"
pass "GET /api/v1/events: snapshot then diffs/pings"
expect 400 '.error' GET "/api/v1/events?x=1"

# pages and assets: caching, gzip
"${C[@]}" -D "$T/h" -o "$T/wall.html" "$B/wall" >/dev/null
grep -qi "^cache-control: no-cache" "$T/h" && grep -qi "^etag:" "$T/h" || fail "/wall headers: $(cat "$T/h")"
etag=$(grep -i "^etag:" "$T/h" | cut -d' ' -f2 | tr -d '\r')
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$B/wall")
[ "$code" = 304 ] || fail "If-None-Match: $code"
pass "/wall: no-cache + ETag, 304 on revalidation"
js=$(grep -o '/assets/wall.js?v=[0-9a-f]*' "$T/wall.html")
[ -n "$js" ] || fail "wall.html has no hashed wall.js"
"${C[@]}" -D "$T/h" -o /dev/null -H "Accept-Encoding: gzip" "$B$js"
grep -qi "^cache-control: public, max-age=31536000, immutable" "$T/h" || fail "hashed asset not immutable"
grep -qi "^content-encoding: gzip" "$T/h" || fail "asset not gzipped"
pass "hashed asset: immutable, gzip"
"${C[@]}" -D "$T/h" -o /dev/null "$B/assets/wall.js"
grep -qi "^cache-control: no-cache" "$T/h" || fail "unhashed asset URL must revalidate"
code=$("${C[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "$B/")
[ "$code" = "302 $B/wall" ] || fail "/ redirect: $code"
expect 404 '.error' GET /nothing
code=$(req GET /devices/web-01)
[ "$code" = 200 ] && grep -q "device.js" "$T/body" || fail "/devices/web-01: $code"
pass "pages: / redirects to /wall, unknown pages 404"

# SIGHUP reads the token file again: a rotated token works at once, the old one no longer
ack() { req POST "/api/v1/alerts/$id/ack" -H "Authorization: Bearer $1" -d '{"comment":"again"}'; }
ack_is() { [ "$(ack "$1")" = "$2" ]; } # ack_is TOKEN STATUS
token2=$(head -c 24 /dev/urandom | base64)
printf '%s\n' "$token2" >"$T/token"
kill -HUP "$DCMOND_PID"
wait_until 20 "the rotated token accepted" ack_is "$token2" 200
[ "$(ack "$token")" = 401 ] || fail "the old token still works after the rotation"
pass "SIGHUP: rotated token accepted, old one refused (401)"
# an unsafe token file is refused and the token in force stays
chmod 644 "$T/token"
kill -HUP "$DCMOND_PID"
wait_until 20 "the refusal logged" grep -q "readable by others: chmod 600 it: the previous token stays in force" "$T/dcmond.log"
[ "$(ack "$token2")" = 200 ] || fail "token in force lost after a refused token file"
# without token_file the server is read only again; a port change waits for a restart
sed -i "s/, token_file: token}/}/; s/port: $port,/port: $closed,/" "$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
wait_until 20 "writes refused without token_file" ack_is "$token2" 403
grep -q "new listen, port, TLS files, max_connections, max_connections_per_address or idle_timeout take effect at the next start" "$T/dcmond.log" || fail "port change not logged"
pass "SIGHUP: unsafe token file keeps the token in force; token_file removed -> 403; port change logged"
stop_dcmond
