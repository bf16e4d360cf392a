#!/usr/bin/env bash
# dcmond under systemd's service protocol, with the notification socket played by a
# datagram socket of ours (tests/peers/ has no systemd; this is what systemd reads):
# READY=1 once started, WATCHDOG=1 pings at half of WATCHDOG_USEC from the loop,
# RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 at SIGTERM.
source "$(dirname "$0")/lib.sh"

$PY - "$T/notify.sock" "$T/notify.log" >"$T/notify.err" 2>&1 <<'PYEOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    end = time.monotonic() + 120
    s.settimeout(1)
    while time.monotonic() < end:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        for line in msg.split("\n"):
            log.write("%.3f %s\n" % (time.monotonic(), line))
PYEOF
track $!
wait_until 10 "notify socket" test -S "$T/notify.sock"

{ daemon_yaml
  cat <<YAML
devices:
  - {id: box, kind: server, checks: {resources: local}}
YAML
} >"$T/dcmon.yaml"
# WATCHDOG_USEC=400000: a ping every 200 ms
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=400000 start_dcmond "$T/dcmon.yaml"
wait_until 10 "READY=1" grep -q ' READY=1$' "$T/notify.log"
pass "READY=1 once started"
five_pings() { [ "$(grep -c ' WATCHDOG=1$' "$T/notify.log")" -ge 5 ]; }
wait_until 10 "five pings" five_pings
grep -q 'systemd watchdog: a ping every 200 ms' "$T/dcmond.log" || fail "no watchdog line in the log"
pass "WATCHDOG=1 pings every 200 ms (half of WATCHDOG_USEC)"
kill -HUP "$DCMOND_PID"
wait_until 10 "reloaded" grep -q 'reloaded: 1 devices' "$T/dcmond.log"
reload_told() { grep -E ' (RELOADING|READY)=1$' "$T/notify.log" | awk '{print $2}' | tr '\n' ' ' | grep -q '^READY=1 RELOADING=1 READY=1 $'; }
wait_until 10 "READY after RELOADING" reload_told
pass "SIGHUP: RELOADING=1, then READY=1"
stop_dcmond
grep -q ' STOPPING=1$' "$T/notify.log" || fail "no STOPPING=1"
pass "SIGTERM: STOPPING=1"

# Outside systemd nothing is sent and nothing complains.
: >"$T/notify.log"
start_dcmond "$T/dcmon.yaml"
wait_until 10 "a poll" metric_is box memory_total_bytes "" '.quality == "ok"'
stop_dcmond
[ ! -s "$T/notify.log" ] || fail "notifications without NOTIFY_SOCKET: $(cat "$T/notify.log")"
assert_eq "$(log_count 'systemd watchdog')" 1 "watchdog lines in the log of both runs"
pass "no NOTIFY_SOCKET: no notification, no watchdog"
done_checks
