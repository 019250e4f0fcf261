"""Device protocols: how to start a device streaming and turn its notifications into samples.

Adding a wearable family is one class here (or a module registering itself in ``PROTOCOLS``):
service UUIDs to recognise it, ``start`` to configure it, ``decode`` for its packets.
"""
from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from . import polar_control as pmd_control, polar_pmd, reference_profile
from .banglejs import BangleProtocol
from .metamotion import MetaMotionProtocol
from .movesense import MovesenseProtocol
from .pinetime import PineTimeProtocol
from .transport import TransportError
from .on_device import OnDeviceProtocol


@dataclass
class Decoded:
    t: np.ndarray
    xyz: np.ndarray
    lost_packets: int = 0
    new_segment: bool = False     # the device clock restarted (reboot) just before these samples
    losses: list | None = None    # (hole start, hole end, packets) where known; else lost_packets at t[0]


@runtime_checkable
class DeviceProtocol(Protocol):
    """bytes <-> samples for one device family; one instance per device session.

    Contract: ``service_uuid`` identifies the family among a device's services (``protocol_for("auto")``);
    ``start(transport, rate_hz)`` configures the connected device through the ``Transport`` and returns
    the nominal sample rate it will stream at (refusing, with ``TransportError`` or
    ``HarnetEdgeError``, a rate the device does not offer); it is called again after every reconnect
    and must reset per-link state (sequence numbers) while keeping counters. ``decode(data)`` turns one
    notification of ``data_uuid`` into ``Decoded`` samples (t in device seconds, x/y/z in g) or
    returns None for a malformed packet, which it counts, never raising. ``counters`` reports
    {"packets", "malformed", "lost"}. Each protocol has a software twin in ``wearable.py``.
    """

    name: str
    service_uuid: str
    data_uuid: str

    async def start(self, transport, rate_hz: float | None = None) -> float: ...

    def decode(self, data: bytes) -> "Decoded | None": ...

    @property
    def counters(self) -> dict: ...


class ReferenceProtocol:
    name = "reference"
    service_uuid = reference_profile.SERVICE_UUID
    scan_service_uuid = reference_profile.SERVICE_UUID    # advertised: scan may filter on it
    data_uuid = reference_profile.DATA_UUID

    def __init__(self):
        self.decoder: reference_profile.ReferenceDecoder | None = None

    async def start(self, transport, rate_hz: float | None = None) -> float:
        info = reference_profile.StreamInfo.decode(await transport.read(reference_profile.INFO_UUID))
        if self.decoder is None or self.decoder.info != info:
            self.decoder = reference_profile.ReferenceDecoder(info)
        self.decoder.reset_link()
        if rate_hz:
            await transport.write(reference_profile.CONTROL_UUID, reference_profile.control_set_rate(rate_hz))
        await transport.write(reference_profile.CONTROL_UUID, reference_profile.control_start())
        return info.rate_hz

    @classmethod
    def matches(cls, advertisement) -> bool:
        """Whether a scanned device (an ``Advertisement``) speaks this protocol: its service is advertised."""
        return cls.service_uuid in advertisement.service_uuids

    def decode(self, data: bytes) -> Decoded | None:
        packet = self.decoder.decode(data)
        return Decoded(packet.t, packet.xyz, packet.lost_before, packet.new_segment) if packet else None

    async def stop(self, transport) -> None:
        await transport.write(reference_profile.CONTROL_UUID, reference_profile.control_stop())

    @property
    def counters(self) -> dict:
        d = self.decoder
        return {"packets": d.packets, "malformed": d.malformed, "lost": d.lost,
                "clock_resets": d.clock_resets} if d else {}


class PolarPmdProtocol:
    """Polar Verity Sense / H10 / OH1 / 360 accelerometer over the PMD service (``polar_pmd``).

    Start as Polar documents it: ask the device which ACC settings it offers, choose (the rate the
    user named, else the offered rate >= 30 Hz closest to 50 Hz; 8 g; the finest resolution), start,
    read the status of every answer (a refusal is one line naming the reason), and scale the data
    by the factor the start response carries."""
    name = "polar"
    service_uuid = polar_pmd.SERVICE_UUID
    scan_service_uuid = None            # Polar sensors do not advertise PMD: match by name instead
    data_uuid = polar_pmd.DATA_UUID
    response_timeout_s = 5.0
    # A lost PMD frame leaves a hole of a whole frame (~0.7 s for 36 samples at 52 Hz; PMD frames have
    # no sequence number, so it is inferred from frame times and counted): holes up to 1.5 s are
    # bridged with the window flagged "packets_lost", longer ones cut the window as a gap.
    max_gap_s = 1.5

    @classmethod
    def matches(cls, advertisement) -> bool:
        """Polar's own rule (polar-ble-sdk scanning): name "Polar <model> <id>", or Polar's company id."""
        name = getattr(advertisement, "local_name", None) or getattr(advertisement, "name", None) or ""
        manufacturer = getattr(advertisement, "manufacturer_data", None) or {}
        return name.startswith("Polar ") or polar_pmd.POLAR_COMPANY_ID in manufacturer

    def __init__(self, rate_hz: float | None = None):
        self.rate_hz = rate_hz
        self.decoder = polar_pmd.PolarAccDecoder()
        self.offered: dict[int, list] = {}
        self.choice: pmd_control.AccChoice | None = None
        self.responses: list[pmd_control.ControlResponse] = []
        self._answers: asyncio.Queue | None = None

    async def start(self, transport, rate_hz: float | None = None) -> float:
        device = getattr(transport, "name", "device")
        if transport.services and polar_pmd.SERVICE_UUID not in transport.services:
            raise pmd_control.DeviceRefused(f"{device} has no Polar PMD service (not a Polar sensor, or its "
                                            f"firmware lacks PMD); try --profile auto")
        self._answers = asyncio.Queue()
        # Answers arrive as indications on the control point; subscribe before writing.
        await transport.subscribe(polar_pmd.CONTROL_UUID, self._on_control)
        answer = await self._command(transport, pmd_control.get_acc_settings_command(), "the ACC settings request")
        self.offered = self._settings(answer, device, "the ACC settings request")
        choice = pmd_control.choose_acc_settings(self.offered, rate_hz or self.rate_hz, device)
        what = f"ACC at {choice.rate_hz} Hz, +-{choice.range_g} g, {choice.resolution_bits} bit"
        command = pmd_control.start_acc_command(choice.rate_hz, choice.resolution_bits, choice.range_g)
        answer = await self._command(transport, command, what)
        if answer.status == pmd_control.ERROR_ALREADY_IN_STATE:     # still streaming for an earlier host
            await self._command(transport, pmd_control.stop_acc_command(), "stopping the earlier stream")
            answer = await self._command(transport, command, what)
        if answer.status:
            raise pmd_control.DeviceRefused(pmd_control.refusal_message(device, what, answer, self.offered))
        factor = self._settings(answer, device, f"the start of {what}").get(pmd_control.SETTING_FACTOR, [1.0])[0]
        if not (math.isfinite(factor) and factor > 0):    # every sample is scaled by it: 0 or NaN is no data
            await transport.write(polar_pmd.CONTROL_UUID, pmd_control.stop_acc_command())
            raise pmd_control.DeviceRefused(f"{device} started {what} with an unusable ACC scale factor {factor:g}")
        self.choice = choice
        self.decoder.configure(choice.rate_hz, factor)
        self.decoder.reset_link()
        return float(choice.rate_hz)

    @staticmethod
    def _settings(answer: pmd_control.ControlResponse, device: str, what: str) -> dict[int, list]:
        try:
            return pmd_control.parse_settings(answer.params)
        except pmd_control.MalformedResponse as exc:    # asking again gets the same bytes: one line, stop
            raise pmd_control.DeviceRefused(f"{device} sent an unreadable answer to {what} ({exc})") from None

    async def stop(self, transport) -> None:
        await transport.write(polar_pmd.CONTROL_UUID, pmd_control.stop_acc_command())

    async def _command(self, transport, command: bytes, what: str) -> pmd_control.ControlResponse:
        """Write a command; its answer (same op code). Errors other than 'already in state' raise."""
        while not self._answers.empty():
            self._answers.get_nowait()
        await transport.write(polar_pmd.CONTROL_UUID, command)
        try:
            while True:
                answer = await asyncio.wait_for(self._answers.get(), self.response_timeout_s)
                if answer.op == command[0]:
                    break
        except asyncio.TimeoutError:
            raise TransportError(f"{getattr(transport, 'name', 'device')}: no answer to {what} within "
                                 f"{self.response_timeout_s:.0f} s") from None
        if answer.status and answer.status != pmd_control.ERROR_ALREADY_IN_STATE:
            raise pmd_control.DeviceRefused(pmd_control.refusal_message(
                getattr(transport, "name", "device"), what, answer, self.offered))
        return answer

    def _on_control(self, data: bytes) -> None:
        try:
            answer = pmd_control.ControlResponse.decode(data)
        except pmd_control.MalformedResponse:
            return
        self.responses.append(answer)
        if self._answers is not None:
            self._answers.put_nowait(answer)

    def decode(self, data: bytes) -> Decoded | None:
        frame = self.decoder.decode(data)
        return Decoded(frame.t, frame.xyz, frame.lost_frames, frame.new_segment, frame.losses) if frame else None

    @property
    def counters(self) -> dict:
        d = self.decoder
        return {"packets": d.frames, "malformed": d.malformed, "lost": d.lost_frames, "clock_resets": d.clock_resets,
                "duplicates": d.duplicates}


PROTOCOLS = {"reference": ReferenceProtocol, "polar": PolarPmdProtocol, "on-device": OnDeviceProtocol,
             "movesense": MovesenseProtocol, "metamotion": MetaMotionProtocol, "banglejs": BangleProtocol,
             "pinetime": PineTimeProtocol}
# Planned (one module each, same interface): Nordic Thingy:52 (motion service raw data).


def claims(protocol_class, advertisement) -> bool:
    """Whether a protocol claims a scanned device: its ``matches`` rule, else its advertised service."""
    rule = getattr(protocol_class, "matches", None)
    if rule is not None:
        return bool(rule(advertisement))
    return protocol_class.service_uuid in advertisement.service_uuids


def protocol_for_advertisement(advertisement):
    """The protocol class a scanned device would be streamed with, or None if none claims it."""
    for cls in PROTOCOLS.values():
        if claims(cls, advertisement):
            return cls
    return None


def protocol_for(name: str, services: set[str] | None = None):
    if name != "auto":
        if name not in PROTOCOLS:
            from harnet_edge.errors import HarnetEdgeError
            raise HarnetEdgeError(f"unknown device protocol {name!r}; known: {', '.join(PROTOCOLS)}")
        return PROTOCOLS[name]()
    for cls in PROTOCOLS.values():
        if services and cls.service_uuid in services:
            return cls()
    from harnet_edge.errors import HarnetEdgeError
    raise HarnetEdgeError(f"device offers none of the known services ({', '.join(PROTOCOLS)})")
