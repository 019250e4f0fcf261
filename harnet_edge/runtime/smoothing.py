"""Optional smoothing of per-window predictions, causal so it runs live.

The paper's tools smooth offline with Viterbi over a whole day; live we only have the past, so:
- ``HmmForwardFilter``: the HMM forward recursion (filtering), a sticky transition matrix;
- ``MajorityFilter``: the most frequent label of the last k windows.
"""
from __future__ import annotations

from collections import Counter, deque

import numpy as np


class HmmForwardFilter:
    def __init__(self, n_classes: int, stay_probability: float = 0.9):
        off = (1 - stay_probability) / max(n_classes - 1, 1)
        self.transition = np.full((n_classes, n_classes), off)
        np.fill_diagonal(self.transition, stay_probability)
        self.belief = np.full(n_classes, 1 / n_classes)

    def reset(self) -> None:
        self.belief[:] = 1 / len(self.belief)

    def update(self, probabilities: np.ndarray) -> np.ndarray:
        """One step: predict with the transition matrix, weigh by the model's probabilities."""
        posterior = (self.transition.T @ self.belief) * np.clip(probabilities, 1e-6, None)
        self.belief = posterior / posterior.sum()
        return self.belief


class MajorityFilter:
    def __init__(self, n_classes: int, k: int = 3):
        self.n_classes = n_classes
        self.recent: deque[int] = deque(maxlen=k)

    def reset(self) -> None:
        self.recent.clear()

    def update(self, probabilities: np.ndarray) -> np.ndarray:
        self.recent.append(int(np.argmax(probabilities)))
        votes = Counter(self.recent)
        best = max(votes, key=lambda c: (votes[c], c == self.recent[-1]))
        out = np.zeros(self.n_classes)
        out[best] = 1.0
        return out


def make_smoother(kind: str, n_classes: int):
    if kind in (None, "none"):
        return None
    if kind == "hmm":
        return HmmForwardFilter(n_classes)
    if kind.startswith("majority"):
        k = int(kind.split(":")[1]) if ":" in kind else 3
        return MajorityFilter(n_classes, k)
    raise ValueError(f"unknown smoothing {kind!r}; use none, hmm or majority[:k]")
