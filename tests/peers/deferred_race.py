#!/usr/bin/env python3
"""A client of a reply dcmond builds on its worker pool (a deferred reply): two requests
of TARGET asked on their own connections, then a third, which must be refused 503 busy
while the two are built; /api/v1/status answered meanwhile (it must name STATUS_NEEDLE);
a reload (SIGHUP) while they still are; then both answered 200, kept as TMP/a.json and
TMP/b.json.  Prints "reloaded while building: A B" (whether each was still pending at
the reload) and "built in S s"; exits non-zero with the reason on a failure.

    deferred_race.py SOCKET TMP DCMOND_PID TARGET STATUS_NEEDLE
"""
import os, select, signal, socket, sys, time

path, tmp, pid, target, needle = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]


def ask(what):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(f"GET {what} HTTP/1.1\r\nHost: dcmond\r\nConnection: close\r\n\r\n".encode())
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


t0 = time.monotonic()
a, b = ask(target), ask(target)
code, body = whole(ask(target))
print("third", code, body[:200].decode(errors="replace"))
if code != 503 or b"busy" not in body:
    sys.exit("third while two are built: expected 503 busy, got %d" % code)
code, body = whole(ask("/api/v1/status"), 60)
if code != 200 or needle.encode() not in body:
    sys.exit("status while two are built: %d %s" % (code, body[:200]))
if not (pending(a) and pending(b)):
    sys.exit("inconclusive: one was done before the status was answered")
os.kill(pid, signal.SIGHUP)  # frees the configuration they read unless they hold it (cfg_hold)
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
        sys.exit("%s: %d %s" % (name, code, body[:200]))
    open(os.path.join(tmp, name + ".json"), "wb").write(body)
print("built in %.1f s" % (time.monotonic() - t0))
