#!/usr/bin/python3
"""An independent Modbus TCP peer for dcmon's tests, built on Debian's pymodbus 3.0.

Run with /usr/bin/python3 (where apt's pymodbus lives):
    modbus_peer.py [--port N]
Binds 127.0.0.1 (port 0 = any free port), prints "PORT <n>" on stdout once listening.

Data (every address 0-based, zero_mode):
  unit 1  holding 100 + 4*(4*t + o): value VALUES[t] as type t in word order o
                  (types and orders as listed below; each slot is 4 registers wide);
                  holding 0..299 exist, 300.. raise "illegal data address"
          input   0: 271, 1: 0xFFFF, 2-3: float32 NaN, 4: -40 (int16), 5: 0x0C10,
                  6: 0x3002, 7-9: 0; 10.. raise "illegal data address"
          coils   0..15 = COILS, discrete 0..7 = DISCRETE
  unit 2  holding sparse {10: 111, 11: 222, 14: 333}: reading 10..14 at once raises
          "illegal data address" (a hole at 12-13), single reads work
  unit 3  holding 0..9 = 3000 + i
  unit 9  absent: requests to it are never answered (pymodbus drops them)
"""
import argparse
import asyncio
import logging
import struct
import sys

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext, ModbusSparseDataBlock)
from pymodbus.server import StartAsyncTcpServer

TYPES = [  # name, struct format (big endian), value
    ("int16", ">h", -1234),
    ("uint16", ">H", 54321),
    ("int32", ">i", -12345678),
    ("uint32", ">I", 3000000000),
    ("float32", ">f", -273.15),
    ("int64", ">q", -1234567890123),
    ("uint64", ">Q", 1234567890123456),
    ("float64", ">d", 3.141592653589793),
]
ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"]
COILS = [1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
DISCRETE = [0, 1, 0, 0, 0, 0, 0, 1]


def ordered_words(big_endian: bytes, order: str) -> list:
    """Registers holding big_endian bytes (A = most significant) in the given order."""
    if order == "DCBA":
        data = big_endian[::-1]                       # fully little endian
    elif order == "CDAB":
        words = [big_endian[i:i + 2] for i in range(0, len(big_endian), 2)]
        data = b"".join(reversed(words))              # low word first
    elif order == "BADC":
        data = b"".join(big_endian[i:i + 2][::-1] for i in range(0, len(big_endian), 2))
    else:
        data = big_endian
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def unit1() -> ModbusSlaveContext:
    holding = [0] * 300
    for t, (_, fmt, value) in enumerate(TYPES):
        for o, order in enumerate(ORDERS):
            addr = 100 + 4 * (4 * t + o)
            words = ordered_words(struct.pack(fmt, value), order)
            holding[addr:addr + len(words)] = words
    nan = ordered_words(struct.pack(">f", float("nan")), "ABCD")
    inputs = [271, 0xFFFF, nan[0], nan[1], (-40) & 0xFFFF, 0x0C10, 0x3002, 0, 0, 0]
    return ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, holding),
        ir=ModbusSequentialDataBlock(0, inputs),
        co=ModbusSequentialDataBlock(0, COILS),
        di=ModbusSequentialDataBlock(0, DISCRETE),
        zero_mode=True)


def unit2() -> ModbusSlaveContext:
    empty = ModbusSequentialDataBlock(0, [0])
    return ModbusSlaveContext(hr=ModbusSparseDataBlock({10: 111, 11: 222, 14: 333}),
                              ir=empty, co=empty, di=empty, zero_mode=True)


def unit3() -> ModbusSlaveContext:
    empty = ModbusSequentialDataBlock(0, [0])
    return ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [3000 + i for i in range(10)]),
                              ir=empty, co=empty, di=empty, zero_mode=True)


async def serve(port: int) -> None:
    context = ModbusServerContext(slaves={1: unit1(), 2: unit2(), 3: unit3()}, single=False)
    server = await StartAsyncTcpServer(context=context, address=("127.0.0.1", port),
                                       defer_start=True, allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    print("PORT", server.server.sockets[0].getsockname()[1], flush=True)
    await task


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    for name in ("pymodbus", "pymodbus.pdu", "pymodbus.server"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    asyncio.run(serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
