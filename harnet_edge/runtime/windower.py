"""Cuts the 30 Hz stream of one device into model windows (default 10 s, hop 10 s)."""
from __future__ import annotations

import numpy as np

from ..data.recording import GRAVITY_MISSING_G, MS2_MEDIAN_NORM, gravity_g
from .ring_buffer import RingBuffer
from .samples import Window

# Quality thresholds on a window in g. HARNet was trained on gravity-included g: a median magnitude
# near 9.8 means m/s^2 was sent as g; a mean vector far below 1 g means gravity was removed (see
# gravity_g: the median magnitude missed it whenever the wearer moved).
OUT_OF_RANGE_G = 16.0
GRAVITY_BLOCK = 60          # 2 s at 30 Hz


def quality_flags(x: np.ndarray) -> list[str]:
    """x: (T, 3). Flags that make the window's label untrustworthy."""
    flags = []
    if float(np.median(np.linalg.norm(x, axis=1))) > MS2_MEDIAN_NORM:
        flags.append("units_look_like_m/s^2")
    elif gravity_g(x, GRAVITY_BLOCK) < GRAVITY_MISSING_G:
        flags.append("gravity_missing")
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
