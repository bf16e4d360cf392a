#!/usr/bin/python3
"""Modbus TCP peer for bench/modbus.sh (pymodbus 3.0, run with /usr/bin/python3).

    modbus_peer.py PORTS UNITS
Listens on PORTS free ports of 127.0.0.1 (printed one per line, then "READY"); each
port answers unit ids 1..UNITS with the same holding registers 0..63 (0..19 = 100+i,
20-23 two float32 ABCD, 30-33 two int32 ABCD).  Counts the read requests it serves:
on SIGUSR1 it prints "REQUESTS <n> <seconds>" (seconds since the previous report, by
its own monotonic clock, so that a rate does not depend on the signal's latency) and
resets the count.
"""
import asyncio
import logging
import signal
import struct
import sys
import time

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server import StartAsyncTcpServer

COUNT = [0]


class CountingSlave(ModbusSlaveContext):
    """A slave context that counts every read (one per request)."""

    def getValues(self, fc_as_hex, address, count=1):  # noqa: N802 (pymodbus API)
        COUNT[0] += 1
        return super().getValues(fc_as_hex, address, count)


def registers() -> list:
    regs = [100 + i for i in range(20)] + [0] * 44
    regs[20:22] = struct.unpack(">2H", struct.pack(">f", 230.5))
    regs[22:24] = struct.unpack(">2H", struct.pack(">f", 49.98))
    regs[30:32] = struct.unpack(">2H", struct.pack(">i", -123456))
    regs[32:34] = struct.unpack(">2H", struct.pack(">i", 7654321))
    return regs


async def serve(ports: int, units: int) -> None:
    slaves = {u: CountingSlave(hr=ModbusSequentialDataBlock(0, registers()), zero_mode=True)
              for u in range(1, units + 1)}
    context = ModbusServerContext(slaves=slaves, single=False)
    servers = []
    for _ in range(ports):
        srv = await StartAsyncTcpServer(context=context, address=("127.0.0.1", 0),
                                        defer_start=True, backlog=1024)
        servers.append(srv)
    tasks = [asyncio.create_task(s.serve_forever()) for s in servers]
    for s in servers:
        await s.serving
        print(s.server.sockets[0].getsockname()[1])
    print("READY", flush=True)

    last = [time.monotonic()]

    def report():
        now = time.monotonic()
        print("REQUESTS", COUNT[0], f"{now - last[0]:.3f}", flush=True)
        COUNT[0] = 0
        last[0] = now
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, report)
    await asyncio.gather(*tasks)


def main() -> int:
    logging.basicConfig(level=logging.CRITICAL)
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
