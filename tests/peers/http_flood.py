#!/usr/bin/env python3
"""Hostile HTTP clients for the dashboard's limits (tests/integration/test_http_limits.sh).

  http_flood.py streams PORT N HOLD_FILE   N event streams at once from 127.0.0.1, held
      (never read past the status line) until HOLD_FILE exists (at most 60 s); prints
      `status=COUNT` per answer ("none" = closed without one) on one line, before holding.
  http_flood.py bodies PORT N SIZE GO_FILE N POSTs with a wrong token announcing SIZE
      bytes, each sent but its last byte; prints `sent=BYTES` and waits for GO_FILE (at most
      60 s), then prints the answers as above.
  http_flood.py tokens PORT N              N writes with a wrong token, one after another;
      prints the answers as above.
  http_flood.py stall PORT HOLD            one event stream with a tiny receive buffer, never
      read for HOLD seconds; prints `port=P` (its own), then after HOLD drains the
      stream (bounded) and prints `eof=0|1 bytes=B`.

The clients connect from $SRC (a loopback address, default 127.0.0.1), so that tests
can play several client addresses.  Every loop is bounded in count and time; only
127.0.0.1 is contacted.
"""
import collections
import os
import resource
import select
import socket
import sys
import time

HOST = "127.0.0.1"
SRC = os.environ.get("SRC", "127.0.0.1")


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 64
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            sys.exit(f"open files hard limit {hard} < {want}: raise it (ulimit -Hn)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connect(port, rcvbuf=0):
    s = socket.socket()
    s.bind((SRC, 0))
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect((HOST, port))
    return s


def ready(s, writing, timeout_s):
    """Whether s is readable (or writable) within timeout_s; poll, as the held sockets
    go past select()'s FD_SETSIZE."""
    p = select.poll()
    p.register(s, select.POLLOUT if writing else select.POLLIN)
    return bool(p.poll(max(0, int(timeout_s * 1000))))


def send_quietly(s, data):
    try:
        s.sendall(data)
        return True
    except OSError:
        return False  # the server closed it: its answer (if any) is read later


def status_of(s, deadline):
    """The status code of the answer on s, "none" if closed without one, "wait" if none
    came before deadline.  Reads at most the head."""
    buf = b""
    while b"\r\n" not in buf and time.monotonic() < deadline:
        if not ready(s, False, deadline - time.monotonic()):
            break
        try:
            chunk = s.recv(4096)
        except OSError:
            chunk = b""
        if not chunk:
            return "none" if not buf else buf.split(b" ")[1].decode()
        buf += chunk
    if b"\r\n" not in buf:
        return "wait"
    parts = buf.split(b" ")
    return parts[1].decode() if len(parts) > 1 else "none"


def print_counts(statuses):
    counts = collections.Counter(statuses)
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())), flush=True)


def wait_file(path, limit):
    end = time.monotonic() + limit
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.1)


def streams(port, n, hold_file):
    raise_nofile(n)
    socks = []
    for _ in range(n):
        try:
            s = connect(port)
        except OSError:
            continue
        if send_quietly(s, b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n"):
            socks.append(s)
        else:
            s.close()
    deadline = time.monotonic() + 20
    print_counts(status_of(s, deadline) for s in socks)
    wait_file(hold_file, 60)


def bodies(port, n, size, go_file):
    raise_nofile(n)
    head = (f"POST /api/v1/silences HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-token-0123456789\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n").encode()
    chunk = b"x" * 65536
    socks, sent = [], 0
    for _ in range(n):
        try:
            s = connect(port)
        except OSError:
            continue
        socks.append(s)
        if not send_quietly(s, head):
            continue
        s.setblocking(False)
        left, end = size - 1, time.monotonic() + 5
        while left > 0 and time.monotonic() < end:
            try:
                k = s.send(chunk[: min(left, len(chunk))])
            except BlockingIOError:
                ready(s, True, 0.2)
                continue
            except OSError:
                break
            left -= k
            sent += k
    print(f"sent={sent}", flush=True)
    wait_file(go_file, 60)
    for s in socks:
        s.setblocking(True)
        send_quietly(s, b"x")
    deadline = time.monotonic() + 20
    print_counts(status_of(s, deadline) for s in socks)


def tokens(port, n):
    out = []
    for i in range(n):
        try:
            s = connect(port)
        except OSError:
            out.append("refused")
            continue
        send_quietly(s, b"POST /api/v1/silences HTTP/1.1\r\nHost: x\r\n"
                        b"Authorization: Bearer guess-%06d-abcdefghij\r\nContent-Length: 0\r\n\r\n" % i)
        out.append(status_of(s, time.monotonic() + 5))
        s.close()
    print_counts(out)


def stall(port, hold):
    s = connect(port, rcvbuf=4096)
    print(f"port={s.getsockname()[1]}", flush=True)
    s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(hold)
    got, eof, end = 0, 0, time.monotonic() + 10
    s.setblocking(False)
    while time.monotonic() < end:
        if not ready(s, False, 1.0):
            break  # nothing more and no end: the stream is still open
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            eof = 1
            break
        got += len(chunk)
    print(f"eof={eof} bytes={got}", flush=True)


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "streams":
        streams(port, int(sys.argv[3]), sys.argv[4])
    elif mode == "bodies":
        bodies(port, int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif mode == "tokens":
        tokens(port, int(sys.argv[3]))
    elif mode == "stall":
        stall(port, float(sys.argv[3]))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
