"""Run one vendor twin against the host's DeviceSession over the software Bluetooth stack."""
import asyncio

import numpy as np

from harnet_edge.firmware_bridge.bumble_transport import BumbleTransport, SoftwareRadio
from harnet_edge.firmware_bridge.session import DeviceSession
from harnet_edge.firmware_bridge.wearable import generated_motion


class Recorder:
    """The part of the runtime a session talks to, recording everything."""

    def __init__(self):
        self.t, self.xyz, self.statuses, self.losses, self.nominal = [], [], [], [], None

    def add_device(self, name, nominal=None, **kw):
        self.nominal = nominal

    def status(self, device, text, **kw):
        self.statuses.append(text)

    def note_loss(self, device, when, packets, hole_start=None):
        self.losses.append((when, packets))

    def notify(self):
        pass

    def ingest(self, batch):
        self.t.append(batch.t)
        self.xyz.append(batch.xyz)

    @property
    def samples(self):
        return (np.concatenate(self.t), np.concatenate(self.xyz)) if self.t else (np.zeros(0), np.zeros((0, 3)))


def motion(seconds=120, rate=100.0):
    return generated_motion(rate, seconds, seed=3)


def run_twin(make_twin, protocol, seconds: float, rate_hz=None, mtu: int | None = 247, max_attempts=1):
    # mtu=None: the host keeps the default 23-byte ATT MTU (20-byte notifications)
    """Start the twin (``make_twin(radio)``) and a session; return (twin, session, recorder, error)."""
    async def main():
        radio = SoftwareRadio()
        twin = make_twin(radio)
        twin_task = asyncio.create_task(twin.run())
        transport = BumbleTransport(radio.new_device("central"), twin.name)
        if mtu is None:                       # a host that never asks for a larger ATT MTU
            from bumble.device import Peer

            async def no_exchange(peer, mtu):
                return 23
            Peer.request_mtu, original = no_exchange, Peer.request_mtu
        session = DeviceSession(twin.name, transport, protocol, rate_hz=rate_hz, backoff_s=0.1,
                                max_attempts=max_attempts)
        recorder = Recorder()
        run = asyncio.create_task(session.run(recorder))
        error = None
        done, _ = await asyncio.wait({run}, timeout=seconds)
        if run in done:
            error = run.exception()
        for task in (run, twin_task):
            task.cancel()
        await asyncio.gather(run, twin_task, return_exceptions=True)
        if mtu is None:
            Peer.request_mtu = original
        return twin, session, recorder, error

    return asyncio.run(main())
