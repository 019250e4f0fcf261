"""Software PineTime running InfiniTime: the motion service notifying raw x, y, z about 10 times a
second (plus the step count), as InfiniTime's MotionService documentation describes."""
from __future__ import annotations

import struct

import numpy as np

from . import pinetime as pt
from .family_twin import FamilyTwin


class PineTimeTwin(FamilyTwin):
    family = "pinetime"

    def __init__(self, radio, name: str, signal, signal_rate_hz: float, **kw):
        super().__init__(radio, name, signal, signal_rate_hz, rate_hz=pt.MOTION_RATE_HZ, **kw)
        self.device.on("connection", lambda connection: setattr(self, "streaming", True))

    def build_gatt(self) -> None:
        from bumble.gatt import Characteristic, Service

        props = Characteristic.Properties
        self.data_char = Characteristic(pt.MOTION_UUID, props.READ | props.NOTIFY, Characteristic.READABLE, bytes(6))
        steps = Characteristic(pt.STEP_COUNT_UUID, props.READ | props.NOTIFY, Characteristic.READABLE,
                               struct.pack("<I", 0))
        self.device.add_service(Service(pt.SERVICE_UUID, [steps, self.data_char]))
        self.advertise(pt.SERVICE_UUID)

    def samples_per_notification(self, payload_bytes: int) -> int:
        return 1

    def encode(self, first_time_s: float, xyz_g: np.ndarray) -> bytes:
        # Raw BMA421 values; the scale does not matter to a host that refuses the stream.
        return np.clip(np.round(xyz_g[0] * 1024), -32768, 32767).astype("<i2").tobytes()
