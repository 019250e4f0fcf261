"""Software MetaMotion (MetaWear firmware, BMI160 or BMI270): module info, accelerometer config with
read-back, packed streaming of three int16 samples per notification, no device timestamps."""
from __future__ import annotations

import numpy as np

from . import metamotion as mm
from .family_twin import FamilyTwin


class MetaMotionTwin(FamilyTwin):
    family = "metamotion"

    def __init__(self, radio, name: str, signal, signal_rate_hz: float, implementation: int = mm.IMPL_BMI160, **kw):
        self.implementation = implementation
        # Power-on configuration of the MetaWear firmware: 100 Hz, +-2 g (BMI160) / +-8 g (BMI270).
        self.config = bytes([8 | mm.FILTER_NORMAL, 0x3 if implementation == mm.IMPL_BMI160 else 0x2])
        self.packed_subscribed = self.interrupt_enabled = self.powered = False
        self.commands: list[bytes] = []
        super().__init__(radio, name, signal, signal_rate_hz, rate_hz=100, **kw)

    def build_gatt(self) -> None:
        from bumble.gatt import Characteristic, CharacteristicValue, Service

        props = Characteristic.Properties
        self.data_char = Characteristic(mm.NOTIFY_UUID, props.NOTIFY, Characteristic.READABLE, b"")
        command = Characteristic(mm.COMMAND_UUID, props.WRITE | props.WRITE_WITHOUT_RESPONSE, Characteristic.WRITEABLE,
                                 CharacteristicValue(write=self._on_command))
        self.device.add_service(Service(mm.SERVICE_UUID, [command, self.data_char]))
        self.advertise(mm.SERVICE_UUID)

    @property
    def counts_per_g(self) -> int:
        # The chip's own arithmetic (16-bit output spanning +-range), not the host's scale table.
        range_g = {v: k for k, v in mm.RANGE_CODES[self.implementation].items()}[self.config[1]]
        return 32768 // range_g

    def _reply(self, payload: bytes) -> None:
        self.later(self.device.notify_subscribers(self.data_char, payload))

    def _on_command(self, connection, value: bytes) -> None:
        value = bytes(value)
        self.commands.append(value)
        if len(value) < 2 or value[0] != mm.MODULE_ACC:
            return
        register, args = value[1], value[2:]
        if register == mm.REG_INFO:
            self._reply(bytes([mm.MODULE_ACC, mm.REG_INFO, self.implementation, 1]))
        elif register == 0x80 | mm.REG_CONFIG:
            self._reply(bytes([mm.MODULE_ACC, 0x80 | mm.REG_CONFIG]) + self.config)
        elif register == mm.REG_CONFIG and len(args) == 2:
            odr_code, range_code = args[0] & 0x0F, args[1]
            # An ODR or range code the chip lacks is not applied: the old configuration stays.
            if 1 <= odr_code <= len(mm.ODR_HZ) and range_code in mm.RANGE_CODES[self.implementation].values():
                self.config = bytes(args)
                self.set_rate(mm.ODR_HZ[odr_code - 1])
        elif register == mm.PACKED_REGISTER[self.implementation] and args:
            self.packed_subscribed = bool(args[0])
        elif register == mm.REG_INTERRUPT_ENABLE and len(args) == 2:
            self.interrupt_enabled = bool(args[0])
        elif register == mm.REG_POWER and args:
            self.powered = bool(args[0])
        self.streaming = self.packed_subscribed and self.interrupt_enabled and self.powered

    def samples_per_notification(self, payload_bytes: int) -> int:
        return 3                          # packed data: 2 + 18 bytes, fits the default 20-byte payload

    def encode(self, first_time_s: float, xyz_g: np.ndarray) -> bytes:
        counts = np.clip(np.round(xyz_g * self.counts_per_g), -32768, 32767).astype("<i2")
        return bytes([mm.MODULE_ACC, mm.PACKED_REGISTER[self.implementation]]) + counts.tobytes()
