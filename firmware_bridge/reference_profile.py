"""The harnet-edge reference GATT profile (spec: firmware_bridge/PROFILE.md), version 1.

Data packet (notify), little-endian:
    byte 0      (profile_version << 5) | sample_count   (count 1..31)
    bytes 1-2   sequence number, u16, +1 per packet, wraps at 65536
    bytes 3-6   device time of the first sample, u32 microseconds, wraps (~71.6 min)
    then        sample_count x (x, y, z) int16 counts; g = counts / counts_per_g
At the default ATT MTU (20-byte payloads) a packet holds 2 samples; after an MTU exchange up to 31.

Stream info (read), 8 bytes: u8 profile_version, u16 rate in centi-Hz, u16 counts_per_g,
u8 full-scale range in g, u8 firmware major, u8 firmware minor.
Control point (write): 0x01 start, 0x02 stop, 0x03 + u16 centi-Hz: set rate.
"""
from __future__ import annotations

import logging
import struct
from dataclasses import dataclass

import numpy as np

from harnet_edge.errors import HarnetEdgeError

from .malformed import log_dropped

PROFILE_VERSION = 1
SERVICE_UUID = "7b1e0001-5c3a-4f8e-9d2b-6a4e8c1f0a11"
DATA_UUID = "7b1e0002-5c3a-4f8e-9d2b-6a4e8c1f0a11"
INFO_UUID = "7b1e0003-5c3a-4f8e-9d2b-6a4e8c1f0a11"
CONTROL_UUID = "7b1e0004-5c3a-4f8e-9d2b-6a4e8c1f0a11"
HEADER = struct.Struct("<BHI")
INFO = struct.Struct("<BHHBBB")
MAX_SAMPLES = 31
OP_START, OP_STOP, OP_SET_RATE = 0x01, 0x02, 0x03
log = logging.getLogger(__name__)


class ProtocolError(HarnetEdgeError):
    """A device that speaks a profile version or format we do not know."""


@dataclass(frozen=True)
class StreamInfo:
    rate_hz: float
    counts_per_g: int
    range_g: int
    firmware: tuple[int, int] = (1, 0)
    profile_version: int = PROFILE_VERSION

    def encode(self) -> bytes:
        return INFO.pack(self.profile_version, int(round(self.rate_hz * 100)), self.counts_per_g, self.range_g,
                         *self.firmware)

    @classmethod
    def decode(cls, data: bytes) -> "StreamInfo":
        if len(data) < INFO.size:
            raise ProtocolError(f"stream info is {len(data)} bytes, expected {INFO.size}")
        version, centi_hz, counts, range_g, major, minor = INFO.unpack_from(data)
        if version != PROFILE_VERSION:
            raise ProtocolError(f"device speaks reference profile v{version}; this host knows v{PROFILE_VERSION}")
        if centi_hz == 0 or counts == 0:
            raise ProtocolError("stream info has a zero sample rate or counts-per-g")
        return cls(centi_hz / 100, counts, range_g, (major, minor), version)


def samples_per_packet(payload_bytes: int) -> int:
    """How many samples fit a notification payload (ATT MTU - 3)."""
    return max(1, min(MAX_SAMPLES, (payload_bytes - HEADER.size) // 6))


def encode_packet(sequence: int, first_time_us: int, counts: np.ndarray) -> bytes:
    counts = np.asarray(counts, dtype="<i2").reshape(-1, 3)
    if not 1 <= len(counts) <= MAX_SAMPLES:
        raise ValueError(f"a packet carries 1..{MAX_SAMPLES} samples, not {len(counts)}")
    return HEADER.pack((PROFILE_VERSION << 5) | len(counts), sequence & 0xFFFF, first_time_us & 0xFFFFFFFF) + \
        counts.tobytes()


def g_to_counts(xyz: np.ndarray, counts_per_g: int) -> np.ndarray:
    return np.clip(np.round(np.asarray(xyz) * counts_per_g), -32768, 32767).astype(np.int16)


@dataclass
class DecodedPacket:
    t: np.ndarray          # seconds, device clock, unwrapped
    xyz: np.ndarray        # (n, 3) g
    lost_before: int       # packets missing between the previous packet and this one
    new_segment: bool = False   # the device clock restarted (reboot) before this packet


class ReferenceDecoder:
    """Stateful decoder for one connection: unwraps time and sequence, counts losses and bad packets."""

    def __init__(self, info: StreamInfo):
        self.info = info
        self.last_sequence: int | None = None
        self.last_sequence_seen: int | None = None    # survives reconnects, to tell a wrap from a reboot
        self.time_wraps = 0
        self.last_time_us: int | None = None
        self.packets = 0
        self.malformed = 0
        self.lost = 0
        self.clock_resets = 0

    def reset_link(self) -> None:
        """After a reconnect the firmware may restart its sequence; do not count that as loss."""
        self.last_sequence = None

    def decode(self, data: bytes) -> DecodedPacket | None:
        """The packet's samples, or None (counted in ``malformed``) if it is not a valid packet."""
        if len(data) < HEADER.size:
            return self._bad(f"{len(data)}-byte packet is shorter than the header")
        head, sequence, time_us = HEADER.unpack_from(data)
        version, count = head >> 5, head & 0x1F
        if version != PROFILE_VERSION:
            return self._bad(f"packet of profile v{version}")
        if count == 0 or len(data) != HEADER.size + 6 * count:
            return self._bad(f"packet says {count} samples but holds {len(data) - HEADER.size} bytes")
        if self.last_sequence is not None and (sequence - self.last_sequence - 1) & 0xFFFF > 0x8000 and \
                0 <= self.last_time_us - time_us < 2_000_000:      # an old or duplicated packet: drop it
            return self._bad(f"out-of-order sequence {sequence} after {self.last_sequence}")
        went_back = self.last_time_us is not None and time_us < self.last_time_us and \
            not self._is_wrap(time_us, sequence, count)
        # On a new link the sequence continues where it was (+1 per packet made); a smaller one
        # means the firmware started again.
        restarted = self.last_sequence is None and self.last_sequence_seen is not None and \
            (sequence - self.last_sequence_seen) & 0xFFFF > 0x8000
        new_segment = went_back or restarted
        if new_segment:          # power-on: time and sequence restart; nothing was lost in between
            self.clock_resets += 1
            self.time_wraps = 0
            self.last_sequence = None
        lost = 0
        if self.last_sequence is not None:
            lost = (sequence - self.last_sequence - 1) & 0xFFFF
            if lost > 0x8000:       # sequence jumped back but time did not: not a packet we can place
                return self._bad(f"out-of-order sequence {sequence} after {self.last_sequence}")
            self.lost += lost
        self.last_sequence = self.last_sequence_seen = sequence
        if not new_segment and self.last_time_us is not None and time_us < self.last_time_us:
            self.time_wraps += 1
        self.last_time_us = time_us
        self.packets += 1
        counts = np.frombuffer(data, dtype="<i2", offset=HEADER.size).reshape(count, 3)
        start = (time_us + (self.time_wraps << 32)) / 1e6
        t = start + np.arange(count) / self.info.rate_hz
        return DecodedPacket(t, counts.astype(np.float32) / self.info.counts_per_g, lost, new_segment)

    def _is_wrap(self, time_us: int, sequence: int, count: int) -> bool:
        """Device time went back: a u32 wrap (~71.6 min) if the time it implies passed agrees with the
        packets counted by the sequence number; otherwise the device restarted its clock (reboot)."""
        forward_us = (time_us - self.last_time_us) & 0xFFFFFFFF
        if forward_us >= 1 << 31 or self.last_sequence_seen is None:
            return False
        packets = (sequence - self.last_sequence_seen) & 0xFFFF
        implied_us = packets * count / self.info.rate_hz * 1e6
        return abs(forward_us - implied_us) <= 2e6 + 0.05 * forward_us

    def _bad(self, why: str) -> None:
        self.malformed += 1
        log_dropped(log, "reference profile", self.malformed, why)
        return None


def control_start() -> bytes:
    return bytes([OP_START])


def control_stop() -> bytes:
    return bytes([OP_STOP])


def control_set_rate(rate_hz: float) -> bytes:
    return struct.pack("<BH", OP_SET_RATE, int(round(rate_hz * 100)))
