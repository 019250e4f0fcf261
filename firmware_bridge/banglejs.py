"""Bangle.js 2 running the harnet-edge Espruino app (firmware_bridge/firmware/banglejs/harnetacc.app.js).

The packet format is ours, specified in firmware_bridge/BANGLEJS.md; the app and this decoder are
written from that spec. Facts about the watch (Espruino's Bangle.js 2 reference): the KX022
accelerometer runs at 12.5 Hz unless its ODCNTL register (0x1B) is set (0x01 = 25 Hz) and the poll
interval shortened (Bangle.setPollInterval(40)); ``accel`` events give x, y, z in g; a
characteristic is notified with NRF.updateServices, 20 bytes at the default ATT MTU.
"""
from __future__ import annotations

import logging
import struct

import numpy as np

from .malformed import log_dropped
from .polar_control import DeviceRefused   # the shared "retrying cannot help" error

SERVICE_UUID = "4a1e0001-2b3c-4d5e-8f70-1b2c3d4e5f60"
DATA_UUID = "4a1e0002-2b3c-4d5e-8f70-1b2c3d4e5f60"
INFO_UUID = "4a1e0003-2b3c-4d5e-8f70-1b2c3d4e5f60"
FORMAT_VERSION = 1
HEADER = struct.Struct("<HI")           # sequence u16, device time of the first sample u32 ms
INFO = struct.Struct("<BBHB")           # version, rate Hz, counts per g, range g
SAMPLES_PER_PACKET = 2                  # 6 + 2 x 6 = 18 bytes: fits the 20-byte default payload
MIN_RATE_HZ = 25
log = logging.getLogger(__name__)


class BangleRefused(DeviceRefused):
    """The watch runs another app version or a rate this host cannot use."""


def encode_info(rate_hz: int, counts_per_g: int = 4096, range_g: int = 8) -> bytes:
    return INFO.pack(FORMAT_VERSION, rate_hz, counts_per_g, range_g)


def encode_packet(sequence: int, time_ms: int, counts: np.ndarray) -> bytes:
    return HEADER.pack(sequence & 0xFFFF, time_ms & 0xFFFFFFFF) + np.asarray(counts, "<i2").reshape(-1, 3).tobytes()


class BangleDecoder:
    def __init__(self, rate_hz: int, counts_per_g: int):
        self.rate_hz, self.counts_per_g = rate_hz, counts_per_g
        self.last_sequence: int | None = None
        self.last_ms: int | None = None
        self.wraps = 0
        self.packets = self.malformed = self.lost = 0

    def reset_link(self) -> None:
        self.last_sequence = None         # the app restarts its counter on every connection

    def decode(self, data: bytes):
        data = bytes(data)
        if len(data) <= HEADER.size or (len(data) - HEADER.size) % 6:
            return self._bad(f"{len(data)}-byte packet is not a header plus whole x/y/z int16 samples")
        sequence, time_ms = HEADER.unpack_from(data)
        behind = self.last_sequence is not None and (sequence - self.last_sequence - 1) & 0xFFFF > 0x8000
        if behind and self.last_ms is not None and 0 <= self.last_ms - time_ms < 2000:
            return self._bad(f"duplicate or old packet: sequence {sequence} after {self.last_sequence}")
        # getTime() going back (the phone set the clock) or the sequence restarting while time runs on
        # (the app reloaded): a new segment; the runtime would otherwise drop samples as going back.
        went_back = self.last_ms is not None and time_ms < self.last_ms and self.last_ms - time_ms < 1 << 31
        new_segment = went_back or behind
        if new_segment:
            self.wraps, self.last_sequence = 0, None
        lost = 0
        if self.last_sequence is not None:
            lost = (sequence - self.last_sequence - 1) & 0xFFFF
            self.lost += lost
        self.last_sequence = sequence
        if not new_segment and self.last_ms is not None and time_ms < self.last_ms:
            self.wraps += 1                   # u32 ms wraps every 49.7 days
        self.last_ms = time_ms
        self.packets += 1
        counts = np.frombuffer(data, "<i2", offset=HEADER.size).reshape(-1, 3)
        t = (time_ms + (self.wraps << 32)) / 1000.0 + np.arange(len(counts)) / self.rate_hz
        from .protocols import Decoded

        return Decoded(t, (counts / self.counts_per_g).astype(np.float32), lost, new_segment)

    def _bad(self, why: str):
        self.malformed += 1
        log_dropped(log, "Bangle.js", self.malformed, why)
        return None


class BangleProtocol:
    name = "banglejs"
    service_uuid = SERVICE_UUID
    scan_service_uuid = SERVICE_UUID   # the app advertises it
    data_uuid = DATA_UUID

    def __init__(self):
        self.decoder: BangleDecoder | None = None

    @classmethod
    def matches(cls, advertisement) -> bool:
        """A scanned watch running the app, which advertises its service (a bare Bangle.js does not)."""
        return SERVICE_UUID in advertisement.service_uuids

    async def start(self, transport, rate_hz: float | None = None) -> float:
        if transport.services and SERVICE_UUID not in transport.services:
            raise BangleRefused(f"{transport.name} does not run the harnet-edge app: install "
                                "firmware_bridge/firmware/banglejs/harnetacc.app.js")
        raw = await transport.read(INFO_UUID)
        if len(raw) < INFO.size:
            raise BangleRefused(f"Bangle.js stream info is {len(raw)} bytes, expected {INFO.size}")
        version, rate, counts_per_g, _range_g = INFO.unpack_from(raw)
        if version != FORMAT_VERSION:
            raise BangleRefused(f"Bangle.js app speaks format v{version}; this host knows v{FORMAT_VERSION}: "
                                "install firmware_bridge/firmware/banglejs/harnetacc.app.js")
        if rate < MIN_RATE_HZ or counts_per_g == 0:
            raise BangleRefused(f"Bangle.js streams {rate} Hz; this host needs >= {MIN_RATE_HZ} Hz")
        if rate_hz is not None and abs(rate_hz - rate) > 1e-6:
            raise BangleRefused(f"the Bangle.js app streams at a fixed {rate} Hz, not {rate_hz:g} Hz")
        if self.decoder is None or (self.decoder.rate_hz, self.decoder.counts_per_g) != (rate, counts_per_g):
            self.decoder = BangleDecoder(rate, counts_per_g)
        self.decoder.reset_link()
        return float(rate)

    def decode(self, data: bytes):
        return self.decoder.decode(data)

    @property
    def counters(self) -> dict:
        d = self.decoder
        return {"packets": d.packets, "malformed": d.malformed, "lost": d.lost} if d else {}
