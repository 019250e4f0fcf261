"""Live plausibility: a device whose timestamps give a rate HARNet cannot use is refused with one
status line and bounded work, and taken back when its rate becomes usable."""
import numpy as np
import pytest

from harnet_edge.runtime import ModelFileError
from harnet_edge.runtime.pipeline import StreamRuntime
from harnet_edge.runtime.resampler import Resampler30Hz
from harnet_edge.runtime.samples import SampleBatch
from tests.conftest import CLASSES


class CountingEngine:
    class info:
        classes = CLASSES
        window_samples = 300
        window_seconds = 10.0

        @staticmethod
        def check_stream(*args):
            pass

    def __init__(self):
        self.windows = 0

    def run(self, x):
        self.windows += len(x)
        return np.full((len(x), len(CLASSES)), 1 / len(CLASSES))


class StatusSink:
    def __init__(self):
        self.lines = []

    def status(self, text):
        self.lines.append(text)

    def emit(self, result):
        pass


def feed(runtime, t, burst=25):
    xyz = np.tile([0.0, -0.7, -0.7], (len(t), 1))
    for a in range(0, len(t), burst):
        runtime.ingest(SampleBatch("band", t[a:a + burst], xyz[a:a + burst]))
        runtime.step()


@pytest.mark.parametrize("unit,scale,hint", [("ms", 1e3, "as milliseconds they would be 50 Hz"),
                                             ("us", 1e6, "as microseconds they would be 50 Hz"),
                                             ("1 Hz", 50.0, "1 Hz if they are seconds")])
def test_implausible_rate_is_refused_in_one_status_line(unit, scale, hint):
    engine, sink = CountingEngine(), StatusSink()
    runtime = StreamRuntime(engine, [sink])
    feed(runtime, 1.7e9 * scale + np.arange(6000) / 50.0 * scale)      # 2 minutes of a 50 Hz band
    summary = runtime.summary()
    assert engine.windows == 0 and summary["windows"] == 0
    assert summary["dropped_implausible_rate"] >= 5990
    [line] = [s for s in sink.lines if "not classified" in s]
    assert hint in line and line.startswith("band: ") and "\n" not in line
    assert hint in summary["refused"]["band"]


def test_refused_stream_does_no_resampling_work():
    """Epoch microseconds once made 600,000 interpolated samples per real one (21.8 GB in 120 s)."""
    r = Resampler30Hz()
    outputs = [r.push(1.7e15 + np.arange(a, a + 50) * 20_000.0, np.zeros((50, 3))) for a in range(0, 500, 50)]
    assert sum(len(o.t) for o in outputs) == 0 and r.refusal


def test_device_is_taken_back_when_its_rate_becomes_usable():
    engine, sink = CountingEngine(), StatusSink()
    runtime = StreamRuntime(engine, [sink])
    feed(runtime, np.arange(300) * 1.0)                   # 1 Hz for five minutes
    feed(runtime, 400 + np.arange(50 * 60) / 50.0)        # then a minute at 50 Hz
    assert engine.windows >= 4 and runtime.devices["band"].refusal is None


def test_output_size_is_checked_when_the_graph_does_not_declare_it(student_models, monkeypatch):
    from harnet_edge.runtime import open_engine

    engine = open_engine(student_models["onnx"])
    monkeypatch.setattr(engine, "_infer", lambda w: np.zeros((len(w), 9), np.float32))
    with pytest.raises(ModelFileError, match=r"s_fp32\.onnx: the model outputs \(9,\) values per window but its "
                                             r"metadata names 5 classes"):
        engine.run(np.zeros((2, 3, 300), np.float32))
