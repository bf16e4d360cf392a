#!/usr/bin/env bash
# The syslog receiver and the event store against real senders: logger(1) over UDP
# (RFC 5424 with structured data) and TCP (RFC 3164 octet-counted, RFC 5424 LF-framed);
# a real rsyslogd (its own config, work directory and ports) forwarding over TCP
# (octet-counted RFC 5424) and over TLS (traditional format, client certificate of a
# test CA); a TLS client without a certificate refused; hostile input (garbage, a 70 KB
# line, an invalid PRI, broken UTF-8, a sender stopping mid-frame while others go on);
# the per-source rate limit's "suppressed" note; an SNMP trap as an event; and the
# surfaces: the search API (filters, paging) and `dcmon events` (table, --json, -f).
. "$(dirname "$0")/lib.sh"
command -v rsyslogd >/dev/null || { echo "rsyslogd not installed (scripts/install-deps.sh)"; exit 77; }
SEND="$PY $DCMON_SOURCE_DIR/tests/peers/syslog_send.py"

# ---- a test CA, the listener's certificate and rsyslog's client certificate ----------
cert() { # NAME CN
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$2" >"$T/$1.ext"
  openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
    -days 2 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=dcmon test CA" -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
cert server dcmond.test
cert client rsyslog-client

UDP=$(free_udp_port); TCP=$(free_port); TLS=$(free_port); TRAP=$(free_udp_port)
RS_TCP_IN=$(free_udp_port); RS_TLS_IN=$(free_udp_port)
HOST=$(hostname)
# the device is this machine by the host name its messages give (logger, rsyslogd)
{
  daemon_yaml
  cat <<EOF
  syslog:
    listen: 127.0.0.1
    udp_port: $UDP
    tcp_port: $TCP
    tls_port: $TLS
    tls_cert: $T/server.pem
    tls_key: $T/server.key
    tls_ca: $T/ca.pem
    tls_require_client_cert: true
    source_rate: 300
    rules:
      - name: sshd-fail
        program: sshd
        match: Failed password
        window: 60s
        clear: Accepted password
  events:
    retention: 30d
  snmp_trap:
    listen: 127.0.0.1
    port: $TRAP
    communities: [public]
rules:
  - name: ssh-brute-force
    match: {metric: log_matches_count, inst: sshd-fail}
    above: {warn: 4}
    summary: 5 or more failed ssh logins within a minute
tenants:
  - id: acme
    name: Acme
devices:
  - id: $HOST
    kind: server
    host: 192.0.2.10
    tenant: acme
  - id: ups-1
    kind: ups
    host: 127.0.0.1
EOF
} >"$T/dcmon.yaml"
# config errors name their place
cat >"$T/bad.yaml" <<EOF
daemon:
  socket: $T/bad.sock
  syslog:
    listen: 127.0.0.1
    rules:
      - name: bad
        regex: "(unclosed"
      - name: empty
EOF
rc=0; "$DCMOND" -t -c "$T/bad.yaml" >"$T/bad.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "a bad syslog: section is refused"
grep -qF "bad.yaml:6:9: error: syslog rule bad: regex '(unclosed': " "$T/bad.out" || fail "$(cat "$T/bad.out")"
grep -qF "bad.yaml:8:9: error: syslog rule empty: nothing to match" "$T/bad.out" || fail "$(cat "$T/bad.out")"
pass "syslog rules: errors at file:line:col (a bad regex, a rule matching nothing)"

start_dcmond "$T/dcmon.yaml"

# search QUERY JQ: the jq expression over the API's search result
search() { api_get "/api/v1/events/search?$1" | jq -r "$2"; }
# wait_text WORDS N: until N events hold WORDS
wait_text() {
  has_n() { [ "$(search "text=$(jq -rn --arg t "$1" '$t|@uri')&limit=1000" '.events | length')" -ge "$2" ]; }
  wait_until 15 "$2 event(s) with '$1'" has_n "$1" "$2"
}
ev() { search "text=$(jq -rn --arg t "$1" '$t|@uri')&limit=1" ".events[0] | $2"; }

# ---- logger(1): each transport and framing --------------------------------------------
logger -n 127.0.0.1 -P "$UDP" -d --rfc5424 --sd-id 'origin@32473' --sd-param 'ip="10.1.2.3"' \
  --msgid LOGIN -t myapp -p auth.warning "udp five four two four"
logger -n 127.0.0.1 -P "$TCP" -T --octet-count --rfc3164 -t sshd -p authpriv.info \
  "Accepted publickey for bob tcp octet"
logger -n 127.0.0.1 -P "$TCP" -T --rfc5424 -t lfapp -p daemon.err "lf framed five four"
wait_text "udp five four two four" 1
assert_eq "$(ev 'udp five four two four' '.kind')" syslog "UDP RFC 5424: kind"
assert_eq "$(ev 'udp five four two four' '.severity')" warning "UDP RFC 5424: severity"
assert_eq "$(ev 'udp five four two four' '.facility')" 4 "UDP RFC 5424: facility (auth)"
assert_eq "$(ev 'udp five four two four' '.program')" myapp "UDP RFC 5424: APP-NAME"
assert_eq "$(ev 'udp five four two four' '.msgid')" LOGIN "UDP RFC 5424: MSGID"
assert_eq "$(ev 'udp five four two four' '.fields["origin@32473.ip"]')" 10.1.2.3 "UDP RFC 5424: SD param"
assert_eq "$(ev 'udp five four two four' '.device + "/" + .tenant')" "$HOST/acme" "mapped by host name, tenant"
assert_eq "$(ev 'udp five four two four' '.reported_ms != null')" true "UDP RFC 5424: time reported"
wait_text "Accepted publickey for bob tcp octet" 1
assert_eq "$(ev 'tcp octet' '.program + " " + .severity + " " + (.facility|tostring)')" "sshd info 10" \
  "TCP octet-counted RFC 3164: tag, severity, facility"
assert_eq "$(ev 'tcp octet' '.host')" "$HOST" "TCP RFC 3164: HOSTNAME"
wait_text "lf framed five four" 1
assert_eq "$(ev 'lf framed five four' '.program + " " + .severity')" "lfapp err" "TCP LF-framed RFC 5424"

# ---- rsyslogd forwarding over TCP and TLS ----------------------------------------------
mkdir -p "$T/rsyslog"
cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T/rsyslog" maxMessageSize="64k"
       defaultNetstreamDriverCAFile="$T/ca.pem"
       defaultNetstreamDriverCertFile="$T/client.pem"
       defaultNetstreamDriverKeyFile="$T/client.key")
module(load="imudp")
module(load="imfile")
input(type="imudp" address="127.0.0.1" port="$RS_TCP_IN" ruleset="tcp")
input(type="imfile" File="$T/app.log" Tag="fileapp" Facility="local5" Severity="warning"
      ruleset="tcp")
input(type="imudp" address="127.0.0.1" port="$RS_TLS_IN" ruleset="tls")
ruleset(name="tcp") {
  action(type="omfwd" target="127.0.0.1" port="$TCP" protocol="tcp"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}
ruleset(name="tls") {
  action(type="omfwd" target="127.0.0.1" port="$TLS" protocol="tcp"
         StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
         StreamDriverPermittedPeers="dcmond.test")
}
EOF
: >"$T/app.log"
rsyslogd -N1 -f "$T/rsyslog.conf" >"$T/rsyslog.check" 2>&1 || { cat "$T/rsyslog.check"; fail "rsyslog config"; }
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog/pid" >"$T/rsyslog.log" 2>&1 &
RSYSLOGD_PID=$!
track $RSYSLOGD_PID
rs_ready() { ss -lun | grep -q "127.0.0.1:$RS_TCP_IN " && ss -lun | grep -q "127.0.0.1:$RS_TLS_IN "; }
wait_peer 30 rsyslogd "$RSYSLOGD_PID" "$T/rsyslog.log" rs_ready
logger -n 127.0.0.1 -P "$RS_TCP_IN" -d --rfc3164 -t rsapp -p local3.notice "via rsyslog over tcp"
logger -n 127.0.0.1 -P "$RS_TLS_IN" -d --rfc3164 -t rsapp -p local4.crit "via rsyslog over tls"
wait_text "via rsyslog over tcp" 1
assert_eq "$(ev 'via rsyslog over tcp' '.program + " " + .severity + " " + (.facility|tostring)')" \
  "rsapp notice 19" "rsyslogd -> TCP octet-counted RFC 5424"
wait_text "via rsyslog over tls" 1
assert_eq "$(ev 'via rsyslog over tls' '.program + " " + .severity + " " + (.facility|tostring)')" \
  "rsapp crit 20" "rsyslogd -> TLS (RFC 5425)"
assert_eq "$(log_count 'tls connection from 127.0.0.1')" 1 "one TLS connection from rsyslogd"
grep -q 'tls connection from 127.0.0.1: TLSv1.[23], .*CN *= *rsyslog-client' "$T/dcmond.log" ||
  grep -q 'tls connection from 127.0.0.1: TLSv1.[23], /CN=rsyslog-client' "$T/dcmond.log" ||
  fail "rsyslogd's client certificate not seen"
pass "rsyslogd presented its client certificate"
# a log file on the dcmond host, read by rsyslogd's imfile (docs/EVENTS.md)
echo "a line of a log file on the dcmond host" >>"$T/app.log"
wait_text "a line of a log file on the dcmond host" 1
assert_eq "$(ev 'a line of a log file on the dcmond host' '.program + " " + .severity + " " + (.facility|tostring)')" \
  "fileapp warning 21" "a log file through rsyslogd's imfile"

# TLS: a client with the CA's certificate is taken, one without is refused
$SEND tls "$TLS" "$T/ca.pem" "$T/client.pem" "$T/client.key" "python tls with cert"
wait_text "python tls with cert" 1
rc=0; $SEND tls "$TLS" "$T/ca.pem" - - "python tls without cert" >/dev/null || rc=$?
assert_eq "$rc" 3 "TLS client without a certificate refused"
wait_until 10 "refused handshake logged" grep -q "tls handshake with 127.0.0.1 failed" "$T/dcmond.log"

# ---- hostile input: stored raw or flagged, nothing stalls ------------------------------
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# a sender that stops mid-frame holds its connection open throughout
coproc STALL { $SEND stall "$TCP" "$(hex '500 <13>1 - - stalled - - - never finished')" "$T/stalled"; }
wait_until 10 "stalled sender connected" test -f "$T/stalled"
$SEND udp "$UDP" "00ff13fe80c0deadbeef0102"                                  # garbage
$SEND udp "$UDP" "$(hex '<999>invalid pri marker')"
$SEND tcp "$TCP" "$(hex '<13>1 - h app - - - broken')c328ff$(hex ' utf8 marker')0a"
$SEND long "$TCP" 70000
logger -n 127.0.0.1 -P "$TCP" -T --octet-count -t other "other sender while one stalls"
wait_text "other sender while one stalls" 1
pass "a sender stopped mid-frame does not stall the others"
wait_text "invalid pri marker" 1
assert_eq "$(ev 'invalid pri marker' '.flags | join(",")')" parse_error "invalid PRI: flagged parse_error"
assert_eq "$(ev 'invalid pri marker' '.message')" "<999>invalid pri marker" "invalid PRI: raw text kept"
wait_text "utf8 marker" 1
assert_eq "$(ev 'utf8 marker' '.flags | join(",")')" bad_utf8 "broken UTF-8 flagged"
assert_eq "$(ev 'utf8 marker' '.message')" "broken�(� utf8 marker" "broken UTF-8 replaced by U+FFFD"
wait_text "longline" 1
assert_eq "$(ev 'longline' '.flags | join(",")')" truncated "70 KB line: cut and flagged"
assert_eq "$(ev 'longline' '.message | length')" $((65536 - 4)) "70 KB line: kept up to max_message (less the PRI)"
wait_text "after the long line" 1
garbage=$(search "flag=parse_error&limit=100" '[.events[] | select(.message | startswith("�"))]')
assert_eq "$(jq length <<<"$garbage")" 1 "binary garbage stored, flagged"
assert_eq "$(jq -r '.[0].device' <<<"$garbage")" ups-1 "no host name: mapped by address"
exec {STALL[1]}>&-   # the stalled sender closes: what it held is stored, cut
wait_text "never finished" 1
assert_eq "$(ev 'never finished' '.flags | join(",")')" truncated "a frame ended by close: stored, flagged"
kill -0 "$DCMOND_PID" || fail "dcmond died"

# ---- an SNMP trap becomes an event -----------------------------------------------------
snmptrap -v2c -c public "127.0.0.1:$TRAP" '' 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.2 i 2
has_trap() { [ "$(search 'kind=trap' '.events | length')" -ge 1 ]; }
wait_until 10 "trap event" has_trap
assert_eq "$(search 'kind=trap' '.events[0] | .program + " " + .device + " " + .severity')" \
  "link_down ups-1 err" "trap: name, device, severity"
assert_eq "$(search 'kind=trap' '.events[0].fields["1.3.6.1.2.1.2.2.1.1.2"]')" 2 "trap: varbind as field"

# ---- unknown source kept, flagged ------------------------------------------------------
SYSLOG_SRC=127.0.0.2 $SEND udp "$UDP" "$(hex '<14>1 - stranger app - - - from an unknown host')"
wait_text "from an unknown host" 1
assert_eq "$(ev 'unknown host' '(.device|tostring) + " " + (.flags|join(","))')" "null unknown_source" \
  "unknown source kept and flagged"
assert_eq "$(ev 'unknown host' '.source + " " + .host')" "127.0.0.2 stranger" "unknown source: address and host name kept"

# ---- surfaces: search filters, paging, dcmon events ------------------------------------
assert_eq "$(search "device=$HOST&severity=err&kind=syslog&limit=1000" '[.events[].severity] | unique | join(",")')" \
  "crit,err" "severity filter: err or worse"
total=$(search "device=$HOST&limit=1000" '.events | length')
page1=$(api_get "/api/v1/events/search?device=$HOST&limit=3")
next=$(jq -r .next <<<"$page1")
page2=$(api_get "/api/v1/events/search?device=$HOST&limit=1000&before=$next")
assert_eq "$(( $(jq '.events|length' <<<"$page1") + $(jq '.events|length' <<<"$page2") ))" "$total" "paging: two pages hold them all"
assert_eq "$(jq -r '[.events[].id] | length' <<<"$page2")" $((total - 3)) "paging: the second page continues the first"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DCMON_SOCKET" "http://d/api/v1/events/search?severity=loud")
assert_eq "$code" 400 "a bad severity is a 400"
"$DCMON" events --text "tcp octet" >"$T/cli.txt"
grep -q "Accepted publickey for bob tcp octet" "$T/cli.txt" || fail "dcmon events: $(cat "$T/cli.txt")"
pass "dcmon events prints the table"
assert_eq "$("$DCMON" events --json --severity crit --device "$HOST" | jq -r '.events[0].message')" \
  "via rsyslog over tls" "dcmon events --json with filters"
"$DCMON" events -f --json --text followed >"$T/follow.txt" 2>&1 &
FOLLOW=$!; track $FOLLOW
logger -n 127.0.0.1 -P "$UDP" -d --rfc5424 -t f "followed one"
logger -n 127.0.0.1 -P "$UDP" -d --rfc5424 -t f "followed two"
followed() { [ "$(grep -c followed "$T/follow.txt")" -ge 2 ]; }
wait_until 10 "dcmon events -f shows new events" followed
kill "$FOLLOW"
assert_eq "$(jq -rs 'map(.message) | join(",")' "$T/follow.txt")" "followed one,followed two" "-f: new events in order"

# ---- the rate limit: suppressed, counted in a stored note ------------------------------
$SEND burst "$UDP" 1000 burstmsg
burst_counted() { # the notes come at the limit's ticks: wait for the sum, not a tick
  [ $(( $(search "text=burstmsg&limit=1000" '.events | length') +
        $(search "flag=suppressed&limit=100" '[.events[].message | capture("^(?<n>[0-9]+)").n | tonumber] | add // 0') )) -ge 1000 ]
}
wait_until 20 "every burst message stored or counted" burst_counted
stored=$(search "text=burstmsg&limit=1000" '.events | length')
suppressed=$(search "flag=suppressed&limit=100" '[.events[].message | capture("^(?<n>[0-9]+)").n | tonumber] | add')
assert_eq "$((stored + suppressed))" 1000 "rate limit: stored + suppressed = sent"
[ "$stored" -le 600 ] || fail "rate limit let $stored of 1000 through"
pass "rate limit held back $suppressed of 1000"

# ---- UDP datagrams the kernel dropped are counted too --------------------------------
# dcmond stopped (SIGSTOP) while 8000 datagrams of 1 KiB arrive: its 4 MiB socket buffer
# overflows, the kernel drops the rest, and that count comes back as a stored note
# with the next datagram
since=$(date +%s%3N)
kill -STOP "$DCMOND_PID"
$SEND burst "$UDP" 8000 "sigstop $(printf 'z%.0s' $(seq 1 1000))"
kill -CONT "$DCMOND_PID"
# the kernel stamps its drop count on the datagrams queued after the drops: the next one
has_limit_note() { [ "$(search "from=$since&text=source_rate&flag=suppressed" '.events | length')" -ge 1 ]; }
wait_until 20 "the stopped receiver caught up" has_limit_note
# in the next second: sent in the flood's, this line was (rightly) held back by the
# source's rate and counted among the flood's suppressed (8001 of 8000)
sleep 1.1
$SEND udp "$UDP" "$(hex '<13>after the flood')"
has_kernel_note() { [ "$(search "from=$since&text=kernel&flag=suppressed" '.events | length')" -ge 1 ]; }
wait_until 20 "kernel drop note" has_kernel_note
notes() { search "from=$since&flag=suppressed&limit=1000" "[.events[] | select(.message | test(\"$1\")) | .message | capture(\"^(?<n>[0-9]+)\").n | tonumber] | add // 0"; }
# the rate limit's notes come at its ticks: wait for the sum rather than for a tick
counted() { [ $(( $(events_with sigstop) + $(notes "over source_rate") + $(notes "by the kernel") )) -ge 8000 ]; }
wait_until 20 "every datagram stored or counted" counted
kernel=$(notes "by the kernel")
limited=$(notes "over source_rate")
stored=$(events_with sigstop)
assert_eq "$((stored + limited + kernel))" 8000 "stored + rate-limited + dropped by the kernel = sent"
[ "$kernel" -gt 0 ] || fail "the kernel dropped nothing: the test did not overflow the buffer"
pass "the kernel dropped $kernel datagrams, each counted in a stored note"

# ---- a log rule: counted per device in its window, alerting through the engine --------
# The flood used up this second's source_rate of 127.0.0.1, the source of the lines below
# too: they would be held back (rightly) if sent in that same second. Every datagram is
# accounted for above, so after one second the limit's window holds nothing of the flood.
sleep 1.1
failed() { logger -n 127.0.0.1 -P "$TCP" -T --octet-count -t "$1" -p authpriv.notice \
  "Failed password for root from 10.9.9.$2 port 22 ssh2"; }
for i in 1 2 3 4; do failed sshd "$i"; done
failed other 9 # another program: no match
wait_text "Failed password" 5
assert_eq "$(api_get "/api/v1/metrics?device=$HOST&name=log_matches_count&inst=sshd-fail" | jq '.metrics[0].value')" 4 \
  "log rule: 4 matches in the window"
assert_eq "$(alerts_json --all | jq '[.alerts[] | select(.rule == "ssh-brute-force")] | length')" 0 \
  "4 failures: no alert"
failed sshd 5
wait_until 10 "ssh-brute-force firing" alert_is ssh-brute-force '.state == "firing" and .device == "'"$HOST"'"'
pass "a fifth failure within the window fires the engine's rule on the device"
logger -n 127.0.0.1 -P "$TCP" -T --octet-count -t sshd "Accepted password for bob from 10.9.9.1"
wait_until 10 "ssh-brute-force resolved" alert_is ssh-brute-force '.state == "resolved"'
pass "the clearing pattern resolves it"

# ---- a reload maps senders to the new config's devices ---------------------------------
sed -i -e 's/^    tenant: acme$/    tenant: beta/' -e 's/^  - id: acme$/  - id: acme\n    name: Acme\n  - id: beta/' "$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
wait_until 10 "reload" grep -q "reloaded: 2 devices" "$T/dcmond.log"
logger -n 127.0.0.1 -P "$TCP" -T --octet-count -t reload "after the reload"
wait_text "after the reload" 1
assert_eq "$(ev 'after the reload' '.device + "/" + .tenant')" "$HOST/beta" "after a reload: the new config's tenant"

stop_dcmond
done_checks
