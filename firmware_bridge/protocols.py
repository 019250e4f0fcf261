"""Device protocols: how to start a device streaming and turn its notifications into samples.

Adding a wearable family is one class here (or a module registering itself in ``PROTOCOLS``):
service UUIDs to recognise it, ``start`` to configure it, ``decode`` for its packets.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import polar_pmd, reference_profile


@dataclass
class Decoded:
    t: np.ndarray
    xyz: np.ndarray
    lost_packets: int = 0


class ReferenceProtocol:
    name = "reference"
    service_uuid = reference_profile.SERVICE_UUID
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

    def decode(self, data: bytes) -> Decoded | None:
        packet = self.decoder.decode(data)
        return Decoded(packet.t, packet.xyz, packet.lost_before) if packet else None

    @property
    def counters(self) -> dict:
        d = self.decoder
        return {"packets": d.packets, "malformed": d.malformed, "lost": d.lost} if d else {}


class PolarPmdProtocol:
    """Polar Verity Sense / H10 / OH1 accelerometer over the PMD service."""
    name = "polar"
    service_uuid = polar_pmd.SERVICE_UUID
    data_uuid = polar_pmd.DATA_UUID

    def __init__(self, rate_hz: int = 52, range_g: int = 8):
        self.rate_hz, self.range_g = rate_hz, range_g
        self.decoder = polar_pmd.PolarAccDecoder(rate_hz)
        self.responses: list[dict] = []

    async def start(self, transport, rate_hz: float | None = None) -> float:
        rate = int(rate_hz or self.rate_hz)
        # Responses arrive as indications on the control point; subscribe before writing.
        await transport.subscribe(polar_pmd.CONTROL_UUID, self._on_control)
        await transport.write(polar_pmd.CONTROL_UUID, polar_pmd.start_acc_command(rate, 16, self.range_g))
        self.decoder.sample_rate_hz = rate
        self.decoder.reset_link()
        return float(rate)

    def _on_control(self, data: bytes) -> None:
        try:
            self.responses.append(polar_pmd.parse_control_response(data))
        except polar_pmd.MalformedFrame:
            pass

    def decode(self, data: bytes) -> Decoded | None:
        frame = self.decoder.decode(data)
        return Decoded(frame.t, frame.xyz) if frame else None

    @property
    def counters(self) -> dict:
        return {"packets": self.decoder.frames, "malformed": self.decoder.malformed, "lost": 0}


PROTOCOLS = {"reference": ReferenceProtocol, "polar": PolarPmdProtocol}
# Planned (one module each, same interface): InfiniTime PineTime (motion service), Bangle.js
# (Nordic UART accelerometer stream), Nordic Thingy:52 (motion service raw data).


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
