"""Real radios through bleak (BlueZ on Linux/Raspberry Pi, CoreBluetooth, WinRT). Kept thin.

``adapter`` selects the Bluetooth backend: None is the operating system's; a
``bleak_bumble_backend.SoftwareAdapter`` runs this same class over the software Bluetooth stack
(tests, ``harnet-edge simulate``), injected through bleak's ``backend=`` argument.
"""
from __future__ import annotations

from .advertisement import Advertisement
from .connect import explain, not_advertising
from .transport import Transport


def _matches(device, adv, target: str, service_uuid: str | None, protocol=None) -> bool:
    # Only the device asked for: exact address or exact advertised name, never "the first found".
    by_address = device.address.lower() == target.lower()
    if not (by_address or (adv.local_name or device.name or "") == target):
        return False
    if by_address:
        return True
    if protocol is not None:
        from .protocols import claims

        return claims(protocol, Advertisement.from_bleak(device, adv))
    return service_uuid is None or service_uuid.lower() in [u.lower() for u in adv.service_uuids]


class BleakTransport(Transport):
    def __init__(self, target: str, service_uuid: str | None = None, scan_timeout: float = 10.0,
                 connect_timeout: float = 20.0, adapter=None, protocol=None):
        self.target, self.service_uuid, self.scan_timeout = target, service_uuid, scan_timeout
        self.connect_timeout, self.adapter, self.protocol = connect_timeout, adapter, protocol
        self.name = target
        self.client = None
        # After the first connection by name, reconnects go to that same device: two units of one
        # firmware can advertise the same name, and switching between them would splice two wearers'
        # data into one stream. Supported devices keep their address across reboots (public or
        # static random), so pinning does not lose a rebooted device.
        self.pinned_address: str | None = None

    def _backend(self, kind: str) -> dict:
        return {"backend": getattr(self.adapter, f"{kind}_backend")} if self.adapter is not None else {}

    async def connect(self) -> None:
        from bleak import BleakClient, BleakScanner

        try:
            device = await BleakScanner.find_device_by_filter(
                lambda d, adv: _matches(d, adv, self.target, self.service_uuid, self.protocol)
                and (self.pinned_address is None or d.address.lower() == self.pinned_address.lower()),
                timeout=self.scan_timeout, **self._backend("scanner"))
        except ImportError:
            raise                     # a missing extra (bumble for --hci): the CLI names the install
        except Exception as exc:
            raise explain(exc, self.target, "scan", self.adapter) from None
        if device is None:
            pinned = f" {self.target} ({self.pinned_address})" if self.pinned_address else self.target
            raise not_advertising(pinned.strip(), self.scan_timeout)
        self.client = BleakClient(device, disconnected_callback=lambda _client: self._disconnected(),
                                  timeout=self.connect_timeout, **self._backend("client"))
        try:
            await self.client.connect()
        except ImportError:
            raise                     # a missing extra (bumble for --hci): the CLI names the install
        except Exception as exc:
            raise explain(exc, self.target, "connect", self.adapter) from None
        self.pinned_address = self.pinned_address or device.address
        self.services = {s.uuid.lower() for s in self.client.services}
        self.payload_bytes = self._payload_bytes()

    def _payload_bytes(self) -> int:
        # BlueZ reports mtu_size as 23 whatever was negotiated (bleak documents this); the
        # characteristics' max_write_without_response_size (ATT MTU - 3) carries the real value.
        sizes = [c.max_write_without_response_size for s in self.client.services for c in s.characteristics]
        return max([20, self.client.mtu_size - 3, *sizes])

    async def disconnect(self) -> None:
        if self.client is not None:
            await self.client.disconnect()

    async def read(self, uuid: str) -> bytes:
        return bytes(await self._gatt(self.client.read_gatt_char(uuid)))

    async def write(self, uuid: str, data: bytes) -> None:
        await self._gatt(self.client.write_gatt_char(uuid, data, response=True))

    async def subscribe(self, uuid: str, callback) -> None:
        await self._gatt(self.client.start_notify(uuid, lambda _char, data: callback(bytes(data))))

    async def _gatt(self, operation):
        # A GATT error (e.g. insufficient encryption, write not permitted) is the device refusing.
        from bleak.exc import BleakError

        try:
            return await operation
        except BleakError as exc:
            raise explain(exc, self.target, "request", self.adapter) from None
