#!/usr/bin/python3
"""A broken SNMPv2c agent for the walk tests: it answers GET, GETNEXT and GETBULK
(any community) over a table that no real agent would serve.  Writes its port to
PORT_FILE, and after every answer the number of table values it has sent so far
to PORT_FILE.served; exits after SECONDS (default 600) at most.

    snmp_walk_peer.py PORT_FILE MODE [SECONDS]

The table entry is 1.3.6.1.4.1.99999.1.1.1, columns 2 and 3, rows 1..50:
  loop     after row 3 each column goes back to row 1 (the walk never ends)
  endless  column 2 ends after row 2; column 3 goes on forever (rows 1, 2, 3, ...)
  good     the 50 rows, then the end of the MIB
sysUpTime.0 answers 4242.
"""
import os
import socket
import sys
import time

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1905

P = api.protoModules[api.protoVersion2c]
ENTRY = (1, 3, 6, 1, 4, 1, 99999, 1, 1, 1)
UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
ROWS = 50
port_file, mode = sys.argv[1], sys.argv[2]
lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 600
served = 0


def last_row(col):
    """Rows of a column; None = endless."""
    if mode == "endless":
        return 2 if col == 2 else None
    return ROWS


def value(col, row):
    return P.Integer(col * 1000 + row)


def table_next(oid):
    """The (oid, value) after oid in the table, or None past its end."""
    n = len(ENTRY)
    if oid[:n] < ENTRY:
        return ENTRY + (2, 1)
    if oid[:n] > ENTRY:
        return None
    col = oid[n] if len(oid) > n else 2
    row = oid[n + 1] if len(oid) > n + 1 else 0
    if col < 2:
        col, row = 2, 0
    while col <= 3:
        last = last_row(col)
        if mode == "loop" and row >= 3:
            return ENTRY + (col, 1)  # back to the first row: a loop
        if last is None or row < last:
            return ENTRY + (col, row + 1)
        col, row = col + 1, 0
    return None


def next_of(oid):
    global served
    nxt = table_next(tuple(oid))
    if nxt is None:
        return oid, rfc1905.endOfMibView
    served += 1
    return nxt, value(nxt[len(ENTRY)], nxt[len(ENTRY) + 1])


def get(oid):
    if tuple(oid) == UPTIME:
        return oid, P.TimeTicks(4242)
    return oid, rfc1905.noSuchObject


def answer(req):
    if req.isSameTypeWith(P.GetRequestPDU()):
        return [get(o) for o, _ in P.apiPDU.getVarBinds(req)]
    if req.isSameTypeWith(P.GetNextRequestPDU()):
        return [next_of(o) for o, _ in P.apiPDU.getVarBinds(req)]
    if req.isSameTypeWith(P.GetBulkRequestPDU()):
        vbs = [o for o, _ in P.apiBulkPDU.getVarBinds(req)]
        nonrep = min(int(P.apiBulkPDU.getNonRepeaters(req)), len(vbs))
        reps = min(int(P.apiBulkPDU.getMaxRepetitions(req)), 200)
        out = [next_of(o) for o in vbs[:nonrep]]
        cursors = vbs[nonrep:]
        for _ in range(reps):
            step = [next_of(o) for o in cursors]
            out += step
            cursors = [o for o, _ in step]
        return out
    return None


def write_atomic(path, number):
    with open(path + ".tmp", "w") as f:
        f.write(str(number))
    os.rename(path + ".tmp", path)


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    write_atomic(port_file, s.getsockname()[1])
    end = time.monotonic() + lifetime
    s.settimeout(1)
    while time.monotonic() < end:
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        try:
            msg, _ = decoder.decode(data, asn1Spec=P.Message())
        except Exception:
            continue
        req = P.apiMessage.getPDU(msg)
        vbs = answer(req)
        if vbs is None:
            continue
        rsp_msg = P.apiMessage.getResponse(msg)
        P.apiPDU.setVarBinds(P.apiMessage.getPDU(rsp_msg), vbs)
        write_atomic(port_file + ".served", served)  # before the answer: the test
        s.sendto(encoder.encode(rsp_msg), peer)       # reads it once answered


if __name__ == "__main__":
    main()
