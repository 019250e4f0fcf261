"""Fixed-memory ring buffer of timestamped tri-axial samples."""
from __future__ import annotations

import numpy as np


class RingBuffer:
    """Holds the latest ``capacity`` samples. ``extend`` copies a burst in at most two slices (O(burst),
    no reallocation); ``latest(n)`` returns a view when the samples are contiguous, a copy of just
    those n samples when they wrap."""

    def __init__(self, capacity: int, channels: int = 3):
        self.capacity = capacity
        self.t = np.zeros(capacity, np.float64)
        self.x = np.zeros((capacity, channels), np.float32)
        self.arrival = np.zeros(capacity, np.float64)
        self.total = 0   # samples ever written; the write position is total % capacity

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def extend(self, t: np.ndarray, x: np.ndarray, arrival: float = 0.0) -> None:
        n = len(t)
        if n > self.capacity:      # only the newest samples can be kept
            self.total += n - self.capacity
            t, x, n = t[-self.capacity:], x[-self.capacity:], self.capacity
        start = self.total % self.capacity
        first = min(n, self.capacity - start)
        self.t[start:start + first], self.x[start:start + first] = t[:first], x[:first]
        self.arrival[start:start + first] = arrival
        if first < n:
            rest = n - first
            self.t[:rest], self.x[:rest], self.arrival[:rest] = t[first:], x[first:], arrival
        self.total += n

    def _slice(self, array: np.ndarray, begin: int, end: int) -> np.ndarray:
        """Items with absolute indices [begin, end) (must still be held)."""
        a, b = begin % self.capacity, end % self.capacity
        if end - begin == 0:
            return array[:0]
        if a < b or b == 0:
            return array[a:b or self.capacity]
        return np.concatenate([array[a:], array[:b]])

    def since(self, absolute_index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Samples written at or after ``absolute_index`` (older ones lost to overwriting are skipped);
        returns (t, x, arrival, index after the last)."""
        begin = max(absolute_index, self.total - self.capacity)
        return (self._slice(self.t, begin, self.total), self._slice(self.x, begin, self.total),
                self._slice(self.arrival, begin, self.total), self.total)

    def latest(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n > len(self):
            raise ValueError(f"only {len(self)} samples held, {n} asked")
        return self._slice(self.t, self.total - n, self.total), self._slice(self.x, self.total - n, self.total)
