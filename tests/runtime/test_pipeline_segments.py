"""A device clock that restarts (reboot) mid-stream: a new segment, in stream order, losing nothing."""
import numpy as np

from harnet_edge.runtime.pipeline import DevicePipeline
from harnet_edge.runtime.samples import SampleBatch


def walking(t: np.ndarray) -> np.ndarray:
    return np.stack([0.4 * np.sin(2 * np.pi * 1.8 * t), 0.1 + 0 * t, -0.95 + 0.2 * np.sin(2 * np.pi * 3.6 * t)], 1)


def test_clock_restart_starts_a_new_segment_even_with_samples_still_unprocessed():
    pipeline = DevicePipeline("dev", nominal_rate_hz=50, raw_seconds=40)
    before = 1200 + np.arange(0, 25, 0.02)          # 20 min of uptime, 25 s of streaming
    after = 3 + np.arange(0, 25, 0.02)              # rebooted: device time back near zero
    windows = []
    for t in np.array_split(before, 10):
        pipeline.ingest(SampleBatch("dev", t, walking(t)))
    windows += pipeline.process()
    pipeline.ingest(SampleBatch("dev", before[-1] + 0.02 + np.arange(5) * 0.02, walking(np.arange(5) * 0.02)))
    pipeline.mark_gap(clock_restarted=True)         # marked while 5 old samples wait unprocessed
    for t in np.array_split(after, 10):
        pipeline.ingest(SampleBatch("dev", t, walking(t)))
    windows += pipeline.process()
    assert pipeline.resampler.counters["dropped_backwards"] == 0 and pipeline.clock_resets == 1
    assert pipeline.read_index == pipeline.raw.total == len(before) + 5 + len(after)
    new = [w for w in windows if w.start < 1000]
    assert [w.start > 1000 for w in windows] == [True, True, False, False]
    assert new[0].end <= after[0] + 10.0 + 0.1 and "after_gap" in new[0].flags


def test_a_loss_hole_across_a_window_boundary_flags_both_windows():
    pipeline = DevicePipeline("dev", nominal_rate_hz=50, raw_seconds=40, max_gap_s=1.5)
    t = np.arange(0, 30, 0.02)
    hole = (t > 9.5) & (t < 10.3)                   # a lost 0.8 s frame, bridged (shorter than max_gap_s)
    pipeline.ingest(SampleBatch("dev", t[~hole], walking(t[~hole])))
    pipeline.losses.append((9.5, 10.3, 1))          # what note_loss records for a known hole
    pipeline.end_of_stream()                        # flush what the anti-aliasing filter still holds
    windows = pipeline.process()
    assert [round(w.end, 2) for w in windows] == [10.0, 20.0, 30.0]       # 10 s windows from the first sample
    assert ["packets_lost:1" in w.flags for w in windows] == [True, True, False]
    assert pipeline.resampler.counters["gaps"] == 0


def test_a_loss_noted_just_after_a_clock_restart_flags_its_window_in_the_new_segment():
    """The source notes a loss (and the restart before it) as frames arrive, before the pipeline has
    processed the old segment: that loss belongs to the new segment and must still flag its window."""
    from harnet_edge.runtime import open_engine
    from harnet_edge.runtime.defaults import default_model
    from harnet_edge.runtime.pipeline import StreamRuntime

    runtime = StreamRuntime(open_engine(default_model()), [])
    runtime.add_device("dev", 50, max_gap_s=1.5)
    before = 1200 + np.arange(0, 22, 0.02)          # 22 s of streaming after 20 min of uptime
    for t in np.array_split(before[:1000], 4):
        runtime.ingest(SampleBatch("dev", t, walking(t)))
        runtime.step()
    runtime.ingest(SampleBatch("dev", before[1000:], walking(before[1000:])))
    runtime.status("dev", "device clock restarted (reboot?): new segment", clock_reset=True)
    after = 3 + np.arange(0, 12, 0.02)              # rebooted; a 0.7 s frame lost 4 s in
    runtime.ingest(SampleBatch("dev", after[after <= 7.0], walking(after[after <= 7.0])))
    runtime.note_loss("dev", 7.7, 1, 7.0)
    runtime.ingest(SampleBatch("dev", after[after >= 7.7], walking(after[after >= 7.7])))
    results = runtime.step()
    assert runtime.devices["dev"].samples_overwritten == 0
    new = [r for r in results if r.start < 1000]
    assert len(new) == 1 and new[0].start <= 7.0 < new[0].end
    assert "packets_lost:1" in new[0].flags and runtime.summary()["packets_lost"] == 1
