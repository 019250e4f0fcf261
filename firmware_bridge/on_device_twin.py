"""Software twin of the reference firmware in on-device mode: a wearable that classifies itself.

Like the sketch (firmware/harnet_wearable, HARNET_ON_DEVICE), it samples its IMU at 30 Hz on its
own clock whether or not a central is connected, keeps a 10 s ring of int16 counts, runs the int8
student (int8 or int16 logits) through TensorFlow Lite Micro in a fixed arena (a model that does not
fit is refused, as on the MCU), and notifies one label packet per window on the on-device service, keeping a bounded
backlog while nobody listens. The window arithmetic is ``on_device``'s, byte-identical to the C.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections import deque

import numpy as np

from harnet_edge.runtime.tflm_engine import REFERENCE_ARENA_BYTES

from . import on_device as od
from .wearable import SoftwareWearable

log = logging.getLogger(__name__)


def imu_counts(g: np.ndarray, counts_per_g: int) -> np.ndarray:
    """The sketch's toCounts(): g x counts/g, clamped to int16, truncated toward zero."""
    return np.trunc(np.clip(np.asarray(g, np.float32) * np.float32(counts_per_g), -32768, 32767)).astype(np.int16)


class OnDeviceWearable(SoftwareWearable):
    def __init__(self, radio, name: str, signal: np.ndarray, model_path, rate_hz: float = 50.0,
                 arena_bytes: int = REFERENCE_ARENA_BYTES, hop_samples: int | None = None, **kwargs):
        from harnet_edge.runtime.tflm_engine import TflmEngine

        self.engine = TflmEngine(model_path, arena_bytes=arena_bytes)
        info = self.engine.info
        if info.sample_rate_hz != 30:
            raise ValueError(f"{model_path}: on-device windows are 30 Hz; the model expects {info.sample_rate_hz:g} Hz")
        self.window = info.window_samples
        self.hop = hop_samples or self.window
        self.model_info = {"classes": list(info.classes), "sample_rate_hz": 30, "window_samples": self.window,
                           "variant": info.variant}
        self.ring = np.zeros((self.window, 3), np.int16)
        self.ticks = 0                        # 30 Hz samples taken since power-on
        self.label_sequence = 0
        self.backlog: deque[od.LabelPacket] = deque()
        self.labels_made = self.labels_sent = self.labels_dropped = 0
        self.labels_on = self.label_subscribed = False
        self._first_window = True
        # Powered on when the twin starts: its 30 Hz ticks and the raw stream share one device clock.
        super().__init__(radio, name, signal, rate_hz=rate_hz, profile="reference", uptime_s=0.0, **kwargs)
        self.counts_per_g = self.twin.counts_per_g
        self._add_label_service()

    def _add_label_service(self) -> None:
        from bumble.gatt import Characteristic, CharacteristicValue, Service

        self.label_char = Characteristic(od.LABEL_UUID, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b"")
        self.label_char.on("subscription", self._on_label_subscription)
        info = Characteristic(od.MODEL_INFO_UUID, Characteristic.Properties.READ, Characteristic.READABLE,
                              json.dumps(self.model_info, separators=(",", ":")).encode())
        control = Characteristic(od.CONTROL_UUID, Characteristic.Properties.WRITE, Characteristic.WRITEABLE,
                                 CharacteristicValue(write=self._on_label_control))
        self.device.add_service(Service(od.SERVICE_UUID, [self.label_char, info, control]))
        self.device.on("connection", self._on_new_link)

    def _on_new_link(self, connection) -> None:
        """A new link starts unsubscribed and stopped (CCCDs are per connection): the backlog waits
        for this central's subscription and start command instead of being notified to nobody."""
        self.label_subscribed = self.labels_on = False

    def _on_label_subscription(self, bearer, notify_enabled: bool, indicate_enabled: bool) -> None:
        self.label_subscribed = notify_enabled
        self._drain_soon()

    def _on_label_control(self, connection, value: bytes) -> None:
        value = bytes(value)
        if value[:1] == bytes([od.OP_START]):
            self.labels_on = True
            self._drain_soon()
        elif value[:1] == bytes([od.OP_STOP]):
            self.labels_on = False
        else:       # a strict device answers an ATT error, which the central sees as a failed write
            from bumble.att import ATT_Error, ErrorCode

            raise ATT_Error(ErrorCode.VALUE_NOT_ALLOWED)

    # --- the firmware's 30 Hz loop, driven by the device clock of the raw stream ---
    async def run(self, duration_s: float | None = None) -> None:
        sampler = asyncio.create_task(self._sample_at_30hz())
        try:
            await super().run(duration_s)
        finally:
            sampler.cancel()
            self._catch_up()              # the device's last samples are still classified

    async def _sample_at_30hz(self) -> None:
        linked_since = None           # device samples at which labels started flowing on this link
        while True:
            self._catch_up()
            # The raw-stream loop applies faults only while raw samples stream; labels count here.
            if self.device.connections and self.labels_on:
                linked_since = self.clock.elapsed if linked_since is None else linked_since
                linked = (self.clock.elapsed - linked_since) / self.clock.true_hz
                if self.faults.reboot_every_s and linked >= self.faults.reboot_every_s:
                    await self.reboot()
                elif self.faults.disconnect_every_s and linked >= self.faults.disconnect_every_s:
                    await self.force_disconnect()
            else:
                linked_since = None
            await asyncio.sleep(min(0.25, 1.0 / max(self.speed, 1e-3)) / 4)

    def _catch_up(self) -> None:
        """Take every 30 Hz sample whose time has come on the device clock (since this power-on)."""
        clock = self.clock
        boot_index = clock.elapsed - clock.samples                     # signal index at this power-on
        while (self.ticks + 1) * clock.true_hz / 30 <= clock.samples:
            imu_index = boot_index + int(self.ticks * clock.true_hz // 30)   # the IMU's latest output
            counts = imu_counts(self._samples(imu_index, 1)[0], self.counts_per_g)
            self.ring[self.ticks % self.window] = counts
            self.ticks += 1
            if self.ticks >= self.window and (self.ticks - self.window) % self.hop == 0:
                self._classify()
        if self.backlog and self.labels_on and self.label_subscribed:
            self._drain_soon()

    def _classify(self) -> None:
        oldest_first = np.roll(self.ring, -(self.ticks % self.window), axis=0)
        window_q = od.quantise_window(oldest_first, self.counts_per_g, *self.engine.input["quantization"])
        label, confidence = od.label_and_confidence(self.engine.invoke_int8(window_q), *self.engine.output["quantization"])
        flags = od.FLAG_FIRST_AFTER_BOOT if self._first_window else 0
        self._first_window = False
        end_ms = (self.ticks - 1) * 1000 // 30
        self.labels_dropped += od.push_to_backlog(
            self.backlog, od.LabelPacket(self.label_sequence, end_ms, label, confidence, flags))
        self.label_sequence = (self.label_sequence + 1) & 0xFFFF
        self.labels_made += 1

    async def reboot(self) -> None:
        """Power cycle: the window ring, the label sequence and the backlog live in RAM."""
        self._catch_up()
        self.ring[:] = 0
        self.ticks = self.label_sequence = 0
        self.backlog.clear()
        self.labels_on = False
        self._first_window = True
        await super().reboot()

    def _drain_soon(self) -> None:
        if not getattr(self, "_draining", False):
            self._draining = True
            asyncio.get_event_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.backlog and self.labels_on and self.label_subscribed and self.device.connections:
                packet = self.backlog[0]
                await self.device.notify_subscribers(self.label_char, packet.encode())
                self.backlog.popleft()
                self.labels_sent += 1
        finally:
            self._draining = False
