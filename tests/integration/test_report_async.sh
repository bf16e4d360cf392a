#!/usr/bin/env bash
# The availability report is built on the worker pool (issue 20, docs/REPORTS.md): while
# two large NOC reports are being built, a third one is refused 503 (reports are bounded),
# /api/v1/status answers, and a reload replaces the configuration the reports read;
# then both reports arrive whole, with the exact figures of the history.  Before the
# reports left the loop thread, the third report waited for the first two and got 200.
source "$(dirname "$0")/lib.sh"

n=6000 # servers: seconds of work per report, on the 2-core build machine
ms() { echo $(( $(date -u -d "$1" +%s) * 1000 )); }
mkdir -p "$T/data"
{
  daemon_yaml
  printf 'sites:\n  - {id: s1, rooms: [{id: r1}]}\ndevices:\n'
  for ((i = 0; i < n; i++)); do
    printf '  - {id: srv-%d, kind: server, location: {site: s1, room: r1}}\n' "$i"
  done
} >"$T/dcmon.yaml"

start_dcmond "$T/dcmon.yaml"
# November, written beside dcmond into the reports.db it made: dcmond ran all month;
# server i was down 600 s from 2 Nov 00:00 + i s (ping) and 300 s from 10 Nov 00:00 + i s
# (TCP): 900 s each, and the union of all of them is (n - 1 + 600) + (n - 1 + 300) s.
sqlite3 -cmd ".timeout 5000" "$T/data/reports.db" <<SQL
INSERT INTO runs VALUES($(ms 2026-10-01), $(ms 2026-12-01));
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < $n - 1)
INSERT INTO down(object, device, start_ms, end_ms, root)
  SELECT 'srv-' || i || '/ping_state', 'srv-' || i, $(ms 2026-11-02) + i * 1000,
         $(ms 2026-11-02) + i * 1000 + 600000, NULL FROM k
  UNION ALL
  SELECT 'srv-' || i || '/tcp_connect_state:443', 'srv-' || i, $(ms 2026-11-10) + i * 1000,
         $(ms 2026-11-10) + i * 1000 + 300000, NULL FROM k;
SQL

# Two reports asked on their own connections, then a third: refused while the two are
# built; the status, and a reload, while they still are (nothing of theirs came yet).
python3 - "$DCMON_SOCKET" "$T" "$DCMOND_PID" >"$T/race.out" 2>&1 <<'PY' || fail "$(cat "$T/race.out")"
import os, select, signal, socket, sys, time
path, tmp, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
REPORT = "/api/v1/reports/availability?period=2026-11"

def ask(target):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: dcmond\r\nConnection: close\r\n\r\n".encode())
    return s

def whole(s, limit=180):
    s.settimeout(limit)
    data = b""
    while chunk := s.recv(1 << 20):
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body

def pending(s):
    return not select.select([s], [], [], 0)[0]

a, b = ask(REPORT), ask(REPORT)
code, body = whole(ask(REPORT))
print("third", code, body[:200].decode(errors="replace"))
if code != 503:
    sys.exit("third report while two are built: expected 503, got %d" % code)
code, body = whole(ask("/api/v1/status"), 60)
if code != 200 or b'"srv-5"' not in body:
    sys.exit("status while reports are built: %d %s" % (code, body[:200]))
if not (pending(a) and pending(b)):
    sys.exit("inconclusive: a report was done before the status was answered")
# a reload frees the configuration the reports read unless they hold it (cfg_hold)
os.kill(pid, signal.SIGHUP)
log = os.path.join(tmp, "dcmond.log")
for _ in range(600):  # bounded: 60 s
    if b"reloaded:" in open(log, "rb").read():
        break
    time.sleep(0.1)
else:
    sys.exit("no reload within 60 s")
print("reloaded while building:", pending(a), pending(b))
for name, s in (("a", a), ("b", b)):
    code, body = whole(s)
    if code != 200:
        sys.exit("report %s: %d %s" % (name, code, body[:200]))
    open(os.path.join(tmp, name + ".json"), "wb").write(body)
PY
pass "a third report refused 503 and the status answered while two reports were built"
grep -q "reloaded while building: True True" "$T/race.out" &&
  pass "a reload while the reports were built" ||
  echo "note: a report was done before the reload: $(tail -1 "$T/race.out")"

for r in a b; do
  assert_eq "$(jq '.devices | length' "$T/$r.json")" "$n" "report $r: every server"
  assert_eq "$(jq '.devices[] | select(.name == "srv-4321") | .unplanned_s' "$T/$r.json")" \
    "900" "report $r: a server's 15 minutes"
  assert_eq "$(jq '.summary.unplanned_s' "$T/$r.json")" "$(( (n - 1 + 600) + (n - 1 + 300) ))" \
    "report $r: the union of every outage"
done
api_get /api/v1/status | jq -e '.devices | length' >/dev/null || fail "status after the reports"
stop_dcmond
done_checks
