"""One device's chain (ring buffer -> 30 Hz resampler -> windower) and the multi-device runtime
that batches ready windows from all devices into one inference call."""
from __future__ import annotations

import time
from collections import Counter

import numpy as np

from .engines import Engine
from .resampler import Resampler30Hz, ResamplerOutput
from .ring_buffer import RingBuffer
from .samples import Classification, SampleBatch, Window
from .samples import new_run_id
from .sinks import Sink
from .smoothing import make_smoother
from .stats import RecentEvents, Reservoir

# Windows with these flags are not classified: the label would be garbage, so it is withheld.
UNCLASSIFIABLE = {"units_look_like_m/s^2", "gravity_missing", "out_of_range"}


class DevicePipeline:
    def __init__(self, device: str, window_samples: int = 300, hop_samples: int | None = None,
                 nominal_rate_hz: float | None = None, raw_seconds: float = 4.0, max_gap_s: float | None = None):
        from .windower import Windower

        self.device = device
        # Room for raw_seconds at up to 200 Hz between two processing steps (which run every tick):
        # bursts land in O(1) from the radio callback, and 1000 devices stay within ~25 MB.
        self.raw = RingBuffer(int(raw_seconds * 200))
        self.read_index = 0
        self.resampler = Resampler30Hz(nominal_rate_hz, max_gap_s)
        self.windower = Windower(device, window_samples, hop_samples)
        self.last_grid_t: float | None = None
        self.overwritten_now = 0          # in the latest process() call
        self.samples_overwritten = 0      # lost unread to the ring buffer: inference fell behind
        self.gaps = RecentEvents(keep=100)   # (start, end) device times; count and seconds are exact
        self.losses: list[tuple[float, float, int]] = []   # (hole start, hole end, packets lost in it)
        # (raw sample index, device clock restarted, losses noted after the mark) to cut at
        self.breaks: list[tuple[int, bool, list]] = []
        self.clock_resets = 0
        self.packets_lost = 0
        self.ending = False
        self.refusal: str | None = None    # the rate cannot be used (see Resampler30Hz)
        self.notices: list[str] = []       # one-line status messages for the sinks

    def ingest(self, batch: SampleBatch) -> None:
        self.raw.extend(batch.t, batch.xyz, batch.arrival)

    @property
    def unread(self) -> int:
        """Samples waiting for ``process``; a source that can wait (a file) keeps this below capacity."""
        return self.raw.total - self.read_index

    def mark_gap(self, clock_restarted: bool = False) -> None:
        """The source knows of a hole before the next sample it ingests (disconnect, dropped packets,
        or a device clock that restarted): never stitch across it. Applied in stream order, so
        samples that arrived before the mark are still processed as they were."""
        self.breaks.append((self.raw.total, clock_restarted, []))
        self.clock_resets += clock_restarted

    def end_of_stream(self) -> None:
        """The source has no more samples (a replayed file ended): flush them through on the next step."""
        self.ending = True

    def note_loss(self, hole_start: float, hole_end: float, packets: int) -> None:
        """Packets lost in this hole of device time; a loss noted after a pending mark belongs after
        the cut (after a clock restart its times may even be earlier than the old segment's)."""
        held = self.breaks[-1][2] if self.breaks else self.losses
        held.append((hole_start, hole_end, packets))
        del held[:-1000]                  # bounded even if no window ever closes
        self.packets_lost += packets

    def process(self) -> list[Window]:
        windows = []
        self.overwritten_now = 0
        while self.breaks and self.breaks[0][0] <= self.raw.total:
            at, clock_restarted, later_losses = self.breaks.pop(0)
            windows += self._process_until(at)
            self.windower.gap()
            if clock_restarted:          # a new segment: device time starts again, maybe earlier
                self.resampler.new_segment()
                self.last_grid_t = None
                self.losses.clear()
            else:
                self.resampler.restart()
            self.losses += later_losses
        final, self.ending = self.ending, False
        return windows + self._process_until(self.raw.total, final)

    def _process_until(self, stop: int, final: bool = False) -> list[Window]:
        t, x, arrival, end = self.raw.since(self.read_index)
        keep = max(0, len(t) - (end - stop))          # samples before ``stop`` only
        t, x, arrival, end = t[:keep], x[:keep], arrival[:keep], min(end, stop)
        overwritten = max(0, (end - self.read_index) - len(t))
        self.overwritten_now += overwritten
        self.samples_overwritten += overwritten
        self.read_index = max(self.read_index, end)
        if len(t) == 0:
            if not final:
                return []
            t, x, arrival = t[:0], x[:0], np.zeros(1)
        out = self.resampler.push(t, x, float(arrival[-1]))
        if self.resampler.refusal != self.refusal:
            self.refusal = self.resampler.refusal
            if self.refusal:
                self.notices.append(f"samples not classified: {self.refusal}")
        if final:           # the source has ended: what the filter still holds completes the stream
            tail = self.resampler.flush(float(arrival[-1]))
            out = ResamplerOutput(np.concatenate([out.t, tail.t]), np.concatenate([out.x, tail.x]),
                                  np.concatenate([out.arrival, tail.arrival]), out.gaps)
        for a, b in out.gaps:
            self.gaps.add((a, b), b - a)
        if len(out.t) == 0:
            return []
        previous = np.concatenate([[self.last_grid_t if self.last_grid_t is not None else out.t[0] - 1 / 30], out.t])
        breaks = np.flatnonzero(np.diff(previous) > 1.5 / 30)
        windows, start = [], 0
        for b in [*breaks.tolist(), len(out.t)]:
            if b > start:
                windows += self.windower.push(out.t[start:b], out.x[start:b], out.arrival[start:b])
            if b < len(out.t):
                self.windower.gap()
            start = b
        self.last_grid_t = float(out.t[-1])
        for w in windows:
            lost = sum(n for start, end, n in self.losses if start < w.end and w.start <= end)
            if lost:
                w.flags.append(f"packets_lost:{lost}")
        if windows:
            self.losses = [hole for hole in self.losses if hole[1] >= windows[-1].end - 60]
        return windows


class StreamRuntime:
    def __init__(self, engine: Engine, sinks: list[Sink], hop_seconds: float | None = None,
                 smoothing: str = "none", max_batch: int = 256):
        engine.info.check_stream(30.0, "g")
        self.engine = engine
        self.classes = list(engine.info.classes)
        self.window = engine.info.window_samples
        self.hop = int(round((hop_seconds or engine.info.window_seconds) * 30))
        self.smoothing = smoothing
        self.sinks = sinks
        self.max_batch = max_batch
        self.devices: dict[str, DevicePipeline] = {}
        self.smoothers: dict[str, object] = {}
        self.latencies = Reservoir()
        self.run_id = new_run_id()
        self.overwrite_reported_at: dict[str, float] = {}
        self.labels: Counter = Counter()
        self.windows_done = 0
        self.withheld = 0
        self.reconnects = Counter()
        self.refused: dict[str, str] = {}     # device -> why its samples were not classified
        self.truth: dict[str, object] = {}          # device -> (start, end) -> true label
        self.truth_windows = self.truth_correct = 0
        self.on_device_windows = self.on_device_labels_lost = 0
        self.started = time.monotonic()
        self.notify = lambda: None   # set by the source loop to wake the classifier

    def add_device(self, device: str, nominal_rate_hz: float | None = None,
                   max_gap_s: float | None = None) -> DevicePipeline:
        """``max_gap_s``: holes in device time up to this long are bridged instead of cutting the
        window (a source that counts its lost packets gets those windows flagged); default: the
        resampler's own threshold."""
        if device not in self.devices:
            self.devices[device] = DevicePipeline(device, self.window, self.hop, nominal_rate_hz,
                                                  max_gap_s=max_gap_s)
            self.smoothers[device] = make_smoother(self.smoothing, len(self.classes))
        return self.devices[device]

    def set_truth(self, device: str, truth) -> None:
        """``truth(start_s, end_s)`` gives the true label of a window (None or "mixed" if unknown)."""
        self.truth[device] = truth

    def ingest(self, batch: SampleBatch) -> None:
        (self.devices.get(batch.device) or self.add_device(batch.device)).ingest(batch)

    def note_loss(self, device: str, device_time: float, packets: int, hole_start: float | None = None) -> None:
        """Packets known lost just before ``device_time`` (in the hole from ``hole_start``, where the
        source knows it): every window overlapping that moment or hole is flagged."""
        pipeline = self.devices.get(device) or self.add_device(device)
        pipeline.note_loss(device_time if hole_start is None else hole_start, device_time, packets)

    def status(self, device: str, text: str, gap: bool = False, reconnect: bool = False,
               clock_reset: bool = False) -> None:
        if (gap or clock_reset) and device in self.devices:
            self.devices[device].mark_gap(clock_restarted=clock_reset)
        if reconnect:
            self.reconnects[device] += 1
        for sink in self.sinks:
            sink.status(f"{device}: {text}")

    def on_device_label(self, device: str, decoded) -> Classification:
        """A label the wearable computed itself (``firmware_bridge.on_device.DecodedLabel``): it joins
        the stream after the engine stage and leaves through the same sinks, marked as on-device."""
        probabilities = {decoded.label: decoded.confidence} if decoded.label is not None else {}
        result = Classification(device, decoded.start, decoded.end, decoded.label, probabilities, None,
                                list(decoded.flags), origin="on-device", run_id=self.run_id)
        if decoded.label is None:
            self.withheld += 1
        else:
            self.labels[decoded.label] += 1
        self.windows_done += 1
        self.on_device_windows += 1
        self.on_device_labels_lost += decoded.lost_before
        for sink in self.sinks:
            sink.emit(result)
        return result

    def step(self) -> list[Classification]:
        """Process every device's new samples; classify all ready windows in batches."""
        results = []
        for batch in self.collect():
            results += self.publish(batch, self.infer(batch))
        return results

    async def step_off_loop(self, executor) -> list[Classification]:
        """``step`` with the model call in ``executor``: the event loop keeps receiving notifications
        while a slow model (HARNet10 on a Pi) runs. Everything else stays on the loop's thread."""
        import asyncio

        results = []
        for batch in self.collect():
            probs = await asyncio.get_running_loop().run_in_executor(executor, self.infer, batch)
            results += self.publish(batch, probs)
        return results

    def collect(self) -> list[list[Window]]:
        """Every device's ready windows, in batches of at most ``max_batch``."""
        ready: list[Window] = []
        for pipeline in self.devices.values():
            ready += pipeline.process()
            while pipeline.notices:
                text = pipeline.notices.pop(0)
                self.refused[pipeline.device] = text
                self.status(pipeline.device, text)
            if pipeline.overwritten_now:
                self._report_overwrite(pipeline)
        return [ready[a:a + self.max_batch] for a in range(0, len(ready), self.max_batch)]

    def _report_overwrite(self, pipeline: DevicePipeline, every_s: float = 10.0) -> None:
        """A status line (at most one per device every ``every_s``): samples were lost unread."""
        now = time.monotonic()
        if now - self.overwrite_reported_at.get(pipeline.device, -every_s) >= every_s:
            self.overwrite_reported_at[pipeline.device] = now
            self.status(pipeline.device, f"ring buffer overwrote {pipeline.samples_overwritten} samples unread "
                                         "so far (classification is falling behind)")

    def infer(self, windows: list[Window]) -> np.ndarray:
        """Class probabilities of the windows that can be judged (pure model call: thread-safe to offload)."""
        runnable = [w.x for w in windows if not UNCLASSIFIABLE & set(w.flags)]
        return self.engine.run(np.stack(runnable)) if runnable else np.zeros((0, len(self.classes)))

    def _classify(self, windows: list[Window]) -> list[Classification]:
        return self.publish(windows, self.infer(windows))

    def publish(self, windows: list[Window], probs: np.ndarray) -> list[Classification]:
        """Smooth, count and emit results of ``infer(windows)`` (probs in the order of the runnable ones)."""
        runnable = [w for w in windows if not UNCLASSIFIABLE & set(w.flags)]
        done = time.monotonic()
        by_window = {id(w): p for w, p in zip(runnable, probs)}
        results = []
        for w in windows:
            p = by_window.get(id(w))
            latency = 1000 * (done - w.arrival_of_last_sample)
            if p is None:
                result = Classification(w.device, w.start, w.end, None, {}, latency, w.flags + ["not_classified"],
                                        run_id=self.run_id)
                self.withheld += 1
            else:
                smoother = self.smoothers.get(w.device)
                if smoother is not None and "after_gap" in w.flags:
                    smoother.reset()
                smoothed = self.classes[int(np.argmax(smoother.update(p)))] if smoother is not None else None
                result = Classification(w.device, w.start, w.end, self.classes[int(np.argmax(p))],
                                        dict(zip(self.classes, map(float, p))), latency, w.flags, smoothed,
                                        run_id=self.run_id)
                self.labels[result.smoothed_label or result.label] += 1
                self._score(result)
                self.latencies.add(latency)
            self.windows_done += 1
            for sink in self.sinks:
                sink.emit(result)
            results.append(result)
        return results

    def _score(self, result: Classification) -> None:
        truth = self.truth.get(result.device)
        result.true_label = truth(result.start, result.end) if truth else None
        if result.true_label not in (None, "mixed"):
            self.truth_windows += 1
            self.truth_correct += (result.smoothed_label or result.label) == result.true_label

    def summary(self) -> dict:
        dropped = {k: sum(p.resampler.counters[k] for p in self.devices.values())
                   for k in ("dropped_backwards", "dropped_non_finite", "dropped_implausible_rate")}
        pipelines = self.devices.values()
        return {"run": self.run_id, "devices": len(self.devices), "windows": self.windows_done,
                "withheld": self.withheld, "labels": dict(self.labels),
                "latency_ms": self.latencies.summary(),
                "gaps": sum(p.gaps.count for p in pipelines),
                "gap_seconds": round(sum(p.gaps.total for p in pipelines), 2),
                "samples_overwritten": sum(p.samples_overwritten for p in pipelines),
                "partial_window_samples_dropped": sum(p.windower.dropped_partial for p in self.devices.values()),
                "reconnects": sum(self.reconnects.values()),
                "packets_lost": sum(p.packets_lost for p in self.devices.values()),
                "clock_resets": sum(p.clock_resets for p in self.devices.values()), **dropped,
                "refused": dict(self.refused),
                **({"truth": {"windows": self.truth_windows, "correct": self.truth_correct}} if self.truth_windows else {}),
                "on_device_windows": self.on_device_windows, "on_device_labels_lost": self.on_device_labels_lost,
                "wall_seconds": round(time.monotonic() - self.started, 2)}
