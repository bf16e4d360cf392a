#!/usr/bin/python3
"""Sends one SNMPv2c trap from a chosen loopback source address and prints the wall time
(s) taken just before the datagram left, so a latency measured from it does not include
a tool's start-up (snmptrap loads its MIBs first).

  send_trap.py SRC_ADDR DST_ADDR DST_PORT COMMUNITY TRAP_OID [OID=INT ...]
"""
import socket, sys, time

from pyasn1.codec.ber import encoder
from pysnmp.proto import api

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    src, dst, port, community, trap_oid = sys.argv[1:6]
    p = api.protoModules[api.protoVersion2c]
    pdu = p.TrapPDU()
    p.apiTrapPDU.setDefaults(pdu)
    binds = [(p.ObjectIdentifier(SYS_UPTIME), p.TimeTicks(int(time.monotonic() * 100) & 0xFFFFFFFF)),
             (p.ObjectIdentifier(SNMP_TRAP_OID), p.ObjectIdentifier(trap_oid))]
    for arg in sys.argv[6:]:
        oid, val = arg.split("=")
        binds.append((p.ObjectIdentifier(oid), p.Integer(int(val))))
    p.apiTrapPDU.setVarBinds(pdu, binds)
    msg = p.Message()
    p.apiMessage.setDefaults(msg)
    p.apiMessage.setCommunity(msg, community)
    p.apiMessage.setPDU(msg, pdu)
    data = encoder.encode(msg)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    t0 = time.time()
    s.sendto(data, (dst, int(port)))
    print("%.6f" % t0)


if __name__ == "__main__":
    main()
