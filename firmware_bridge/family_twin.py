"""What every vendor twin shares: a bumble peripheral whose sensor samples a motion signal on its own
(slightly wrong) clock and notifies no more than the negotiated ATT payload allows.

A family twin subclasses ``FamilyTwin`` and says three things: its GATT service (``build_gatt``),
how many samples one notification holds (``samples_per_notification``) and the bytes of one
notification (``encode``). The base owns the clock, the resampling of the signal to whatever rate
the host configured, advertising, fault injection and the ground truth of what it plays.
"""
from __future__ import annotations

import asyncio
import logging
import random

import numpy as np

log = logging.getLogger(__name__)


def resample_signal(signal: np.ndarray, from_hz: float, to_hz: float) -> np.ndarray:
    """The motion a sensor sampling at ``to_hz`` would have seen (anti-aliased when slower)."""
    if abs(from_hz - to_hz) < 1e-9:
        return np.asarray(signal, np.float32)
    from harnet_edge.data.resample import anti_alias   # numpy only

    n = int(len(signal) * to_hz / from_hz)
    smooth = anti_alias(np.asarray(signal, np.float64), from_hz, to_hz)
    src = np.arange(len(signal)) / from_hz
    dst = np.arange(n) / to_hz
    return np.stack([np.interp(dst, src, smooth[:, a]) for a in range(3)], axis=1).astype(np.float32)


class FamilyTwin:
    """Base of the vendor twins (Movesense, MetaMotion, Bangle.js, PineTime).

    ``signal`` (n, 3) in g sampled at ``signal_rate_hz``; ``labels`` (n,) optional ground truth.
    ``clock_ppm``: how much faster (+) or slower (-) than nominal the device's oscillator runs; the
    device stamps samples with its own clock, so the host sees nominal spacing but gets
    (1 + ppm/1e6) x as many samples per host second, as from a real crystal.
    ``drop_probability``: notifications the radio loses (the device clock runs on).
    """

    family = "twin"
    min_payload = 20                  # ATT_MTU 23 - 3: what every BLE link can carry

    def __init__(self, radio, name: str, signal: np.ndarray, signal_rate_hz: float, rate_hz: float,
                 labels: np.ndarray | None = None, speed: float = 1.0, clock_ppm: float = 0.0,
                 drop_probability: float = 0.0, seed: int = 0):
        self.name, self.signal_rate_hz = name, signal_rate_hz
        self.source_signal = np.asarray(signal, np.float32)
        self.source_labels = None if labels is None else np.asarray(labels)
        self.speed, self.clock_ppm, self.drop_probability = speed or 1.0, clock_ppm, drop_probability
        self.rng = random.Random(seed)
        self.device = radio.new_device(name)
        self.streaming = False
        self.sample_index = 0            # device clock in samples since power-on
        self.sent = self.dropped = self.disconnects = 0
        self.dropped_at: list[float] = []      # device seconds of each dropped notification's first sample
        self.largest_notification = 0
        self.finished = asyncio.Event()
        self.started_at: float | None = None     # event-loop time at power-on (device time 0)
        self.set_rate(rate_hz)
        self.build_gatt()
        # Like the devices, a twin forgets a host's subscription when the link drops.
        self.device.on("connection", lambda connection: connection.on(
            "disconnection", lambda reason: setattr(self, "streaming", False)))

    # --- what a family says ---
    def build_gatt(self) -> None:
        raise NotImplementedError

    def samples_per_notification(self, payload_bytes: int) -> int:
        raise NotImplementedError

    def encode(self, first_index: int, xyz_g: np.ndarray) -> bytes:
        raise NotImplementedError

    # --- shared machinery ---
    def set_rate(self, rate_hz: float) -> None:
        old = getattr(self, "rate_hz", None)
        if old:                          # keep device time: the clock counts seconds, not samples
            self.sample_index = int(self.sample_index * rate_hz / old)
        self.rate_hz = float(rate_hz)
        self.signal = resample_signal(self.source_signal, self.signal_rate_hz, self.rate_hz)

    def truth_at(self, device_seconds: np.ndarray) -> np.ndarray | None:
        """Ground-truth labels of the motion played at these device times (None without labels)."""
        if self.source_labels is None:
            return None
        idx = (np.asarray(device_seconds) * self.signal_rate_hz).astype(np.int64) % len(self.source_labels)
        return self.source_labels[idx]

    def advertise(self, service_uuid: str) -> None:
        from bumble.core import UUID, AdvertisingData

        self.device.advertising_data = bytes(AdvertisingData([
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
            (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, bytes(UUID(service_uuid))),
        ]))

    def payload_bytes(self) -> int:
        for connection in self.device.connections.values():
            return max(self.min_payload, connection.att_mtu - 3)
        return self.min_payload

    def samples(self, start: int, n: int) -> np.ndarray:
        return self.signal[np.arange(start, start + n) % len(self.signal)]

    def later(self, coroutine) -> None:
        """GATT write handlers are synchronous; replies go out on the event loop."""
        asyncio.get_event_loop().create_task(coroutine)

    async def notify(self, characteristic, packet: bytes) -> None:
        limit = self.payload_bytes()
        if len(packet) > limit:         # a device cannot send more than the link's ATT payload
            raise AssertionError(f"{self.family} twin built a {len(packet)}-byte notification for a "
                                 f"{limit}-byte payload")
        self.largest_notification = max(self.largest_notification, len(packet))
        if self.drop_probability and self.rng.random() < self.drop_probability:
            self.dropped += 1
            return
        await self.device.notify_subscribers(characteristic, packet)
        self.sent += 1

    async def send(self, n: int) -> None:
        dropped = self.dropped
        await self.notify(self.data_char, self.encode(self.sample_index, self.samples(self.sample_index, n)))
        if self.dropped > dropped:
            self.dropped_at.append(self.sample_index / self.rate_hz)

    def dropped_between(self, first_s: float, last_s: float) -> int:
        """Notifications dropped between two device times (what a host could have noticed)."""
        return sum(first_s < t < last_s for t in self.dropped_at)

    async def run(self, duration_s: float | None = None) -> None:
        """Advertise, and while a host has started the stream, notify samples as the clock produces
        them, until ``duration_s`` of device time has passed (None: forever)."""
        await self.device.power_on()
        await self.device.start_advertising(auto_restart=True)
        loop = asyncio.get_running_loop()
        start_wall = self.started_at = loop.time()
        device_hz = lambda: self.rate_hz * (1 + self.clock_ppm * 1e-6)   # noqa: E731 (rate may change)
        try:
            while duration_s is None or self.sample_index < duration_s * self.rate_hz:
                n = self.samples_per_notification(self.payload_bytes())
                due = start_wall + (self.sample_index + n) / device_hz() / self.speed
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self.streaming and self.device.connections:
                    await self.send(n)
                self.sample_index += n       # the clock runs whether or not anyone listens
        finally:
            self.finished.set()

    async def force_disconnect(self) -> None:
        self.streaming = False
        for connection in list(self.device.connections.values()):
            self.disconnects += 1
            try:
                await connection.disconnect()
            except Exception as exc:    # already gone
                log.debug("disconnect: %s", exc)
