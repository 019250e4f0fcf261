"""One wearable kept streaming into the runtime: connect, start, decode, reconnect with backoff.

Disconnects are expected on a wrist: the session marks them, waits (1, 2, 4 ... up to 30 s), and
resumes. The runtime sees the hole in the device timestamps and never stitches across it; packets
lost on a live link are reported so the windows they fall in are flagged.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

from harnet_edge.runtime.samples import SampleBatch

from .polar_control import DeviceRefused
from .protocols import protocol_for
from .transport import Transport, TransportError

log = logging.getLogger(__name__)


class DeviceSession:
    def __init__(self, name: str, transport: Transport, protocol=None, rate_hz: float | None = None,
                 backoff_s: float = 1.0, max_backoff_s: float = 30.0, max_attempts: int | None = None):
        self.name, self.transport, self.protocol, self.rate_hz = name, transport, protocol, rate_hz
        self.backoff_s, self.max_backoff_s, self.max_attempts = backoff_s, max_backoff_s, max_attempts
        self.connects = 0
        self.disconnects = 0
        self.samples = 0
        self.connected = asyncio.Event()

    async def run(self, runtime) -> None:
        failures = 0
        while True:
            lost_link = asyncio.Event()
            self.transport.on_disconnect(lost_link.set)
            try:
                await self.transport.connect()
                if self.protocol is None:      # chosen once, from what the device offers
                    self.protocol = protocol_for("auto", self.transport.services)
                nominal = await self.protocol.start(self.transport, self.rate_hz)
                runtime.add_device(self.name, nominal, max_gap_s=getattr(self.protocol, "max_gap_s", None))
                await self.transport.subscribe(self.protocol.data_uuid, self._on_data(runtime))
            except DeviceRefused as exc:       # asking again cannot help: one line, then stop
                runtime.status(self.name, str(exc))
                raise
            except (TransportError, OSError, asyncio.TimeoutError) as exc:
                failures += 1
                runtime.status(self.name, f"connect failed ({exc}); retry {failures}")
                if self.max_attempts and failures >= self.max_attempts:
                    raise TransportError(f"{self.name}: gave up after {failures} attempts: {exc}") from None
                await asyncio.sleep(min(self.max_backoff_s, self.backoff_s * 2 ** (failures - 1)))
                continue
            failures = 0
            self.connects += 1
            self.connected.set()
            runtime.status(self.name, "connected" if self.connects == 1 else "reconnected",
                           reconnect=self.connects > 1)
            await lost_link.wait()
            self.connected.clear()
            self.disconnects += 1
            runtime.status(self.name, "disconnected; reconnecting")
            await asyncio.sleep(min(self.backoff_s, self.max_backoff_s))

    def _on_data(self, runtime) -> Callable[[bytes], None]:
        def handle(data: bytes) -> None:
            decoded = self.protocol.decode(data)
            if decoded is None:
                return                      # counted and logged by the decoder
            if decoded.new_segment:
                runtime.status(self.name, "device clock restarted (reboot?): new segment", clock_reset=True)
            if decoded.losses:
                for hole_start, hole_end, packets in decoded.losses:
                    runtime.note_loss(self.name, hole_end, packets, hole_start)
            elif decoded.lost_packets:
                runtime.note_loss(self.name, float(decoded.t[0]), decoded.lost_packets)
            runtime.ingest(SampleBatch(self.name, decoded.t, decoded.xyz))
            runtime.notify()
            self.samples += len(decoded.t)
        return handle
