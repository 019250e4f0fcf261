"""The software Bluetooth stack (bumble): real HCI, L2CAP, ATT and GATT between controllers joined
by an in-process link, so tests and demos exercise the actual protocol without a radio."""
from __future__ import annotations

import asyncio
import itertools
from typing import Protocol

from .transport import Transport, TransportError


class Radio(Protocol):
    """Where bumble devices are made: ``new_device(name)`` returns a ``bumble.device.Device`` (not yet
    powered on) that can advertise, scan and connect on this radio."""

    def new_device(self, name: str | None = None): ...


class SoftwareRadio:
    """An in-process 'air': every device made here can see and connect to every other."""

    _addresses = itertools.count(1)

    def __init__(self):
        from bumble.link import LocalLink

        self.link = LocalLink()

    def new_device(self, name: str | None = None):
        from bumble.device import Device
        from bumble.hci import Address
        from bumble.host import Host
        from bumble.transport.common import AsyncPipeSink

        n = next(self._addresses)
        address = f"C0:FE:00:{(n >> 16) & 0xFF:02X}:{(n >> 8) & 0xFF:02X}:{n & 0xFF:02X}"
        from .software_controller import controller_class

        controller = controller_class()(f"ctrl-{n}", link=self.link, public_address=address)
        device = Device(name=name or f"dev-{n}", address=Address(address),
                        host=Host(controller, AsyncPipeSink(controller)))
        return device


class ControllerRadio:
    """A real Bluetooth controller behind a bumble HCI transport (a USB dongle, a serial HCI...):
    its one device is on the air for real. ``source, sink`` come from ``bumble.transport.open_transport``."""

    ADDRESS = "F0:F1:F2:F3:F4:F5"

    def __init__(self, source, sink):
        self.source, self.sink = source, sink

    def new_device(self, name: str | None = None):
        from bumble.device import Device
        from bumble.hci import Address

        return Device.with_hci(name or "harnet-edge", Address(self.ADDRESS), self.source, self.sink)


class BumbleTransport(Transport):
    """Central side over bumble; ``target`` is the peripheral's address or advertised name."""

    def __init__(self, central, target: str, scan_timeout: float = 5.0):
        """``central``: a device from ``Radio.new_device``."""
        self.central, self.target, self.scan_timeout = central, target, scan_timeout
        self.name = target
        self.connection = None
        self.peer = None
        self._powered = False

    async def _find(self):
        from bumble.core import AdvertisingData

        found = asyncio.get_running_loop().create_future()

        def on_advertisement(adv):
            name = adv.data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or ""
            if isinstance(name, bytes):
                name = name.decode(errors="replace")
            if (str(adv.address).split("/")[0].upper() == self.target.upper() or name == self.target) \
                    and not found.done():
                found.set_result(adv.address)

        self.central.on("advertisement", on_advertisement)
        await self.central.start_scanning(legacy=True, filter_duplicates=True)
        try:
            return await asyncio.wait_for(found, self.scan_timeout)
        except asyncio.TimeoutError:
            raise TransportError(f"{self.target} not found within {self.scan_timeout:.0f} s") from None
        finally:
            self.central.remove_listener("advertisement", on_advertisement)
            await self.central.stop_scanning()

    async def connect(self) -> None:
        from bumble.device import Peer

        if not self._powered:
            await self.central.power_on()
            self._powered = True
        address = await self._find()
        try:
            self.connection = await asyncio.wait_for(self.central.connect(address), self.scan_timeout)
        except Exception as exc:
            raise TransportError(f"connecting to {self.target} failed: {exc}") from None
        self.connection.on("disconnection", lambda reason: self._disconnected())
        self.peer = Peer(self.connection)
        mtu = await self.peer.request_mtu(247)
        self.payload_bytes = mtu - 3
        await self.peer.discover_services()
        await self.peer.discover_characteristics()
        self.services = {str(s.uuid).lower() for s in self.peer.services}

    def _characteristic(self, uuid: str):
        from bumble.core import UUID

        found = self.peer.get_characteristics_by_uuid(UUID(uuid))
        if not found:
            raise TransportError(f"{self.target} has no characteristic {uuid}")
        return found[0]

    async def disconnect(self) -> None:
        if self.connection is not None:
            try:
                await self.connection.disconnect()
            except Exception:
                pass

    async def read(self, uuid: str) -> bytes:
        return bytes(await self._characteristic(uuid).read_value())

    async def write(self, uuid: str, data: bytes) -> None:
        await self._characteristic(uuid).write_value(data, with_response=True)

    async def subscribe(self, uuid: str, callback) -> None:
        await self.peer.subscribe(self._characteristic(uuid), lambda value: callback(bytes(value)))
