#!/usr/bin/python3
"""A trap flood for the tests: one SNMPv2c trap as net-snmp's snmptrap encodes it,
sent COUNT times from FROM_ADDR (any loopback address: a forged source) to
127.0.0.1:PORT, in bursts of 25 with a 2 ms pause (what the receiver's socket buffer
holds, so that the kernel drops little and the receiver sees the flood).  Prints
`sent=N seconds=S`.

    trap_flood.py FROM_ADDR PORT COUNT COMMUNITY TRAP-OID
"""
import socket
import subprocess
import sys
import time

from_addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
community, trap_oid = sys.argv[4], sys.argv[5]

# capture one encoded notification
cap = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cap.bind(("127.0.0.1", 0))
cap.settimeout(10)
subprocess.run(["snmptrap", "-v2c", "-c", community, "127.0.0.1:%d" % cap.getsockname()[1],
                "", trap_oid], check=True, timeout=10)
datagram, _ = cap.recvfrom(65535)
cap.close()

out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
out.bind((from_addr, 0))
start = time.monotonic()
sent = 0
while sent < count:
    for _ in range(min(25, count - sent)):
        out.sendto(datagram, ("127.0.0.1", port))
        sent += 1
    time.sleep(0.002)
print("sent=%d seconds=%.3f" % (sent, time.monotonic() - start))
