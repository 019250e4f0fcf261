"""What flows from a source into the runtime: timestamped bursts of tri-axial samples in g."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np


@dataclass
class SampleBatch:
    """A burst from one device (a BLE notification carries several samples).

    ``t``: device timestamps in seconds (float64); ``xyz``: (n, 3) float32 in g;
    ``arrival``: host monotonic time the burst arrived, for latency.
    """
    device: str
    t: np.ndarray
    xyz: np.ndarray
    arrival: float = field(default_factory=time.monotonic)

    def __post_init__(self):
        self.t = np.asarray(self.t, dtype=np.float64).reshape(-1)
        self.xyz = np.asarray(self.xyz, dtype=np.float32).reshape(-1, 3)
        if len(self.t) != len(self.xyz):
            raise ValueError(f"{self.device}: {len(self.t)} timestamps for {len(self.xyz)} samples")


@dataclass
class Window:
    """One model input: (3, T) at 30 Hz in g, with where it came from and how clean it is."""
    device: str
    start: float
    end: float
    x: np.ndarray
    arrival_of_last_sample: float
    flags: list[str] = field(default_factory=list)


@dataclass
class Classification:
    device: str
    start: float
    end: float
    label: str | None
    probabilities: dict[str, float]
    latency_ms: float | None          # None where the host cannot know it (labels made on the wearable)
    flags: list[str]
    smoothed_label: str | None = None
    origin: str = "host"              # "host" (this runtime's engine) or "on-device" (the wearable's own)
    true_label: str | None = None     # when the source knows what was really done (demo clips)
    run_id: str = ""
    wall_time: float = field(default_factory=time.time)   # when it was classified (host clock, UTC)

    def as_record(self) -> dict:
        truth = {"true_label": self.true_label} if self.true_label is not None else {}
        return {"time": utc_iso(self.wall_time), "run": self.run_id, **truth, "device": self.device,
                "window_start": round(self.start, 3), "window_end": round(self.end, 3),
                "label": self.label, "smoothed_label": self.smoothed_label,
                "confidence": round(max(self.probabilities.values()), 4) if self.probabilities else None,
                "probabilities": {k: round(v, 5) for k, v in self.probabilities.items()},
                "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 3), "flags": self.flags,
                "origin": self.origin}


def utc_iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_run_id() -> str:
    """Marks every record of one run: sortable start time (UTC) plus 4 random hex digits."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"
