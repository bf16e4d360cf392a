# Helpers of the e-mail integration tests (source after lib.sh): the SMTP sink
# (tests/peers/smtp_sink.py), TCP listeners the tests close to raise alerts, and
# questions about the messages the sink recorded.
SINK="$DCMON_SOURCE_DIR/tests/peers/smtp_sink.py"
# alert mails carry graphs drawn by librrd, whose allocations are never freed (by design)
export LSAN_OPTIONS="suppressions=$DCMON_SOURCE_DIR/tests/lsan-librrd.supp:fast_unwind_on_malloc=0:print_suppressions=0"

# start_sink DIR PORT [ARGS...]: starts the sink recording to DIR; sets SINK_PID.
start_sink() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir"; rm -f "$dir/ready"
  $PY "$SINK" --port "$port" --dir "$dir" "$@" >>"$dir/sink.log" 2>&1 &
  SINK_PID=$!
  track "$SINK_PID"
  wait_peer 15 "SMTP sink on port $port" "$SINK_PID" "$dir/sink.log" test -e "$dir/ready"
}
stop_sink() { kill "$SINK_PID" 2>/dev/null || true; wait "$SINK_PID" 2>/dev/null || true; }

# start_ports PORT...: one process listening on every port; prints nothing, sets PORTS_PID.
start_ports() {
  $PY - "$@" >>"$T/ports.log" 2>&1 <<'PYEOF' &
import socket, sys, select
socks = []
for p in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(p))); s.listen(64); socks.append(s)
while True:
    r, _, _ = select.select(socks, [], [])
    for s in r:
        c, _ = s.accept(); c.close()
PYEOF
  PORTS_PID=$!
  track "$PORTS_PID"
}

# start_sink_and_two_ports: the sink recording to $T/mail on a free port (smtp_port) and
# two listeners on free ports (pa and pb, run by ports_a and ports_b): two devices'
# checked ports, closed one at a time to raise one alert at a time.
start_sink_and_two_ports() {
  smtp_port=$(free_port); pa=$(free_port); pb=$(free_port)
  start_sink "$T/mail" "$smtp_port"
  start_ports "$pa"; ports_a=$PORTS_PID
  start_ports "$pb"; ports_b=$PORTS_PID
}

# msgs DIR: every recorded message as one JSON array ([] when none).
msgs() {
  local dir=$1
  if compgen -G "$dir/msg-*.json" >/dev/null; then cat "$dir"/msg-*.json | jq -s .; else echo '[]'; fi
}
# mail_text DIR [FIRST]: the text/plain parts of the recorded messages (from the FIRST-th
# on, 0-based), one after the other: what an alert mail says, without its HTML and images.
mail_text() {
  msgs "$1" | jq -c ".[${2:-0}:][]" | $PY -c '
import email, json, sys
for line in sys.stdin:
    for part in email.message_from_string(json.loads(line)["data"]).walk():
        if part.get_content_type() == "text/plain":
            print(part.get_payload(decode=True).decode("utf-8", "replace"))
'
}
# mail_blocks DIR [FIRST]: one TSV line per alert block of the recorded messages (from
# the FIRST-th on, 0-based) and recipient: RCPT KIND SEVERITY DEVICE METRIC THROUGH WHAT,
# KIND "-" for a first notification (else RESOLVED, REMINDER, ESCALATION, TEST), THROUGH
# the cause the block says it breaks through ("-" if none), WHAT its first line's words.
mail_blocks() {
  msgs "$1" | $PY -c '
import email, json, re, sys
first = int(sys.argv[1])
head = re.compile(r"^(?:(RESOLVED|REMINDER|ESCALATION|TEST) )?(CRITICAL|WARNING|INFO): (.*)$")
for msg in json.load(sys.stdin)[first:]:
    text = "".join(p.get_payload(decode=True).decode("utf-8", "replace")
                   for p in email.message_from_string(msg["data"]).walk()
                   if p.get_content_type() == "text/plain")
    blocks, cur = [], None
    for line in text.splitlines():
        m = head.match(line)
        if m:
            cur = {"kind": m.group(1) or "-", "sev": m.group(2), "what": m.group(3),
                   "dev": "-", "metric": "-", "through": "-"}
            blocks.append(cur)
        elif cur is not None:
            f = re.match(r"^(Device|Metric): +(\S+)", line)
            t = re.match(r"^Breaks through: the suppression under (\S+)", line)
            if f:
                cur["dev" if f.group(1) == "Device" else "metric"] = f.group(2)
            elif t:
                cur["through"] = t.group(1)
    for rcpt in msg["rcpt_tos"]:
        for b in blocks:
            print("\t".join([rcpt, b["kind"], b["sev"], b["dev"], b["metric"], b["through"], b["what"]]))
' "${2:-0}"
}
# count_to DIR ADDR [JQ-FILTER]: messages whose envelope includes ADDR (and match FILTER).
count_to() {
  local dir=$1 addr=$2 filt=${3:-true}
  msgs "$dir" | jq --arg a "$addr" "[.[] | select(.rcpt_tos | index(\$a)) | select($filt)] | length"
}
# count_is DIR ADDR N [FILTER]: true if exactly N such messages.
count_is() { [ "$(count_to "$1" "$2" "${4:-true}")" = "$3" ]; }

# notif_json [ARGS]: `dcmon notifications --json`; fails on an empty document.
notif_json() {
  local out rc=0
  out=$("$DCMON" notifications --json "$@") || rc=$?
  [ "$rc" -le 2 ] && [ -n "$out" ] || return 1
  printf '%s\n' "$out"
}
notif_check() { local doc; doc=$(notif_json) || return 1; printf '%s\n' "$doc" | json_check "$1"; }

# smtp_block PORT [EXTRA]: the daemon's smtp: section of a test config (EXTRA: more
# keys, indented by four spaces).  10 s a step: a sink under a loaded run (ASan, two
# tests at once) may take seconds to answer a step of a TLS session; a test about a
# timeout sets its own.
smtp_block() {
  cat <<YAML
  smtp:
    host: 127.0.0.1
    port: $1
    starttls: off
    from: dcmon@dc.example
    timeout: 10s
    dashboard_url: http://dash.example
    retry_min: 500ms
    retry_max: 2s
${2:-}
YAML
}

# daemon_block SMTP_PORT [SMTP-EXTRA]: the daemon: section of a test config (1 s polls).
daemon_block() {
  daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "archive_flush: 200ms"
  smtp_block "$@"
}

# syslog_daemon_block SMTP_PORT TCP_PORT: daemon_block with dcmond's syslog receiver on
# TCP_PORT of 127.0.0.1 (the keys of `syslog:` may follow).
syslog_daemon_block() {
  daemon_block "$1"
  printf '  syslog:\n    listen: 127.0.0.1\n    tcp_port: %s\n' "$2"
}

# start_syslog_sink DIR: the sink recording to DIR on a free port ($SMTP) and a free port
# for dcmond's syslog receiver over TCP ($TCP): the config's daemon: section is then
# `syslog_daemon_block "$SMTP" "$TCP"`, its lines are sent with syslog_tcp.
start_syslog_sink() {
  SMTP=$(free_port); TCP=$(free_port)
  start_sink "$1" "$SMTP"
}

# syslog_tcp LINE: one syslog line (LF-framed) to dcmond's receiver on $TCP.
syslog_tcp() {
  $PY "$DCMON_SOURCE_DIR/tests/peers/syslog_send.py" tcp "$TCP" \
    "$(printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n')0a"
}

# email_config SMTP_PORT GROUP_WAIT "PORT..." [SMTP-EXTRA]: a config on $T/dcmon.yaml
# with device `box` (tenant acme) checking every PORT, the port-closed rule at once,
# and routes to acme's address and the facility team.
email_config() {
  local smtp=$1 wait=$2 ports=$3 extra=${4:-} p
  {
    cat <<YAML
$(daemon_block "$smtp" "$extra")
tenants:
  - {id: acme, email: [ops@acme.example]}
teams:
  - {id: facility, email: [facility@dc.example]}
devices:
  - id: box
    kind: server
    host: 127.0.0.1
    tenant: acme
    checks:
      tcp:
YAML
    for p in $ports; do echo "        - $p"; done
    cat <<YAML
rules:
$(port_closed_rule)
routes:
  - {name: tenants, tenant: true, group_wait: $wait}
  - {name: facility, teams: [facility], group_wait: $wait}
YAML
  } >"$T/dcmon.yaml"
}

# metric_is_any DEVICE NAME VALUE: a metric of any device (also dcmond's own) has VALUE.
metric_is_any() {
  local doc
  doc=$(api_get "/api/v1/metrics?device=$1&name=$2") || return 1
  printf '%s\n' "$doc" | json_check "[.metrics[] | select(.value == $3)] | length == 1"
}

# config_error_at KEY PATTERN: `dcmond --check-config` on $T/dcmon.yaml exits 1 with an
# error matching PATTERN positioned at the line of the smtp key KEY; the errors stay in
# $T/check.err.
config_error_at() {
  local key=$1 pattern=$2 rc=0 line
  "$DCMOND" --check-config "$T/dcmon.yaml" 2>"$T/check.err" || rc=$?
  assert_eq "$rc" 1 "check-config exit code"
  line=$(grep -n "^    $key:" "$T/dcmon.yaml" | cut -d: -f1)
  grep -q "dcmon.yaml:$line:[0-9]*: error: $pattern" "$T/check.err" \
    || fail "no positioned error for $key: $(cat "$T/check.err")"
  pass "$key: error at dcmon.yaml:$line"
}
