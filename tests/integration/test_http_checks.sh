#!/usr/bin/env bash
# HTTP(S) URL checks (`checks: http:`) against real servers on loopback: python's
# http.server (200, 500, the Host header echoed, a 4 MiB body), the same behind python's
# ssl module with a certificate of a test CA that expires in 5 days, and a server that
# accepts and never answers.  Asserts on state values and causes, status codes, body
# matches, the days to expiry and the default rules they raise (expiry warning, URL
# check failed), a wrong CA refused, the bounded body, and that the hung server does
# not stall the polls of another device.
source "$(dirname "$0")/lib.sh"

http_port=$(free_port)
tls_port=$(free_port)
silent_port=$(free_port)

# A test CA, a server certificate for dcmon-test.local only (no IP: the check must send
# that name as SNI and verify it) expiring in 5 days, and a second CA that signed
# nothing the server shows.
pki() {
  cd "$T"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
    -subj "/CN=dcmon test CA"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 30 \
    -subj "/CN=dcmon other CA"
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
    -subj "/CN=dcmon-test.local"
  printf 'subjectAltName=DNS:dcmon-test.local\n' >san.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out server.pem -days 5 -extfile san.ext
}
(pki) >"$T/pki.log" 2>&1 || { cat "$T/pki.log"; fail "openssl could not make the test PKI"; }

$PY "$DCMON_SOURCE_DIR/tests/peers/http_peer.py" --http "$http_port" --tls "$tls_port" \
  --cert "$T/server.pem" --key "$T/server.key" --silent "$silent_port" >"$T/peer.log" 2>&1 &
peer=$!
track $peer
wait_peer 10 "http peer" $peer "$T/peer.log" curl -sf "http://127.0.0.1:$http_port/ok"
wait_peer 10 "tls peer" $peer "$T/peer.log" \
  curl -sf --cacert "$T/ca.pem" --resolve "dcmon-test.local:$tls_port:127.0.0.1" \
  "https://dcmon-test.local:$tls_port/ok"

H=http://127.0.0.1:$http_port
S=https://127.0.0.1:$tls_port
{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "interval: 1s" "timeout: 800ms"
  cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: web
    kind: server
    checks:
      http:
        - {name: ok, url: $H/ok, body: "hello dcmon"}
        - {name: fail, url: $H/fail}
        - {name: fail-ok, url: $H/fail, status: ["5xx"], method: HEAD}
        - {name: mismatch, url: $H/ok, body_regex: "^goodbye"}
        - {name: host, url: $H/host, host: www.example.test, body: "host=www.example.test"}
        - {name: big, url: $H/big, body: "AAAA", body_max: 1024}
        - {name: tls, url: $S/ok, host: dcmon-test.local, ca_file: ca.pem, body: hello}
        - {name: wrong-ca, url: $S/ok, host: dcmon-test.local, ca_file: $T/other-ca.pem}
        - {name: noverify, url: $S/ok, tls_verify: false}
  - id: hung
    kind: server
    interval: 2s
    timeout: 1s
    checks:
      http: [http://127.0.0.1:$silent_port/]
YAML
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"
start_dcmond "$T/dcmon.yaml"

wait_until 30 "first http results" metric_is web http_state ok '.value == 1'
doc=$(status_json)
m() { metric_in "$doc" web "$@"; }
m http_state ok '.value == 1' && m http_status_code ok '.value == 200' &&
  m http_body_match ok '.value == 1' && m http_response_seconds ok '.value > 0 and .value < 1' \
  || fail "ok: $(metric_field web http_state ok value) $(metric_field web http_status_code ok value)"
pass "200 with the body: state ok, status 200, body match 1, response time in (0,1) s"
wait_until 10 "500 reported" metric_is web http_status_code fail '.value == 500'
metric_is web http_state fail '.value == 0' || fail "500: state not failed"
grep -q 'http\[web\]: fail: unknown -> failed: status 500' "$T/dcmond.log" \
  || grep -q 'sub=http dev=web .*fail: unknown -> failed: status 500' "$T/dcmond.log" \
  || fail "500: no log line naming the cause"
pass "500: state failed, status 500, cause 'status 500' logged"
metric_is web http_state fail-ok '.value == 1' && metric_is web http_status_code fail-ok '.value == 500' \
  || fail "HEAD with status [5xx] did not take 500 as expected"
pass "HEAD, status [5xx]: 500 is ok"
metric_is web http_body_match mismatch '.value == 0' && metric_is web http_state mismatch '.value == 0' \
  || fail "body_regex ^goodbye matched 'hello dcmon'"
grep -qE 'mismatch: unknown -> failed: body mismatch' "$T/dcmond.log" || fail "no 'body mismatch' cause"
pass "body mismatch: body match 0, state failed, cause 'body mismatch'"
metric_is web http_body_match host '.value == 1' || fail "Host header: the server did not see www.example.test"
pass "host: sent as the Host header"
metric_is web http_state big '.value == 1' && metric_is web http_body_match big '.value == 1' \
  || fail "4 MiB body cut at body_max 1024: not judged ok"
pass "4 MiB body cut at body_max (1024 bytes) and judged on what was read"

wait_until 10 "tls result" metric_is web http_state tls '.value == 1'
metric_is web http_cert_expiry_days tls '.value > 4.9 and .value <= 5' \
  || fail "days to expiry $(metric_field web http_cert_expiry_days tls value), want ~5"
pass "https with the test CA and SNI dcmon-test.local: ok, $(metric_field web http_cert_expiry_days tls value) days to expiry"
metric_is web http_state wrong-ca '.value == 0' \
  && metric_is web http_status_code wrong-ca '.quality == "error" and (.reason | test("certificate"))' \
  || fail "wrong CA: $(metric_field web http_status_code wrong-ca reason)"
pass "wrong CA refused: $(metric_field web http_status_code wrong-ca reason)"
metric_is web http_state noverify '.value == 1' && metric_is web http_cert_expiry_days noverify '.value > 4.9' \
  || fail "tls_verify false: not ok against a certificate for another name"
pass "tls_verify: false: ok, days to expiry still read"

expiry_alert() { api_get /api/v1/alerts | json_check '
  any(.alerts[]; .rule == "http-cert-expiry" and .device == "web" and .metric == "http_cert_expiry_days@tls"
                 and .state == "firing" and .severity == "warning")'; }
wait_until 10 "http-cert-expiry warning" expiry_alert
pass "default rule http-cert-expiry: warning firing for 5 days left"
failed_alert() { api_get /api/v1/alerts | json_check '
  any(.alerts[]; .rule == "http-failed" and .device == "web" and .metric == "http_state@fail"
                 and .severity == "critical")'; }
wait_until 10 "http-failed alert" failed_alert
pass "default rule http-failed: critical alert for the 500"

# The hung server: each poll of `hung` times out after 1 s while `web` goes on.
wait_until 15 "hung: timeout" metric_is hung http_state "http://127.0.0.1:$silent_port/" '.value == 0'
metric_is hung http_status_code "http://127.0.0.1:$silent_port/" '.reason == "timeout"' \
  || fail "hung: cause $(metric_field hung http_status_code "http://127.0.0.1:$silent_port/" reason)"
pass "a server that never answers: state failed, cause timeout"
hung_before=$(status_json | jq '.devices[] | select(.id=="hung") | .polls')
wait_polls web 4
hung_after=$(status_json | jq '.devices[] | select(.id=="hung") | .polls')
status_json | json_check '.devices[] | select(.id=="hung") | .state == "unreachable"' \
  || fail "hung: device not unreachable"
pass "web polled 4 more times while hung timed out (hung polls $hung_before -> $hung_after, unreachable)"

# A reload while hung's request is in flight: its transfer is dropped with the old
# instance, a changed check starts anew, and nothing leaks (the ASan build runs this).
sed -i "s|{name: fail, url: $H/fail}|{name: fail, url: $H/ok}|" "$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
wait_until 15 "reload" grep -q "reloaded: 2 devices" "$T/dcmond.log"
wait_until 15 "changed check ok" metric_is web http_state fail '.value == 1'
wait_polls hung 1
pass "SIGHUP with a request in flight: the changed check polled anew (ok), hung polled on"

stop_dcmond
pass "SIGTERM: clean exit 0"
done_checks
