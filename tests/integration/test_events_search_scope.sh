#!/usr/bin/env bash
# A tenant's event search is scoped in the query, not by leaving rows out of a page
# (issue 19, docs/EVENTS.md "Surfaces"): acme has three syslog lines under 120 newer
# ones of globex's server.  acme's first page (limit 20) holds its three lines, newest
# first (the scope applied after fetching gave a page of globex's 20 rows, all left
# out: empty); a page of 2 then the next page by its cursor give the three, each once;
# globex's search sees its own lines only, and the unscoped NOC sees all 123.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (dcmon user as root over the socket)"; exit 1; }
SEND="$PY $DCMON_SOURCE_DIR/tests/peers/syslog_send.py"
HTTP=$(free_port)
TCP=$(free_port)
syslog_two_tenants_yaml "$HTTP" "$TCP" >"$T/dcmon.yaml"
start_dcmond "$T/dcmon.yaml"
declare -A TOK
for t in acme globex; do TOK[$t]=$(account_token "$t-op" tenant-operator "$t"); done

lines() { # HOST TEXT N: N RFC 3164 lines "TEXT i" of HOST, LF-framed, as hex
  $PY - "$@" <<'PY'
import sys, time
host, text, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
stamp = time.strftime("%b %e %H:%M:%S", time.gmtime())
print(b"".join(b"<14>%s %s app: %s %d\n" % (stamp.encode(), host.encode(), text.encode(), i)
               for i in range(n)).hex())
PY
}
count() { api_get "/api/v1/events/search?text=$1&limit=1000" | jq '.events | length'; }
stored() { [ "$(count "$1")" -ge "$2" ]; }
$SEND tcp "$TCP" "$(lines acme-web acmeline 3)"
wait_until 15 "acme's three lines stored" stored acmeline 3
$SEND tcp "$TCP" "$(lines globex-db globexline 120)"
wait_until 15 "globex's 120 lines stored" stored globexline 120

search() { # TENANT QUERY: the page's body
  token_req "${TOK[$1]}" GET "http://127.0.0.1:$HTTP/api/v1/events/search?$2" >/dev/null
  cat "$T/body"
}
msgs() { jq -r '[.events[]?.message] | join(",")'; }
assert_eq "$(search acme "limit=20" | msgs)" "acmeline 2,acmeline 1,acmeline 0" \
  "acme's first page under globex's newer lines: its three lines"
page1=$(search acme "limit=2")
assert_eq "$(msgs <<<"$page1")" "acmeline 2,acmeline 1" "acme's page of 2"
next=$(jq -r '.next // ""' <<<"$page1")
assert_eq "$(search acme "limit=2&before=$next" | msgs)" "acmeline 0" "acme's next page by the cursor"
assert_eq "$(search acme "device=globex-db&limit=20" | msgs)" "" "acme's search of globex's server"
assert_eq "$(search globex "limit=200" | jq '[.events[] | select(.device != "globex-db")] | length')" 0 \
  "globex's search: its own lines only"
assert_eq "$(search globex "limit=200" | jq '.events | length')" 120 "globex's search: all its lines"
assert_eq "$(api_get "/api/v1/events/search?limit=1000" | jq '[.events[] | select(.message | test("line"))] | length')" 123 \
  "the NOC's search: every line"
done_checks
