#!/usr/bin/env python3
"""Scripted syslog senders for what logger(1) and rsyslogd will not send: hostile
bytes, a sender that stops mid-frame, a burst, a TLS client with a given certificate.

  syslog_send.py udp PORT HEXBYTES            one datagram
  syslog_send.py tcp PORT HEXBYTES            bytes on a connection, then close
  syslog_send.py stall PORT HEXBYTES READY    bytes, touch READY, hold the connection
                                              until stdin closes (bounded: 60 s)
  syslog_send.py long PORT N                  over TCP: "<13>longline " + N x, LF, then
                                              "<13>after the long line" LF
  syslog_send.py burst PORT N TEXT            N datagrams "<13>TEXT i" as fast as it can
  syslog_send.py tburst PORT N TEXT           the same N messages over one TCP connection
                                              (LF-framed: nothing lost to a full buffer)
  syslog_send.py tls PORT CA CERT KEY TEXT    one octet-counted message over TLS
                                              (CERT/KEY "-" for none); exit 3 on a
                                              refused handshake
Everything goes to 127.0.0.1, from $SYSLOG_SRC (udp) when set.
"""
import os
import select
import socket
import ssl
import sys
import time


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    addr = ("127.0.0.1", port)
    if cmd == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if os.environ.get("SYSLOG_SRC"):
            s.bind((os.environ["SYSLOG_SRC"], 0))
        s.sendto(bytes.fromhex(sys.argv[3]), addr)
    elif cmd == "tcp":
        s = socket.create_connection(addr, timeout=10)
        s.sendall(bytes.fromhex(sys.argv[3]))
        s.close()
    elif cmd == "long":
        s = socket.create_connection(addr, timeout=10)
        s.sendall(b"<13>longline " + b"x" * int(sys.argv[3]) + b"\n<13>after the long line\n")
        s.close()
    elif cmd == "stall":
        s = socket.create_connection(addr, timeout=10)
        s.sendall(bytes.fromhex(sys.argv[3]))
        open(sys.argv[4], "w").close()
        select.select([sys.stdin], [], [], 60)
        s.close()
    elif cmd == "burst":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(int(sys.argv[3])):
            s.sendto(b"<13>%s %d" % (sys.argv[4].encode(), i), addr)
            if i % 50 == 49:
                time.sleep(0.001)  # the socket buffer is no part of the test
    elif cmd == "tburst":
        s = socket.create_connection(addr, timeout=30)
        s.sendall(b"".join(b"<13>%s %d\n" % (sys.argv[4].encode(), i)
                           for i in range(int(sys.argv[3]))))
        s.close()
    elif cmd == "tls":
        ca, cert, key, text = sys.argv[3:7]
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False
        if cert != "-":
            ctx.load_cert_chain(cert, key)
        raw = socket.create_connection(addr, timeout=10)
        try:
            s = ctx.wrap_socket(raw, server_hostname="dcmond.test")
            msg = b"<14>1 - pyhost tlsapp - - - " + text.encode()
            s.sendall(b"%d %s" % (len(msg), msg))
            # TLS 1.3: a refused client certificate shows only on the next read
            s.settimeout(2)
            try:
                if s.recv(1) == b"":
                    pass
            except socket.timeout:
                pass
            s.close()
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
            print("refused:", e)
            sys.exit(3)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
