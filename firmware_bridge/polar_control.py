"""Polar PMD control point: get the ACC settings a device offers, choose, start, stop, read the status.

Facts from Polar's public BLE SDK (github.com/polarofficial/polar-ble-sdk, Android
``api/ble/model/gatt/client/pmd/PmdControlPointResponse.kt``, ``PmdSetting.kt`` and their unit tests):
- commands (write, control point ...c81): [op, measurement type, settings...], op 0x01 get
  measurement settings, 0x02 start, 0x03 stop; ACC = 0x02.
- responses (indication): 0xF0, op, measurement type, status, more (only on success), parameters.
- settings: [type, count, count x value]; values are u16 for sample rate (0), resolution (1) and
  range (2), 4 bytes for range in milli-units (3) and factor (5, a float32), 1 byte for channels (4),
  16 bytes for security (6). A start response's parameters carry the FACTOR the data is scaled by.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from harnet_edge.errors import HarnetEdgeError

MEASUREMENT_ACC = 0x02
OP_GET_SETTINGS, OP_START, OP_STOP = 0x01, 0x02, 0x03
RESPONSE_CODE = 0xF0
SETTING_RATE, SETTING_RESOLUTION, SETTING_RANGE, SETTING_RANGE_MILLIUNIT = 0, 1, 2, 3
SETTING_CHANNELS, SETTING_FACTOR, SETTING_SECURITY = 4, 5, 6
FIELD_BYTES = {SETTING_RATE: 2, SETTING_RESOLUTION: 2, SETTING_RANGE: 2, SETTING_RANGE_MILLIUNIT: 4,
               SETTING_CHANNELS: 1, SETTING_FACTOR: 4, SETTING_SECURITY: 16}
# PmdControlPointResponseCode, in order (polar-ble-sdk PmdControlPointResponse.kt).
STATUS = ["success", "invalid op code", "invalid measurement type", "not supported", "invalid length",
          "invalid parameter", "already in state", "invalid resolution", "invalid sample rate",
          "invalid range", "invalid MTU", "invalid number of channels", "invalid state",
          "device in charger", "disk full"]
ERROR_INVALID_OP_CODE, ERROR_INVALID_MEASUREMENT_TYPE, ERROR_NOT_SUPPORTED, ERROR_INVALID_LENGTH = 1, 2, 3, 4
ERROR_INVALID_PARAMETER, ERROR_ALREADY_IN_STATE, ERROR_INVALID_RESOLUTION = 5, 6, 7
ERROR_INVALID_SAMPLE_RATE, ERROR_INVALID_RANGE, ERROR_INVALID_MTU, ERROR_INVALID_STATE = 8, 9, 10, 12
MIN_RATE_HZ = 30       # HARNet windows are 30 Hz; a slower stream would be upsampled guesswork
PREFERRED_RATE_HZ = 50
PREFERRED_RANGE_G = 8  # walking and running peak well below 8 g; 2 g clips


class MalformedResponse(ValueError):
    pass


class DeviceRefused(HarnetEdgeError):
    """The device answered a command with an error status (or offers nothing usable): retrying
    the same request cannot help, so this is not a transport error."""


def status_text(status: int) -> str:
    meaning = STATUS[status] if 0 <= status < len(STATUS) else "unknown status"
    return f"{meaning} (status {status})"


def get_acc_settings_command() -> bytes:
    return bytes([OP_GET_SETTINGS, MEASUREMENT_ACC])


def start_acc_command(rate_hz: int, resolution_bits: int = 16, range_g: int = 8) -> bytes:
    return bytes([OP_START, MEASUREMENT_ACC]) + encode_settings(
        {SETTING_RATE: [rate_hz], SETTING_RESOLUTION: [resolution_bits], SETTING_RANGE: [range_g]})


def stop_acc_command() -> bytes:
    return bytes([OP_STOP, MEASUREMENT_ACC])


@dataclass
class ControlResponse:
    op: int
    measurement: int
    status: int
    more: bool = False
    params: bytes = b""

    @classmethod
    def decode(cls, data: bytes) -> "ControlResponse":
        data = bytes(data)
        if len(data) < 4 or data[0] != RESPONSE_CODE:
            raise MalformedResponse(f"not a PMD control point response: {data.hex()}")
        ok = data[3] == 0
        return cls(data[1], data[2], data[3], ok and len(data) > 4 and data[4] != 0, data[5:] if ok else b"")

    def encode(self) -> bytes:
        head = bytes([RESPONSE_CODE, self.op, self.measurement, self.status])
        return head + bytes([int(self.more)]) + self.params if self.status == 0 else head


def encode_settings(settings: dict[int, list]) -> bytes:
    out = b""
    for kind, values in settings.items():
        width = FIELD_BYTES[kind]
        out += bytes([kind, len(values)])
        for value in values:
            out += struct.pack("<f", value) if kind == SETTING_FACTOR else int(value).to_bytes(width, "little", signed=kind == SETTING_RANGE_MILLIUNIT)
    return out


def parse_settings(params: bytes) -> dict[int, list]:
    out, i = {}, 0
    while i < len(params):
        if i + 2 > len(params):
            raise MalformedResponse("truncated setting header")
        kind, count = params[i], params[i + 1]
        if kind not in FIELD_BYTES:
            raise MalformedResponse(f"unknown setting type {kind}")
        width = FIELD_BYTES[kind]
        body = params[i + 2:i + 2 + width * count]
        if len(body) < width * count:
            raise MalformedResponse(f"setting type {kind} is truncated")
        if kind == SETTING_FACTOR:
            out[kind] = [struct.unpack_from("<f", body, k * 4)[0] for k in range(count)]
        else:
            out[kind] = [int.from_bytes(body[k * width:(k + 1) * width], "little", signed=kind == SETTING_RANGE_MILLIUNIT)
                         for k in range(count)]
        i += 2 + width * count
    return out


@dataclass(frozen=True)
class AccChoice:
    rate_hz: int
    resolution_bits: int
    range_g: int


def choose_acc_settings(offered: dict[int, list], rate_hz: float | None = None, device: str = "device") -> AccChoice:
    """What to ask for: the rate the user named (>= 30 Hz; the device will accept or refuse it), else the
    offered rate >= 30 Hz closest to 50 Hz; 8 g if offered (else the nearest); the finest resolution."""
    rates = sorted(offered.get(SETTING_RATE, []))
    ranges = sorted(offered.get(SETTING_RANGE, []))
    resolutions = offered.get(SETTING_RESOLUTION, []) or [16]
    if rate_hz is not None:
        if rate_hz < MIN_RATE_HZ:           # a device that offers 25 Hz would stream it
            raise DeviceRefused(f"--rate {rate_hz:g} Hz is below the {MIN_RATE_HZ} Hz HARNet needs; "
                                f"{device} offers {_hz(rates)}")
        if not rate_hz < 1 << 16:           # NaN, inf, or past the u16 rate field
            raise DeviceRefused(f"--rate {rate_hz:g} Hz is not a rate a Polar sensor can be asked for; "
                                f"{device} offers {_hz(rates)}")
        rate = int(round(rate_hz))
    else:
        usable = [r for r in rates if r >= MIN_RATE_HZ]
        if not usable:
            raise DeviceRefused(f"{device} offers ACC at {_hz(rates)}; HARNet needs >= {MIN_RATE_HZ} Hz")
        rate = min(usable, key=lambda r: (abs(r - PREFERRED_RATE_HZ), r))
    range_g = min(ranges, key=lambda g: (abs(g - PREFERRED_RANGE_G), -g)) if ranges else PREFERRED_RANGE_G
    return AccChoice(rate, max(resolutions), range_g)


def _hz(rates) -> str:
    return ", ".join(str(r) for r in rates) + " Hz" if rates else "no rate"


def refusal_message(device: str, what: str, response: ControlResponse, offered: dict[int, list] | None = None) -> str:
    text = f"{device} refused {what}: {status_text(response.status)}"
    if offered and response.status == ERROR_INVALID_SAMPLE_RATE:
        text += f"; it offers {_hz(sorted(offered.get(SETTING_RATE, [])))}"
    elif offered and response.status == ERROR_INVALID_RANGE:
        text += f"; it offers {', '.join(map(str, sorted(offered.get(SETTING_RANGE, []))))} g"
    return text
