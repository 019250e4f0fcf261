"""BLE sources for ``harnet-edge stream``: real devices through bleak, or software wearables."""
from __future__ import annotations

import asyncio

from .protocols import PROTOCOLS, protocol_for
from .session import DeviceSession


class BleDeviceSource:
    """A named device over bleak. The protocol is chosen by --profile, or from its services."""

    def __init__(self, target: str, profile: str = "auto"):
        from .bleak_transport import BleakTransport

        service = PROTOCOLS[profile].service_uuid if profile in PROTOCOLS else None
        self.target, self.profile = target, profile
        self.transport = BleakTransport(target, service)

    async def run(self, runtime) -> None:
        # With --profile auto the session picks the protocol from the services of its first connection.
        protocol = protocol_for(self.profile) if self.profile != "auto" else None
        await DeviceSession(self.target, self.transport, protocol).run(runtime)


class SimulatedFleet:
    """N software wearables and one software central each, on one in-process Bluetooth link."""

    def __init__(self, n: int, profile: str = "reference", speed: float = 1.0, rate_hz: float = 50.0,
                 faults=None, duration_s: float | None = None, signals=None):
        self.n, self.profile = n, "reference" if profile == "auto" else profile
        self.speed, self.rate_hz, self.faults, self.duration_s = speed or 50.0, rate_hz, faults, duration_s
        self.signals = signals

    def build(self) -> None:
        """Controllers need a running event loop, so the fleet is made inside ``run``."""
        from .bumble_transport import BumbleTransport, SoftwareRadio
        from .wearable import SoftwareWearable, generated_motion

        self.radio = SoftwareRadio()
        self.wearables = [SoftwareWearable(self.radio, f"HE-Wearable-{i + 1}",
                                           self.signals[i] if self.signals else generated_motion(self.rate_hz, 600, seed=i),
                                           self.rate_hz, self.profile, speed=self.speed, faults=self.faults)
                          for i in range(self.n)]
        self.sessions = [DeviceSession(w.name, BumbleTransport(self.radio.new_device(f"central-{i}"), w.name),
                                       PROTOCOLS[self.profile](), backoff_s=0.2)
                         for i, w in enumerate(self.wearables)]

    async def run(self, runtime) -> None:
        self.build()
        peripherals = [asyncio.create_task(w.run(self.duration_s)) for w in self.wearables]
        centrals = [asyncio.create_task(s.run(runtime)) for s in self.sessions]
        try:
            await asyncio.gather(*peripherals)
            await asyncio.sleep(0.2)       # let the last notifications arrive
        finally:
            for task in centrals + peripherals:
                task.cancel()
            await asyncio.gather(*centrals, *peripherals, return_exceptions=True)


def ble_sources(devices: list[str], profile: str, simulate: int, speed: float = 1.0, duration_s: float | None = None):
    sources = [BleDeviceSource(d, profile) for d in devices]
    if simulate:
        sources.append(SimulatedFleet(simulate, profile, speed=speed, duration_s=duration_s))
    return sources
