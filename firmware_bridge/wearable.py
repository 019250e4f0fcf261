"""A software wearable: a GATT peripheral on the software Bluetooth stack that streams a recording or
a generated motion signal as a real device would, for tests and hardware-free demos.

Plays a device twin: the reference firmware (``twins.reference``) or a Polar model (``twins.polar``,
the PMD service), and can be told to drop packets, jitter its timestamps, drop the connection or reboot every
so often. Its clock (``twins.clock``) runs whether or not anyone listens, so a disconnect leaves a
real hole in the data, as on hardware; a reboot restarts it (device time jumps back).
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

import numpy as np

from .twins.mtu import payload_limit

log = logging.getLogger(__name__)
LEGACY_ADVERTISING_BYTES = 31


def generated_motion(rate_hz: float, seconds: float, seed: int = 0) -> np.ndarray:
    """Walking-like wrist motion in g (gravity on z plus a ~1.8 Hz arm swing), alternating with
    still periods, so a demo shows more than one label."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    active = (t // 30) % 2 == 0
    swing = 0.45 * np.sin(2 * np.pi * 1.8 * t) + 0.15 * np.sin(2 * np.pi * 3.6 * t + 0.7)
    xyz = np.zeros((len(t), 3))
    xyz[:, 0] = np.where(active, swing, 0.02 * rng.standard_normal(len(t)))
    xyz[:, 1] = np.where(active, 0.3 * np.cos(2 * np.pi * 1.8 * t), 0.0) + 0.1
    xyz[:, 2] = -0.95 + np.where(active, 0.2 * np.sin(2 * np.pi * 3.6 * t), 0.0)
    return (xyz + 0.01 * rng.standard_normal(xyz.shape)).astype(np.float32)


@dataclass
class Faults:
    drop_probability: float = 0.0       # notifications silently not sent (sequence still advances)
    jitter_us: float = 0.0              # timestamp noise
    disconnect_every_s: float = 0.0     # device time between forced disconnects (0 = never)
    reboot_every_s: float = 0.0         # reboot after this much streaming (device time): link drops, clock restarts
    seed: int = 0


def legacy_advertising(name: str, structures: list[tuple[int, bytes]]) -> tuple[bytes, bytes]:
    """(advertising data, scan response) within legacy advertising's 31 bytes each (Core spec Vol 6
    Part B 2.3.1.1): flags and the twin's own structures first; the name joins them if it fits, else it
    goes in the scan response (a reference device's 128-bit service UUID leaves no room for
    "HE-Wearable-1"; active scanners, as BlueZ/bleak and bumble use, merge the two)."""
    from bumble.core import AdvertisingData

    advertised = [(AdvertisingData.FLAGS, bytes([0x06])), *structures]   # LE General Discoverable, no BR/EDR
    named = (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode())
    if len(bytes(AdvertisingData([*advertised, named]))) <= LEGACY_ADVERTISING_BYTES:
        advertised, response = [*advertised, named], []
    else:
        response = [named]
    payloads = bytes(AdvertisingData(advertised)), bytes(AdvertisingData(response))
    for what, payload in zip(("advertising data", "scan response"), payloads):
        if len(payload) > LEGACY_ADVERTISING_BYTES:
            raise ValueError(f"{name!r}: {what} is {len(payload)} bytes; legacy advertising allows "
                             f"{LEGACY_ADVERTISING_BYTES} (names up to 29 bytes fit)")
    return payloads


async def drop_links(device) -> int:
    """Disconnect every central linked to ``device`` (a wearable dropping its links); how many there were."""
    connections = list(device.connections.values())
    for connection in connections:
        try:
            await connection.disconnect()
        except Exception as exc:   # already gone
            log.debug("disconnect: %s", exc)
    return len(connections)


class SoftwareWearable:
    """Runs one device twin (``twins.reference`` or ``twins.polar``) as a GATT peripheral: advertising,
    the twin's clock in real time (or ``speed`` x faster), MTU-sized frames, and the faults asked for."""

    def __init__(self, radio, name: str, signal: np.ndarray, rate_hz: float = 30.0, profile: str = "reference",
                 counts_per_g: int = 4096, speed: float = 1.0, faults: Faults | None = None, loop_signal: bool = True,
                 polar_model: str = "verity-sense", rate_error: float | None = None, max_mtu: int = 247,
                 advertising_interval_ms: float | None = None, uptime_s: float | None = None):
        self.name, self.signal, self.profile = name, np.asarray(signal, np.float32), profile
        self.signal_rate_hz = rate_hz      # the signal is played in device time, whatever rate is chosen
        self.speed, self.faults = speed, faults or Faults()
        self.loop_signal = loop_signal
        self.device = radio.new_device(name)
        # The largest ATT MTU this device accepts in an MTU exchange (247: a common nRF52 firmware limit).
        self.device.gatt_server.max_mtu = max_mtu
        if advertising_interval_ms:      # bumble's default is 1 s; a faster one shortens every reconnect scan
            self.device.advertising_interval_min = self.device.advertising_interval_max = advertising_interval_ms
        self.rng = random.Random(self.faults.seed)
        drift = {} if rate_error is None else {"rate_error": rate_error}
        if profile == "polar":
            from .twins.polar import POLAR_MODELS, PolarTwin

            self.twin = PolarTwin(POLAR_MODELS[polar_model], **drift)
        elif profile == "reference":
            from .twins.reference import ReferenceTwin

            uptime = {} if uptime_s is None else {"uptime_s": uptime_s}
            self.twin = ReferenceTwin(rate_hz, counts_per_g, jitter_us=self.faults.jitter_us, rng=self.rng, **drift,
                                      **uptime)
        else:
            raise ValueError(f"unknown profile {profile!r}")
        self.clock = self.twin.clock
        self.sent = self.dropped = self.disconnects = self.reboots = 0
        self.dropped_times: list[float] = []   # device time of each dropped packet's first sample
        self.finished = asyncio.Event()
        self.data_char, self.indicate_char = self.twin.build_gatt(self.device, self._on_control)
        self.device.advertising_data, self.device.scan_response_data = legacy_advertising(
            self.name, self.twin.advertising())

    @property
    def rate_hz(self) -> float:
        return self.clock.nominal_hz

    @property
    def streaming(self) -> bool:
        return self.twin.streaming

    @streaming.setter
    def streaming(self, value: bool) -> None:
        self.twin.streaming = value

    def _on_control(self, connection, value: bytes) -> None:
        answer = self.twin.on_control(bytes(value))
        if answer is not None and self.indicate_char is not None:
            asyncio.get_event_loop().create_task(self.device.indicate_subscribers(self.indicate_char, answer))

    # --- streaming ---
    def _samples(self, start: int, n: int) -> np.ndarray:
        """Samples ``start`` .. ``start + n`` (counted since the twin started) of the signal."""
        idx = np.round(np.arange(start, start + n) * self.signal_rate_hz / self.clock.true_hz).astype(np.int64)
        if self.loop_signal:
            idx = idx % len(self.signal)
        return self.signal[np.clip(idx, 0, len(self.signal) - 1)]

    def _next_packet(self, limit: int) -> tuple[int, bytes]:
        return self.twin.next_frame(lambda n: self._samples(self.clock.elapsed, n), limit)

    async def run(self, duration_s: float | None = None) -> None:
        """Advertise and stream until ``duration_s`` of device time has passed (None: forever)."""
        await self.device.power_on()
        await self.device.start_advertising(auto_restart=True)
        loop = asyncio.get_running_loop()
        start_wall = loop.time()
        streaming_since = None       # clock.elapsed when the current stream started
        try:
            while duration_s is None or self.clock.elapsed < duration_s * self.clock.true_hz:
                if not self.device.connections:
                    self.streaming = False   # a sensor stops measuring when its link drops
                if not (self.device.connections and self.streaming):
                    await asyncio.sleep(max(0.0, start_wall + self.clock.wall_s(self.speed) - loop.time()))
                    self.clock.advance(max(1, int(self.clock.true_hz * 0.05)))   # the clock runs on; unseen
                    streaming_since = None
                    continue
                streaming_since = self.clock.elapsed if streaming_since is None else streaming_since
                n, packet = self._next_packet(payload_limit(self.device))
                delay = start_wall + self.clock.wall_s(self.speed) - loop.time()
                if delay > 0:                # the packet leaves when its last sample was taken
                    await asyncio.sleep(delay)
                if self.faults.drop_probability and self.rng.random() < self.faults.drop_probability:
                    self.dropped += 1
                    self.dropped_times.append(self.clock.time_s(self.clock.samples - n))
                elif self.device.connections:
                    await self.device.notify_subscribers(self.data_char, packet)
                    self.sent += 1
                streamed = self.clock.elapsed - streaming_since
                if self.faults.reboot_every_s and streamed >= self.faults.reboot_every_s * self.clock.true_hz:
                    await self.reboot()
                    continue
                every = int(self.faults.disconnect_every_s * self.clock.true_hz)
                if every and streamed >= every:
                    await self.force_disconnect()
        finally:
            self.finished.set()

    async def reboot(self) -> None:
        """Power cycle: the link drops, the stream stops, the clock and sequence start again."""
        self.reboots += 1
        self.twin.reboot()
        await self.force_disconnect()

    async def force_disconnect(self) -> None:
        self.streaming = False
        self.disconnects += await drop_links(self.device)
