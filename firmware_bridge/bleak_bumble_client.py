"""The client half of the bleak backend over the software Bluetooth stack (see ``bleak_bumble_backend``):
connection, MTU exchange, GATT discovery, reads, writes, notifications and indications on a bumble host."""
from __future__ import annotations

import asyncio
import logging
import uuid as uuid_module
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError

log = logging.getLogger(__name__)

# What BlueZ asks for on every connection (its default MTU for LE); the peripheral answers with its
# own maximum and the smaller wins.
REQUESTED_MTU = 517
# bleak characteristic property names, in the bit order of the GATT Characteristic Properties field.
PROPERTY_NAMES = ["broadcast", "read", "write-without-response", "write", "notify", "indicate",
                  "authenticated-signed-writes", "extended-properties"]


def uuid_str(bumble_uuid) -> str:
    """A bumble UUID as bleak spells it: lowercase, 128-bit, dashed."""
    return str(uuid_module.UUID(bytes=bytes(reversed(bumble_uuid.to_bytes(force_128=True)))))


def address_str(address) -> str:
    return address.to_string(with_type_qualifier=False)


class SoftwareBleakClient(BaseBleakClient):
    adapter: "SoftwareAdapter"     # bound by SoftwareAdapter, since bleak instantiates backends itself

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any):
        super().__init__(address_or_ble_device, disconnected_callback=kwargs.get("disconnected_callback"),
                         timeout=kwargs.get("timeout", 10.0))
        details = getattr(address_or_ble_device, "details", None)
        self._bumble_address = details.get("address") if isinstance(details, dict) else None
        self._connection = None
        self._peer = None
        self._closing = False

    @property
    def name(self) -> str:
        return self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        from bumble import core
        from bumble.device import Peer

        timeout = kwargs.get("timeout", self._timeout)
        await self.adapter.power_on()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        address = self._bumble_address or await self._find_address(timeout)
        try:
            # bumble cancels the pending LE connection itself when its timeout expires; the outer
            # bound covers a controller that never reports the cancelled attempt.
            remaining = max(0.1, deadline - loop.time())
            connection = await asyncio.wait_for(self.adapter.device.connect(address, timeout=remaining),
                                                remaining + 2.0)
        except (TimeoutError, core.TimeoutError):
            raise asyncio.TimeoutError(f"{self.address}: no connection within {timeout:g} s") from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:    # HCI errors: connection rejected or failed to be established
            raise BleakError(f"{self.address}: connection failed: {exc}") from None
        self._connection, self._closing = connection, False
        connection.on("disconnection", self._on_disconnection)
        self.adapter.clients.add(self)
        try:
            peer = Peer(connection)
            try:
                await peer.request_mtu(REQUESTED_MTU)
            except Exception as exc:    # a peripheral may refuse the exchange; the link stays at 23
                log.debug("%s: MTU exchange refused: %s", self.address, exc)
            await peer.discover_services()
            for service in peer.services:
                await service.discover_characteristics()
                for characteristic in service.characteristics:
                    await characteristic.discover_descriptors()
        except Exception as exc:
            await self.disconnect()
            raise _bleak_error(exc) from None
        self._peer = peer
        self.services = self._collection(peer)

    async def _find_address(self, timeout: float):
        # bleak's own backends scan for a device given only as an address string.
        scanner = self.adapter.scanner_backend(None, None)
        found = asyncio.get_running_loop().create_future()
        scanner.register_detection_callback(
            lambda d, ad: found.done() or d.address.lower() != self.address.lower() or
            found.set_result(d.details["address"]))
        await scanner.start()
        try:
            return await asyncio.wait_for(found, timeout)
        except asyncio.TimeoutError:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.") \
                from None
        finally:
            await scanner.stop()

    def _collection(self, peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in peer.services:
            bleak_service = BleakGATTService(service, service.handle, uuid_str(service.uuid))
            collection.add_service(bleak_service)
            for char in service.characteristics:
                names = [n for bit, n in enumerate(PROPERTY_NAMES) if int(char.properties) & (1 << bit)]
                bleak_char = BleakGATTCharacteristic(char, char.handle, uuid_str(char.uuid), names,
                                                     lambda: self.mtu_size - 3, bleak_service)
                collection.add_characteristic(bleak_char)
                for descriptor in char.descriptors:
                    collection.add_descriptor(BleakGATTDescriptor(descriptor, descriptor.handle,
                                                                  uuid_str(descriptor.type), bleak_char))
        return collection

    def _on_disconnection(self, reason) -> None:
        solicited = self._closing
        self._connection, self._peer = None, None
        self.adapter.clients.discard(self)
        if not solicited and self._disconnected_callback is not None:
            self._disconnected_callback()

    def link_lost(self) -> None:
        """The adapter itself went away: the link is gone without a disconnection event."""
        if self._connection is not None:
            self._on_disconnection(None)

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        self._closing = True
        self.adapter.clients.discard(self)
        try:
            await asyncio.wait_for(connection.disconnect(), 5)
        except Exception as exc:     # already gone
            log.debug("%s: disconnect: %s", self.address, exc)
        self._connection, self._peer = None, None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("pairing is not supported by the software Bluetooth stack backend")

    async def unpair(self) -> None:
        raise BleakError("pairing is not supported by the software Bluetooth stack backend")

    def _require(self):
        if self._peer is None:
            raise BleakError(f"{self.address}: not connected")
        return self._peer

    async def read_gatt_char(self, characteristic, *, use_cached: bool = False, **kwargs: Any) -> bytearray:
        self._require()
        return bytearray(await _gatt(characteristic.obj.read_value()))

    async def read_gatt_descriptor(self, descriptor, *, use_cached: bool = False, **kwargs: Any) -> bytearray:
        self._require()
        return bytearray(await _gatt(descriptor.obj.read_value()))

    async def write_gatt_char(self, characteristic, data, response: bool) -> None:
        self._require()
        await _gatt(characteristic.obj.write_value(bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor, data) -> None:
        self._require()
        await _gatt(descriptor.obj.write_value(bytes(data), with_response=True))

    async def start_notify(self, characteristic, callback, **kwargs: Any) -> None:
        peer = self._require()
        # Notifications are preferred over indications when both exist, as bleak's backends do.
        await _gatt(peer.subscribe(characteristic.obj, lambda value: callback(bytearray(value)), prefer_notify=True))

    async def stop_notify(self, characteristic) -> None:
        peer = self._require()
        await _gatt(peer.unsubscribe(characteristic.obj, force=True))


def _bleak_error(exc: Exception) -> Exception:
    from bumble.att import ATT_Error

    if isinstance(exc, ATT_Error):
        return BleakGATTProtocolError(exc.error_code)
    if isinstance(exc, (BleakError, asyncio.TimeoutError)):
        return exc
    return BleakError(str(exc) or type(exc).__name__)


async def _gatt(operation):
    try:
        return await operation
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise _bleak_error(exc) from None
