"""The small interfaces backends implement: each backend satisfies its protocol, and the abstract
bases refuse an incomplete backend instead of failing later on the wrist."""
import pytest

from harnet_edge.firmware_bridge.protocols import PROTOCOLS, DeviceProtocol
from harnet_edge.firmware_bridge.transport import Transport
from harnet_edge.runtime.engines import Engine
from harnet_edge.runtime.sinks import CsvSink, JsonlSink, Sink, TerminalSink
from harnet_edge.runtime.sources import ReplaySource, Source


def test_every_registered_device_protocol_meets_the_contract():
    for cls in PROTOCOLS.values():
        assert isinstance(cls(), DeviceProtocol), cls


def test_incomplete_backends_cannot_be_made():
    class HalfTransport(Transport):
        async def connect(self): ...

    class NoInfer(Engine):
        pass

    class Mute(Sink):
        pass

    for cls in (HalfTransport, NoInfer, Mute):
        with pytest.raises(TypeError, match="abstract"):
            cls("model.onnx") if cls is NoInfer else cls()


def test_transports_share_no_mutable_state():
    from harnet_edge.firmware_bridge.bleak_transport import BleakTransport

    a, b = BleakTransport("A"), BleakTransport("B")
    assert isinstance(Transport.services, frozenset)
    a.on_disconnect(lambda: None)
    assert b._disconnect_callback is None


def test_sources_and_sinks_meet_their_protocols(tmp_path):
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("time,x,y,z\n" + "".join(f"{i / 30},0,0,1\n" for i in range(90)))
    assert isinstance(ReplaySource(csv_path), Source)
    for sink in (JsonlSink(tmp_path / "a.jsonl"), CsvSink(tmp_path / "a.csv", ["walk"]), TerminalSink()):
        assert isinstance(sink, Sink)
