"""What a scan reports about one device, independent of the Bluetooth backend that heard it.

Device protocols decide from this whether a device is one of theirs (``matches``), so scanning by
name, ``harnet-edge devices`` and ``--profile auto`` agree on what counts as a supported wearable.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Advertisement:
    address: str
    name: str | None
    service_uuids: tuple[str, ...] = ()           # lowercase 128-bit strings, as bleak spells them
    manufacturer_data: dict[int, bytes] = field(default_factory=dict)   # company id -> payload
    rssi: int | None = None

    @classmethod
    def from_bleak(cls, device, adv) -> "Advertisement":
        return cls(device.address, adv.local_name or device.name,
                   tuple(u.lower() for u in adv.service_uuids), dict(adv.manufacturer_data), adv.rssi)
