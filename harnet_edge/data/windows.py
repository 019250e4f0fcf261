"""Cutting recordings into model windows (5/10/30 s at 30 Hz) without stitching across gaps."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .plausibility import rate_problem
from .recording import DataError, Recording
from .resample import TARGET_RATE_HZ, resample_to_rate, resize_window


@dataclass
class WindowSet:
    """Windows ready for a model: ``x`` (N, 3, T) float32 in g at 30 Hz."""
    x: np.ndarray
    labels: np.ndarray          # (N,) str, "" when unlabelled
    subjects: np.ndarray        # (N,) str
    start_s: np.ndarray         # (N,) window start, seconds from the recording's origin
    recording: np.ndarray       # (N,) index into the recordings list
    stats: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, mask) -> "WindowSet":
        return WindowSet(self.x[mask], self.labels[mask], self.subjects[mask], self.start_s[mask],
                         self.recording[mask], dict(self.stats))

    def counts(self, by: str = "labels") -> dict[str, int]:
        keys, n = np.unique(getattr(self, by), return_counts=True)
        return {str(k): int(c) for k, c in zip(keys, n)}


def split_at_gaps(t: np.ndarray, max_gap_s: float) -> list[slice]:
    """Contiguous stretches: a new one starts wherever two samples are more than max_gap_s apart."""
    breaks = np.flatnonzero(np.diff(t) > max_gap_s) + 1
    edges = [0, *breaks.tolist(), len(t)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def window_recording(rec: Recording, window_s: float = 10.0, hop_s: float | None = None,
                     mode: str = "resample", max_gap_s: float | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Windows (n, 3, T) and their start times for one recording; also how many were dropped for gaps.

    ``mode="resample"``: anti-aliased resampling of each gap-free stretch to 30 Hz, then windows.
    ``mode="paper"``: windows of ``window_s`` at the native rate, each linearly resized to T samples
    (the HARNet evaluation scripts' way, to reproduce published numbers).
    """
    hop_s = window_s if hop_s is None else hop_s
    length = int(round(window_s * TARGET_RATE_HZ))
    if rec.duration_s <= 0:     # one row (a run of one labelled sample): no rate, no window; not an error
        return np.zeros((0, 3, length), np.float32), np.zeros(0), 0
    rate = rec.rate_hz
    problem = rate_problem(rate)
    if problem:     # before any window: a unit mistake or a rate HARNet cannot use
        raise DataError(f"{rec.source or rec.subject}: {problem}")
    max_gap_s = max_gap_s if max_gap_s is not None else max(3.0 / rate, 0.1)
    windows, starts, dropped = [], [], 0
    for part in split_at_gaps(rec.t, max_gap_s):
        t, xyz = rec.t[part], rec.xyz[part]
        if mode == "paper":
            n_native = int(round(window_s * rate))
            hop_native = int(round(hop_s * rate))
            for a in range(0, len(t) - n_native + 1, hop_native):
                windows.append(resize_window(xyz[a:a + n_native], length).T)
                starts.append(t[a])
        elif mode == "resample":
            grid, x30 = resample_to_rate(t, xyz, TARGET_RATE_HZ, rate_hz=rate)
            hop = int(round(hop_s * TARGET_RATE_HZ))
            for a in range(0, len(grid) - length + 1, hop):
                windows.append(x30[a:a + length].T)
                starts.append(grid[a])
        else:
            raise ValueError(f"unknown windowing mode {mode!r}; use 'resample' or 'paper'")
    # Count windows the whole recording would have held had it no gaps: those are the dropped ones.
    if len(rec.t) > 1:
        would_fit = max(0, int((rec.duration_s - window_s) // hop_s) + 1)
        dropped = max(0, would_fit - len(windows))
    if not windows:
        return np.zeros((0, 3, length), np.float32), np.zeros(0), dropped
    return np.stack(windows).astype(np.float32), np.asarray(starts), dropped


def make_windows(recordings: list[Recording], window_s: float = 10.0, hop_s: float | None = None,
                 mode: str = "resample", progress=None) -> WindowSet:
    xs, labels, subjects, starts, rec_idx = [], [], [], [], []
    dropped = 0
    length = int(round(window_s * TARGET_RATE_HZ))
    for i, rec in enumerate(recordings):
        x, s, d = window_recording(rec, window_s, hop_s, mode)
        dropped += d
        xs.append(x)
        labels += [rec.label or ""] * len(x)
        subjects += [rec.subject] * len(x)
        starts.append(s)
        rec_idx += [i] * len(x)
        if progress:
            progress(i + 1, len(recordings))
    x = np.concatenate(xs) if xs else np.zeros((0, 3, length), np.float32)
    return WindowSet(x, np.asarray(labels, dtype=str), np.asarray(subjects, dtype=str),
                     np.concatenate(starts) if starts else np.zeros(0), np.asarray(rec_idx, dtype=int),
                     {"windows_dropped_for_gaps": dropped, "mode": mode, "window_s": window_s,
                      "hop_s": hop_s if hop_s is not None else window_s})
