"""Cuts the 30 Hz stream of one device into model windows (default 10 s, hop 10 s)."""
from __future__ import annotations

import numpy as np

from ..data.recording import units_problem
from .ring_buffer import RingBuffer
from .samples import Window

# Quality of a window in g: HARNet was trained on gravity-included g, so m/s^2 sent as g or data with
# gravity removed are flagged by the same test the offline readers apply (data.recording.units_problem).
UNIT_FLAGS = {"m/s^2": "units_look_like_m/s^2", "gravity_missing": "gravity_missing"}
OUT_OF_RANGE_G = 16.0
GRAVITY_BLOCK = 60          # 2 s at 30 Hz


def quality_flags(x: np.ndarray) -> list[str]:
    """x: (T, 3). Flags that make the window's label untrustworthy."""
    problem = units_problem(x, GRAVITY_BLOCK)
    flags = [UNIT_FLAGS[problem[0]]] if problem else []
    if np.abs(x).max() > OUT_OF_RANGE_G:
        flags.append("out_of_range")
    return flags


class Windower:
    def __init__(self, device: str, window_samples: int = 300, hop_samples: int | None = None):
        self.device = device
        self.window = window_samples
        self.hop = hop_samples or window_samples
        self.buffer = RingBuffer(self.window + self.hop)
        self.since_reset = 0          # samples since the stream (re)started after a gap
        self.since_emit = 0
        self.dropped_partial = 0      # samples discarded because a gap cut their window short
        self.pending_flags: set[str] = set()

    def gap(self) -> None:
        """A hole in the data: the partial window is discarded, never stitched to what follows."""
        partial = self.since_reset if self.since_reset < self.window else self.since_emit
        self.dropped_partial += partial
        self.since_reset = self.since_emit = 0
        self.pending_flags.add("after_gap")

    def push(self, t: np.ndarray, x: np.ndarray, arrival: np.ndarray) -> list[Window]:
        windows = []
        for a in range(0, len(t), self.hop):   # chunks no longer than one hop keep emission exact
            tt, xx, aa = t[a:a + self.hop], x[a:a + self.hop], arrival[a:a + self.hop]
            need = self.hop - self.since_emit if self.since_reset >= self.window else self.window - self.since_reset
            if len(tt) >= need > 0:
                head, tail = slice(0, need), slice(need, None)
                self._append(tt[head], xx[head], aa[head])
                windows.append(self._emit())
                if len(tt) > need:
                    self._append(tt[tail], xx[tail], aa[tail])
            else:
                self._append(tt, xx, aa)
        return windows

    def _append(self, t, x, arrival) -> None:
        if len(t):
            self.buffer.extend(t, x)
            self._last_arrival = float(arrival[-1])
            self.since_reset += len(t)
            self.since_emit += len(t)

    def _emit(self) -> Window:
        t, x = self.buffer.latest(self.window)
        self.since_emit = 0
        flags = sorted(self.pending_flags) + quality_flags(x)
        self.pending_flags.clear()
        return Window(self.device, float(t[0]), float(t[-1]) + 1 / 30, np.ascontiguousarray(x.T),
                      self._last_arrival, flags)
