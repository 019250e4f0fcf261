"""Which supported wearables are in range: one scan, each device matched to the protocol that would
stream it (``harnet-edge devices``). Works over any bleak backend, the software stack included."""
from __future__ import annotations

from dataclasses import dataclass

from .advertisement import Advertisement
from .connect import explain
from .protocols import protocol_for_advertisement


@dataclass(frozen=True)
class NearbyDevice:
    name: str | None
    address: str
    rssi: int | None
    protocol: str | None       # None: no known protocol claims it

    def as_dict(self) -> dict:
        return {"name": self.name, "address": self.address, "rssi": self.rssi, "protocol": self.protocol}


async def scan(timeout_s: float = 5.0, adapter=None, include_unsupported: bool = False) -> list[NearbyDevice]:
    """Devices heard within ``timeout_s``, strongest signal first."""
    from bleak import BleakScanner

    backend = {"backend": adapter.scanner_backend} if adapter is not None else {}
    try:
        found = await BleakScanner.discover(timeout=timeout_s, return_adv=True, **backend)
    except ImportError:
        raise                     # a missing extra (bumble for --hci): the CLI names the install
    except Exception as exc:
        raise explain(exc, "nearby devices", "scan", adapter) from None
    devices = []
    for device, adv in found.values():
        advertisement = Advertisement.from_bleak(device, adv)
        protocol = protocol_for_advertisement(advertisement)
        if protocol is not None or include_unsupported:
            devices.append(NearbyDevice(advertisement.name, device.address, adv.rssi,
                                        protocol.name if protocol else None))
    return sorted(devices, key=lambda d: -(d.rssi if d.rssi is not None else -999))
