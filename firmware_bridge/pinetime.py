"""PineTime running InfiniTime: the motion service, recognised and refused.

Facts from InfiniTime's public documentation (doc/MotionService.md, doc/ble.md): service
00030000-78fc-48fe-8e23-433b3a1942d0; step count 00030001-... (u32, read/notify); raw motion values
00030002-... (read/notify, three int16 x, y, z), sent as the firmware polls the accelerometer,
about 10 times a second. 10 Hz carries nothing above 5 Hz, where walking, running and stairs
differ on a wrist; upsampling it to the model's 30 Hz would produce confident labels from data the
model cannot judge, so the host refuses the device before classifying anything.
"""
from __future__ import annotations

from .polar_control import DeviceRefused   # the shared "retrying cannot help" error

SERVICE_UUID = "00030000-78fc-48fe-8e23-433b3a1942d0"
STEP_COUNT_UUID = "00030001-78fc-48fe-8e23-433b3a1942d0"
MOTION_UUID = "00030002-78fc-48fe-8e23-433b3a1942d0"
MOTION_RATE_HZ = 10
NEEDED_RATE_HZ = 25


class PineTimeRefused(DeviceRefused):
    """InfiniTime's motion service is too slow for HARNet."""


REFUSAL = (f"PineTime (InfiniTime motion service) streams about {MOTION_RATE_HZ} Hz; HARNet needs "
           f">= {NEEDED_RATE_HZ} Hz of wrist motion, and upsampled {MOTION_RATE_HZ} Hz data would get "
           "labels the model cannot judge: refused")


class PineTimeProtocol:
    name = "pinetime"
    service_uuid = SERVICE_UUID
    scan_service_uuid = None
    data_uuid = MOTION_UUID

    @classmethod
    def matches(cls, advertisement) -> bool:
        """InfiniTime advertises its name ("InfiniTime"); listed so that it is named, then refused."""
        return SERVICE_UUID in advertisement.service_uuids or (advertisement.name or "") == "InfiniTime"

    async def start(self, transport, rate_hz: float | None = None) -> float:
        raise PineTimeRefused(REFUSAL)

    def decode(self, data: bytes):
        return None

    @property
    def counters(self) -> dict:
        return {}
