"""A software wearable: a GATT peripheral on the software Bluetooth stack that streams a recording or
a generated motion signal as a real device would, for tests and hardware-free demos.

Speaks the reference profile or the Polar PMD service, and can be told to drop packets, jitter its
timestamps, or drop the connection every so often. Its clock runs whether or not anyone listens,
so a disconnect leaves a real hole in the data, as on hardware.
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

import numpy as np

from . import polar_pmd, reference_profile as ref

log = logging.getLogger(__name__)


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
    seed: int = 0


class SoftwareWearable:
    def __init__(self, radio, name: str, signal: np.ndarray, rate_hz: float = 30.0, profile: str = "reference",
                 counts_per_g: int = 4096, speed: float = 1.0, faults: Faults | None = None, loop_signal: bool = True):
        self.name, self.signal, self.rate_hz, self.profile = name, np.asarray(signal, np.float32), rate_hz, profile
        self.counts_per_g, self.speed, self.faults = counts_per_g, speed, faults or Faults()
        self.loop_signal = loop_signal
        self.device = radio.new_device(name)
        self.rng = random.Random(self.faults.seed)
        self.streaming = False
        self.sample_index = 0          # device clock, in samples since power-on
        self.sequence = 0
        self.sent = self.dropped = self.disconnects = 0
        self.finished = asyncio.Event()
        self._build_gatt()

    # --- GATT server ---
    def _build_gatt(self) -> None:
        from bumble.gatt import Characteristic, CharacteristicValue, Service

        if self.profile == "reference":
            info = ref.StreamInfo(self.rate_hz, self.counts_per_g, 8, (1, 0))
            self.data_char = Characteristic(ref.DATA_UUID, Characteristic.Properties.NOTIFY,
                                            Characteristic.READABLE, b"")
            info_char = Characteristic(ref.INFO_UUID, Characteristic.Properties.READ, Characteristic.READABLE,
                                       info.encode())
            control = Characteristic(ref.CONTROL_UUID, Characteristic.Properties.WRITE, Characteristic.WRITEABLE,
                                     CharacteristicValue(write=self._on_reference_control))
            self.device.add_service(Service(ref.SERVICE_UUID, [self.data_char, info_char, control]))
            service_uuid = ref.SERVICE_UUID
        elif self.profile == "polar":
            self.data_char = Characteristic(polar_pmd.DATA_UUID, Characteristic.Properties.NOTIFY,
                                            Characteristic.READABLE, b"")
            self.control_char = Characteristic(
                polar_pmd.CONTROL_UUID, Characteristic.Properties.WRITE | Characteristic.Properties.INDICATE,
                Characteristic.WRITEABLE | Characteristic.READABLE, CharacteristicValue(write=self._on_polar_control))
            self.device.add_service(Service(polar_pmd.SERVICE_UUID, [self.control_char, self.data_char]))
            service_uuid = polar_pmd.SERVICE_UUID
        else:
            raise ValueError(f"unknown profile {self.profile!r}")
        from bumble.core import UUID, AdvertisingData

        self.device.advertising_data = bytes(AdvertisingData([
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
            (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, bytes(UUID(service_uuid))),
        ]))

    def _on_reference_control(self, connection, value: bytes) -> None:
        value = bytes(value)
        if value[:1] == bytes([ref.OP_START]):
            self.streaming = True
        elif value[:1] == bytes([ref.OP_STOP]):
            self.streaming = False
        elif value[:1] == bytes([ref.OP_SET_RATE]) and len(value) >= 3:
            log.info("%s: rate change requested (%d centi-Hz); the software wearable keeps %g Hz",
                     self.name, int.from_bytes(value[1:3], "little"), self.rate_hz)

    def _on_polar_control(self, connection, value: bytes) -> None:
        value = bytes(value)
        status = 0
        if value[:2] == bytes([polar_pmd.OP_START, polar_pmd.MEASUREMENT_ACC]):
            settings = polar_pmd.parse_settings(value[2:])
            self.rate_hz = float(settings.get(polar_pmd.SETTING_RATE, [self.rate_hz])[0])
            self.streaming = True
        elif value[:2] == bytes([polar_pmd.OP_STOP, polar_pmd.MEASUREMENT_ACC]):
            self.streaming = False
        else:
            status = 1
        response = bytes([0xF0, value[0] if value else 0, value[1] if len(value) > 1 else 0, status, 0])
        asyncio.get_event_loop().create_task(self.device.indicate_subscribers(self.control_char, response))

    # --- streaming ---
    def _samples(self, start: int, n: int) -> np.ndarray:
        idx = np.arange(start, start + n)
        if self.loop_signal:
            idx = idx % len(self.signal)
        return self.signal[np.clip(idx, 0, len(self.signal) - 1)]

    def _packet(self, n: int) -> bytes:
        xyz = self._samples(self.sample_index, n)
        first_us = int(self.sample_index * 1e6 / self.rate_hz + self.rng.gauss(0, self.faults.jitter_us))
        if self.profile == "reference":
            packet = ref.encode_packet(self.sequence, max(first_us, 0), ref.g_to_counts(xyz, self.counts_per_g))
        else:
            last_ns = int((self.sample_index + n - 1) * 1e9 / self.rate_hz) + 700_000_000 * 10**9
            packet = polar_pmd.encode_acc_frame(last_ns, np.round(xyz * 1000))
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.sample_index += n
        return packet

    async def run(self, duration_s: float | None = None) -> None:
        """Advertise and stream until ``duration_s`` of device time has passed (None: forever)."""
        await self.device.power_on()
        await self.device.start_advertising(auto_restart=True)
        loop = asyncio.get_running_loop()
        start_wall = loop.time()
        streaming_since = None       # device sample index when the current stream started
        total = int(duration_s * self.rate_hz) if duration_s else None
        try:
            while total is None or self.sample_index < total:
                payload = self._payload_bytes()
                n = ref.samples_per_packet(payload) if self.profile == "reference" else min(36, max(1, (payload - 18) // 3))
                due = start_wall + (self.sample_index + n) / self.rate_hz / self.speed
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                connected = bool(self.device.connections)
                if not (connected and self.streaming):
                    self.sample_index += n       # the clock runs on; these samples are lost
                    streaming_since = None
                    continue
                if streaming_since is None:
                    streaming_since = self.sample_index
                packet = self._packet(n)
                if self.faults.drop_probability and self.rng.random() < self.faults.drop_probability:
                    self.dropped += 1
                else:
                    await self.device.notify_subscribers(self.data_char, packet)
                    self.sent += 1
                every = int(self.faults.disconnect_every_s * self.rate_hz)
                if every and self.sample_index - streaming_since >= every:
                    await self.force_disconnect()
        finally:
            self.finished.set()

    def _payload_bytes(self) -> int:
        for connection in self.device.connections.values():
            return max(20, connection.att_mtu - 3)
        return 20

    async def force_disconnect(self) -> None:
        self.streaming = False
        for connection in list(self.device.connections.values()):
            self.disconnects += 1
            try:
                await connection.disconnect()
            except Exception as exc:   # already gone
                log.debug("disconnect: %s", exc)
