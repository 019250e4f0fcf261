"""Hand-crafted window features for the random-forest baseline (numpy only).

Per axis: mean, std, range; axis correlations; vector-magnitude mean/std/percentiles; the two
dominant frequencies of the magnitude and their power: a standard set for wrist HAR baselines.
"""
from __future__ import annotations

import numpy as np

RATE_HZ = 30.0


def window_features(x: np.ndarray) -> np.ndarray:
    """x: (N, 3, T) in g -> (N, F) features."""
    x = np.asarray(x, dtype=np.float64)
    mean, std = x.mean(2), x.std(2)
    rng = x.max(2) - x.min(2)
    centred = x - mean[:, :, None]
    denom = np.maximum(std, 1e-8)
    corr = np.stack([(centred[:, i] * centred[:, j]).mean(1) / (denom[:, i] * denom[:, j])
                     for i, j in ((0, 1), (0, 2), (1, 2))], axis=1)
    vm = np.linalg.norm(x, axis=1)
    vm_stats = np.stack([vm.mean(1), vm.std(1), *np.percentile(vm, [10, 25, 50, 75, 90], axis=1),
                         np.abs(np.diff(vm, axis=1)).mean(1)], axis=1)
    spectrum = np.abs(np.fft.rfft(vm - vm.mean(1, keepdims=True), axis=1)) ** 2
    freqs = np.fft.rfftfreq(x.shape[2], d=1 / RATE_HZ)
    top = np.argsort(spectrum[:, 1:], axis=1)[:, ::-1][:, :2] + 1
    total = spectrum.sum(1) + 1e-12
    dom = np.concatenate([freqs[top], np.take_along_axis(spectrum, top, 1) / total[:, None]], axis=1)
    return np.concatenate([mean, std, rng, corr, vm_stats, dom], axis=1).astype(np.float32)


def random_forest(seed: int = 0):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=300, class_weight="balanced", n_jobs=-1, random_state=seed)
