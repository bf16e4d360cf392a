#!/usr/bin/env bash
# HTTP(S) URL checks in a tenant's layer (docs/PORTAL.md, "URL checks"), on a real
# dcmond over HTTP with a tenant-admin's token and python's TLS server with a
# certificate that expires in 5 days.  dcmond runs in its own mount namespace with a
# hosts file of the test bound over /etc/hosts, so that the test can point names at
# addresses and re-point them.  Asserts: the tenant's HTTPS check on its own server is
# polled and raises the expiry warning, the device without `interval` gets the tenant's
# least interval; a URL naming another tenant's address and a rule named like a default
# rule are refused with the message and an audit record each.  A URL's host name is
# resolved at each poll off the loop (libcurl's threaded resolver), not at the load:
# localhost (in the hosts file) is polled; a name resolving to a facility device's
# address, a name that does not resolve, and the tenant's name once re-pointed at the
# facility's address each give the check's point error naming why, while the tenant's
# other checks keep polling.  Each refusal at a poll is audited once as the tenant's
# device (tenant-refused, "at a poll"), not again at the next polls.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (a mount namespace for the hosts file)"; exit 1; }
hport=$(free_port)
http_port=$(free_port)
tls_port=$(free_port)
silent_port=$(free_port)

# a self-signed server certificate expiring in 5 days (the check does not verify it)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/server.key" -out "$T/server.pem" \
  -days 5 -subj "/CN=web.acme.test" >"$T/pki.log" 2>&1 || { cat "$T/pki.log"; fail "openssl"; }
$PY "$DCMON_SOURCE_DIR/tests/peers/http_peer.py" --http "$http_port" --tls "$tls_port" \
  --cert "$T/server.pem" --key "$T/server.key" --silent "$silent_port" >"$T/peer.log" 2>&1 &
peer=$!
track $peer
wait_peer 10 "tls peer" $peer "$T/peer.log" curl -sfk "https://127.0.0.1:$tls_port/ok"

hosts_ns "127.0.0.1 localhost" "127.0.0.1 web.acme.test" "127.0.0.4 ups.acme.test"

{ daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "interval: 1s" \
    "http: {listen: 127.0.0.1, port: $hport}" "accounts: {yescrypt_cost: 5}"
  cat <<YAML
  tenant_layer:
    limits:
      - {tenant: acme, min_interval: 2s, max_checks: 5, targets: [127.0.0.0/29],
         ports: [$tls_port]}
tenants:
  - {id: acme, email: [noc@acme.example]}
  - {id: globex, email: [noc@globex.example]}
devices:
  - {id: globex-db, kind: server, host: 127.0.0.3, tenant: globex, checks: {tcp: [$http_port]}}
  - {id: ups-1, kind: ups, host: 127.0.0.4, checks: {tcp: [$http_port]}}
YAML
} >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

TOKEN=$(account_token u-admin tenant-admin acme)
# put KIND YAML: the tenant-admin's change; prints "STATUS BODY"
put() {
  curl -s -m 20 -o "$T/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -H "Content-Type: application/json" --data "$(jq -cn --arg k "$1" --arg y "$2" '{kind: $k, yaml: $y}')" \
    "http://127.0.0.1:$hport/api/v1/layer/items"
  printf ' %s' "$(cat "$T/body")"
}
code() { echo "${1%% *}"; }
body() { echo "${1#* }"; }

# ---- the tenant's HTTPS check on its own server, by name --------------------------------
web="id: acme-web
kind: server
host: 127.0.0.1
checks:
  http: [{name: tls, url: \"https://web.acme.test:$tls_port/ok\", tls_verify: false, body: hello}]"
out=$(put device "$web")
assert_eq "$(code "$out"):$(body "$out" | jq -r .request.state)" "200:applied" "the tenant-admin's HTTPS check applies"
wait_until 20 "acme-web's https check" metric_is acme-web http_state tls '.value == 1'
metric_is acme-web http_cert_expiry_days tls '.value > 4.9 and .value <= 5' \
  || fail "days to expiry $(metric_field acme-web http_cert_expiry_days tls value)"
pass "polled: state ok, $(metric_field acme-web http_cert_expiry_days tls value) days to expiry"
expiry() { api_get /api/v1/alerts | json_check 'any(.alerts[]; .rule == "http-cert-expiry" and
  .device == "acme-web" and .state == "firing" and .severity == "warning")'; }
wait_until 20 "http-cert-expiry on acme-web" expiry
pass "the expiry warning fires on the tenant's check"
assert_eq "$(api_get /api/v1/devices/acme-web | jq .device.interval_ms)" 2000 \
  "a device without interval gets the tenant's least (2s), not the daemon's 1s"

# ---- refusals: message and audit record each ------------------------------------------------
refuse() { # WHAT KIND YAML WANT-TEXT
  local out
  out=$(put "$2" "$3")
  [ "$(code "$out")" = 422 ] || fail "$1: $out, want 422"
  case $(body "$out" | jq -r .error) in *"$4"*) ;; *) fail "$1: $(body "$out")" ;; esac
  audit_json --action tenant-refused | jq -e --arg m "$4" '[.entries[] | select(.detail | contains($m))] | length >= 1' \
    >/dev/null || fail "$1: no audit record"
  pass "refused with message and audit record: $1"
}
url_dev() { printf 'id: %s\nkind: server\nhost: 127.0.0.1\nchecks:\n  http: ["%s"]\n' "$1" "$2"; }
refuse "a URL on another tenant's address" device "$(url_dev x1 "https://127.0.0.3:$tls_port/")" \
  "http: url: 127.0.0.3 is the address of another tenant's device"
refuse "a URL outside the targets" device "$(url_dev x3 "https://127.0.0.9:$tls_port/")" \
  "http: url: 127.0.0.9 is outside the targets the NOC allows tenant acme"
refuse "a URL on a port not allowed" device "$(url_dev x4 "https://127.0.0.1:$http_port/")" \
  "http: port $http_port is not among the ports the NOC allows tenant acme"
refuse "an address: pin on the facility" device \
  "$(printf 'id: x5\nkind: server\nhost: 127.0.0.1\nchecks:\n  http: [{url: "https://web.acme.test:%s/", address: 127.0.0.4}]\n' "$tls_port")" \
  "http: address: 127.0.0.4 is the address of a facility device"
refuse "a ca_file on dcmond's host" device \
  "$(printf 'id: x6\nkind: server\nhost: 127.0.0.1\nchecks:\n  http: [{url: "https://127.0.0.1:%s/", ca_file: /etc/shadow}]\n' "$tls_port")" \
  "http: ca_file: a file on dcmond's host is the NOC's"
refuse "a rule named like a default rule" rule \
  "$(printf 'name: http-cert-expiry\nmatch: {metric: http_cert_expiry_days}\nbelow: {warn: -100}\n')" \
  "name: http-cert-expiry is a default rule of the NOC"
expiry || fail "the NOC's default no longer fires"
status_json | json_check '[.devices[] | select(.id | startswith("x"))] | length == 0' || fail "a refused device is polled"
pass "no refused device is polled; the NOC's default still fires"

# ---- names resolved at each poll, off the loop ------------------------------------------------
# state_is DEVICE REASON-TEXT INST: the check failed (http_state 0) and its points' error
# (http_status_code's reason) contains the text
state_is() { metric_is "$1" http_state "$3" ".value == 0" && metric_is "$1" http_status_code "$3" "(.reason // \"\") | contains(\"$2\")"; }
loc="id: acme-local
kind: server
host: 127.0.0.1
checks:
  http: [{name: loc, url: \"https://localhost:$tls_port/ok\", tls_verify: false}]"
assert_eq "$(code "$(put device "$loc")")" 200 "a URL on localhost applies"
wait_until 20 "acme-local's check" metric_is acme-local http_state loc '.value == 1'
pass "localhost, resolved at the poll from the hosts file, is polled"
put_url() { put device "$(printf 'id: %s\nkind: server\nhost: 127.0.0.1\nchecks:\n  http: [{name: u, url: "%s"}]\n' "$1" "$2")"; }
assert_eq "$(code "$(put_url acme-ups "https://ups.acme.test:$tls_port/")")" 200 "a URL whose name the load does not resolve applies"
wait_until 20 "acme-ups refused at the poll" state_is acme-ups "ups.acme.test resolves to 127.0.0.4: refused by the check's allow/deny" u
pass "a name resolving to a facility device's address: the point's error ($(metric_field acme-ups http_status_code u reason))"
# poll_refusals DEVICE: the audit records of DEVICE's refusals at a poll (JSON lines)
poll_refusals() {
  audit_json --action tenant-refused --target "tenant:acme/device/$1" |
    jq -c '.entries[] | select(.detail | contains("at a poll"))'
}
ups_audited() { [ "$(poll_refusals acme-ups | wc -l)" -ge 1 ]; }
wait_until 10 "the audit record of acme-ups' refusal" ups_audited
poll_refusals acme-ups | head -1 | jq -e '.who == "dcmond" and (.detail | contains(
  "http: url of check u: ups.acme.test resolves to 127.0.0.4: refused by the check'"'"'s allow/deny"))' \
  >/dev/null || fail "acme-ups' audit record: $(poll_refusals acme-ups)"
pass "the refusal at a poll is audited as the tenant's device ($(poll_refusals acme-ups | jq -r .detail))"
assert_eq "$(code "$(put_url acme-nx "https://nosuch.acme.test:$tls_port/")")" 200 "a URL whose name does not resolve applies"
wait_until 30 "acme-nx's resolution error" state_is acme-nx "resolve host: nosuch.acme.test" u
pass "a name that does not resolve: the point's error ($(metric_field acme-nx http_status_code u reason))"
wait_polls acme-web 2
wait_polls acme-local 2
metric_is acme-web http_state tls '.value == 1' || fail "acme-web beside them: $(metric_field acme-web http_state tls reason)"
pass "the tenant's other checks keep polling beside them"
wait_polls acme-ups 1 60 # refused: unreachable, its interval backs off
state_is acme-ups "ups.acme.test resolves to 127.0.0.4" u || fail "acme-ups no longer refused"
assert_eq "$(poll_refusals acme-ups | wc -l)" 1 "polls refused again at the same address add no audit record"
assert_eq "$(poll_refusals acme-web | wc -l)" 0 "no refusal record for the check that is answered"

# ---- the name re-pointed at the facility's address: refused at the next poll -------------------
hosts "127.0.0.1 localhost" "127.0.0.4 web.acme.test" "127.0.0.4 ups.acme.test"
assert_eq "$(resolved_in_ns web.acme.test)" 127.0.0.4 "the name now resolves to the facility's address"
wait_until 20 "acme-web refused once re-pointed" state_is acme-web "web.acme.test resolves to 127.0.0.4: refused by the check's allow/deny" tls
pass "re-pointed at the facility's address: refused at the next poll ($(metric_field acme-web http_status_code tls reason))"
web_audited() { [ "$(poll_refusals acme-web | wc -l)" -ge 1 ]; }
wait_until 10 "the audit record of acme-web's refusal" web_audited
wait_polls acme-web 1 60
assert_eq "$(poll_refusals acme-web | jq -r .detail | grep -c 'web.acme.test resolves to 127.0.0.4')" 1 \
  "the re-pointed name is audited once, not at each poll"
metric_is acme-local http_state loc '.value == 1' || fail "acme-local after the re-pointing"
stop_dcmond
done_checks
