"""Software wearable -> software central (real HCI/L2CAP/ATT/GATT via bumble) -> decoder -> runtime."""
import asyncio

import pytest

from harnet_edge.firmware_bridge.bumble_transport import BumbleTransport, SoftwareRadio
from harnet_edge.firmware_bridge.protocols import ReferenceProtocol
from harnet_edge.firmware_bridge.session import DeviceSession
from harnet_edge.firmware_bridge.sources import SimulatedFleet
from harnet_edge.firmware_bridge.transport import TransportError
from harnet_edge.firmware_bridge.wearable import Faults, SoftwareWearable, generated_motion
from harnet_edge.runtime import open_engine
from harnet_edge.runtime.pipeline import StreamRuntime
from harnet_edge.runtime.sources import run_sources

pytestmark = pytest.mark.ble


class Collect:
    def __init__(self):
        self.records = []
        self.statuses = []

    def emit(self, result):
        self.records.append(result)

    def status(self, text):
        self.statuses.append(text)

    def close(self):
        pass


def run_fleet(model, fleet, seconds):
    sink = Collect()
    runtime = StreamRuntime(open_engine(model), [sink])

    async def main():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        return await run_sources(runtime, [fleet], stop)

    summary = asyncio.run(main())
    return summary, sink


def test_stream_with_packet_loss_and_forced_disconnects(student_models):
    """150 s of device time at 50 Hz played 10x fast, 5 % of packets dropped, a disconnect after
    every 25 s of streaming."""
    fleet = SimulatedFleet(1, "reference", speed=10, rate_hz=50,
                           faults=Faults(drop_probability=0.05, disconnect_every_s=25, seed=1), duration_s=150)
    summary, sink = run_fleet(student_models["onnx_int8"], fleet, seconds=30)
    wearable, session = fleet.wearables[0], fleet.sessions[0]
    assert wearable.dropped > 0 and wearable.disconnects >= 2
    assert session.connects >= 3 and summary["reconnects"] == session.connects - 1
    assert session.protocol.counters["lost"] >= wearable.dropped * 0.9      # losses seen by sequence numbers
    assert summary["gaps"] >= 2                                             # disconnect holes detected
    flags = [f for r in sink.records for f in r.flags]
    assert any(f.startswith("packets_lost") for f in flags) and "after_gap" in flags
    assert len(sink.records) >= 3 and all(r.label in (None, *open_engine(student_models["onnx"]).info.classes)
                                          for r in sink.records)
    assert any("reconnected" in s for s in sink.statuses)


def test_polar_pmd_over_the_software_stack(student_models):
    fleet = SimulatedFleet(1, "polar", speed=10, rate_hz=52, duration_s=60)
    summary, sink = run_fleet(student_models["onnx"], fleet, seconds=10)
    protocol = fleet.sessions[0].protocol
    assert protocol.counters["packets"] > 10 and protocol.counters["malformed"] == 0
    # settings read, start acknowledged (then, on exit, the answer to the session's stop may arrive too)
    assert [r.status for r in protocol.responses][:2] == [0, 0] and all(r.status == 0 for r in protocol.responses)
    assert protocol.choice.rate_hz == 52 and fleet.wearables[0].name.startswith("Polar Sense ")
    assert summary["windows"] >= 1


def test_connects_only_to_the_device_asked_for():
    async def main():
        radio = SoftwareRadio()
        wearables = [SoftwareWearable(radio, name, generated_motion(30, 60), 30) for name in ("HE-A", "HE-B")]
        tasks = [asyncio.create_task(w.run(20)) for w in wearables]
        got = []

        class Runtime:
            def add_device(self, *a, **k): pass
            def status(self, *a, **k): pass
            def note_loss(self, *a, **k): pass
            def notify(self): pass
            def ingest(self, batch): got.append(batch.device)

        session = DeviceSession("HE-B", BumbleTransport(radio.new_device("central"), "HE-B"), ReferenceProtocol())
        run = asyncio.create_task(session.run(Runtime()))
        await asyncio.wait_for(session.connected.wait(), 10)
        await asyncio.sleep(0.5)
        assert wearables[1].device.connections and not wearables[0].device.connections
        missing = BumbleTransport(radio.new_device("central2"), "HE-Z", scan_timeout=1.0)
        with pytest.raises(TransportError, match="HE-Z not found"):
            await missing.connect()
        for t in [run, *tasks]:
            t.cancel()
        await asyncio.gather(run, *tasks, return_exceptions=True)
        return got

    got = asyncio.run(main())
    assert got and set(got) == {"HE-B"}


def test_protocol_auto_detected_on_the_first_connection():
    async def main():
        radio = SoftwareRadio()
        wearable = SoftwareWearable(radio, "HE-P", generated_motion(52, 60), 52, profile="polar")
        task = asyncio.create_task(wearable.run(30))

        class Runtime:
            samples = 0
            def add_device(self, *a, **k): pass
            def status(self, *a, **k): pass
            def note_loss(self, *a, **k): pass
            def notify(self): pass
            def ingest(self, batch): Runtime.samples += len(batch.t)

        session = DeviceSession("HE-P", BumbleTransport(radio.new_device("central"), "HE-P"))
        run = asyncio.create_task(session.run(Runtime()))
        await asyncio.wait_for(session.connected.wait(), 10)
        for _ in range(50):        # the Polar decoder releases samples once two frames measured the interval
            if Runtime.samples:
                break
            await asyncio.sleep(0.1)
        for t in (run, task):
            t.cancel()
        await asyncio.gather(run, task, return_exceptions=True)
        return session, Runtime.samples

    session, samples = asyncio.run(main())
    assert session.protocol.name == "polar" and session.connects == 1 and samples > 0
