"""Polar Measurement Data (PMD) service: accelerometer streaming from Verity Sense, H10, OH1.

Written from Polar's public BLE SDK documentation (polarofficial/polar-ble-sdk: the PMD
specification in technical_documentation/ and the SDK's documented parser behaviour):
- control point ...c81 (write, indications): 0x01 get settings, 0x02 start, 0x03 stop, followed by
  the measurement type (ACC = 0x02) and, for start, settings as [type, count, value u16 LE]
  (0x00 sample rate Hz, 0x01 resolution bits, 0x02 range g). Responses: 0xF0, op, type, status, ...
- data ...c82 (notify): byte 0 measurement type, bytes 1-8 sensor time of the LAST sample in the
  frame (u64 ns since 2000-01-01), byte 9 frame type (bit 7 = delta-compressed), then samples.
  Raw frames 0/1/2 hold 1/2/3-byte signed x, y, z in mG. Compressed frames hold one reference
  sample (three int16) then blocks [bit width u8, count u8, count x 3 deltas packed LSB first,
  two's complement]; each sample = previous + delta. Compressed type 0 is scaled by factor x 1000
  to mG, type 1 by the factor alone.
- Sample times: with the previous frame's time known, the frame's n samples share the interval
  (t - t_prev) / n; otherwise 1 / sample rate, counting back from the frame time.
"""
from __future__ import annotations

import logging
import struct
from dataclasses import dataclass

import numpy as np

SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
MEASUREMENT_ACC = 0x02
OP_GET_SETTINGS, OP_START, OP_STOP = 0x01, 0x02, 0x03
SETTING_RATE, SETTING_RESOLUTION, SETTING_RANGE = 0x00, 0x01, 0x02
HEADER_SIZE = 10
EPOCH_2000_UNIX_S = 946_684_800
log = logging.getLogger(__name__)


class MalformedFrame(ValueError):
    pass


def start_acc_command(rate_hz: int = 52, resolution_bits: int = 16, range_g: int = 8) -> bytes:
    settings = b"".join(struct.pack("<BBH", kind, 1, value) for kind, value in
                        ((SETTING_RATE, rate_hz), (SETTING_RESOLUTION, resolution_bits), (SETTING_RANGE, range_g)))
    return bytes([OP_START, MEASUREMENT_ACC]) + settings


def stop_acc_command() -> bytes:
    return bytes([OP_STOP, MEASUREMENT_ACC])


def get_acc_settings_command() -> bytes:
    return bytes([OP_GET_SETTINGS, MEASUREMENT_ACC])


def parse_control_response(data: bytes) -> dict:
    """Control point indication: 0xF0, op code, measurement type, status (0 = success), more, params."""
    if len(data) < 4 or data[0] != 0xF0:
        raise MalformedFrame("not a PMD control point response")
    return {"op": data[1], "measurement": data[2], "status": data[3], "params": bytes(data[5:])}


def parse_settings(params: bytes) -> dict[int, list[int]]:
    """Settings TLVs [type, count, count x u16] (the FACTOR setting, type 0x05, is a float32)."""
    out, i = {}, 0
    while i + 2 <= len(params):
        kind, count = params[i], params[i + 1]
        width = 4 if kind == 0x05 else 2
        values = params[i + 2:i + 2 + width * count]
        if len(values) < width * count:
            raise MalformedFrame("truncated settings")
        fmt = "<f" if width == 4 else "<H"
        out[kind] = [struct.unpack_from(fmt, values, k * width)[0] for k in range(count)]
        i += 2 + width * count
    return out


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


class PolarAccDecoder:
    """Stateful ACC decoder: remembers the previous frame time to timestamp the samples."""

    def __init__(self, sample_rate_hz: float = 52, factor: float = 1.0):
        self.sample_rate_hz = sample_rate_hz
        self.factor = factor
        self.previous_ns = 0
        self.frames = 0
        self.malformed = 0

    def reset_link(self) -> None:
        self.previous_ns = 0

    def decode(self, data: bytes) -> AccFrame | None:
        try:
            return self._decode(bytes(data))
        except MalformedFrame as exc:
            self.malformed += 1
            if self.malformed <= 10 or self.malformed % 1000 == 0:
                log.warning("Polar PMD: dropped malformed frame #%d: %s", self.malformed, exc)
            return None

    def _decode(self, data: bytes) -> AccFrame:
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
            raw = _delta_samples(payload, 16)
            milli_g = raw * (self.factor * 1000.0 if frame_type == 0 else self.factor)
        else:
            if frame_type not in (0, 1, 2):
                raise MalformedFrame(f"raw ACC frame type {frame_type} is not supported")
            milli_g = _raw_samples(payload, frame_type + 1).astype(np.float64)
        n = len(milli_g)
        if n == 0:
            raise MalformedFrame("frame holds no samples")
        if self.previous_ns and timestamp > self.previous_ns:
            step = (timestamp - self.previous_ns) / n
            first = self.previous_ns + step
        else:
            step = 1e9 / self.sample_rate_hz
            first = timestamp - step * (n - 1)
        times_ns = first + step * np.arange(n)
        times_ns[-1] = timestamp
        self.previous_ns = timestamp
        self.frames += 1
        return AccFrame(timestamp, frame_type, compressed, times_ns / 1e9, (milli_g / 1000.0).astype(np.float32))


def encode_acc_frame(timestamp_ns: int, milli_g: np.ndarray, compressed: bool = True, delta_bits: int | None = None) -> bytes:
    """Build an ACC data frame (used by the software Polar wearable and by tests).

    Compressed: frame type 0x81 (type 1, factor 1: values in mG), one block of deltas."""
    milli_g = np.asarray(milli_g, dtype=np.int64).reshape(-1, 3)
    header = bytes([MEASUREMENT_ACC]) + int(timestamp_ns).to_bytes(8, "little")
    if not compressed:
        return header + bytes([0x01]) + milli_g.astype("<i2").tobytes()
    reference = milli_g[0].astype("<i2").tobytes()
    deltas = np.diff(milli_g, axis=0)
    if len(deltas) == 0:
        return header + bytes([0x81]) + reference
    width = delta_bits or max(2, int(np.max(np.abs(deltas))).bit_length() + 1)
    twos = (deltas.reshape(-1) & ((1 << width) - 1)).astype(np.int64)
    bits = ((twos[:, None] >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
    packed = np.packbits(bits, bitorder="little").tobytes()
    return header + bytes([0x81]) + reference + bytes([width, len(deltas)]) + packed


def sensor_time_to_unix(seconds_since_2000: float) -> float:
    return seconds_since_2000 + EPOCH_2000_UNIX_S
