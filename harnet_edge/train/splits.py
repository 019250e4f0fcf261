"""Subject-wise splits: no subject is ever in both training and test (nor in validation)."""
from __future__ import annotations

import numpy as np


def subject_folds(subjects: np.ndarray, scheme: str = "loso", k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train_idx, test_idx) per fold. ``loso``: one subject out; ``groupK``/``kfold``: K groups."""
    subjects = np.asarray(subjects)
    unique = np.unique(subjects)
    if scheme == "loso":
        groups = [[s] for s in unique]
    else:
        if scheme.startswith("group") and scheme[5:].isdigit():
            k = int(scheme[5:])
        rng = np.random.default_rng(seed)
        shuffled = rng.permutation(unique)
        groups = [list(g) for g in np.array_split(shuffled, k)]
    folds = []
    for group in groups:
        test = np.isin(subjects, group)
        folds.append((np.flatnonzero(~test), np.flatnonzero(test)))
    return folds


def validation_split(subjects: np.ndarray, train_idx: np.ndarray, fraction: float = 0.2,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Hold out whole training subjects (at least one) for early stopping."""
    rng = np.random.default_rng(seed)
    train_subjects = np.unique(subjects[train_idx])
    n_val = max(1, int(round(fraction * len(train_subjects))))
    if len(train_subjects) < 2:
        return train_idx, train_idx[:0]
    val_subjects = rng.choice(train_subjects, n_val, replace=False)
    is_val = np.isin(subjects[train_idx], val_subjects)
    return train_idx[~is_val], train_idx[is_val]
