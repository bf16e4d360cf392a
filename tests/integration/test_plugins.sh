#!/usr/bin/env bash
# Nagios-compatible plugins as checks: Debian's monitoring-plugins-basic (check_tcp,
# check_disk, check_procs, check_http) against real targets on loopback, and plugins
# that hang (with a child), crash, flood stdout or look at their environment.  Asserts
# on state values, perfdata metrics, the first output line as reason, a rule fed by
# perfdata thresholds, the kill of a hung plugin's process group, and that a flood or
# a hang does not stall the other checks.
source "$(dirname "$0")/lib.sh"
P=/usr/lib/nagios/plugins
[ -x $P/check_tcp ] || { echo "SKIP: monitoring-plugins-basic is not installed"; exit 77; }
TAG=dcmplug$((RANDOM % 90000 + 10000)) # unique per run: names of processes we count

port=$(free_port)
closed_port=$(free_port)
http_port=$(free_port)
start_tcp_listener "$port"
$PY -m http.server --bind 127.0.0.1 "$http_port" --directory "$T" >"$T/http.log" 2>&1 &
track $!
wait_peer 10 "http.server" $! "$T/http.log" curl -sf "http://127.0.0.1:$http_port/"
cp "$(command -v sleep)" "$T/$TAG"
"$T/$TAG" 600 &
track $!

# Misbehaving plugins.  The hang one leaves a child in its group holding stdout.
cp "$(command -v sleep)" "$T/${TAG}h"
cat >"$T/hang" <<EOF
#!/bin/sh
$T/${TAG}h 601 &
exec $T/${TAG}h 602
EOF
cat >"$T/crash" <<'EOF'
#!/bin/sh
echo "about to crash"
kill -SEGV $$
EOF
cat >"$T/flood" <<'EOF'
#!/bin/sh
echo "FLOOD OK - lots of output|flooded=7;;;;"
head -c 5000000 /dev/zero | tr '\0' 'x'
exit 0
EOF
# Its environment and open descriptors (listdir's own is 3): nothing of dcmond's.
cat >"$T/envcheck" <<'EOF'
#!/usr/bin/python3
import os, sys
e = os.environ
fds = " ".join(sorted(os.listdir("/proc/self/fd"), key=int))
print("ENV WARNING - home=%s secret=%s lc=%s vars=%d fds=%s" % (e.get("HOME", "unset"),
      e.get("DCMON_TEST_SECRET", "unset"), e.get("LC_ALL", "unset"), len(e), fds))
sys.exit(1)
EOF
# 100 perfdata items: the first 64 become metrics.
cat >"$T/many" <<'EOF'
#!/bin/sh
printf 'MANY OK|'
i=0; while [ $i -lt 100 ]; do printf 'l%d=%d ' $i $i; i=$((i + 1)); done
echo
EOF
# Counts the plugins running beside it (itself included) into slots.log.
cat >"$T/slot" <<EOF
#!/bin/sh
mkdir -p $T/slots; touch $T/slots/\$\$
ls $T/slots | wc -l >>$T/slots.log
sleep 0.3
rm -f $T/slots/\$\$
echo "SLOT OK"
EOF
chmod 755 "$T/hang" "$T/crash" "$T/flood" "$T/envcheck" "$T/slot" "$T/many"
export DCMON_TEST_SECRET=leaked HOME=/root

{ daemon_yaml "interval: 2s" "timeout: 2s" "plugin_concurrency: 4"
  cat <<YAML
devices:
  - id: web
    kind: server
    host: 127.0.0.1
    checks:
      plugin:
        - name: tcp
          command: [$P/check_tcp, -H, 127.0.0.1, -p, "$port"]
        - name: tcp-closed
          command: [$P/check_tcp, -H, 127.0.0.1, -p, "$closed_port"]
        - name: tcp-slow
          command: [$P/check_tcp, -H, 127.0.0.1, -p, "$port", -w, "0.000001", -c, "0.000001"]
        - name: http
          command: [$P/check_http, -H, 127.0.0.1, -p, "$http_port", -u, /]
        - name: disk
          command: [$P/check_disk, -w, "99%", -c, "98%", -p, /]
        - name: procs
          command: [$P/check_procs, -C, $TAG, -c, "1:1"]
  - id: bad
    kind: server
    checks:
      plugin:
        - {name: hang, command: [$T/hang], timeout: 300ms}
        - {name: crash, command: [$T/crash]}
        - {name: flood, command: [$T/flood]}
        - {name: env, command: [$T/envcheck]}
        - {name: missing, command: [$T/no-such-plugin]}
        - {name: many, command: [$T/many]}
  - id: conc
    kind: server
    checks:
      plugin:
$(for i in 1 2 3 4 5 6 7 8; do echo "        - {name: s$i, command: [$T/slot]}"; done)
rules:
  - name: plugin-perf-crit
    match: {device: web, metric: plugin_perf_state, inst: "tcp-slow/*"}
    state: {values: [critical], severity: critical}
YAML
} >"$T/dcmon.yaml"
"$DCMOND" --check-config "$T/dcmon.yaml" >/dev/null || fail "check-config rejects a valid config"
start_dcmond "$T/dcmon.yaml"

# check_tcp: ok with its response time as perfdata in seconds
wait_until 30 "check_tcp ok" metric_is web plugin_state tcp '.value == 0 and .quality == "ok"'
metric_is web plugin_perf_seconds tcp/time '.value >= 0 and .value < 1 and .unit == "seconds"' \
  || fail "perfdata tcp/time: $(metric_field web plugin_perf_seconds tcp/time value)"
pass "check_tcp: plugin_state 0 (ok), perfdata time in seconds"
wait_until 30 "check_tcp refused" metric_is web plugin_state tcp-closed '.value == 2'
wait_until 10 "refused in the log" grep -q "web.*tcp-closed: error -> critical: connect to address 127.0.0.1 and port $closed_port: Connection refused" "$T/dcmond.log"
pass "check_tcp on a closed port: critical, first line in the log as the reason"
# perfdata thresholds feed a rule: time above 1 us is critical by the plugin's own levels
wait_until 30 "perf state" metric_is web plugin_perf_state tcp-slow/time '.value == 2'
wait_until 30 "alert from perfdata thresholds" alert_is plugin-perf-crit '.state == "firing" or .status == "firing" or .severity == "critical"'
pass "perfdata thresholds: plugin_perf_state 2 and the rule fires"
wait_until 30 "check_http ok" metric_is web plugin_state http '.value == 0'
metric_is web plugin_perf_bytes http/size '.value > 0' || fail "check_http size perfdata missing"
pass "check_http: ok, size perfdata in bytes"
# check_disk: used bytes of / against the kernel's, within 2%
wait_until 30 "check_disk" metric_is web plugin_perf_bytes disk// '.value > 0'
used=$(df -B1 --output=used / | tail -1 | tr -dc 0-9)
metric_is web plugin_perf_bytes disk// ".value > $used * 0.98 and .value < $used * 1.02" \
  || fail "check_disk used $(metric_field web plugin_perf_bytes disk// value), df says $used"
metric_is web plugin_state disk '.value == 2' || fail "check_disk with crit at 98% free should be critical"
pass "check_disk: used bytes of / within 2% of df, critical at its levels"
wait_until 30 "check_procs" metric_is web plugin_perf_count procs/procs '.value == 1'
metric_is web plugin_state procs '.value == 0' || fail "check_procs not ok"
pass "check_procs: one $TAG process counted, ok"

# misbehaving plugins
wait_until 30 "hang killed" metric_is bad plugin_state hang '.quality == "error" and (.reason | test("^timeout"))'
pass "hung plugin: error 'timeout'"
# its process group is killed, the child holding stdout too: after three runs at most
# the one of the run in flight is alive
wait_polls bad 3
n=$(pgrep -fc "$T/${TAG}h 601" || true)
[ "$n" -le 1 ] || fail "$n children of hung plugins left alive"
pass "hung plugin's process group killed (children alive: $n, at most the running one's)"
wait_until 30 "crash" metric_is bad plugin_state crash '.quality == "error" and (.reason | test("SIGSEGV"))'
metric_field bad plugin_state crash reason | grep -q "about to crash" || fail "crash reason lacks the output"
pass "crashing plugin: error 'killed by signal SIGSEGV: about to crash'"
wait_until 30 "flood" metric_is bad plugin_state flood '.value == 0'
metric_is bad plugin_perf_count flood/flooded '.value == 7' || fail "flood perfdata lost"
pass "flooding plugin: ok from its exit code, perfdata of its first line kept"
wait_until 30 "env" metric_is bad plugin_state env '.value == 1'
wait_until 10 "env line" grep -q "env: error -> warning: ENV WARNING - home=unset secret=unset lc=C vars=2 fds=0 1 2 3\"" "$T/dcmond.log"
pass "environment cleared (PATH and LC_ALL=C only), no descriptor of dcmond inherited"
wait_until 30 "many" metric_is bad plugin_perf_count many/l63 '.value == 63'
metric_is bad plugin_perf_count many/l64 'true' && fail "perfdata item 65 became a metric"
pass "perfdata: the first 64 items of a run become metrics, the rest are skipped"
wait_until 30 "missing" metric_is bad plugin_state missing '.quality == "error" and (.reason | test("ENOENT"))'
pass "missing plugin: error 'cannot run ...: ENOENT'"
# the limit: 8 checks of 0.3 s on one device, at most 4 plugins at once (all devices)
for i in 1 2 3 4 5 6 7 8; do
  wait_until 30 "slot check s$i" metric_is conc plugin_state "s$i" '.value == 0'
done
max=$(sort -n "$T/slots.log" | tail -1)
[ "$max" -le 4 ] || fail "$max plugins ran at once, plugin_concurrency is 4"
[ "$max" -ge 2 ] || fail "plugins never ran side by side (max $max)"
pass "plugin_concurrency 4: at most $max slot plugins at once, all 8 checks ok"
# the others keep their pace beside the hang and the flood
wait_polls web 3
metric_is web plugin_state tcp '.value == 0 and .quality == "ok"' || fail "tcp check stalled"
pass "checks of another device keep polling"

# a reload while plugins run (the hang one always is): they are killed and reaped, the
# new instances start polling again
hup_at=$(log_count "reloaded: 3 devices")
kill -HUP "$DCMOND_PID"
reloaded() { [ "$(log_count "reloaded: 3 devices")" -gt "$hup_at" ]; }
wait_until 20 "reload" reloaded
wait_polls web 2
metric_is web plugin_state tcp '.value == 0 and .quality == "ok"' || fail "tcp check after reload"
at_most_one_hang() { [ "$(pgrep -fc "$T/${TAG}h 60[12]" || true)" -le 2 ]; }
wait_until 10 "at most the running hang plugin" at_most_one_hang
pass "reload with plugins running: checks poll again, no plugin left over"

# bad config: relative command, duplicate name
cat >"$T/bad.yaml" <<YAML
daemon: {data_dir: $T/data2, plugin_concurrency: 0}
devices:
  - id: x
    checks:
      plugin:
        - {command: [check_tcp, -p, "1"]}
  - id: y
    checks:
      plugin:
        - {command: [/bin/true]}
        - {command: [/usr/bin/true]}
YAML
out=$("$DCMOND" --check-config "$T/bad.yaml" 2>&1) && fail "bad config accepted"
echo "$out" | grep -q "bad.yaml:1:.*plugin_concurrency" || fail "no error for plugin_concurrency: $out"
echo "$out" | grep -q "bad.yaml:6:.*command: expected an absolute path" || fail "no error for a relative command: $out"
echo "$out" | grep -q "bad.yaml:11:.*duplicate name 'true'" || fail "no error for a duplicate name: $out"
pass "config errors with file:line: concurrency range, relative command, duplicate name"

stop_dcmond
[ "$(pgrep -fc "$T/${TAG}h 60[12]" || true)" -eq 0 ] || fail "a hung plugin outlived dcmond"
pass "no plugin process outlives dcmond"
done_checks
