#!/usr/bin/env bash
# dcmond end to end against real targets on this machine: loopback ping, a TCP listener
# started and then closed, a process started and killed, local resources; SIGHUP reload
# (good and bad); SIGTERM; values read back from the RRD files with rrdtool fetch.
source "$(dirname "$0")/lib.sh"
P_TESTPROC=dcmites$((RANDOM % 90000 + 10000))  # unique per run: parallel suites must not count each other's

port=$(free_port)
closed_port=$(free_port)
# A TCP service with a banner, started by the test.
$PY - "$port" >"$T/listener.log" 2>&1 <<'PYEOF' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept()
    try: c.sendall(b"SSH-2.0-dcmon-test\r\n")
    except OSError: pass
    c.close()
PYEOF
listener=$!
track $listener
# A process with a name nothing else has.
cp "$(command -v sleep)" "$T/${P_TESTPROC}"
"$T/${P_TESTPROC}" 600 &
proc=$!
track $proc

write_config() { # $1 = extra device block
  { daemon_yaml "profiles_dir: $DCMON_SOURCE_DIR/etc/profiles" "archive_flush: 200ms"
    cat <<YAML; } >"$T/dcmon.yaml"
devices:
  - id: box
    kind: server
    host: 127.0.0.1
    checks:
      ping: {count: 2, spacing: 50ms}
      tcp:
        - {port: $port, expect: "SSH-2.0"}
        - $closed_port
      process: [${P_TESTPROC}]
      resources: local
$1
YAML
}
write_config ""
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"
start_dcmond "$T/dcmon.yaml"

wait_until 30 "tcp port up" metric_is box tcp_port_up "$port" '.value == 1 and .quality == "ok"'
pass "tcp_port_up{port=$port} = 1"
wait_until 30 "expect ok" metric_is box tcp_expect_ok "$port" '.value == 1'
pass "banner matched"
metric_is box tcp_connect_seconds "$port" '.value > 0 and .value < 1' || fail "connect time not in (0,1)"
pass "tcp_connect_seconds in (0,1)"
wait_until 30 "closed port refused" metric_is box tcp_port_up "$closed_port" '.value == 0'
metric_is box tcp_connect_seconds "$closed_port" '.quality == "error" and (.reason | test("refused"; "i"))' \
  || fail "closed port: expected an error with reason 'refused', got $(metric_field box tcp_connect_seconds "$closed_port" reason)"
pass "closed port: error 'connection refused'"
wait_until 30 "ping" metric_is box ping_rtt_avg_seconds "" '.value > 0 and .quality == "ok"'
metric_is box ping_loss_percent "" '.value == 0' || fail "loopback ping lost probes"
metric_is box host_up "" '.value == 1' || fail "host_up != 1"
pass "ping 127.0.0.1: rtt > 0, loss 0, host_up 1"
wait_until 30 "process count" metric_is box process_count ${P_TESTPROC} '.value == 1'
pass "process_count{${P_TESTPROC}} = 1"
wait_until 30 "cpu" metric_is box cpu_used_percent "" '.value >= 0 and .value <= 100 and .quality == "ok"'
pass "cpu_used_percent in [0,100]"
# memory and the root filesystem against the kernel's own numbers
mem_total=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024 ))
metric_is box memory_total_bytes "" ".value == $mem_total" || fail "memory_total_bytes != MemTotal ($mem_total)"
pass "memory_total_bytes = MemTotal"
root_pct=$(df --output=pcent / | tail -1 | tr -dc 0-9)
metric_is box fs_used_percent / ".value > ($root_pct - 3) and .value < ($root_pct + 3)" \
  || fail "fs_used_percent{/} far from df's ${root_pct}%: $(metric_field box fs_used_percent / value)"
pass "fs_used_percent{/} within 3 points of df (${root_pct}%)"

# the listener goes away: refused, port down
kill $listener; wait $listener 2>/dev/null || true
wait_until 30 "port down after listener closed" metric_is box tcp_port_up "$port" '.value == 0'
metric_is box tcp_connect_seconds "$port" '.quality == "error" and (.reason | test("refused"; "i"))' \
  || fail "closed listener: reason not 'refused'"
pass "listener closed: tcp_port_up = 0, reason refused"
# the process dies: count 0
kill $proc; wait $proc 2>/dev/null || true
wait_until 30 "process gone" metric_is box process_count ${P_TESTPROC} '.value == 0'
pass "process killed: process_count = 0"
# the shipped default rule (profiles/defaults.yaml) turns it into a critical alert
proc_alert() { api_get "/api/v1/alerts" | json_check '
  any(.alerts[]; .rule == "process-missing" and .device == "box" and .state == "firing"
                 and .severity == "critical")'; }
wait_until 30 "process-missing alert firing" proc_alert
grep -q 'fired rule=process-missing' "$T/dcmond.log" || fail "no fired event for process-missing in the log"
pass "default rule process-missing fired (critical)"

# exit code of status: a device with failing points is degraded -> warning (1)
rc=0; "$DCMON" status >/dev/null || rc=$?
assert_eq "$rc" 2 "dcmon status exit code with a critical alert firing"

# reload: add a device; box keeps its state (poll count keeps growing)
polls_before=$(status_json | jq '.devices[] | select(.id=="box") | .polls')
write_config "  - id: extra
    kind: server
    host: 127.0.0.1
    checks: {tcp: [$closed_port]}"
kill -HUP "$DCMOND_PID"
has_extra() { status_json | json_check 'any(.devices[]; .id == "extra")'; }
wait_until 30 "extra device after reload" has_extra
polls_after=$(status_json | jq '.devices[] | select(.id=="box") | .polls')
[ "$polls_after" -ge "$polls_before" ] || fail "box lost its state on reload ($polls_before -> $polls_after)"
pass "reload added 'extra', box kept its state (polls $polls_before -> $polls_after)"
# a bad reload keeps the running config
echo "devices: [{id: broken, kind: toaster}]" >"$T/dcmon.yaml"
kill -HUP "$DCMOND_PID"
wait_until 30 "reload rejected in log" grep -q "reload rejected" "$T/dcmond.log"
grep -q "dcmon.yaml:1:.*toaster" "$T/dcmond.log" || fail "bad reload did not log file:line of the error"
has_extra || fail "bad reload dropped devices"
pass "bad reload rejected with file:line, old config still running"

stop_dcmond
pass "SIGTERM: clean exit 0"

# RRD archives hold what was polled (rrdtool fetch reads through librrd's rrd_fetch)
rrd="$T/data/box/tcp_port_up@$port.rrd"
[ -f "$rrd" ] || fail "missing $rrd"
vals=$(rrdtool fetch "$rrd" AVERAGE -r 1 -s -120 | awk 'NF==2 && $2 !~ /nan/ {print $2+0}' | sort -u | tr '\n' ' ')
case "$vals" in *0*1*|*1*0*) pass "tcp_port_up RRD holds both 1 and 0 ($vals)";; *) fail "tcp_port_up RRD values: '$vals'";; esac
rrd="$T/data/box/process_count@${P_TESTPROC}.rrd"
vals=$(rrdtool fetch "$rrd" MAX -r 1 -s -120 | awk 'NF==2 && $2 !~ /nan/ {print $2+0}' | sort -u | tr '\n' ' ')
case "$vals" in *1*) pass "process_count RRD holds 1 ($vals)";; *) fail "process_count RRD values: '$vals'";; esac
step=$(rrdtool info "$rrd" | awk -F' = ' '/^step/ {print $2}')
assert_eq "$step" 1 "RRD step = poll interval (1 s)"

# the daemon is not running: one clear line, exit 3
rc=0; out=$("$DCMON" status 2>&1) || rc=$?
assert_eq "$rc" 3 "dcmon status exit code without daemon"
echo "$out" | grep -qi "dcmond" || fail "no clear message without daemon: $out"
pass "clear message without daemon: $out"
done_checks
