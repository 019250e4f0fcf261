"""Software Bangle.js 2 running harnetacc.app.js: 25 Hz, +-4 g (saturating), two samples per 18-byte
notification, sequence restarting at every connection, as specified in BANGLEJS.md."""
from __future__ import annotations

import numpy as np

from . import banglejs as bj
from .family_twin import FamilyTwin


class BangleTwin(FamilyTwin):
    family = "banglejs"

    def __init__(self, radio, name: str, signal, signal_rate_hz: float, rate_hz: int = 25,
                 format_version: int = bj.FORMAT_VERSION, **kw):
        self.format_version = format_version
        self.sequence = 0
        super().__init__(radio, name, signal, signal_rate_hz, rate_hz=rate_hz, **kw)
        self.device.on("connection", self._on_connection)

    def build_gatt(self) -> None:
        from bumble.gatt import Characteristic, Service

        props = Characteristic.Properties
        self.data_char = Characteristic(bj.DATA_UUID, props.NOTIFY | props.READ, Characteristic.READABLE, bytes(18))
        info = bytes([self.format_version]) + bj.encode_info(int(self.rate_hz), 4096, 4)[1:]
        self.device.add_service(Service(bj.SERVICE_UUID, [self.data_char, Characteristic(
            bj.INFO_UUID, props.READ, Characteristic.READABLE, info)]))
        self.advertise(bj.SERVICE_UUID)

    def _on_connection(self, connection) -> None:
        self.sequence, self.streaming = 0, True     # the app streams whenever a central is connected

    def samples_per_notification(self, payload_bytes: int) -> int:
        return bj.SAMPLES_PER_PACKET

    def encode(self, first_time_s: float, xyz_g: np.ndarray) -> bytes:
        counts = np.clip(np.round(np.clip(xyz_g, -4, 4) * 4096), -32768, 32767)
        packet = bj.encode_packet(self.sequence, int(first_time_s * 1000), counts)
        self.sequence += 1
        return packet
