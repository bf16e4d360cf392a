#!/usr/bin/env bash
# The events views (issue 19 item 6, docs/EVENTS.md "Surfaces"): real syslog lines sent
# to dcmond's receiver over TCP from two tenants' servers.  In headless Chromium
# (tests/e2e/device_events.test.js) each tenant's account, logged in through /login,
# sees its server's lines on its device page, newest first with severity, program and
# message, and never the other tenant's lines (its device page is a missing one, its
# own page lists its own lines only).  The search API under the sessions' tokens says
# the same.  Then (tests/e2e/events_view.test.js) the NOC's wall view /wall/events
# shows a line sent with logger(1) while it is open, without a reload, flagged as from
# an unknown source, and its severity and text filters narrow the list; acme's wall view
# shows its own lines only; the tenant portal's device page shows acme its server's
# lines and nothing of globex's, and globex gets a missing page for acme's server.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/e2e_lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user as root over the socket)"; exit 1; }
SEND="$PY $DCMON_SOURCE_DIR/tests/peers/syslog_send.py"
SIM_HTTP_PORT=$(free_port)
TCP=$(free_port)
syslog_two_tenants_yaml "$SIM_HTTP_PORT" "$TCP" >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"

declare -A PW=([noc]="noc-op-password-1" [acme]="acme-op-password-1" [globex]="globex-op-password-1") TOK
printf '%s\n' "${PW[noc]}" | "$DCMON" user add noc-op --role noc-operator >/dev/null || fail "user add noc-op"
for t in acme globex; do
  printf '%s\n' "${PW[$t]}" | "$DCMON" user add "$t-op" --role tenant-operator --tenant "$t" >/dev/null \
    || fail "user add $t-op"
  TOK[$t]=$("$DCMON" user token "$t-op" | head -1)
done

hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
line() { # PRI HOST PROGRAM TEXT: one RFC 3164 line over TCP (LF-framed)
  $SEND tcp "$TCP" "$(hex "<$1>$(LC_ALL=C date -u '+%b %e %H:%M:%S') $2 $3: $4")0a"
}
stored() { [ "$(api_get "/api/v1/events/search?text=marker&limit=10" | jq '.events | length')" -ge "$1" ]; }
# <11> = user.err, <12> = user.warning, <14> = user.info
line 11 acme-web nginx "acme marker one upstream timed out"
line 12 acme-web kernel "acme marker two eth0 link flapping"
line 14 globex-db sshd "globex marker secret session opened"
wait_until 15 "the three lines stored" stored 3

# ---- the API under each tenant's token ------------------------------------------------
search() { # TENANT QUERY: the messages the tenant's search gives, one a line
  token_req "${TOK[$1]}" GET "http://127.0.0.1:$SIM_HTTP_PORT/api/v1/events/search?$2" >/dev/null
  jq -r '.events[]?.message' "$T/body"
}
assert_eq "$(search acme "device=acme-web")" $'acme marker two eth0 link flapping\nacme marker one upstream timed out' \
  "acme's search of its server: its two lines, newest first"
assert_eq "$(search globex "device=acme-web")" "" "globex's search of acme's server: nothing"
assert_eq "$(search globex "text=marker")" "globex marker secret session opened" \
  "globex's search of the text: its own line only"

# ---- the device pages in the browser --------------------------------------------------
e2e_run device_events.test.js A_USER=acme-op A_PW="${PW[acme]}" B_USER=globex-op B_PW="${PW[globex]}"
e2e_run events_view.test.js SYSLOG_TCP="$TCP" NOC_USER=noc-op NOC_PW="${PW[noc]}" \
  A_USER=acme-op A_PW="${PW[acme]}" B_USER=globex-op B_PW="${PW[globex]}"
done_checks
