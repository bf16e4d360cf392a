#!/usr/bin/python3
"""Counts the values collectd's network plugin sends (bench/snmp.sh, bench/modbus.sh).

    collectd_net_counter.py PORT_FILE COUNT_FILE
Binds a UDP port on 127.0.0.1 and writes its number to PORT_FILE; counts the values in
every packet (collectd's binary protocol: parts of type and length, a "values" part
0x0006 starts with its number of values).  On SIGUSR1 writes the count so far to
COUNT_FILE (atomically, by rename).  Its own CPU is not part of any measurement.
"""
import os
import signal
import socket
import struct
import sys


def main() -> int:
    port_file, count_file = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.replace(port_file + ".tmp", port_file)
    n = [0]

    def dump(*_):
        with open(count_file + ".tmp", "w") as f:
            f.write(str(n[0]))
        os.replace(count_file + ".tmp", count_file)
    signal.signal(signal.SIGUSR1, dump)
    while True:
        try:
            b = s.recv(65535)
        except InterruptedError:
            continue
        i = 0
        while i + 4 <= len(b):
            t, length = struct.unpack_from("!HH", b, i)
            if length < 4:
                break
            if t == 0x0006 and i + 6 <= len(b):
                n[0] += struct.unpack_from("!H", b, i + 4)[0]
            i += length


if __name__ == "__main__":
    sys.exit(main())
