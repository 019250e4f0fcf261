"""Software twins of Polar sensors (PMD accelerometer): Verity Sense, H10, OH1, Polar 360.

Rate and range tables are Polar's (polar-ble-sdk documentation/products/*.md, online streaming,
without SDK mode unless ``sdk_mode``): Verity Sense 52 Hz, 8 g (SDK mode 26-416 Hz, 2-16 g);
H10 25/50/100/200 Hz, 2/4/8 g; OH1 50 Hz, 8 g; Polar 360 50 Hz, 8 g (SDK mode 12-400 Hz, 2-16 g);
16-bit resolution throughout. Devices advertise "Polar <model> <id>" and Polar's company
identifier (0x006B) in manufacturer data, not the PMD service.

The twin answers the control point as the SDK documents it: the settings response lists exactly
the table above, a start with a rate, range or resolution outside it is refused with
ERROR_INVALID_SAMPLE_RATE / _RANGE / _RESOLUTION, a start while streaming with
ERROR_ALREADY_IN_STATE, anything but ACC with ERROR_INVALID_MEASUREMENT_TYPE. The start response
carries the FACTOR. Twin choices (not from Polar's documents): which frame type each model sends
(H10 and OH1 raw 16-bit mG; Verity Sense delta-compressed mG; Polar 360 delta-compressed sensor
counts scaled by the factor 8 g / 32768), at most 36 samples a frame, and a clock 1.5 % fast.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import polar_control as ctl
from ..polar_pmd import encode_acc_frame
from .clock import DeviceClock
from .mtu import largest_frame

SECONDS_2000_TO_2026 = 820_454_400      # 2026-01-01 in seconds since 2000-01-01: the time set by a phone
COUNTS_FACTOR_8G = 8 / 32768            # g per count of a 16-bit +-8 g sensor


@dataclass(frozen=True)
class PolarModel:
    key: str
    advertised: str                 # the model word in the advertised name "Polar <word> <id>"
    rates_hz: tuple[int, ...]
    ranges_g: tuple[int, ...]
    frame_type: int                 # PMD frame type byte the twin sends (bit 7 = compressed)
    factor: float = 1.0
    sdk_rates_hz: tuple[int, ...] = ()
    sdk_ranges_g: tuple[int, ...] = ()
    resolutions: tuple[int, ...] = (16,)
    max_frame_samples: int = 36


POLAR_MODELS = {m.key: m for m in [
    PolarModel("verity-sense", "Sense", (52,), (8,), 0x81, sdk_rates_hz=(26, 52, 104, 208, 416),
               sdk_ranges_g=(2, 4, 8, 16)),
    PolarModel("h10", "H10", (25, 50, 100, 200), (2, 4, 8), 0x01),
    PolarModel("oh1", "OH1", (50,), (8,), 0x01),
    PolarModel("polar-360", "360", (50,), (8,), 0x80, factor=COUNTS_FACTOR_8G,
               sdk_rates_hz=(12, 25, 50, 100, 200, 400), sdk_ranges_g=(2, 4, 8, 16)),
]}


class PolarTwin:
    """The PMD side of one Polar sensor: control point answers, device clock, ACC frames."""

    def __init__(self, model: PolarModel, sdk_mode: bool = False, rate_error: float = 0.015):
        self.model = model
        self.rates = model.sdk_rates_hz if sdk_mode and model.sdk_rates_hz else model.rates_hz
        self.ranges = model.sdk_ranges_g if sdk_mode and model.sdk_ranges_g else model.ranges_g
        default_rate = 52 if 52 in self.rates else 50 if 50 in self.rates else self.rates[0]
        self.clock = DeviceClock(default_rate, rate_error, time_at_power_on_s=SECONDS_2000_TO_2026,
                                 boot_time_s=0.0)
        self.range_g = 8
        self.streaming = False
        self.refusals: list[int] = []

    def build_gatt(self, device, on_write):
        """Add the PMD service to ``device``: (data characteristic, control point it indicates on)."""
        from bumble.gatt import Characteristic, CharacteristicValue, Service

        from .. import polar_pmd

        data = Characteristic(polar_pmd.DATA_UUID, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b"")
        control = Characteristic(polar_pmd.CONTROL_UUID,
                                 Characteristic.Properties.WRITE | Characteristic.Properties.INDICATE,
                                 Characteristic.WRITEABLE | Characteristic.READABLE, CharacteristicValue(write=on_write))
        device.add_service(Service(polar_pmd.SERVICE_UUID, [control, data]))
        return data, control

    def advertising(self) -> list[tuple[int, bytes]]:
        """Polar sensors advertise their name and Polar's company id, not the PMD service."""
        from bumble.core import AdvertisingData

        from ..polar_pmd import POLAR_COMPANY_ID

        return [(AdvertisingData.MANUFACTURER_SPECIFIC_DATA, POLAR_COMPANY_ID.to_bytes(2, "little") + b"\x00")]

    def offered_settings(self) -> dict[int, list]:
        return {ctl.SETTING_RATE: list(self.rates), ctl.SETTING_RESOLUTION: list(self.model.resolutions),
                ctl.SETTING_RANGE: list(self.ranges)}

    def on_control(self, command: bytes) -> bytes:
        """A control point write -> the indication the device sends back."""
        op = command[0] if command else 0
        measurement = command[1] if len(command) > 1 else 0
        status, params = self._handle(bytes(command))
        if status:
            self.refusals.append(status)
        return ctl.ControlResponse(op, measurement, status, False, params).encode()

    def _handle(self, command: bytes) -> tuple[int, bytes]:
        if len(command) < 2:
            return ctl.ERROR_INVALID_LENGTH, b""
        op, measurement = command[0], command[1]
        if op not in (ctl.OP_GET_SETTINGS, ctl.OP_START, ctl.OP_STOP):
            return ctl.ERROR_INVALID_OP_CODE, b""
        if measurement != ctl.MEASUREMENT_ACC:
            return ctl.ERROR_INVALID_MEASUREMENT_TYPE, b""
        if op == ctl.OP_GET_SETTINGS:
            return 0, ctl.encode_settings(self.offered_settings())
        if op == ctl.OP_STOP:
            if not self.streaming:
                return ctl.ERROR_ALREADY_IN_STATE, b""
            self.streaming = False
            return 0, b""
        if self.streaming:
            return ctl.ERROR_ALREADY_IN_STATE, b""
        try:
            asked = ctl.parse_settings(command[2:])
        except ctl.MalformedResponse:
            return ctl.ERROR_INVALID_LENGTH, b""
        checks = [(ctl.SETTING_RATE, self.rates, ctl.ERROR_INVALID_SAMPLE_RATE),
                  (ctl.SETTING_RESOLUTION, self.model.resolutions, ctl.ERROR_INVALID_RESOLUTION),
                  (ctl.SETTING_RANGE, self.ranges, ctl.ERROR_INVALID_RANGE)]
        for kind, allowed, error in checks:
            values = asked.get(kind)
            if values is None or len(values) != 1:
                return ctl.ERROR_INVALID_PARAMETER, b""
            if values[0] not in allowed:
                return error, b""
        self.clock.set_rate(asked[ctl.SETTING_RATE][0])
        self.range_g = asked[ctl.SETTING_RANGE][0]
        self.streaming = True
        return 0, ctl.encode_settings({ctl.SETTING_FACTOR: [self.model.factor]})

    def next_frame(self, signal_g, payload_limit: int) -> tuple[int, bytes]:
        """The next ACC frame from ``signal_g(n) -> (n, 3) g`` that fits ``payload_limit`` bytes."""
        start = self.clock.samples
        compressed, frame_type = bool(self.model.frame_type & 0x80), self.model.frame_type & 0x7F
        source = np.clip(signal_g(self.model.max_frame_samples), -self.range_g, self.range_g)   # sensor saturates
        unit = self.model.factor if compressed and frame_type == 0 else 0.001     # g per transmitted unit
        values = np.clip(np.round(source / unit), -32768, 32767).astype(np.int64)

        def encode(n: int) -> bytes:
            last_ns = int(round(self.clock.time_s(start + n - 1) * 1e9))
            return encode_acc_frame(last_ns, values[:n], compressed, frame_type)

        n, frame = largest_frame(encode, self.model.max_frame_samples, payload_limit)
        self.clock.advance(n)
        return n, frame

    def reboot(self) -> None:
        self.streaming = False
        self.clock.restart()
