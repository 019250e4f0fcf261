"""Twin of the harnet-edge reference firmware (firmware_bridge/PROFILE.md, the Arduino sketch).

Time is microseconds since power-on (u32), the sequence counts packets made; both restart at a
reboot. The twin has been switched on for ``uptime_s`` when the host first connects (20 min by
default, as a wearable usually has), so a reboot sends device time far back. The firmware keeps its
own rate when asked for another (the host re-reads the stream info), as the sketch does.
"""
from __future__ import annotations

import logging
import random

from .. import reference_profile as ref
from .clock import DeviceClock

log = logging.getLogger(__name__)


class ReferenceTwin:
    def __init__(self, rate_hz: float, counts_per_g: int = 4096, rate_error: float = 0.0, uptime_s: float = 1200.0,
                 jitter_us: float = 0.0, rng: random.Random | None = None):
        self.clock = DeviceClock(rate_hz, rate_error, time_at_power_on_s=uptime_s, boot_time_s=0.0)
        self.counts_per_g, self.jitter_us, self.rng = counts_per_g, jitter_us, rng or random.Random(0)
        self.sequence = 0
        self.streaming = False

    def build_gatt(self, device, on_write):
        """Add the profile's service to ``device``: (data characteristic, characteristic to indicate on)."""
        from bumble.gatt import Characteristic, CharacteristicValue, Service

        info = ref.StreamInfo(self.clock.nominal_hz, self.counts_per_g, 8, (1, 0))
        data = Characteristic(ref.DATA_UUID, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b"")
        info_char = Characteristic(ref.INFO_UUID, Characteristic.Properties.READ, Characteristic.READABLE,
                                   info.encode())
        control = Characteristic(ref.CONTROL_UUID, Characteristic.Properties.WRITE, Characteristic.WRITEABLE,
                                 CharacteristicValue(write=on_write))
        device.add_service(Service(ref.SERVICE_UUID, [data, info_char, control]))
        return data, None

    def advertising(self) -> list[tuple[int, bytes]]:
        from bumble.core import UUID, AdvertisingData

        return [(AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, bytes(UUID(ref.SERVICE_UUID)))]

    def on_control(self, value: bytes) -> None:
        if value[:1] == bytes([ref.OP_START]):
            self.streaming = True
        elif value[:1] == bytes([ref.OP_STOP]):
            self.streaming = False
        elif value[:1] == bytes([ref.OP_SET_RATE]) and len(value) >= 3:
            log.info("reference twin: rate change to %d centi-Hz requested; the firmware keeps %g Hz",
                     int.from_bytes(value[1:3], "little"), self.clock.nominal_hz)
        return None          # write without an answer

    def next_frame(self, signal_g, payload_limit: int) -> tuple[int, bytes]:
        n = ref.samples_per_packet(payload_limit)
        first_us = int(self.clock.time_s() * 1e6 + self.rng.gauss(0, self.jitter_us))
        packet = ref.encode_packet(self.sequence, max(first_us, 0), ref.g_to_counts(signal_g(n), self.counts_per_g))
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.clock.advance(n)
        return n, packet

    def reboot(self) -> None:
        self.streaming = False
        self.sequence = 0
        self.clock.restart()
