"""MbientLab MetaMotion (MetaWear firmware) accelerometer streaming.

Facts from MbientLab's public MetaWear SDK documentation and sources (MetaWear-SDK-Cpp:
metawearboard.cpp, accelerometer_bosch.{h,cpp}, accelerometer_bosch_register.h):
- service 326a9000-85cb-9195-d9dd-464cfbbae75a; commands are written to 326a9001-..., every reply
  and data packet is notified on 326a9006-... as [module id, register id, payload].
- a register read is the register id with bit 7 set; reading register 0x80 of a module returns its
  info [module, 0x80, implementation, revision]. The accelerometer is module 0x03; implementation
  1 = Bosch BMI160 (MetaMotion R / C), 4 = Bosch BMI270 (MetaMotion S).
- accelerometer registers: 0x01 power mode ([1] start, [0] stop), 0x02 data interrupt enable
  ([1, 0] enable, [0, 1] disable), 0x03 data config [acc_conf, acc_range] (read back with 0x83),
  0x04 data ([x, y, z] int16 LE, one sample per notification); packed data (three samples per
  notification) is register 0x1C on the BMI160 and 0x05 on the BMI270; a data register is
  subscribed with [0x03, register, 1].
- acc_conf: bits 0-3 ODR code (code = index in 0.78125 ... 1600 Hz, plus one), bits 4-6 the filter
  (0b010 normal); acc_range BMI160: 0x3/0x5/0x8/0xC = +-2/4/8/16 g, BMI270: 0/1/2/3; counts per g
  16384/8192/4096/2048.
- streamed samples carry no device timestamp: the SDK stamps them when they arrive. This host
  counts samples at the configured rate and re-anchors on the host clock only when arrivals run
  more than ``gap_s`` ahead of the count (a hole: counted as lost, never stretched over).
"""
from __future__ import annotations

import asyncio
import logging
import time

import numpy as np

from .malformed import log_dropped
from .polar_control import DeviceRefused   # the shared "retrying cannot help" error

SERVICE_UUID = "326a9000-85cb-9195-d9dd-464cfbbae75a"
COMMAND_UUID = "326a9001-85cb-9195-d9dd-464cfbbae75a"
NOTIFY_UUID = "326a9006-85cb-9195-d9dd-464cfbbae75a"
MODULE_ACC = 0x03
REG_INFO, REG_POWER, REG_INTERRUPT_ENABLE, REG_CONFIG, REG_DATA = 0x80, 0x01, 0x02, 0x03, 0x04
IMPL_BMI160, IMPL_BMI270 = 1, 4
PACKED_REGISTER = {IMPL_BMI160: 0x1C, IMPL_BMI270: 0x05}
ODR_HZ = (0.78125, 1.5625, 3.125, 6.25, 12.5, 25, 50, 100, 200, 400, 800, 1600)   # code = index + 1
RANGE_CODES = {IMPL_BMI160: {2: 0x3, 4: 0x5, 8: 0x8, 16: 0xC}, IMPL_BMI270: {2: 0x0, 4: 0x1, 8: 0x2, 16: 0x3}}
COUNTS_PER_G = {2: 16384, 4: 8192, 8: 4096, 16: 2048}
FILTER_NORMAL = 0x2 << 4
MIN_RATE_HZ = 25
MODELS = {IMPL_BMI160: "BMI160 (MetaMotion R/C)", IMPL_BMI270: "BMI270 (MetaMotion S)"}
log = logging.getLogger(__name__)


class MetaMotionRefused(DeviceRefused):
    """The board lacks the accelerometer, or refused / did not apply the requested setting."""


def read(register: int) -> bytes:
    return bytes([MODULE_ACC, 0x80 | register])


def config_command(impl: int, rate_hz: float, range_g: int) -> bytes:
    return bytes([MODULE_ACC, REG_CONFIG, (ODR_HZ.index(rate_hz) + 1) | FILTER_NORMAL, RANGE_CODES[impl][range_g]])


def start_commands(impl: int) -> list[bytes]:
    return [bytes([MODULE_ACC, PACKED_REGISTER[impl], 1]), bytes([MODULE_ACC, REG_INTERRUPT_ENABLE, 1, 0]),
            bytes([MODULE_ACC, REG_POWER, 1])]


def stop_commands(impl: int) -> list[bytes]:
    return [bytes([MODULE_ACC, REG_POWER, 0]), bytes([MODULE_ACC, REG_INTERRUPT_ENABLE, 0, 1]),
            bytes([MODULE_ACC, PACKED_REGISTER[impl], 0])]


def choose_rate(requested: float | None) -> float:
    if requested is None:
        return 50.0
    for odr in ODR_HZ:
        if abs(odr - requested) < 1e-6:
            if odr < MIN_RATE_HZ:
                break
            return float(odr)
    offered = ", ".join(f"{r:g}" for r in ODR_HZ if r >= MIN_RATE_HZ)
    raise MetaMotionRefused(f"MetaMotion accelerometer streams at {offered} Hz for this host, not {requested:g} Hz")


class PackedAccDecoder:
    """[0x03, packed register, 3 x (x, y, z int16)] -> samples in g, stamped by counting."""

    def __init__(self, register: int, rate_hz: float, counts_per_g: int, clock=time.monotonic, gap_s: float = 1.0):
        self.register, self.rate_hz, self.counts_per_g = register, rate_hz, counts_per_g
        self.clock, self.gap_s = clock, gap_s
        self.next_t: float | None = None
        self.packets = self.malformed = self.lost = 0

    def reset_link(self) -> None:
        self.next_t = None

    def decode(self, data: bytes):
        data = bytes(data)
        if len(data) < 2 or data[0] != MODULE_ACC or data[1] != self.register:
            return None if len(data) >= 2 and data[1] & 0x80 else self._bad(f"{data[:2].hex()} is not packed acc data")
        if len(data) != 2 + 18:
            return self._bad(f"packed acc notification of {len(data)} bytes (expected 20)")
        counts = np.frombuffer(data, dtype="<i2", offset=2).reshape(3, 3)
        period = 1.0 / self.rate_hz
        now = self.clock()
        newest = now - 2 * period        # the first of three samples that have just arrived
        lost = 0
        if self.next_t is None:
            first = newest
        elif newest - self.next_t > self.gap_s:
            lost = max(1, int(round((newest - self.next_t) / (3 * period))))
            self.lost += lost
            first = newest
        else:
            # Follow the device's real rate slowly (its crystal is not ours); never step backwards.
            first = self.next_t + 0.02 * max(0.0, newest - self.next_t)
        self.next_t = first + 3 * period
        self.packets += 1
        from .protocols import Decoded

        return Decoded(first + np.arange(3) * period, (counts / self.counts_per_g).astype(np.float32), lost)

    def _bad(self, why: str):
        self.malformed += 1
        log_dropped(log, "MetaMotion", self.malformed, why)
        return None


class MetaMotionProtocol:
    """Identify the accelerometer, configure rate and range, read the configuration back, stream."""

    name = "metamotion"
    service_uuid = SERVICE_UUID
    scan_service_uuid = None          # match by name or address; do not rely on advertised services
    data_uuid = NOTIFY_UUID
    owns_data_subscription = True

    def __init__(self, rate_hz: float | None = None, range_g: int = 8, clock=time.monotonic,
                 reply_timeout_s: float = 5.0):
        self.requested_rate, self.range_g, self.clock, self.reply_timeout_s = rate_hz, range_g, clock, reply_timeout_s
        self.decoder: PackedAccDecoder | None = None
        self.implementation: int | None = None
        self.deliver = None
        self._replies: dict[bytes, asyncio.Future] = {}

    @classmethod
    def matches(cls, advertisement) -> bool:
        """A scanned MetaWear board (``.name``, ``.service_uuids``); its default name is "MetaWear"."""
        return SERVICE_UUID in advertisement.service_uuids or (advertisement.name or "") == "MetaWear"

    def _on_notify(self, data: bytes) -> None:
        reply = self._replies.get(bytes(data[:2]))
        if reply is not None and not reply.done():
            reply.set_result(bytes(data[2:]))
        elif self.deliver is not None and len(data) >= 2 and not data[1] & 0x80:
            self.deliver(data)

    async def _read(self, transport, register: int) -> bytes:
        key = read(register)
        self._replies[key] = asyncio.get_running_loop().create_future()
        await transport.write(COMMAND_UUID, key)
        try:
            return await asyncio.wait_for(self._replies[key], self.reply_timeout_s)
        except asyncio.TimeoutError:
            raise MetaMotionRefused(f"MetaMotion did not answer a read of accelerometer register {register:#04x} "
                                    f"within {self.reply_timeout_s:g} s") from None

    async def start(self, transport, rate_hz: float | None = None) -> float:
        rate = choose_rate(rate_hz if rate_hz is not None else self.requested_rate)
        if transport.services and SERVICE_UUID not in transport.services:
            raise MetaMotionRefused(f"{transport.name} has no MetaWear service")
        await transport.subscribe(NOTIFY_UUID, self._on_notify)
        info = await self._read(transport, REG_INFO)
        if len(info) < 1 or info[0] not in MODELS:
            raise MetaMotionRefused("this MetaWear board has no supported accelerometer "
                                    f"(module info {info.hex() or 'empty'}; BMI160 or BMI270 needed)")
        impl = self.implementation = info[0]
        if self.range_g not in RANGE_CODES[impl]:
            raise MetaMotionRefused(f"{MODELS[impl]} ranges are +-2/4/8/16 g, not {self.range_g}")
        wanted = config_command(impl, rate, self.range_g)
        await transport.write(COMMAND_UUID, wanted)
        applied = await self._read(transport, REG_CONFIG)
        if applied[:2] != wanted[2:]:
            raise MetaMotionRefused(f"{MODELS[impl]} did not apply {rate:g} Hz / +-{self.range_g} g "
                                    f"(config reads back {applied.hex()})")
        self.decoder = PackedAccDecoder(PACKED_REGISTER[impl], rate, COUNTS_PER_G[self.range_g], self.clock)
        for command in start_commands(impl):
            await transport.write(COMMAND_UUID, command)
        return rate

    async def stop(self, transport) -> None:
        if self.implementation is not None:
            for command in stop_commands(self.implementation):
                await transport.write(COMMAND_UUID, command)

    def decode(self, data: bytes):
        return self.decoder.decode(data) if self.decoder else None

    @property
    def counters(self) -> dict:
        d = self.decoder
        return {"packets": d.packets, "malformed": d.malformed, "lost": d.lost} if d else {}

