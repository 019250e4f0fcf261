"""A months-long service (issue 14): statistics in fixed memory, ring-buffer overwrites reported, and
the model call off the event loop so notifications keep flowing while a slow model runs."""
import asyncio
import time

import numpy as np

from harnet_edge.runtime.model_info import ModelInfo
from harnet_edge.runtime.pipeline import StreamRuntime
from harnet_edge.runtime.samples import SampleBatch
from harnet_edge.runtime.sources import run_sources
from harnet_edge.runtime.stats import RecentEvents, Reservoir

CLASSES = ["walk", "sit"]


class FakeEngine:
    """Stands in for onnxruntime where the test is about timing: ``seconds`` per call, releasing the GIL
    as a native runtime does."""

    def __init__(self, seconds: float = 0.0):
        self.seconds, self.calls = seconds, []
        self.info = ModelInfo(tuple(CLASSES), 30.0, 300, "NCT", "g")

    def run(self, windows):
        start = time.monotonic()
        time.sleep(self.seconds)
        self.calls.append((start, time.monotonic()))
        return np.tile([0.7, 0.3], (len(windows), 1))


class StatusLog:
    def __init__(self):
        self.lines = []

    def emit(self, result):
        pass

    def status(self, text):
        self.lines.append(text)

    def close(self):
        pass


def walking(seconds, rate=50.0, start=0.0):
    t = start + np.arange(int(seconds * rate)) / rate
    xyz = np.zeros((len(t), 3), np.float32)
    xyz[:, 0] = 0.4 * np.sin(2 * np.pi * 1.8 * t)
    xyz[:, 2] = -0.95
    return t, xyz


def test_reservoir_is_bounded_and_its_percentiles_are_close():
    rng = np.random.default_rng(1)
    values = rng.exponential(20.0, 200_000)
    r = Reservoir(size=4096)
    for v in values:
        r.add(float(v))
    assert len(r.values) == 4096 and r.count == 200_000 and r.maximum == values.max()
    for q in (50, 90, 99):
        true = np.percentile(values, q)
        rank = (values < r.percentile(q)).mean() * 100            # where the estimate falls among all values
        assert abs(rank - q) < {50: 2.5, 90: 1.5, 99: 0.5}[q], (q, true, r.percentile(q))


def test_recent_events_keep_exact_totals_and_a_bounded_tail():
    events = RecentEvents(keep=10)
    for i in range(1000):
        events.add((i, i + 2), 2.0)
    assert events.count == 1000 and events.total == 2000.0 and list(events.recent)[0] == (990, 992)


def test_runtime_statistics_do_not_grow_with_the_run():
    runtime = StreamRuntime(FakeEngine(), [])
    for hour in range(3):               # 3 h of one device with a gap every 10 min
        for k in range(6):
            start = hour * 3600 + k * 600
            t, xyz = walking(580, start=start)
            for a in range(0, len(t), 500):
                runtime.ingest(SampleBatch("d", t[a:a + 500], xyz[a:a + 500]))
                runtime.note_loss("d", float(t[a]), 1)
                runtime.step()
    pipeline = runtime.devices["d"]
    summary = runtime.summary()
    assert summary["windows"] > 900 and summary["latency_ms"]["count"] == summary["windows"]
    assert len(runtime.latencies.values) == 4096                 # fixed, whatever the run length
    assert summary["gaps"] == 17 and len(pipeline.gaps.recent) <= 100
    assert summary["gap_seconds"] > 17 * 19
    assert summary["packets_lost"] == 3 * 6 * 58 and len(pipeline.losses) <= 1000


def test_ring_buffer_overwrites_are_reported_in_status_and_summary():
    log = StatusLog()
    runtime = StreamRuntime(FakeEngine(), [log])
    t, xyz = walking(60)
    for a in range(0, len(t), 25):                  # 60 s of samples arrive while nothing is processed
        runtime.ingest(SampleBatch("d", t[a:a + 25], xyz[a:a + 25]))
    runtime.step()
    capacity = runtime.devices["d"].raw.capacity
    assert runtime.summary()["samples_overwritten"] == len(t) - capacity
    assert any("ring buffer overwrote" in line and str(len(t) - capacity) in line for line in log.lines)
    runtime.step()
    assert sum("ring buffer overwrote" in line for line in log.lines) == 1     # reported once, not per step


class PacedSource:
    """Delivers a 0.1 s burst every 20 ms of wall time and records when each was handled."""

    def __init__(self, done, seconds=10.0):
        self.done, self.seconds, self.handled = done, seconds, []

    async def run(self, runtime):
        t, xyz = walking(30)
        step = 5
        for a in range(0, len(t), step):
            runtime.ingest(SampleBatch("d", t[a:a + step], xyz[a:a + step]))
            self.handled.append(time.monotonic())
            runtime.notify()
            await asyncio.sleep(0.02)
            if self.done() or self.handled[-1] - self.handled[0] > self.seconds:
                break


def test_notifications_keep_flowing_while_a_slow_model_runs():
    engine = FakeEngine(seconds=0.8)           # HARNet10 on a slow board, exaggerated
    runtime = StreamRuntime(engine, [], hop_seconds=1.0)
    source = PacedSource(done=lambda: bool(engine.calls) and time.monotonic() > engine.calls[0][1] + 0.2)
    asyncio.run(run_sources(runtime, [source]))
    assert engine.calls, "the model was never called"
    start, end = engine.calls[0]
    during = [h for h in source.handled if start < h < end]
    assert len(during) >= 10, f"only {len(during)} notifications handled during a {end - start:.1f} s model call"
    assert max(np.diff(source.handled)) < 0.4            # never held up by a model call
