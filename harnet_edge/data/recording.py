"""A labelled stretch of raw tri-axial acceleration, and the unit checks every reader applies."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import HarnetEdgeError


class DataError(HarnetEdgeError, ValueError):
    """Input data that cannot be used as given; the message is one line for the user."""


@dataclass
class Recording:
    """Samples of one subject doing one activity (or an unlabelled stream).

    ``t``: seconds from an arbitrary origin, strictly increasing; ``xyz``: (n, 3) in g.
    """
    t: np.ndarray
    xyz: np.ndarray
    subject: str
    label: str | None = None
    source: str = ""
    nominal_rate_hz: float | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=np.float64)
        self.xyz = np.asarray(self.xyz, dtype=np.float32)
        if self.xyz.ndim != 2 or self.xyz.shape[1] != 3 or len(self.t) != len(self.xyz):
            raise DataError(f"{self.source or 'recording'}: expected n x 3 samples with n timestamps, "
                            f"got {self.xyz.shape} and {self.t.shape}")

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) if len(self.t) > 1 else 0.0

    @property
    def rate_hz(self) -> float:
        return self.nominal_rate_hz or estimate_rate_hz(self.t)


def estimate_rate_hz(t: np.ndarray) -> float:
    """Sample rate from timestamps; the median interval ignores jitter and the odd gap."""
    dt = np.diff(np.asarray(t, dtype=np.float64))
    dt = dt[dt > 0]
    if len(dt) == 0:
        raise DataError("cannot estimate a sample rate from fewer than two distinct timestamps")
    return float(1.0 / np.median(dt))


def units_problem(xyz: np.ndarray, block: int = 64) -> tuple[str, str] | None:
    """("m/s^2" | "gravity_missing", reason) when ``xyz`` do not look like gravity-included g, else None.

    HARNet expects acceleration in g with gravity included (|a| ~ 1 g at rest): m/s^2 data have a
    median magnitude near 9.8; gravity-removed data a mean vector near 0 (see ``gravity_g``, ``block``).
    Offline readers and the live windower (``runtime.windower.quality_flags``) both judge by this."""
    if len(xyz) == 0:
        return None
    median_norm = float(np.median(np.linalg.norm(xyz, axis=1)))
    if median_norm > MS2_MEDIAN_NORM:
        return "m/s^2", f"median |a| = {median_norm:.2f}; this looks like m/s^2, not g (divide by 9.80665)"
    gravity = gravity_g(xyz, block=block)
    if gravity < GRAVITY_MISSING_G:
        return "gravity_missing", (f"the mean acceleration vector is {gravity:.2f} g; this looks like gravity-removed "
                                   f"acceleration, but HARNet was trained with gravity included")
    return None


def check_units_g(xyz: np.ndarray, source: str = "", strict: bool = False) -> None:
    """Warn (``strict``: for m/s^2, raise a one-line DataError) when ``units_problem`` finds one:
    either would be silently misclassified."""
    xyz = np.asarray(xyz)
    if not np.isfinite(xyz).all():
        bad = int((~np.isfinite(xyz)).any(axis=1).sum())
        raise DataError(f"{source}: {bad} samples are NaN or infinite")
    problem = units_problem(xyz)
    if problem is None:
        return
    kind, reason = problem
    if strict and kind == "m/s^2":
        raise DataError(f"{source}: {reason}")
    warnings.warn(f"{source}: {reason}", stacklevel=2)


# |a| is ~1 g at rest and rarely above 2 g for long even when running; in m/s^2 it is ~9.8. The live
# windower withholds windows above this median as the offline readers refuse files above it.
MS2_MEDIAN_NORM = 4.0

# Gravity is the slow part of wrist acceleration: averaged over ~2 s, gravity-included data keep a
# vector near 1 g whatever the wearer does, gravity-removed data average to ~0 even while walking
# (their median |a| does not: arm swing alone reaches 0.3 g). Measured on real 10 s windows at 30 Hz
# with 2 s blocks: ADL >= 0.86 g, selfBACK >= 0.64 g (all 5,286 windows); the same windows high-passed
# (2 s moving average removed) <= 0.30 g. 0.5 g splits them.
GRAVITY_MISSING_G = 0.5


def gravity_g(xyz: np.ndarray, block: int = 60) -> float:
    """Median over ``block``-sample stretches of the norm of their mean vector (g): ~1 with gravity."""
    xyz = np.asarray(xyz, dtype=np.float64)
    n = max(1, len(xyz) // block) * block if len(xyz) >= block else len(xyz)
    if n == 0:
        return float("nan")
    means = xyz[:n].reshape(-1, min(block, n), 3).mean(axis=1)
    return float(np.median(np.linalg.norm(means, axis=1)))
