"""Polar Measurement Data (PMD) service: accelerometer frames from Verity Sense, H10, OH1, Polar 360.

Facts from Polar's public BLE SDK (github.com/polarofficial/polar-ble-sdk: the PMD documentation in
technical_documentation/, Android ``pmd/PmdDataFrame.kt``, ``pmd/model/AccData.kt``,
``PmdTimeStampUtils.kt`` and their unit tests; ``AccDataTest.kt`` frames are our test vectors):
- data ...c82 (notify): byte 0 measurement type, bytes 1-8 sensor time of the LAST sample in the
  frame (u64 ns since 2000-01-01), byte 9 frame type (bit 7 = delta-compressed), then samples.
  Raw frames 0/1/2 hold 1/2/3-byte signed x, y, z in mG. Compressed frames hold one reference
  sample (three int16) then blocks [bit width u8, count u8, count x 3 deltas packed LSB first,
  two's complement]; each sample = previous + delta. Compressed type 0 is scaled by factor x 1000
  to mG, type 1 by the factor alone (the factor comes with the start response).
- PMD frames carry no sequence number. The SDK spreads a frame's n samples over (t - t_prev) / n;
  after a lost notification that stretches the frame over the hole. This decoder instead measures
  the sample interval on loss-free frame pairs, infers lost frames when a frame's time is later
  than its samples can explain, and then places its samples at the measured interval counting
  back from the frame time. A frame time not after the last one seen means the device clock
  restarted (reboot, time set): a new segment.
Control point commands and settings: ``polar_control``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from .malformed import log_dropped
from .polar_control import MEASUREMENT_ACC

SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
POLAR_COMPANY_ID = 0x006B      # Bluetooth SIG company identifier of Polar Electro Oy
HEADER_SIZE = 10
# A live BLE link that delivers nothing for this long has been dropped by its supervision timeout
# (at most 32 s in the Core specification): a longer hole between two frames is a clock jump.
MAX_LIVE_HOLE_NS = 32 * 10**9
log = logging.getLogger(__name__)


class MalformedFrame(ValueError):
    pass


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def _raw_samples(payload: bytes, step: int) -> np.ndarray:
    if len(payload) % (3 * step):
        raise MalformedFrame(f"{len(payload)} bytes is not a whole number of {3 * step}-byte samples")
    if step in (1, 2):
        return np.frombuffer(payload, dtype="<i1" if step == 1 else "<i2").reshape(-1, 3).astype(np.int64)
    raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3, 3).astype(np.int64)
    values = raw[..., 0] | (raw[..., 1] << 8) | (raw[..., 2] << 16)
    return np.where(values & 0x800000, values - (1 << 24), values)


def _delta_samples(payload: bytes, resolution_bits: int = 16) -> np.ndarray:
    ref_bytes = (resolution_bits + 7) // 8
    if len(payload) < 3 * ref_bytes:
        raise MalformedFrame("compressed frame shorter than its reference sample")
    samples = [[_signed(int.from_bytes(payload[k * ref_bytes:(k + 1) * ref_bytes], "little"), 8 * ref_bytes)
                for k in range(3)]]
    offset = 3 * ref_bytes
    while offset < len(payload):
        if offset + 2 > len(payload):
            raise MalformedFrame("truncated delta block header")
        width, count = payload[offset], payload[offset + 1]
        offset += 2
        n_bytes = (width * count * 3 + 7) // 8
        if width == 0 or width > 32 or offset + n_bytes > len(payload):
            raise MalformedFrame("truncated or invalid delta block")
        bits = np.unpackbits(np.frombuffer(payload[offset:offset + n_bytes], np.uint8), bitorder="little")
        deltas = bits[:width * count * 3].reshape(count * 3, width).astype(np.int64) @ (1 << np.arange(width))
        deltas = np.where(deltas & (1 << (width - 1)), deltas - (1 << width), deltas).reshape(count, 3)
        samples += (np.asarray(samples[-1]) + np.cumsum(deltas, axis=0)).tolist()
        offset += n_bytes
    return np.asarray(samples, dtype=np.int64)


@dataclass
class AccFrame:
    timestamp_ns: int
    frame_type: int
    compressed: bool
    t: np.ndarray         # seconds since 2000-01-01 (sensor clock)
    xyz: np.ndarray       # (n, 3) in g
    lost_frames: int = 0  # frames inferred missing before these samples
    new_segment: bool = False   # the device clock restarted before this frame
    losses: list = field(default_factory=list)   # (hole start s, hole end s, frames lost) per hole


def decode_samples(data: bytes, factor: float = 1.0) -> tuple[int, int, bool, np.ndarray]:
    """One ACC frame -> (frame time ns, frame type, compressed, (n, 3) samples in mG)."""
    if len(data) < HEADER_SIZE:
        raise MalformedFrame(f"{len(data)}-byte frame is shorter than the 10-byte header")
    if data[0] != MEASUREMENT_ACC:
        raise MalformedFrame(f"measurement type {data[0]:#04x} is not ACC")
    timestamp = int.from_bytes(data[1:9], "little")
    compressed, frame_type = bool(data[9] & 0x80), data[9] & 0x7F
    payload = data[HEADER_SIZE:]
    if compressed:
        if frame_type not in (0, 1):
            raise MalformedFrame(f"compressed ACC frame type {frame_type} is not supported")
        # Type 0 carries counts: factor (g per count) x 1000 gives mG; type 1 is in mG x factor.
        milli_g = _delta_samples(payload, 16) * (factor * 1000.0 if frame_type == 0 else factor)
    else:
        if frame_type not in (0, 1, 2):
            raise MalformedFrame(f"raw ACC frame type {frame_type} is not supported")
        milli_g = _raw_samples(payload, frame_type + 1).astype(np.float64)
    if len(milli_g) == 0:
        raise MalformedFrame("frame holds no samples")
    return timestamp, frame_type, compressed, milli_g


class PolarAccDecoder:
    """Stateful ACC decoder for one device: timestamps samples, infers lost frames, sees clock restarts."""

    def __init__(self, sample_rate_hz: float = 52, factor: float = 1.0):
        self.sample_rate_hz = sample_rate_hz
        self.factor = factor
        self.previous_ns = 0          # last frame time on this link (0: none yet)
        self.last_seen_ns = 0         # last frame time ever: a restarted clock shows against it
        self.interval_ns: float | None = None    # measured sample interval (device clock)
        self.frame_samples: float | None = None  # typical samples per frame
        self.frames = self.malformed = self.lost_frames = self.clock_resets = self.duplicates = 0
        self._last_frame: bytes | None = None    # the bytes of the last frame decoded
        self._held: list[AccFrame] = []          # frames (samples in mG) waiting for a measured interval

    def configure(self, sample_rate_hz: float, factor: float = 1.0) -> None:
        if sample_rate_hz != self.sample_rate_hz:
            self.interval_ns = None
        self.sample_rate_hz, self.factor = sample_rate_hz, factor

    def reset_link(self) -> None:
        """A new connection: frames lost while disconnected are a gap, not a loss to infer."""
        self.previous_ns = 0

    def decode(self, data: bytes) -> AccFrame | None:
        """The samples of this frame (and of frames held back before it), or None: malformed (counted),
        or held while the device's sample interval is still unmeasured."""
        data = bytes(data)
        if data == self._last_frame:     # delivered twice (not a clock restart): its samples are in already
            self.duplicates += 1
            return None
        try:
            timestamp, frame_type, compressed, milli_g = decode_samples(data, self.factor)
        except MalformedFrame as exc:
            self.malformed += 1
            log_dropped(log, "Polar PMD", self.malformed, str(exc))
            return None
        self._last_frame = data
        new_segment = bool(self.last_seen_ns) and timestamp <= self.last_seen_ns
        if new_segment:
            self.clock_resets += 1
            self.previous_ns = 0
        previous = self.previous_ns
        lost = self._infer_loss(timestamp, len(milli_g))
        self.previous_ns = self.last_seen_ns = timestamp
        self.frames += 1
        self.lost_frames += lost
        frame = AccFrame(timestamp, frame_type, compressed, np.zeros(0), milli_g, lost, new_segment,
                         [(previous / 1e9, timestamp / 1e9, lost)] if lost else [])
        earlier = self.flush() if new_segment else None      # never merge across a clock restart
        self._held.append(frame)
        # Spacing samples at the nominal rate would be off by the device clock's error: frames wait
        # (a few at most) until a loss-free pair of frames has measured the interval.
        if earlier is not None or (self.interval_ns is None and len(self._held) < 8):
            return earlier
        return self.flush()

    def flush(self) -> AccFrame | None:
        """The held frames as one, each spaced at the measured interval (nominal if none was measured)
        counting back from its own frame time."""
        held, self._held = self._held, []
        if not held:
            return None
        step = self.interval_ns or 1e9 / self.sample_rate_hz
        t = [(f.timestamp_ns - step * np.arange(len(f.xyz) - 1, -1, -1, dtype=np.float64)) / 1e9 for f in held]
        last = held[-1]
        return AccFrame(last.timestamp_ns, last.frame_type, last.compressed, np.concatenate(t),
                        (np.concatenate([f.xyz for f in held]) / 1000.0).astype(np.float32),
                        sum(f.lost_frames for f in held), held[0].new_segment,
                        [hole for f in held for hole in f.losses])

    def _infer_loss(self, timestamp: int, n: int) -> int:
        """Frames lost since the previous frame on this link, judged by its time; a loss-free pair
        teaches the device's true sample interval."""
        nominal = 1e9 / self.sample_rate_hz
        interval = self.interval_ns or nominal
        typical = self.frame_samples or n
        self.frame_samples = n if self.frame_samples is None else 0.9 * self.frame_samples + 0.1 * n
        if not self.previous_ns:
            return 0
        elapsed = timestamp - self.previous_ns
        missing = elapsed / interval - n          # samples the frame time says happened unseen
        if missing * interval > MAX_LIVE_HOLE_NS:
            return 0     # the clock was set forward: a gap in device time, not frames a live link lost
        lost = max(1, round(missing / typical)) if missing > max(0.75, 0.5 * typical) else 0
        # A loss-free pair measures the interval; so does a hole of whole frames where every frame holds
        # the same count (else heavy loss, e.g. every other frame, would never let it be measured).
        if lost == 0 or (n == round(typical) and abs(missing / typical - lost) < 0.1):
            step = elapsed / (n * (lost + 1))
            if abs(step / nominal - 1) < 0.2:
                self.interval_ns = step if self.interval_ns is None else 0.8 * self.interval_ns + 0.2 * step
        return lost


def encode_acc_frame(timestamp_ns: int, samples: np.ndarray, compressed: bool = True, frame_type: int = 1,
                     delta_bits: int | None = None) -> bytes:
    """Build an ACC data frame (for the software twins and tests).

    ``samples`` are integers in the frame's unit: mG for raw frames and compressed type 1, sensor
    counts for compressed type 0 (the host scales those by the start response's factor)."""
    samples = np.asarray(samples, dtype=np.int64).reshape(-1, 3)
    header = bytes([MEASUREMENT_ACC]) + int(timestamp_ns).to_bytes(8, "little")
    if not compressed:
        dtype = {0: "<i1", 1: "<i2"}.get(frame_type)
        body = samples.astype(dtype).tobytes() if dtype else b"".join(
            int(v).to_bytes(3, "little", signed=True) for v in samples.reshape(-1))
        return header + bytes([frame_type]) + body
    kind = bytes([0x80 | frame_type])
    reference = samples[0].astype("<i2").tobytes()
    deltas = np.diff(samples, axis=0)
    if len(deltas) == 0:
        return header + kind + reference
    width = delta_bits or max(2, int(np.max(np.abs(deltas))).bit_length() + 1)
    twos = (deltas.reshape(-1) & ((1 << width) - 1)).astype(np.int64)
    bits = ((twos[:, None] >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
    packed = np.packbits(bits, bitorder="little").tobytes()
    return header + kind + reference + bytes([width, len(deltas)]) + packed
