#!/usr/bin/python3
"""A slow agent for the tests: a UDP relay in front of a real agent that holds every
answer DELAY ms before passing it back.  Writes its port to PORT_FILE; exits after
600 s at most.

    udp_delay.py PORT_FILE TARGET_PORT DELAY_MS
"""
import heapq
import select
import socket
import sys
import time

port_file, target_port, delay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) / 1000.0
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", 0))
back = {}  # client address -> socket towards the agent
owner = {}  # that socket -> client address
due = []  # (time, seq, client address, answer)
with open(port_file, "w") as f:
    f.write(str(front.getsockname()[1]))
seq, end = 0, time.monotonic() + 600
while time.monotonic() < end:
    wait = max(0.0, due[0][0] - time.monotonic()) if due else 1.0
    ready, _, _ = select.select([front] + list(owner), [], [], wait)
    for s in ready:
        data, addr = s.recvfrom(65535)
        if s is front:
            if addr not in back:
                b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                b.connect(("127.0.0.1", target_port))
                back[addr], owner[b] = b, addr
            back[addr].send(data)
        else:
            seq += 1
            heapq.heappush(due, (time.monotonic() + delay, seq, owner[s], data))
    while due and due[0][0] <= time.monotonic():
        _, _, addr, data = heapq.heappop(due)
        front.sendto(data, addr)
