"""Real radios through bleak (BlueZ on Linux/Raspberry Pi, CoreBluetooth, WinRT). Kept thin."""
from __future__ import annotations

from .transport import Transport, TransportError


def _matches(device, adv, target: str, service_uuid: str | None) -> bool:
    # Only the device asked for: exact address or exact advertised name, never "the first found".
    named = device.address.lower() == target.lower() or (device.name or adv.local_name or "") == target
    if not named:
        return False
    return service_uuid is None or service_uuid.lower() in [u.lower() for u in adv.service_uuids] or \
        device.address.lower() == target.lower()


class BleakTransport(Transport):
    def __init__(self, target: str, service_uuid: str | None = None, scan_timeout: float = 10.0):
        self.target, self.service_uuid, self.scan_timeout = target, service_uuid, scan_timeout
        self.name = target
        self.client = None

    async def connect(self) -> None:
        from bleak import BleakClient, BleakScanner
        from bleak.exc import BleakError

        try:
            device = await BleakScanner.find_device_by_filter(
                lambda d, adv: _matches(d, adv, self.target, self.service_uuid), timeout=self.scan_timeout)
        except (BleakError, OSError) as exc:
            raise TransportError(f"scanning for {self.target} failed: {exc}") from None
        if device is None:
            raise TransportError(f"{self.target} not found within {self.scan_timeout:.0f} s")
        self.client = BleakClient(device, disconnected_callback=lambda _client: self._disconnected())
        try:
            await self.client.connect()
        except (BleakError, OSError, TimeoutError) as exc:
            raise TransportError(f"connecting to {self.target} failed: {exc}") from None
        self.services = {s.uuid.lower() for s in self.client.services}
        self.payload_bytes = max(20, self.client.mtu_size - 3)

    async def disconnect(self) -> None:
        if self.client is not None:
            await self.client.disconnect()

    async def read(self, uuid: str) -> bytes:
        return bytes(await self.client.read_gatt_char(uuid))

    async def write(self, uuid: str, data: bytes) -> None:
        await self.client.write_gatt_char(uuid, data, response=True)

    async def subscribe(self, uuid: str, callback) -> None:
        await self.client.start_notify(uuid, lambda _char, data: callback(bytes(data)))
