"""Software Movesense (gatt_sensordata_app) for tests and demos: answers GSP commands as the sensor
documents them and streams /Meas/Acc/{rate} in m/s^2 on its own millisecond clock."""
from __future__ import annotations

import numpy as np

from . import movesense as ms
from .family_twin import FamilyTwin


class MovesenseTwin(FamilyTwin):
    family = "movesense"

    def __init__(self, radio, name: str, signal, signal_rate_hz: float, **kw):
        self.reference: int | None = None
        self.commands: list[bytes] = []
        super().__init__(radio, name, signal, signal_rate_hz, rate_hz=52, **kw)

    def build_gatt(self) -> None:
        from bumble.gatt import Characteristic, CharacteristicValue, Service

        props = Characteristic.Properties
        self.data_char = Characteristic(ms.NOTIFY_UUID, props.NOTIFY, Characteristic.READABLE, b"")
        write = Characteristic(ms.WRITE_UUID, props.WRITE | props.WRITE_WITHOUT_RESPONSE, Characteristic.WRITEABLE,
                               CharacteristicValue(write=self._on_command))
        self.device.add_service(Service(ms.SERVICE_UUID, [write, self.data_char]))
        self.advertise(ms.SERVICE_UUID)

    def _on_command(self, connection, value: bytes) -> None:
        value = bytes(value)
        self.commands.append(value)
        if len(value) < 2:
            return
        command, reference = value[0], value[1]
        status = 200
        if command == ms.CMD_SUBSCRIBE:
            path = value[2:].decode(errors="replace")
            prefix = "/Meas/Acc/"
            rate = path[len(prefix):] if path.startswith(prefix) else ""
            if rate.isdigit() and int(rate) in ms.ACC_RATES_HZ:
                self.set_rate(int(rate))
                self.reference, self.streaming = reference, True
            else:
                status = 404             # whiteboard: no such resource (e.g. /Meas/Acc/50)
        elif command == ms.CMD_UNSUBSCRIBE:
            self.streaming = False
        elif command != ms.CMD_HELLO:
            status = 400
        self.later(self.device.notify_subscribers(self.data_char, ms.command_result(reference, status)))

    def samples_per_notification(self, payload_bytes: int) -> int:
        # The firmware batches a 13th of a second of samples; the twin never exceeds the link payload.
        return max(1, min(int(self.rate_hz) // 13, (payload_bytes - 6) // 12))

    def encode(self, first_time_s: float, xyz_g: np.ndarray) -> bytes:
        timestamp_ms = int(first_time_s * 1000)
        return ms.encode_acc_data(self.reference or 0, timestamp_ms, xyz_g * ms.STANDARD_GRAVITY)
