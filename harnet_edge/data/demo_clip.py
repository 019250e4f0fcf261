"""The real wrist motion the quick start plays: a short selfBACK clip shipped in the package.

harnet_edge/demo_data/selfback_clip.npz (built by scripts/build_demo_clip.py, CC BY 4.0, attribution
in ATTRIBUTION.md beside it) holds, per subject, one minute each of a few activities recorded by
an Axivity AX3 on the right wrist at 100 Hz, kept as the sensor's own 1/64 g counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLIP_PATH = Path(__file__).resolve().parents[1] / "demo_data" / "selfback_clip.npz"
COUNTS_PER_G = 64            # the AX3 data are multiples of 1/64 g


@dataclass
class DemoClip:
    subject: str
    xyz: np.ndarray          # (n, 3) g
    labels: np.ndarray       # (n,) activity of each sample
    rate_hz: float


def load_demo_clips(path: Path = CLIP_PATH) -> list[DemoClip]:
    with np.load(path, allow_pickle=False) as z:
        classes = [str(c) for c in z["classes"]]
        rate = float(z["rate_hz"])
        return [DemoClip(str(subject), z[f"counts_{subject}"].astype(np.float32) / COUNTS_PER_G,
                         np.asarray(classes, dtype=object)[z[f"labels_{subject}"]], rate)
                for subject in z["subjects"]]


class WindowTruth:
    """The true activity of a window of device time, for a source that plays labelled motion.

    ``labels`` are per sample at ``rate_hz`` from device time 0, repeating (the wearables loop
    their clip). A window is its majority label when that label covers ``purity`` of it; windows
    that straddle two activities are "mixed" and never counted as right or wrong."""

    def __init__(self, labels: np.ndarray, rate_hz: float, purity: float = 0.8):
        self.labels, self.rate_hz, self.purity = np.asarray(labels), rate_hz, purity

    def __call__(self, start_s: float, end_s: float) -> str | None:
        idx = (np.arange(start_s, end_s, 0.1) * self.rate_hz).astype(np.int64) % len(self.labels)
        if len(idx) == 0:
            return None
        values, counts = np.unique(self.labels[idx], return_counts=True)
        best = int(np.argmax(counts))
        return str(values[best]) if counts[best] >= self.purity * len(idx) else "mixed"
