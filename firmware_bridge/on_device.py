"""On-device classification service of the reference profile (spec: firmware_bridge/PROFILE.md).

The wearable keeps its own 30 Hz window, runs the int8 student with TensorFlow Lite Micro and
notifies one 10-byte label packet per window instead of ~1,800 bytes of raw samples.

Label packet (notify), little-endian:
    byte 0      profile version (1)
    bytes 1-2   label sequence number, u16, +1 per window classified (sent or not), wraps
    bytes 3-6   device time of the window's last sample, u32 milliseconds since power-on
    byte 7      class index into the model info's classes; 0xFF = withheld (window not judged)
    byte 8      confidence, round(255 x top softmax probability)
    byte 9      flags: bit 0 first window after power-on, bit 1 labels were dropped from the
                device's backlog before this one (the sequence gap says how many)
Model info (read): UTF-8 JSON, the ``harnet_model_info_json`` string of the exported C header.
Control point (write): 0x01 start label notifications (backlog first, oldest first), 0x02 stop.

The window arithmetic below is the firmware's, operation for operation in float32 with
round-half-up, so the software twin and the C code (firmware/harnet_wearable/harnet_on_device.c,
compiled and compared in the tests) produce the same bytes.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np

from .reference_profile import PROFILE_VERSION, ProtocolError

SERVICE_UUID = "7b1e0010-5c3a-4f8e-9d2b-6a4e8c1f0a11"
LABEL_UUID = "7b1e0011-5c3a-4f8e-9d2b-6a4e8c1f0a11"
MODEL_INFO_UUID = "7b1e0012-5c3a-4f8e-9d2b-6a4e8c1f0a11"
CONTROL_UUID = "7b1e0013-5c3a-4f8e-9d2b-6a4e8c1f0a11"
LABEL = struct.Struct("<BHIBBB")
OP_START, OP_STOP = 0x01, 0x02
WITHHELD = 0xFF
FLAG_FIRST_AFTER_BOOT, FLAG_BACKLOG_OVERFLOW = 0x01, 0x02
MODEL_INFO_MAX_BYTES = 512   # the longest attribute value GATT allows (Core spec Vol 3 Part F 3.2.9)
ON_DEVICE_RATE_HZ = 30
MAX_WINDOW_SAMPLES = 30 * 600     # 10 minutes: the host's silence watchdog scales with the window
BACKLOG_LABELS = 64          # labels the firmware keeps while no central listens (640 bytes of RAM)


@dataclass(frozen=True)
class LabelPacket:
    sequence: int
    end_ms: int
    label_index: int
    confidence: int          # 0..255
    flags: int = 0

    def encode(self) -> bytes:
        return LABEL.pack(PROFILE_VERSION, self.sequence & 0xFFFF, self.end_ms & 0xFFFFFFFF, self.label_index,
                          self.confidence, self.flags)

    @classmethod
    def decode(cls, data: bytes) -> "LabelPacket":
        if len(data) != LABEL.size:
            raise ProtocolError(f"label packet is {len(data)} bytes, expected {LABEL.size}")
        version, sequence, end_ms, index, confidence, flags = LABEL.unpack(data)
        if version != PROFILE_VERSION:
            raise ProtocolError(f"label packet of profile v{version}; this host knows v{PROFILE_VERSION}")
        return cls(sequence, end_ms, index, confidence, flags)


@dataclass(frozen=True)
class OnDeviceModel:
    """What the model-info characteristic says about the model inside the wearable."""
    classes: tuple[str, ...]
    sample_rate_hz: float
    window_samples: int
    variant: str = "unknown"

    @classmethod
    def decode(cls, data: bytes) -> "OnDeviceModel":
        if len(data) > MODEL_INFO_MAX_BYTES:
            raise ProtocolError(f"on-device model info is {len(data)} bytes; a GATT value holds at most "
                                f"{MODEL_INFO_MAX_BYTES}")
        try:
            info = json.loads(bytes(data).decode())
            classes, rate, window = info["classes"], info["sample_rate_hz"], info["window_samples"]
            variant = info.get("variant", "unknown")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ProtocolError(f"unreadable on-device model info ({exc})") from None
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise ProtocolError("on-device model info: classes must be a list of names")
        if not classes or len(classes) >= WITHHELD:
            raise ProtocolError(f"on-device model info lists {len(classes)} classes (1..{WITHHELD - 1} allowed)")
        if isinstance(rate, bool) or rate != ON_DEVICE_RATE_HZ:
            raise ProtocolError(f"on-device model info: sample_rate_hz {rate!r}; on-device windows are 30 Hz")
        if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= MAX_WINDOW_SAMPLES:
            raise ProtocolError(f"on-device model info: window_samples {window!r} (1..{MAX_WINDOW_SAMPLES})")
        return cls(tuple(classes), float(rate), window, str(variant))


def push_to_backlog(backlog, packet: LabelPacket, capacity: int = BACKLOG_LABELS) -> int:
    """Append a label, dropping the oldest beyond ``capacity`` as the firmware does; returns how many
    were dropped. The new head carries the overflow flag and keeps a dropped label's first-after-boot
    flag: without it a host that last saw the previous power-on's higher sequence numbers would take
    every label of the new one for a replay."""
    backlog.append(packet)
    dropped = 0
    while len(backlog) > capacity:
        gone = backlog.popleft()
        head = backlog.popleft()
        backlog.appendleft(LabelPacket(head.sequence, head.end_ms, head.label_index, head.confidence,
                                       head.flags | FLAG_BACKLOG_OVERFLOW | (gone.flags & FLAG_FIRST_AFTER_BOOT)))
        dropped += 1
    return dropped


def _round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(x + np.float32(0.5))


def quantise_window(counts: np.ndarray, counts_per_g: int, input_scale: float, input_zero_point: int) -> np.ndarray:
    """(T, 3) int16 IMU counts, oldest first -> the model's int8 input laid out (3, T), as the firmware does."""
    g = np.asarray(counts, np.int16).astype(np.float32) / np.float32(counts_per_g)
    q = _round_half_up(g / np.float32(input_scale)) + np.float32(input_zero_point)
    return np.clip(q, -128, 127).astype(np.int8).T.copy()


def label_and_confidence(logits_q: np.ndarray, output_scale: float, output_zero_point: int) -> tuple[int, int]:
    """int8 or int16 logits -> (class index, confidence 0..255) with a float32 softmax, as the firmware
    does (it widens either to int16; float32 holds every int16 exactly)."""
    q = np.asarray(logits_q).reshape(-1)
    if q.dtype.kind not in "iu" or (q.size and (q.min() < -32768 or q.max() > 32767)):
        raise ValueError(f"logits must be int8 or int16 counts (got {q.dtype} outside the int16 range)")
    logits = (q.astype(np.int16).astype(np.float32) - np.float32(output_zero_point)) * np.float32(output_scale)
    best = int(np.argmax(logits))
    total = np.float32(0)
    for e in np.exp(logits - logits[best]).astype(np.float32):    # in order, as the C loop adds
        total = np.float32(total + e)
    return best, int(_round_half_up(np.float32(255) / total))


@dataclass
class DecodedLabel:
    """A label the wearable computed itself, in host terms (device seconds, class name)."""
    label: str | None
    confidence: float
    start: float
    end: float
    lost_before: int
    flags: list[str]


class OnDeviceProtocol:
    """Host side of the on-device classification service: labels in, no raw samples."""
    name = "on-device"
    service_uuid = SERVICE_UUID
    data_uuid = LABEL_UUID

    def __init__(self):
        self.model: OnDeviceModel | None = None
        self.last_sequence: int | None = None
        self.ms_wraps = 0
        self.last_end_ms: int | None = None
        self.packets = self.malformed = self.lost = 0

    async def start(self, transport, rate_hz: float | None = None) -> float:
        self.model = OnDeviceModel.decode(await transport.read(MODEL_INFO_UUID))
        await transport.write(CONTROL_UUID, bytes([OP_START]))
        return self.model.sample_rate_hz

    async def stop(self, transport) -> None:
        await transport.write(CONTROL_UUID, bytes([OP_STOP]))

    @property
    def max_silence_s(self) -> float:
        """One label per window: silence up to two and a half windows is normal, not a dead link."""
        window_s = self.model.window_samples / 30 if self.model else 10.0
        return 2.5 * window_s

    def decode(self, data: bytes) -> DecodedLabel | None:
        try:
            packet = LabelPacket.decode(bytes(data))
        except ProtocolError:
            self.malformed += 1
            return None
        if packet.label_index != WITHHELD and packet.label_index >= len(self.model.classes):
            self.malformed += 1
            return None
        rebooted = bool(packet.flags & FLAG_FIRST_AFTER_BOOT)
        if rebooted:                          # the wearable restarted: new sequence, new clock
            self.last_sequence, self.last_end_ms, self.ms_wraps = None, None, 0
        lost = packet.sequence if rebooted else 0      # the sequence starts at 0 at power-on: the backlog
        if self.last_sequence is not None:             # dropped that many of this power-on's first labels
            lost = (packet.sequence - self.last_sequence - 1) & 0xFFFF
            if lost > 0x8000:                 # a replayed or out-of-order packet
                self.malformed += 1
                return None
        if self.last_end_ms is not None and packet.end_ms < self.last_end_ms:
            self.ms_wraps += 1                                      # u32 ms wraps after 49.7 days
        self.last_sequence, self.last_end_ms = packet.sequence, packet.end_ms
        self.lost += lost
        self.packets += 1
        end = (packet.end_ms + (self.ms_wraps << 32)) / 1000
        flags = ["on_device"] + (["device_restarted"] if rebooted else []) \
            + ([f"labels_lost:{lost}"] if lost else [])
        label = None if packet.label_index == WITHHELD else self.model.classes[packet.label_index]
        return DecodedLabel(label, packet.confidence / 255, end - self.model.window_samples / 30 + 1 / 30, end,
                            lost, flags)

    @property
    def counters(self) -> dict:
        return {"packets": self.packets, "malformed": self.malformed, "lost": self.lost}
