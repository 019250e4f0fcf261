"""HMP / "ADL" (Bruno et al. 2013): 32 Hz, codes 0..63 for -1.5..+1.5 g, one file per trial.

File names: ``Accelerometer-YYYY-MM-DD-HH-MM-SS-<activity>-<volunteer>.txt``; no timestamps inside,
sample k is at k/32 s (PROVENANCE.md / MANUAL.txt of the dataset).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .recording import DataError, Recording

RATE_HZ = 32.0
# The HARNet paper's ADL benchmark: 5 classes, 7 volunteers (Yuan et al. 2024, supplement).
PAPER_CLASSES = ("walk", "climb_stairs", "drink_glass", "pour_water", "getup_bed")
PAPER_SUBJECTS = ("f1", "f2", "f3", "m1", "m2", "m3", "m4")


def codes_to_g(codes: np.ndarray) -> np.ndarray:
    return (-1.5 + codes.astype(np.float32) / 63.0 * 3.0).astype(np.float32)


def parse_name(path: Path) -> tuple[str, str]:
    """(activity, volunteer) from the trial's file name."""
    parts = path.stem.split("-")
    if len(parts) < 9 or parts[0] != "Accelerometer":
        raise DataError(f"{path.name}: not an HMP trial file name")
    return parts[7].lower(), parts[8].lower()


def read_trial(path: Path) -> Recording:
    activity, volunteer = parse_name(path)
    codes = np.loadtxt(path, dtype=np.int16, ndmin=2)
    if codes.shape[1] != 3 or codes.min() < 0 or codes.max() > 63:
        raise DataError(f"{path.name}: expected 3 columns of codes 0..63")
    t = np.arange(len(codes)) / RATE_HZ
    return Recording(t, codes_to_g(codes), volunteer, activity, source=path.name, nominal_rate_hz=RATE_HZ)


def read_hmp_adl(root, classes=PAPER_CLASSES, subjects=PAPER_SUBJECTS) -> list[Recording]:
    """Trials of the given classes and volunteers (None = all), sorted by file name."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"HMP/ADL folder not found: {root}")
    recordings = []
    for path in sorted(root.glob("*/Accelerometer-*.txt")):
        activity, volunteer = parse_name(path)
        if (classes is None or activity in classes) and (subjects is None or volunteer in subjects):
            recordings.append(read_trial(path))
    if not recordings:
        raise DataError(f"no HMP trials for classes={classes} subjects={subjects} under {root}")
    return recordings
