#!/usr/bin/python3
"""A Modbus RTU peer for dcmon's tests, built on Debian's pymodbus 3.0: pymodbus's RTU
framer, request decoder and datastore serve the slave side of a pseudo-terminal.

    modbus_rtu_peer.py
Prints "TTY <path>" once serving; the test opens that path with libmodbus (a pty
accepts any line settings).  Same units and data as modbus_peer.py (1, 2, 3; unit 9
never answers).

pymodbus's own serial server is not used: pyserial's asyncio transport fails to
reconfigure a pty (tcsetattr EINVAL), so this script moves the bytes itself and leaves
all Modbus work (CRC, framing, decoding, exceptions) to pymodbus, as its server does.
"""
import logging
import os
import sys
import tty

from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchSlaveException
from pymodbus.factory import ServerDecoder
from pymodbus.framer.rtu_framer import ModbusRtuFramer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modbus_peer import unit1, unit2, unit3  # noqa: E402  (same data as the TCP peer)


def main() -> int:
    logging.basicConfig(level=logging.CRITICAL)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    context = ModbusServerContext(slaves={1: unit1(), 2: unit2(), 3: unit3()}, single=False)
    framer = ModbusRtuFramer(ServerDecoder(), client=None)
    master, slave = os.openpty()
    tty.setraw(slave)
    print("TTY", os.ttyname(slave), flush=True)

    def execute(request):
        try:
            response = request.execute(context[request.unit_id])
        except NoSuchSlaveException:
            return  # like a dead unit on a bus: no answer
        response.transaction_id = request.transaction_id
        response.unit_id = request.unit_id
        os.write(master, framer.buildPacket(response))

    while True:
        data = os.read(master, 4096)
        if not data:
            return 0
        framer.processIncomingPacket(data, execute, unit=[1, 2, 3], single=False)


if __name__ == "__main__":
    sys.exit(main())
