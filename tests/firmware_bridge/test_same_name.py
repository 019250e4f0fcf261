"""Two units of one firmware advertising the same name: the host stays with the one it connected to
first, across reconnects, instead of splicing two wearers' data into one stream."""
import asyncio

import pytest

from harnet_edge.firmware_bridge import reference_profile as ref
from harnet_edge.firmware_bridge.bleak_bumble_backend import SoftwareAdapter
from harnet_edge.firmware_bridge.bleak_transport import BleakTransport
from harnet_edge.firmware_bridge.bumble_transport import SoftwareRadio
from harnet_edge.firmware_bridge.protocols import ReferenceProtocol
from harnet_edge.firmware_bridge.session import DeviceSession
from harnet_edge.firmware_bridge.wearable import Faults, SoftwareWearable, generated_motion

pytestmark = pytest.mark.ble


class Tally:
    def __init__(self):
        self.statuses = []

    def add_device(self, *a, **k): pass
    def note_loss(self, *a, **k): pass
    def notify(self): pass
    def ingest(self, batch): pass
    def status(self, device, text, **k): self.statuses.append(text)


def test_reconnects_stay_with_the_first_device_of_a_shared_name():
    async def main():
        radio = SoftwareRadio()
        twins = [SoftwareWearable(radio, "HE-Twin", generated_motion(50, 120, seed=i), 50, "reference", speed=10,
                                  advertising_interval_ms=152.5, faults=Faults(disconnect_every_s=3, seed=i))
                 for i in range(2)]
        starts = {i: 0 for i in range(2)}
        for i, w in enumerate(twins):
            w.twin.on_control = (lambda i, answer: lambda value: (
                starts.__setitem__(i, starts[i] + (bytes(value) != ref.control_stop())) or answer(value)))(
                    i, w.twin.on_control)
        tasks = [asyncio.create_task(w.run(600)) for w in twins]
        transport = BleakTransport("HE-Twin", ref.SERVICE_UUID, scan_timeout=5,
                                   adapter=SoftwareAdapter(radio.new_device("host")))
        session = DeviceSession("HE-Twin", transport, ReferenceProtocol(), backoff_s=0.05, max_attempts=3)
        runtime = Tally()
        run = asyncio.create_task(session.run(runtime))
        try:
            for _ in range(600):
                if session.connects >= 5:
                    break
                await asyncio.sleep(0.05)
        finally:
            for t in (run, *tasks):
                t.cancel()
            await asyncio.gather(run, *tasks, return_exceptions=True)
        return session, starts, runtime

    session, starts, runtime = asyncio.run(main())
    assert session.connects >= 5
    assert sorted(starts.values())[0] == 0, f"the host started both devices named HE-Twin: {starts}"
    assert not any("clock restarted" in s for s in runtime.statuses)
