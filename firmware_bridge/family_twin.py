"""What every vendor twin shares: a bumble peripheral whose sensor samples a motion signal on its own
(slightly wrong) clock and notifies no more than the negotiated ATT payload allows.

A family twin subclasses ``FamilyTwin`` and says three things: its GATT service (``build_gatt``),
how many samples one notification holds (``samples_per_notification``) and the bytes of one
notification (``encode``). The base owns the clock (``twins.clock.DeviceClock``, the machinery the
Polar and reference twins share), the payload limit (``twins.mtu``), the resampling of the signal
to whatever rate the host configured, advertising, dropped notifications and the played motion.
"""
from __future__ import annotations

import asyncio
import random

import numpy as np

from .twins.clock import DeviceClock
from .twins.mtu import payload_limit


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

    ``signal`` (n, 3) in g sampled at ``signal_rate_hz``.
    ``clock_ppm``: how far the sensor's sampling rate is from nominal (+ fast); in device time its
    samples are 1 / (nominal x (1 + ppm/1e6)) apart, and a host assuming the nominal rate drifts.
    ``drop_probability``: notifications the radio loses (the device clock runs on).
    ``disconnect_every_s``: device seconds of streaming after which the twin drops the link.
    """

    family = "twin"

    def __init__(self, radio, name: str, signal: np.ndarray, signal_rate_hz: float, rate_hz: float,
                 speed: float = 1.0, clock_ppm: float = 0.0, drop_probability: float = 0.0, seed: int = 0,
                 disconnect_every_s: float = 0.0):
        self.name, self.signal_rate_hz = name, signal_rate_hz
        self.disconnect_every_s, self.streamed_s = disconnect_every_s, 0.0
        self.source_signal = np.asarray(signal, np.float32)
        self.speed, self.drop_probability = speed or 1.0, drop_probability
        self.rng = random.Random(seed)
        self.device = radio.new_device(name)
        self.streaming = False
        self.clock = DeviceClock(rate_hz, rate_error=clock_ppm * 1e-6)   # device time 0 at power-on
        self.played_s = 0.0              # device seconds since power-on (continuous across rate changes)
        self.sent = self.dropped = self.disconnects = 0
        self.reboots = 0                 # (family twins do not reboot; the runner's counters are shared)
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

    def encode(self, first_time_s: float, xyz_g: np.ndarray) -> bytes:
        """One notification: samples taken from device time ``first_time_s`` on."""
        raise NotImplementedError

    # --- shared machinery ---
    @property
    def rate_hz(self) -> float:
        return self.clock.nominal_hz

    def set_rate(self, rate_hz: float) -> None:
        """The host configured another rate: device time stays continuous, the sensor resamples."""
        if rate_hz != getattr(self, "_signal_hz", None):
            self.clock.set_rate(float(rate_hz))
            self.signal, self._signal_hz = resample_signal(self.source_signal, self.signal_rate_hz, rate_hz), rate_hz

    def advertise(self, service_uuid: str) -> None:
        from bumble.core import UUID, AdvertisingData

        self.device.advertising_data = bytes(AdvertisingData([
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
            (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, bytes(UUID(service_uuid))),
        ]))

    def payload_bytes(self) -> int:
        return payload_limit(self.device)

    def samples(self, n: int) -> np.ndarray:
        """The next ``n`` samples of the motion, as the sensor takes them at its true rate."""
        played = self.played_s + np.arange(n) / self.clock.true_hz
        return self.signal[np.round(played * self.rate_hz).astype(np.int64) % len(self.signal)]

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
        dropped, first_s = self.dropped, self.clock.time_s()
        await self.notify(self.data_char, self.encode(first_s, self.samples(n)))
        if self.dropped > dropped:
            self.dropped_at.append(first_s)

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
        try:
            while duration_s is None or self.played_s < duration_s:
                n = self.samples_per_notification(self.payload_bytes())
                # The notification leaves when its last sample was taken (paced in device seconds, so a
                # rate change mid-run keeps the pace).
                delay = start_wall + (self.played_s + n / self.clock.true_hz) / self.speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self.streaming and self.device.connections:
                    await self.send(n)
                    self.streamed_s += n / self.clock.true_hz
                    if self.disconnect_every_s and self.streamed_s >= self.disconnect_every_s:
                        self.streamed_s = 0.0
                        await self.force_disconnect()
                self.played_s += n / self.clock.true_hz
                self.clock.advance(n)        # the clock runs whether or not anyone listens
        finally:
            self.finished.set()

    async def force_disconnect(self) -> None:
        from .wearable import drop_links

        self.streaming = False
        self.disconnects += await drop_links(self.device)
