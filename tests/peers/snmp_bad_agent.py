#!/usr/bin/python3
"""A broken SNMP agent for the tests: answers every SNMPv1/v2c request on 127.0.0.1 the
way MODE says, with a BER codec of its own (no SNMP library would send these).
Writes its port to PORT_FILE; exits after SECONDS (default 600) at most.

    snmp_bad_agent.py PORT_FILE MODE [SECONDS]

MODE:
    garbage    bytes that are not BER at all
    truncated  a correct answer cut in half
    badtype    a well-formed answer whose first value has the type SEQUENCE (0x30):
               net-snmp logs "bad type returned (30)" and drops it
    report     a well-formed Report PDU (as if SNMPv3's usmStatsUnknownEngineIDs)
    good       a correct answer: INTEGER 42 for every object asked
"""
import os
import socket
import sys
import time


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + ber_len(len(body)) + body


def ber_int(v):
    return tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def read_tlv(buf, i):
    """(tag, start of value, end of value) of the TLV at buf[i]; raises on bad input."""
    tag, n = buf[i], buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    if i + n > len(buf):
        raise ValueError("length past the end")
    return tag, i, i + n


def children(buf, start, end):
    """(tag, start of the TLV, start of value, end) of each TLV in buf[start:end]."""
    out = []
    while start < end:
        t, s, e = read_tlv(buf, start)
        out.append((t, start, s, e))
        start = e
    return out


def parse_request(data):
    """version, community, request-id TLV bytes and the OIDs (encoded) asked for."""
    _, s, e = read_tlv(data, 0)
    version, community, pdu = children(data, s, e)[:3]
    reqid, _, _, varbinds = children(data, pdu[2], pdu[3])[:4]
    oids = []
    for _, _, vs, ve in children(data, varbinds[2], varbinds[3]):
        name = children(data, vs, ve)[0]
        oids.append(data[name[1]:name[3]])
    value = lambda c: data[c[2]:c[3]]
    return value(version), value(community), value(reqid), oids


def message(version, community, pdu_tag, reqid, varbinds):
    pdu = tlv(0x02, reqid) + ber_int(0) + ber_int(0) + tlv(0x30, b"".join(varbinds))
    return tlv(0x30, tlv(0x02, version) + tlv(0x04, community) + tlv(pdu_tag, pdu))


USM_UNKNOWN_ENGINE_IDS = bytes([0x06, 0x0A, 0x2B, 6, 1, 6, 3, 15, 1, 1, 4, 0])


def answer(mode, data):
    if mode == "garbage":
        return b"\x00\x01this is not BER\xff\xfe"
    version, community, reqid, oids = parse_request(data)
    if mode == "report":
        vb = tlv(0x30, USM_UNKNOWN_ENGINE_IDS + tlv(0x41, b"\x07"))
        return message(version, community, 0xA8, reqid, [vb])
    values = [tlv(0x30, o + ber_int(42)) for o in oids]
    if mode == "badtype" and values:
        values[0] = tlv(0x30, oids[0] + tlv(0x30, b""))
    good = message(version, community, 0xA2, reqid, values)
    if mode == "truncated":
        return good[:len(good) // 2]
    return good


def main():
    port_file, mode = sys.argv[1], sys.argv[2]
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 600
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    with open(port_file + ".tmp", "w") as f:
        f.write(str(sock.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)  # whole, for a reader that polls for it
    end = time.monotonic() + lifetime
    while time.monotonic() < end:
        sock.settimeout(max(0.1, end - time.monotonic()))
        try:
            data, addr = sock.recvfrom(65535)
        except socket.timeout:
            continue
        try:
            sock.sendto(answer(mode, data), addr)
        except (ValueError, IndexError):
            pass  # not a request we can read: say nothing


if __name__ == "__main__":
    main()
