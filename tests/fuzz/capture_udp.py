#!/usr/bin/env python3
"""Records real UDP datagrams for the fuzz seed corpora (tests/fuzz/corpus/).

    capture_udp.py relay LISTEN_PORT AGENT_PORT OUT_DIR PREFIX SECONDS
        forwards client requests on 127.0.0.1:LISTEN_PORT to an agent on
        127.0.0.1:AGENT_PORT and its answers back; every answer is saved as
        OUT_DIR/PREFIX-N.ber (SNMP replies as snmpd or snmpsimd send them)
    capture_udp.py sink LISTEN_PORT OUT_DIR PREFIX SECONDS
        saves every datagram received on 127.0.0.1:LISTEN_PORT (traps from snmptrap)

Runs for at most SECONDS (loopback only)."""
import os
import select
import socket
import sys
import time


def save(out, prefix, n, data):
    with open(os.path.join(out, "%s-%02d.ber" % (prefix, n)), "wb") as f:
        f.write(data)


def relay(listen, agent, out, prefix, seconds):
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", listen))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    client, n, end = None, 0, time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([front, back], [], [], 0.2)
        for s in ready:
            data, addr = s.recvfrom(65535)
            if s is front:
                client = addr
                back.sendto(data, ("127.0.0.1", agent))
            elif client:
                save(out, prefix, n, data)
                n += 1
                front.sendto(data, client)


def sink(listen, out, prefix, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", listen))
    n, end = 0, time.time() + seconds
    while time.time() < end:
        if select.select([s], [], [], 0.2)[0]:
            data, _ = s.recvfrom(65535)
            save(out, prefix, n, data)
            n += 1


if __name__ == "__main__":
    if sys.argv[1] == "relay":
        relay(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6]))
    else:
        sink(int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]))
