"""Live resampling of one device's stream to exactly 30 Hz, causally, with gap detection.

Device timestamps are the truth (the wearable's clock, jittered, maybe drifting against the host):
samples are low-pass filtered causally with the anti-aliasing FIR the offline path uses
(``harnet_edge.data.antialias``: >= 40 dB down from 14.5 Hz, flat below 10 Hz) designed for the
measured input rate; the filter's group delay (about 0.33 s at any rate) is taken off their
timestamps, so a sample reaches its window that much later than it arrived. The filtered
series is linearly interpolated at every 1/30 s grid point it already covers. A hole longer than
``max_gap_s`` ends the current stretch: the filter restarts and the grid starts again after the
hole, so nothing downstream is ever interpolated across missing data.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data.antialias import TARGET_HZ, antialias_taps
from ..data.plausibility import rate_problem


def causal_lowpass(rate_hz: float, target_hz: float = TARGET_HZ) -> np.ndarray:
    """The shared anti-aliasing taps, applied causally here (the delay is compensated in time)."""
    return antialias_taps(rate_hz, target_hz)


# Re-design the filter when the measured rate moves this much: the stop band (14.5 Hz by design)
# must stay below 15 Hz, and taps are cheap to compute.
REDESIGN_FRACTION = 0.02


@dataclass
class ResamplerOutput:
    t: np.ndarray
    x: np.ndarray
    arrival: np.ndarray
    gaps: list[tuple[float, float]] = field(default_factory=list)


class Resampler30Hz:
    def __init__(self, nominal_rate_hz: float | None = None, max_gap_s: float | None = None,
                 target_hz: float = TARGET_HZ):
        self.target_hz = target_hz
        self.step = 1.0 / target_hz
        self.rate_hz = nominal_rate_hz
        self.fixed_gap = max_gap_s
        self.taps = causal_lowpass(nominal_rate_hz) if nominal_rate_hz else None
        self.design_rate = nominal_rate_hz or 0.0
        self.recent_dt: list[float] = []
        self.counters = {"dropped_backwards": 0, "dropped_non_finite": 0, "gaps": 0, "gap_seconds": 0.0,
                         "dropped_implausible_rate": 0}
        self.refusal: str | None = None     # why the measured rate cannot be used, while it cannot
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.restart()
        self.last_t = -np.inf

    def restart(self) -> None:
        self.history = np.zeros((0, 3), np.float64)      # last len(taps)-1 raw samples
        self.prev_point: tuple[float, np.ndarray, float] | None = None   # last filtered (t, x, arrival)
        self.next_grid: float | None = None

    def new_segment(self) -> None:
        """The device clock restarted (reboot): what follows may be stamped earlier than what came before."""
        self.restart()
        self.last_t = -np.inf

    def flush(self, arrival: float = 0.0) -> ResamplerOutput:
        """End of stream: hold the last value through the filter (the offline path pads its edge the
        same way), so the grid reaches the last real sample instead of stopping a filter delay short."""
        empty = ResamplerOutput(np.zeros(0), np.zeros((0, 3), np.float32), np.zeros(0))
        if self.prev_point is None or self.taps is None or len(self.taps) == 1 or not len(self.history):
            return empty
        n = (len(self.taps) - 1) // 2 + 1
        t_pad = self.last_t + np.arange(1, n + 1) / self.rate_hz
        out_t, out_x, out_arr = [], [], []
        self._filter_segment(t_pad, np.repeat(self.history[-1:], n, axis=0), arrival, out_t, out_x, out_arr)
        self.restart()
        if not out_t:
            return empty
        t, x, arr = np.concatenate(out_t), np.concatenate(out_x), np.concatenate(out_arr)
        real = t <= self.last_t + 1e-9
        return ResamplerOutput(t[real], x[real].astype(np.float32), arr[real])

    @property
    def max_gap_s(self) -> float:
        if self.fixed_gap is not None:
            return self.fixed_gap
        # Several missed samples, but never less than a quarter second (BLE connection-event jitter).
        return max(0.25, 5.0 / self.rate_hz) if self.rate_hz else 0.5

    def _update_rate(self, t: np.ndarray) -> None:
        self.recent_dt = (self.recent_dt + np.diff(t).tolist())[-256:]
        dt = np.asarray(self.recent_dt)
        dt = dt[(dt > 0) & (dt < 3 * np.median(dt[dt > 0]))] if (dt > 0).any() else dt[:0]
        if len(dt) < 4:
            return
        # Mean, not median: timestamp jitter cancels in the mean, while it biases a median of few values.
        rate = 1.0 / float(dt.mean())
        self.rate_hz = rate
        # A rate HARNet cannot use (1 Hz data, timestamps in ms or us): refuse until it changes,
        # rather than interpolate 30 Hz windows out of almost nothing (or out of memory).
        self.refusal = rate_problem(rate, float(dt.mean()), column_hint=False)
        if self.refusal:
            self.taps, self.design_rate = np.ones(1), rate
            return
        if self.taps is None or abs(rate - self.design_rate) / self.design_rate > REDESIGN_FRACTION:
            self.design_rate = rate
            self.taps = causal_lowpass(rate, self.target_hz)
            k = len(self.taps)
            if len(self.history):   # keep the filter's memory the length the new filter needs
                self.history = np.concatenate([np.repeat(self.history[:1], max(0, k - 1 - len(self.history)), 0),
                                               self.history])[-(k - 1):] if k > 1 else self.history[:0]

    def _clean(self, t: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        finite = np.isfinite(x).all(axis=1) & np.isfinite(t)
        self.counters["dropped_non_finite"] += int((~finite).sum())
        t, x = t[finite], x[finite]
        # Keep only samples later than everything seen before (timestamps going backwards are dropped).
        latest_before = np.maximum.accumulate(np.concatenate([[self.last_t], t[:-1]]))
        keep = t > latest_before
        self.counters["dropped_backwards"] += int((~keep).sum())
        return t[keep], x[keep]

    def push(self, t: np.ndarray, x: np.ndarray, arrival: float = 0.0) -> ResamplerOutput:
        t, x = self._clean(np.asarray(t, np.float64), np.asarray(x, np.float64))
        empty = ResamplerOutput(np.zeros(0), np.zeros((0, 3), np.float32), np.zeros(0))
        if len(t) == 0:
            return empty
        processed_before = self.prev_point is not None
        if self.taps is None:   # rate unknown: hold the first few samples to measure it
            self._pending.append((t, x))
            self.last_t = t[-1]
            t = np.concatenate([p[0] for p in self._pending])
            if len(t) < 5:
                return empty
            x = np.concatenate([p[1] for p in self._pending])
            self._pending = []
            self._update_rate(t)
            if self.taps is None:      # not measurable yet (irregular start): keep waiting
                self._pending = [(t, x)]
                return empty
        else:
            self._update_rate(np.concatenate([[self.last_t], t]) if processed_before else t)
        if self.refusal:
            self.counters["dropped_implausible_rate"] += len(t)
            self.last_t = t[-1]
            self.restart()
            return empty
        prev_t = self.last_t if processed_before else -np.inf
        out_t, out_x, out_arr, gaps = [], [], [], []
        jumps = np.diff(np.concatenate([[prev_t], t])) > self.max_gap_s
        starts = np.flatnonzero(jumps)
        edges = [0, *[s for s in starts.tolist() if s > 0], len(t)]
        for a, b in zip(edges[:-1], edges[1:]):
            if jumps[a] and np.isfinite(prev_t if a == 0 else t[a - 1]):
                start = float(prev_t if a == 0 else t[a - 1])
                gaps.append((start, float(t[a])))
                self.counters["gaps"] += 1
                self.counters["gap_seconds"] += float(t[a]) - start
                self.restart()
            self._filter_segment(t[a:b], x[a:b], arrival, out_t, out_x, out_arr)
        self.last_t = t[-1]
        if not out_t:
            return ResamplerOutput(empty.t, empty.x, empty.arrival, gaps)
        return ResamplerOutput(np.concatenate(out_t), np.concatenate(out_x).astype(np.float32),
                               np.concatenate(out_arr), gaps)

    def _filter_segment(self, t, x, arrival, out_t, out_x, out_arr) -> None:
        k = len(self.taps)
        if len(self.history) == 0 and k > 1:
            # Start-up: pretend the first sample had been there all along (no ringing from zeros).
            self.history = np.repeat(x[:1], k - 1, axis=0)
        padded = np.concatenate([self.history, x]) if k > 1 else x
        filtered = np.stack([np.convolve(padded[:, a], self.taps, mode="valid") for a in range(3)], axis=1)
        self.history = padded[-(k - 1):] if k > 1 else self.history
        delay = (k - 1) / 2 / (self.rate_hz or self.target_hz)
        tf = t - delay
        if self.prev_point is not None:
            later = tf > self.prev_point[0]   # a re-designed filter may shift the delay a little
            tf, filtered = tf[later], filtered[later]
            if len(tf) == 0:
                return
            pt, px, _ = self.prev_point
            tf_all = np.concatenate([[pt], tf])
            xf_all = np.concatenate([px[None], filtered])
        else:
            tf_all, xf_all = tf, filtered
            # The grid starts at the first real sample, not at its delayed filter output: earlier
            # points would be made of start-up padding (and, after a gap, would fall inside the hole).
            self.next_grid = float(t[0])
        self.prev_point = (tf[-1], filtered[-1], arrival)
        if self.next_grid is None or self.next_grid > tf_all[-1]:
            return
        n = int(np.floor((tf_all[-1] - self.next_grid) / self.step + 1e-9)) + 1
        grid = self.next_grid + np.arange(n) * self.step
        self.next_grid = grid[-1] + self.step
        out_t.append(grid)
        out_x.append(np.stack([np.interp(grid, tf_all, xf_all[:, a]) for a in range(3)], axis=1))
        out_arr.append(np.full(n, arrival))
