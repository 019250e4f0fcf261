"""Run statistics in fixed memory, for a service that streams for months.

- ``Reservoir``: a uniform random sample of at most ``size`` values out of all ever added (Vitter's
  algorithm R) plus exact count, mean and max; percentiles come from the sample (with 4096 values, two
  standard errors are 1.6 percentile points at p50, 0.9 at p90 and 0.3 at p99).
- ``RecentEvents``: exact count and total of events (gaps, losses) plus the last ``keep`` of them.
"""
from __future__ import annotations

import random
from collections import deque

import numpy as np


class Reservoir:
    def __init__(self, size: int = 4096, seed: int = 0):
        self.size = size
        self.values = np.empty(size, np.float64)
        self.count = 0
        self.total = 0.0
        self.maximum = float("-inf")
        self._rng = random.Random(seed)

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.maximum = max(self.maximum, value)
        if self.count <= self.size:
            self.values[self.count - 1] = value
        else:
            slot = self._rng.randrange(self.count)
            if slot < self.size:
                self.values[slot] = value

    def percentile(self, q: float) -> float | None:
        held = self.values[:min(self.count, self.size)]
        return float(np.percentile(held, q)) if len(held) else None

    def summary(self, digits: int = 2) -> dict:
        out = {f"p{q}": (round(v, digits) if (v := self.percentile(q)) is not None else None) for q in (50, 90, 99)}
        out["max"] = round(self.maximum, digits) if self.count else None
        out["count"] = self.count
        return out


class RecentEvents:
    def __init__(self, keep: int = 100):
        self.count = 0
        self.total = 0.0
        self.recent: deque = deque(maxlen=keep)

    def add(self, event, amount: float = 1.0) -> None:
        self.count += 1
        self.total += amount
        self.recent.append(event)

    def __len__(self) -> int:
        return self.count
