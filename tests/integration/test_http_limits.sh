#!/usr/bin/env bash
# The dashboard against hostile clients (issue 15, item 7), each client played by
# tests/peers/http_flood.py from its own loopback address:
#  - 1,100 event streams held from 127.0.0.1: the wall and the API still answer
#    127.0.0.2, only max_streams_per_address streams are accepted, and RSS stays bounded;
#  - 600 POSTs announcing 1 MiB with a wrong token (127.0.0.3): refused before their
#    bodies are read, RSS bounded;
#  - a flood of wrong tokens (127.0.0.4): 401 up to auth_fail_limit, then 429, while
#    the right token from another address still works; all refusals make two log lines;
#  - a stream whose client does not read is ended after stream_idle_timeout; a wall
#    that reads keeps its stream.
source "$(dirname "$0")/lib.sh"

# the held streams are file descriptors on both sides: dcmond raises its soft limit to
# the hard one, http_flood.py its own
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 4096 ]; then
  ulimit -Hn 4096 2>/dev/null || fail "open files hard limit $(ulimit -Hn) < 4096 and cannot be raised"
fi
FLOOD=("$PY" "$DCMON_SOURCE_DIR/tests/peers/http_flood.py")

port=$(free_port)
closed=$(free_port)
token=$(head -c 24 /dev/urandom | base64)
printf '%s\n' "$token" >"$T/token"; chmod 600 "$T/token"
# a snapshot of ~200 KB (more than the stream's socket buffers, so that a client that
# does not read leaves it waiting in dcmond)
desc=$(printf 'rack-mounted server %.0s' $(seq 1 90))
{
  daemon_yaml "interval: 1h" "archive_flush: 1s" \
    "http: {port: $port, token_file: token, stream_idle_timeout: 4s, auth_fail_window: 20s}"
  echo "devices:"
  for i in $(seq -w 1 100); do
    printf '  - {id: srv-%s, kind: server, host: 127.0.0.1, description: "%s", checks: {tcp: [%s]}}\n' \
      "$i" "$desc" "$closed"
  done
} >"$T/dcmon.yaml"

# limits that would let streams take every connection are config errors with a position
sed 's/stream_idle_timeout: 4s/max_streams: 2000/' "$T/dcmon.yaml" >"$T/bad.yaml"
out=$("$DCMOND" --check-config "$T/bad.yaml" 2>&1) && fail "check-config accepted max_streams 2000"
grep -q "bad.yaml:[0-9]*:[0-9]*: error: http: max_streams 2000 must be below max_connections (1024)" <<<"$out" ||
  fail "bad max_streams: $out"
pass "http: max_streams >= max_connections rejected with file:line:col"

start_dcmond "$T/dcmon.yaml"
B="http://127.0.0.1:$port"
wait_until 20 "dashboard" curl -sf -m 2 "$B/api/v1/health"
curl -s -N -m 2 --interface 127.0.0.5 "$B/api/v1/events" -o "$T/first.sse" || true
snap=$(grep -m1 '^data: {"ts_ms".*"devices"' "$T/first.sse" | wc -c)
[ "$snap" -gt 150000 ] || fail "snapshot is $snap bytes, the test wants > 150000"
rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$DCMOND_PID/status"; } # kB
base=$(rss VmRSS)
bound=$((base + 100 * 1024))
echo "baseline VmRSS ${base} kB, bound ${bound} kB"

# ---- 1,100 held streams from one address ------------------------------------------------
"${FLOOD[@]}" streams "$port" 1100 "$T/release" >"$T/streams.out" 2>&1 &
flood=$!
track $flood
wait_until 60 "1,100 streams answered" test -s "$T/streams.out"
echo "streams: $(cat "$T/streams.out")"
for what in /wall /api/v1/health; do
  code=$(curl -s -m 5 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "$B$what" || true)
  [ "$code" = 200 ] || fail "GET $what from 127.0.0.2 while 1,100 streams are held: '$code'"
done
pass "the wall and the API answer another address while 1,100 streams are held"
ok=$(grep -o '\b200=[0-9]*' "$T/streams.out" | cut -d= -f2)
[ "${ok:-0}" = 16 ] || fail "streams accepted from one address: ${ok:-0}, want 16 (max_streams_per_address)"
grep -q '\b429=[0-9]' "$T/streams.out" || fail "no stream answered 429: $(cat "$T/streams.out")"
grep -q 'event stream refused to http:127.0.0.1:[0-9]*: max_streams_per_address reached' "$T/dcmond.log" ||
  fail "no log line about refused streams"
hwm=$(rss VmHWM)
[ "$hwm" -lt "$bound" ] || fail "VmHWM ${hwm} kB with held streams, over ${bound} kB"
pass "16 streams held from 127.0.0.1, the rest answered 429 or closed; VmHWM ${hwm} kB"
touch "$T/release"
wait "$flood" || true

# ---- 600 large bodies with a wrong token ---------------------------------------------------
SRC=127.0.0.3 "${FLOOD[@]}" bodies "$port" 600 $((1024 * 1024)) "$T/go" >"$T/bodies.out" 2>&1 &
flood=$!
track $flood
wait_until 120 "600 bodies sent" grep -q '^sent=' "$T/bodies.out"
hwm=$(rss VmHWM)
echo "bodies: $(head -1 "$T/bodies.out"), VmHWM ${hwm} kB"
[ "$hwm" -lt "$bound" ] || fail "VmHWM ${hwm} kB with 600 pending bodies, over ${bound} kB"
touch "$T/go"
wait "$flood" || true
answers=$(tail -1 "$T/bodies.out")
echo "bodies answered: $answers"
grep -Eq '\b(2[0-9][0-9]|400)=' <<<"$answers" && fail "a body with a wrong token was read: $answers"
grep -Eq '\b(401|429)=[0-9]' <<<"$answers" || fail "no 401/429 for wrong tokens: $answers"
pass "600 x 1 MiB with a wrong token refused before their bodies; VmHWM ${hwm} kB"

# ---- wrong tokens: throttled, summed up in the log -----------------------------------------
SRC=127.0.0.4 "${FLOOD[@]}" tokens "$port" 200 >"$T/tokens.out" 2>&1
echo "tokens: $(cat "$T/tokens.out")"
grep -qx '401=10 429=190' "$T/tokens.out" || fail "wrong tokens from one address: $(cat "$T/tokens.out"), want 401=10 429=190"
code=$(curl -s -m 5 --interface 127.0.0.4 -D "$T/hdr" -o /dev/null -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $token" -d '{}' "$B/api/v1/silences")
[ "$code" = 429 ] || fail "the throttled address with the right token: $code, want 429"
grep -Eqi '^Retry-After: [0-9]+' "$T/hdr" || fail "429 without Retry-After: $(cat "$T/hdr")"
code=$(curl -s -m 5 --interface 127.0.0.2 -o "$T/body" -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $token" -d '{}' "$B/api/v1/silences")
[ "$code" = 400 ] || fail "the right token from another address: $code, want 400 (authorized, bad body): $(cat "$T/body")"
pass "wrong tokens: 10 x 401 then 429 with Retry-After; the right token works elsewhere"

# ---- a stream whose client does not read ---------------------------------------------------
curl -s -N -m 14 --interface 127.0.0.2 "$B/api/v1/events" -o "$T/reader.sse" &
reader=$!
track $reader
"${FLOOD[@]}" stall "$port" 9 >"$T/stall.out" 2>&1
cat "$T/stall.out"
sport=$(sed -n 's/^port=//p' "$T/stall.out")
grep -q '^eof=1' "$T/stall.out" || fail "the stream not read for 9 s is still open (stream_idle_timeout 4s)"
grep -q "event stream to http:127.0.0.1:$sport ended: not read for [0-9]*s" "$T/dcmond.log" ||
  fail "no log line for the unread stream"
kill -0 "$reader" 2>/dev/null || fail "the reading wall lost its stream"
grep -q "event stream to http:127.0.0.2" "$T/dcmond.log" && fail "the reading wall's stream was ended"
pings=$(grep -c '^event: ping' "$T/reader.sse" || true)
[ "$pings" -ge 5 ] || fail "the reading wall got $pings pings in 9 s"
pass "an unread stream is ended after stream_idle_timeout; a wall that reads keeps its own ($pings pings)"

# ---- the refusals above in the log: the first at once, the rest in one summary ------------
wait_until 40 "summary of the refusals" grep -q 'write refused [0-9]* times in the last 20s' "$T/dcmond.log"
lines=$(grep -c 'write refused' "$T/dcmond.log")
grep 'write refused' "$T/dcmond.log" | cut -c1-240
[ "$lines" -le 3 ] || fail "$lines log lines about refused writes, want at most 3"
pass "1,000+ refused writes made $lines log lines"
stop_dcmond
pass "dcmond stopped cleanly (exit 0, sanitizers quiet)"
echo "$_CHECKS checks passed"
