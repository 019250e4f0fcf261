"""Movesense sensors over the GATT SensorData Protocol (GSP) of Movesense's gatt_sensordata_app.

Facts from Movesense's public documentation (movesense.com/docs/esw/gatt_sensordata_protocol, the
Movesense API reference for /Meas/Acc, and the sample clients in movesense-device-lib):
- service 34802252-7185-4d5d-b431-630e7050e8f0; write characteristic 34800001-..., notify
  characteristic 34800002-... (commands are written to the first, everything comes back on the second).
- commands: [command, reference, payload]: HELLO = 0, SUBSCRIBE = 1 (payload: the resource path in
  UTF-8, e.g. "/Meas/Acc/52"), UNSUBSCRIBE = 2. The reference (one byte chosen by the client) tags
  every reply and data notification of that subscription.
- notifications: [1 = COMMAND_RESULT, reference, u16 HTTP-like status (200 = OK)] and
  [2 = DATA, reference, payload]; 3 = DATA_PART2 continues a DATA notification too long for the link.
- /Meas/Acc/{rate} data: u32 timestamp (ms, device clock, of the first sample) then n samples of
  three float32, little-endian, in m/s^2. Rates: 13, 26, 52, 104, 208, 416, 833, 1666 Hz; the
  device answers a subscription to any other rate with an error status.
"""
from __future__ import annotations

import asyncio
import logging
import struct

import numpy as np

from .malformed import log_dropped
from .polar_control import DeviceRefused   # the shared "retrying cannot help" error

SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
WRITE_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
NOTIFY_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"
CMD_HELLO, CMD_SUBSCRIBE, CMD_UNSUBSCRIBE = 0, 1, 2
RESP_COMMAND_RESULT, RESP_DATA, RESP_DATA_PART2 = 1, 2, 3
ACC_RATES_HZ = (13, 26, 52, 104, 208, 416, 833, 1666)
MIN_RATE_HZ = 26          # 13 Hz cannot carry what a 30 Hz model looks at
STANDARD_GRAVITY = 9.80665
log = logging.getLogger(__name__)


class MovesenseRefused(DeviceRefused):
    """The sensor (or the host, before asking) refused the requested setting."""


def acc_path(rate_hz: int) -> str:
    return f"/Meas/Acc/{rate_hz}"


def subscribe_command(reference: int, path: str) -> bytes:
    return bytes([CMD_SUBSCRIBE, reference & 0xFF]) + path.encode()


def unsubscribe_command(reference: int) -> bytes:
    return bytes([CMD_UNSUBSCRIBE, reference & 0xFF])


def command_result(reference: int, status: int) -> bytes:
    return struct.pack("<BBH", RESP_COMMAND_RESULT, reference & 0xFF, status)


def encode_acc_data(reference: int, timestamp_ms: int, acc_ms2: np.ndarray) -> bytes:
    samples = np.asarray(acc_ms2, dtype="<f4").reshape(-1, 3)
    return struct.pack("<BBI", RESP_DATA, reference & 0xFF, timestamp_ms & 0xFFFFFFFF) + samples.tobytes()


def choose_rate(requested: float | None) -> int:
    """The documented Acc rate to subscribe to: the one asked for, else 52 Hz."""
    if requested is None:
        return 52
    rate = int(round(requested))
    if rate not in ACC_RATES_HZ or abs(rate - requested) > 1e-6:
        raise MovesenseRefused(f"Movesense accelerometer offers {', '.join(map(str, ACC_RATES_HZ))} Hz, "
                               f"not {requested:g} Hz")
    if rate < MIN_RATE_HZ:
        raise MovesenseRefused(f"Movesense at {rate} Hz is below the {MIN_RATE_HZ} Hz this host needs")
    return rate


class MovesenseAccDecoder:
    """DATA notifications of one Acc subscription -> samples in g on the device clock.

    There is no sequence number: a lost notification shows as a timestamp later than the previous
    one plus its samples' duration, and is counted (never stretched over)."""

    def __init__(self, reference: int, rate_hz: int):
        self.reference, self.rate_hz = reference, rate_hz
        self.expected_ms: float | None = None
        self.wraps = 0
        self.last_ms: int | None = None
        self.packets = self.malformed = self.lost = 0

    def reset_link(self) -> None:
        self.expected_ms = None

    def decode(self, data: bytes):
        data = bytes(data)
        if len(data) < 2 or data[0] == RESP_COMMAND_RESULT:
            return None                                   # replies are the protocol's business
        if data[0] != RESP_DATA or data[1] != self.reference:
            return self._bad(f"notification type {data[0]} / reference {data[1]} is not our Acc data")
        body = data[2:]
        if len(body) < 4 + 12 or (len(body) - 4) % 12:
            return self._bad(f"{len(body)}-byte Acc body is not a timestamp plus whole float32 x/y/z samples")
        timestamp = struct.unpack_from("<I", body)[0]
        acc = np.frombuffer(body, dtype="<f4", offset=4).reshape(-1, 3)
        if not np.all(np.isfinite(acc)):
            return self._bad("non-finite sample")
        # Device time going back by less than half the u32 range: the sensor restarted (a reboot drops
        # the link; its ms clock starts again near 0). A new segment, or the runtime drops it all.
        new_segment = self.last_ms is not None and timestamp < self.last_ms and self.last_ms - timestamp < 1 << 31
        if new_segment:
            self.wraps, self.expected_ms = 0, None
        elif self.last_ms is not None and timestamp < self.last_ms:
            self.wraps += 1                                 # u32 ms wraps after 49.7 days
        self.last_ms = timestamp
        start_ms = timestamp + (self.wraps << 32)
        period_ms = 1000.0 / self.rate_hz
        lost = 0
        if self.expected_ms is not None and start_ms - self.expected_ms > 0.5 * len(acc) * period_ms:
            lost = max(1, int(round((start_ms - self.expected_ms) / (len(acc) * period_ms))))
            self.lost += lost
        self.expected_ms = start_ms + len(acc) * period_ms
        self.packets += 1
        from .protocols import Decoded

        t = (start_ms + np.arange(len(acc)) * period_ms) / 1000.0
        return Decoded(t, (acc / STANDARD_GRAVITY).astype(np.float32), lost, new_segment)

    def _bad(self, why: str):
        self.malformed += 1
        log_dropped(log, "Movesense", self.malformed, why)
        return None


class MovesenseProtocol:
    """Subscribe to /Meas/Acc/{rate} (52 Hz unless --rate says otherwise) and decode its data."""

    name = "movesense"
    service_uuid = SERVICE_UUID
    scan_service_uuid = None          # sensors advertise "Movesense <serial>", not the GSP service
    data_uuid = NOTIFY_UUID
    owns_data_subscription = True     # replies and data share the notify characteristic
    reference = 52                    # any byte; it tags our subscription's notifications

    def __init__(self, rate_hz: float | None = None, reply_timeout_s: float = 5.0):
        self.requested_rate, self.reply_timeout_s = rate_hz, reply_timeout_s
        self.decoder: MovesenseAccDecoder | None = None
        self.deliver = None           # set by the session: where decoded data goes
        self._reply: asyncio.Future | None = None

    @classmethod
    def matches(cls, advertisement) -> bool:
        """A scanned device (``.name``, ``.service_uuids``) that is a Movesense: they advertise their name."""
        return SERVICE_UUID in advertisement.service_uuids or (advertisement.name or "").startswith("Movesense ")

    def _on_notify(self, data: bytes) -> None:
        if data[:1] == bytes([RESP_COMMAND_RESULT]) and len(data) >= 4:
            if self._reply is not None and not self._reply.done() and data[1] == self.reference:
                self._reply.set_result(struct.unpack_from("<H", data, 2)[0])
            return
        if self.deliver is not None:
            self.deliver(data)

    async def start(self, transport, rate_hz: float | None = None) -> float:
        rate = choose_rate(rate_hz if rate_hz is not None else self.requested_rate)
        if transport.services and SERVICE_UUID not in transport.services:
            raise MovesenseRefused(f"{transport.name} has no GATT SensorData service: flash Movesense's "
                                   "gatt_sensordata_app (or a firmware that includes it)")
        if self.decoder is None or self.decoder.rate_hz != rate:
            self.decoder = MovesenseAccDecoder(self.reference, rate)
        self.decoder.reset_link()
        await transport.subscribe(NOTIFY_UUID, self._on_notify)
        self._reply = asyncio.get_running_loop().create_future()
        await transport.write(WRITE_UUID, subscribe_command(self.reference, acc_path(rate)))
        try:
            status = await asyncio.wait_for(self._reply, self.reply_timeout_s)
        except asyncio.TimeoutError:
            raise MovesenseRefused(f"Movesense did not answer the {acc_path(rate)} subscription "
                                   f"within {self.reply_timeout_s:g} s (is gatt_sensordata_app flashed?)") from None
        if status != 200:
            raise MovesenseRefused(f"Movesense refused {acc_path(rate)}: status {status}")
        return float(rate)

    async def stop(self, transport) -> None:
        await transport.write(WRITE_UUID, unsubscribe_command(self.reference))

    def decode(self, data: bytes):
        return self.decoder.decode(data)

    @property
    def counters(self) -> dict:
        d = self.decoder
        return {"packets": d.packets, "malformed": d.malformed, "lost": d.lost} if d else {}
