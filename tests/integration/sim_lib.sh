# Helpers for the simulator end-to-end tests: the demo data center (etc/demo) with
# every port replaced by a free one the test picked, dcmon-sim and dcmond started on it.
# Everything a test writes is under its own $T (lib.sh's mktemp directory).
DCMON_SIM="$DCMON_BUILD_DIR/sim/dcmon-sim"

# sim_pick_ports PORT...: prints "OLD NEW" lines, NEW a distinct port free on both TCP
# and UDP of 127.0.0.1 (the demo serves SNMP on UDP, Modbus and servers on TCP).
sim_pick_ports() {
  $PY - "$@" <<'PYEOF'
import socket, sys
held, out = [], []
for old in sys.argv[1:]:
    for _ in range(50):
        t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            t.close(); u.close(); continue
        held += [t, u]; out.append("%s %d" % (old, port)); break
    else:
        sys.exit("no free port")
print("\n".join(out))
PYEOF
}

# sim_port PORT: the port the test uses for the demo's PORT.
sim_port() { awk -v p="$1" '$1 == p { print $2 }' "$T/ports"; }

# sim_start: writes $T/sim.yaml and $T/dcmon.yaml from etc/demo (free ports, state in
# $T, 1 s polls), starts dcmon-sim and dcmond.  With SIM_SMTP_PORT set, alert e-mail
# goes to an SMTP sink on that port (the test starts it), else the smtp: section is
# dropped.  With SIM_HTTP_PORT set, the dashboard (the wall) listens on that port with
# its token in $T/token, else the http: section is dropped.  With SIM_EDIT set (a
# command), it is run with the path of dcmond's config before dcmond starts (rules or
# accounts a test adds).
sim_start() {
  local src="$DCMON_SOURCE_DIR/etc/demo" smtp_edit="/^  smtp: /d" http_edit="/^  http: /d"
  [ -n "${SIM_SMTP_PORT:-}" ] && smtp_edit="s|^\(  smtp: {host: 127.0.0.1, port: \)[0-9]*|\1$SIM_SMTP_PORT|"
  if [ -n "${SIM_HTTP_PORT:-}" ]; then
    head -c 24 /dev/urandom | base64 >"$T/token"; chmod 600 "$T/token"
    http_edit="s|^  http: .*|  http: {listen: 127.0.0.1, port: $SIM_HTTP_PORT, token_file: $T/token}|"
  fi
  sim_pick_ports $(grep -oE '(port: |tcp: \[)[0-9]+' "$src/sim.yaml" | grep -oE '[0-9]+' | sort -u) \
    >"$T/ports" || fail "cannot pick free ports"
  awk '{ printf "s/\\b%s\\b/%s/g\n", $1, $2 }' "$T/ports" >"$T/ports.sed"
  sed -f "$T/ports.sed" "$src/sim.yaml" | sed \
    -e "s|control: .*|control: $T/sim.sock|" \
    -e "s|profiles_dir: .*|profiles_dir: $DCMON_SOURCE_DIR/etc/profiles|" \
    -e "/^  http: /d" -e "/^  smtp: /d" \
    -e "s|scenarios_dir: .*|scenarios_dir: $DCMON_SOURCE_DIR/etc/scenarios|" >"$T/sim.yaml"
  sed -f "$T/ports.sed" "$src/dcmon.yaml" | sed \
    -e "s|data_dir: .*|data_dir: $T/data|" \
    -e "s|socket: .*|socket: $T/dcmon.sock|" \
    -e "s|profiles_dir: .*|profiles_dir: $DCMON_SOURCE_DIR/etc/profiles|" \
    -e "$http_edit" -e "$smtp_edit" \
    -e "s|interval: 2s|interval: 1s|" -e "s|timeout: 1s|timeout: 500ms|" >"$T/dcmon.yaml"
  [ -z "${SIM_EDIT:-}" ] || "$SIM_EDIT" "$T/dcmon.yaml" || fail "$SIM_EDIT failed"
  export DCMON_SIM_CONFIG="$T/sim.yaml"
  "$DCMON_SIM" serve >"$T/sim.out" 2>"$T/sim.log" &
  track $!
  wait_peer 20 dcmon-sim $! "$T/sim.log" grep -q '^dcmon-sim: serving' "$T/sim.out"
  "$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "demo config rejected"
  start_dcmond "$T/dcmon.yaml"
}

# sim_wait_polled: the dashboard answers (SIM_HTTP_PORT) and every simulated device has
# been polled (the standby generator and the leak cable, the slowest, report normal).
sim_wait_polled() {
  wait_until 30 "dashboard answering" curl -sf "http://127.0.0.1:$SIM_HTTP_PORT/api/v1/health"
  wait_until 30 "gen-1 polled" dev_metric_is gen-1 fail_to_start_alarm "" '.value_name == "ok"'
  wait_until 30 "every simulated device polled" dev_metric_is leak-h1 leak_state "" '.value_name == "off"'
}

# sim_report: how the simulator kept up (information, not a check: a loaded machine may
# legitimately be slow): rounds dcmon-sim logged as holding every device, and the
# timeouts dcmond saw.
sim_report() {
  echo "dcmon-sim rounds that held every device: $(grep -c 'loop busy' "$T/sim.log" || true);" \
    "dcmond poll timeouts: $(log_count 'timeout')"
}

# dev_json DEVICE: `dcmon status --json --device DEVICE` (exit 0..2 carry a document;
# 3 = not polled yet or no answer); fails, printing nothing, without one.
dev_json() {
  local out rc=0
  out=$("$DCMON" status --json --device "$1") || rc=$?
  [ "$rc" -le 2 ] && [ -n "$out" ] || return 1
  printf '%s\n' "$out"
}

# dev_metric_is DEVICE NAME INST JQ-PREDICATE: true if the metric object satisfies it.
dev_metric_is() {
  local dev=$1 name=$2 inst=$3 pred=$4 doc
  doc=$(dev_json "$dev") || return 1
  printf '%s\n' "$doc" | jq -e --arg d "$dev" --arg n "$name" --arg i "$inst" "
    [.devices[] | select(.id == \$d) | .metrics[]
     | select(.name == \$n and ((.inst // \"\") == \$i))] | length == 1 and (.[0] | $pred)" \
    >/dev/null
}

# dev_metric DEVICE NAME INST FIELD: one field of one metric ("" inst = none).
dev_metric() {
  dev_json "$1" | jq -r --arg d "$1" --arg n "$2" --arg i "$3" --arg f "$4" '
    .devices[] | select(.id == $d) | .metrics[]
    | select(.name == $n and ((.inst // "") == $i)) | .[$f]'
}

# dev_polls DEVICE: the device's completed polls.
dev_polls() { dev_json "$1" | jq -e --arg d "$1" '.devices[] | select(.id == $d) | .polls'; }

# sim_stall_clients MODBUS-PORT: in the background, a Modbus client that sends 5 of the
# 12 bytes of a request for gen-1's fuel level (holding 1027) and a control client that
# sends "sta"; once $T/finish exists they send the rest ("tus" and a newline) and write
# what they got back to $T/stalled.out: "modbus TID VALUE" and the control answer.
# Returns once both are connected with their first part sent.
sim_stall_clients() {
  $PY - "$1" "$T/sim.sock" "$T" <<'PYEOF' >"$T/stalled.out" 2>&1 &
import os, socket, struct, sys, time
port, ctl_path, t = int(sys.argv[1]), sys.argv[2], sys.argv[3]
req = struct.pack(">HHHBBHH", 7, 0, 6, 1, 3, 1027, 1)
m = socket.create_connection(("127.0.0.1", port), timeout=20)
m.sendall(req[:5])
c = socket.socket(socket.AF_UNIX)
c.settimeout(20)
c.connect(ctl_path)
c.sendall(b"sta")
open(os.path.join(t, "stalled"), "w").write("connected\n")
for _ in range(600):
    if os.path.exists(os.path.join(t, "finish")):
        break
    time.sleep(0.1)
m.sendall(req[5:])
ans = b""
while len(ans) < 11:
    part = m.recv(11 - len(ans))
    if not part:
        break
    ans += part
tid, _, _, _, fc, n, value = struct.unpack(">HHHBBBH", ans)
print("modbus", tid, value, flush=True)
c.sendall(b"tus\n")
out = b""
while True:
    part = c.recv(65536)
    if not part:
        break
    out += part
print(out.decode(), flush=True)
PYEOF
  track $!
  wait_until 10 "stalled clients connected" test -s "$T/stalled"
}

# firing DEVICE METRIC: an alert of DEVICE on METRIC (a prefix) is firing.
firing() {
  alerts_json | json_check "[.alerts[] | select(.device == \"$1\" and (.metric | startswith(\"$2\")) and .state == \"firing\")] | length > 0"
}
# firing_sev DEVICE METRIC SEVERITY
firing_sev() {
  alerts_json | json_check "[.alerts[] | select(.device == \"$1\" and (.metric | startswith(\"$2\")) and .state == \"firing\" and .severity == \"$3\")] | length > 0"
}
# not_firing DEVICE METRIC: a document was read and has no such firing alert.
not_firing() {
  alerts_json | json_check "[.alerts[] | select(.device == \"$1\" and (.metric | startswith(\"$2\")) and .state == \"firing\")] | length == 0"
}
# firing_devices: the ids of devices with a firing alert, sorted, one line.
firing_devices() {
  alerts_json | jq -r '[.alerts[] | select(.state == "firing") | .device] | unique | join(" ")'
}
