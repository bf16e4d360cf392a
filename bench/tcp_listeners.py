#!/usr/bin/python3
"""TCP listeners for the benchmarks: COUNT listening sockets on 127.0.0.1 (ports chosen by
the kernel, printed one per line), each connection accepted and closed at once so backlogs
never fill.  Usage: tcp_listeners.py COUNT [BACKLOG=1024] [PAUSE_S=0.2]"""
import resource
import socket
import sys
import time

count = int(sys.argv[1])
backlog = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.2
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
for _ in range(count):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    socks.append(s)
    print(s.getsockname()[1])
sys.stdout.flush()
for s in socks:
    s.setblocking(False)
while True:
    for s in socks:
        try:
            while True:
                c, _ = s.accept()
                c.close()
        except BlockingIOError:
            pass
    time.sleep(pause)
