#!/usr/bin/env bash
# Anonymous HTTP readers (http.anonymous, docs/ACCOUNTS.md) against a real dcmond over
# real HTTP (curl):
#  * no account yet (auto): the API, the event stream, /metrics, graphs and the wall read
#    as they always have, and the start says so in one log line;
#  * the first account added: a stream opened anonymously ends; anonymous reads of
#    /api/v1/status, /api/v1/events, /metrics and /api/v1/graph are 401, the wall and device pages go to /login, the login
#    page and its assets still load;
#  * a kiosk's session (a wall account's token, scoped to a tenant) that has ended never
#    reads as anonymous, even with `anonymous: wall`: 401 "the session has ended" and
#    the wall to /login?expired with the cookie cleared;
#  * `anonymous: wall` after a reload: anonymous reads as before; `anonymous: none` with
#    no account refuses them too; a bad value is refused at its file:line:col.
source "$(dirname "$0")/lib.sh"
# librrd's graph code leaks by design; full stacks so only its allocations are ignored
export LSAN_OPTIONS="suppressions=$DCMON_SOURCE_DIR/tests/lsan-librrd.supp:fast_unwind_on_malloc=0:print_suppressions=0"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user add over the socket)"; exit 1; }
port=$(free_port)
svc=$(free_port)
start_tcp_listener "$svc"
# config ANONYMOUS_KEY: the daemon config, with ", anonymous: X" or nothing in http
config() {
  { daemon_yaml "http: {listen: 127.0.0.1, port: $port$1}" \
      "accounts: {yescrypt_cost: 4, session_idle: 2s, session_max: 3s}"
    two_tenant_site_yaml
    cat <<YAML
devices:
  - {id: acme-web, kind: server, host: 127.0.0.1, checks: {tcp: [$svc]}, location: {site: tokyo-1, room: hall-a, rack: a01}}
  - {id: globex-db, kind: server, host: 127.0.0.1, checks: {tcp: [$svc]}, location: {site: tokyo-1, room: hall-a, rack: a02}}
YAML
  } >"$T/dcmon.yaml"
}
config ""
start_dcmond "$T/dcmon.yaml"
base="http://127.0.0.1:$port"
graph="/api/v1/graph?device=acme-web&metric=tcp_port_up&inst=$svc"
# code PATH [curl args]: the HTTP status of an anonymous GET
code() { local p=$1; shift; curl -s -m 5 -o /dev/null -w '%{http_code}' "$@" "$base$p"; }
# sse PATH [curl args]: the first event name of a stream, or its status when refused
sse_first() {
  curl -s -N -m 3 -o "$T/sse" -w '%{http_code}' "$@" "$base/api/v1/events" >"$T/sse.code" || true
  grep -m1 '^event:' "$T/sse" || cat "$T/sse.code"
}
devices() { curl -s -m 5 "$@" "$base/api/v1/status" | jq -r '[.devices[].id] | sort | join(",")'; }
wait_until 10 "the port polled" sh -c "api_get() { curl -sf --unix-socket '$DCMON_SOCKET' \"http://dcmond\$1\"; }; \
  api_get '/api/v1/status?metrics=1' | jq -e '[.devices[].metrics[]? | select(.name == \"tcp_port_up\")] | length == 2' >/dev/null"

# ---- no account: what HTTP readers have always seen ------------------------------------------
assert_eq "$(grep -c 'anonymous readers (no token, no session) see the wall and read the API, every tenant.s, read-only (http.anonymous: auto: no account yet)' "$T/dcmond.log")" 1 \
  "the start says the wall is open, and why"
assert_eq "$(devices)" "acme-web,globex-db" "no account: anonymous /api/v1/status"
assert_eq "$(sse_first)" "event: snapshot" "no account: anonymous event stream"
assert_eq "$(code /metrics)" 200 "no account: anonymous /metrics"
graph_open=$(code "$graph")
assert_eq "$graph_open" 200 "no account: anonymous graph"
assert_eq "$(code /wall)" 200 "no account: the wall"

# ---- the first account: anonymous reads refused -----------------------------------------------
curl -s -N -m 30 "$base/api/v1/events" >"$T/open" 2>/dev/null &
open_pid=$!; track $open_pid
wait_until 5 "the open wall's stream" grep -q '^event: snapshot' "$T/open"
echo "kiosk-password-1" | "$DCMON" user add kiosk --role wall --tenant acme >/dev/null
stream_gone() { ! kill -0 "$open_pid" 2>/dev/null; }
wait_until 10 "the stream opened anonymously to end" stream_gone
grep -q 'event stream to http:127.0.0.1:[0-9]* ended: anonymous reads are refused now (http.anonymous)' "$T/dcmond.log" \
  || fail "the cut stream is not logged"
pass "the wall already open anonymously is cut when the first account is added"
for p in /api/v1/status /api/v1/health /metrics "$graph"; do
  assert_eq "$(code "$p")" 401 "with accounts: anonymous $p"
done
assert_eq "$(sse_first)" 401 "with accounts: anonymous event stream"
curl -s -m 5 "$base/api/v1/status" | jq -e '.error | test("not logged in")' >/dev/null \
  || fail "401 body: $(curl -s -m 5 "$base/api/v1/status")"
for p in /wall / /devices/acme-web /portal; do
  out=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' "$base$p")
  assert_eq "$out" "303 $base/login" "with accounts: $p goes to the login"
done
assert_eq "$(code /login)" 200 "with accounts: the login page loads"
assert_eq "$(code /assets/login.js)" 200 "with accounts: its script loads"
assert_eq "$(grep -c 'anonymous readers (no token, no session) are refused: 401, the pages send them to /login (http.anonymous: auto: accounts exist)' "$T/dcmond.log")" 1 \
  "the change is logged once"

# ---- a kiosk: its token opens a scoped session; when it ends, never anonymous --------------------
tok=$("$DCMON" user token kiosk | head -1)
kiosk_login() {
  curl -s -m 10 -c "$T/jar" -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "{\"token\":\"$tok\"}" "$base/api/v1/login"
}
assert_eq "$(kiosk_login)" 200 "the kiosk's login"
assert_eq "$(devices -b "$T/jar")" "acme-web" "the kiosk reads its tenant only"
ended() { [ "$(code /api/v1/status -b "$T/jar")" = 401 ]; }
wait_until 10 "the kiosk's session to end (session_max 3s)" ended
curl -s -m 5 -b "$T/jar" "$base/api/v1/status" | jq -e '.error | test("session has ended")' >/dev/null \
  || fail "ended session's body: $(curl -s -m 5 -b "$T/jar" "$base/api/v1/status")"
assert_eq "$(sse_first -b "$T/jar")" 401 "an ended session's event stream"
curl -s -m 5 -D "$T/h" -o /dev/null -b "$T/jar" "$base/wall"
assert_eq "$(grep -i '^location:' "$T/h" | tr -d '\r')" "Location: /login?expired" "an ended session's wall goes to the login"
grep -qi '^Set-Cookie: dcmon_session=; .*Max-Age=0' "$T/h" || fail "the ended cookie is not cleared: $(cat "$T/h")"
pass "the ended session's cookie is cleared"

# ---- anonymous: wall (reload) ---------------------------------------------------------------------
config ", anonymous: wall"
kill -HUP "$DCMOND_PID"
wait_until 10 "the reload's log line" grep -q 'anonymous readers (no token, no session) see the wall and read the API, every tenant.s, read-only (http.anonymous: wall)' "$T/dcmond.log"
assert_eq "$(devices)" "acme-web,globex-db" "anonymous: wall: /api/v1/status"
assert_eq "$(sse_first)" "event: snapshot" "anonymous: wall: event stream"
assert_eq "$(code /metrics)" 200 "anonymous: wall: /metrics"
assert_eq "$(code "$graph")" 200 "anonymous: wall: graph"
assert_eq "$(code /wall)" 200 "anonymous: wall: the wall"
assert_eq "$(kiosk_login)" 200 "the kiosk logs in again"
wait_until 10 "the kiosk's session to end again" ended
assert_eq "$(code /api/v1/status -b "$T/jar")" 401 "anonymous: wall: an ended kiosk session still reads nothing"
assert_eq "$(code /wall -b "$T/jar")" 303 "anonymous: wall: an ended kiosk session's wall goes to the login"
stop_dcmond

# ---- anonymous: none without any account; a bad value ---------------------------------------------
rm -f "$T/data/accounts.db" "$T"/data/accounts.db-*
config ", anonymous: none"
start_dcmond "$T/dcmon.yaml"
assert_eq "$(code /api/v1/status)" 401 "anonymous: none, no account: /api/v1/status"
assert_eq "$(code /wall)" 303 "anonymous: none, no account: the wall"
stop_dcmond
config ", anonymous: open"
out=$("$DCMOND" --check-config "$T/dcmon.yaml" 2>&1) && fail "check-config accepted anonymous: open"
line=$(grep -n 'anonymous: open' "$T/dcmon.yaml" | cut -d: -f1)
case $out in *"dcmon.yaml:$line:"*"anonymous"*"auto, none, wall"*) pass "a bad value at its file:line:col: $out" ;;
  *) fail "check-config: $out" ;; esac
done_checks
