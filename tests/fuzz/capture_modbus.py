#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_modbus_reply from a real Modbus TCP server.

    FUZZ_MODBUS_PLANS=1 replay_modbus_reply /dev/null | capture_modbus.py OUT_DIR PREFIX \\
        PROFILE=HOST:PORT[:UNIT] ...

For every request the fuzz target can pick ("plan" lines: profile index, request index,
function code, address, count, profile name) of a profile named on the command line,
sends that read request (transaction id 1) to the server given for it and saves
[profile index, request index (2 bytes)] + the reply bytes as OUT_DIR/PREFIX-P-R.bin.
Unit ids are rewritten to 1, the unit the target expects.  Loopback servers only."""
import socket
import struct
import sys


def ask(host, port, unit, fc, addr, count):
    with socket.create_connection((host, port), timeout=2) as s:
        s.sendall(struct.pack(">HHHBBHH", 1, 0, 6, unit, fc, addr, count))
        head = s.recv(7)
        while len(head) < 7:
            head += s.recv(7 - len(head))
        body, need = b"", struct.unpack(">H", head[4:6])[0] - 1
        while len(body) < need:
            body += s.recv(need - len(body))
    return head[:6] + b"\x01" + body


def main():
    out, prefix = sys.argv[1], sys.argv[2]
    servers = {}
    for arg in sys.argv[3:]:
        name, where = arg.split("=")
        parts = where.split(":")
        servers[name] = (parts[0], int(parts[1]), int(parts[2]) if len(parts) > 2 else 1)
    for line in sys.stdin:
        f = line.split()
        if len(f) != 7 or f[0] != "plan" or f[6] not in servers:
            continue
        p, r, fc, addr, count = map(int, f[1:6])
        host, port, unit = servers[f[6]]
        try:
            reply = ask(host, port, unit, fc, addr, count)
        except OSError as e:
            print("%s request %d: %s" % (f[6], r, e), file=sys.stderr)
            continue
        with open("%s/%s-%d-%d.bin" % (out, prefix, p, r), "wb") as o:
            o.write(bytes([p, r >> 8, r & 255]) + reply)


if __name__ == "__main__":
    main()
