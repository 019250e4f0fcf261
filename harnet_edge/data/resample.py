"""Offline resampling of whole recordings to exactly 30 Hz (numpy only).

Two modes:
- ``resample_to_rate``: anti-aliased with the low-pass the live runtime uses (``antialias``; applied
  centred here, which equals the live causal filter with its delay taken off) then interpolated
  onto a uniform grid.
- ``resize_window``: the paper-compatible mode, a plain linear resize of each window to the model's
  length (what the HARNet evaluation scripts did), kept to reproduce published numbers. It does NOT
  low-pass: content above 15 Hz in 50-100 Hz input folds into the 30 Hz windows. Use it only to
  compare with the paper, never for models meant for the live runtime.
"""
from __future__ import annotations

import numpy as np

from .antialias import TARGET_HZ as TARGET_RATE_HZ
from .antialias import antialias_taps
from .plausibility import MIN_RATE_HZ, rate_problem
from .recording import DataError

# The most 30 Hz samples one input sample may become: the slowest usable input, with slack for jitter.
MAX_SAMPLES_PER_INPUT = 4 * TARGET_RATE_HZ / MIN_RATE_HZ + 2


def anti_alias(xyz: np.ndarray, rate_hz: float, target_hz: float = TARGET_RATE_HZ) -> np.ndarray:
    """The shared anti-aliasing low-pass (``antialias_taps``), zero-phase; unchanged when none is needed."""
    kernel = antialias_taps(rate_hz, target_hz)
    if len(kernel) == 1:
        return xyz
    half = len(kernel) // 2
    # Reflect-pad so the edges keep their level instead of decaying towards zero.
    padded = np.pad(xyz, ((half, half), (0, 0)), mode="reflect") if len(xyz) > half else \
        np.pad(xyz, ((half, half), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, a], kernel, mode="valid") for a in range(3)], axis=1)


def resample_to_rate(t: np.ndarray, xyz: np.ndarray, target_hz: float = TARGET_RATE_HZ,
                     rate_hz: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Samples at ``t`` (seconds, maybe jittered) onto a ``target_hz`` grid starting at ``t[0]``."""
    t = np.asarray(t, dtype=np.float64)
    xyz = np.asarray(xyz, dtype=np.float64)
    if len(t) < 2:
        return t[:0], xyz[:0].astype(np.float32)
    if rate_hz is None:
        rate_hz = 1.0 / float(np.median(np.diff(t)))
    n_out = int(np.floor((t[-1] - t[0]) * target_hz + 1e-9)) + 1
    if n_out > MAX_SAMPLES_PER_INPUT * len(t):
        # Memory stays bounded whatever the timestamps say (ms read as s would ask for 600 per sample).
        raise DataError(f"resampling {len(t)} samples spanning {t[-1] - t[0]:.4g} s to {target_hz:g} Hz would "
                        f"make {n_out}; {rate_problem(rate_hz, column_hint=False) or 'check the timestamps'}")
    filtered = anti_alias(xyz, rate_hz, target_hz)
    grid = t[0] + np.arange(n_out) / target_hz
    out = np.stack([np.interp(grid, t, filtered[:, a]) for a in range(3)], axis=1)
    return grid, out.astype(np.float32)


def resize_window(window: np.ndarray, length: int) -> np.ndarray:
    """Linear resize of one (n, 3) window to (length, 3): the paper-compatible mode."""
    n = len(window)
    src = np.linspace(0.0, 1.0, n)
    dst = np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(dst, src, window[:, a]) for a in range(window.shape[1])], axis=1).astype(np.float32)
