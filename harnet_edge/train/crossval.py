"""The paper's evaluation protocol: subject-wise folds, metrics per test subject, mean +- SD."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..data.windows import WindowSet
from ..metrics import confusion_matrix, mean_sd, per_class_f1, scores
from .features import random_forest, window_features
from .splits import subject_folds, validation_split


def encode_labels(windows: WindowSet, classes: list[str]) -> np.ndarray:
    unknown = sorted(set(windows.labels) - set(classes))
    if unknown:
        from ..data.recording import DataError
        raise DataError(f"labels {unknown} are not among the model's classes {classes}")
    lookup = {c: i for i, c in enumerate(classes)}
    return np.array([lookup[label] for label in windows.labels], dtype=np.int64)


def summarise(name: str, y: np.ndarray, pred: np.ndarray, subjects: np.ndarray, classes: list[str]) -> dict:
    """Per-subject scores, their mean +- SD, per-class F1 and the pooled confusion matrix."""
    k = len(classes)
    per_subject = {str(s): scores(y[subjects == s], pred[subjects == s], k) for s in np.unique(subjects)}
    f1_mean, f1_sd = mean_sd([v["macro_f1"] for v in per_subject.values()])
    kappa_mean, kappa_sd = mean_sd([v["kappa"] for v in per_subject.values()])
    cm = confusion_matrix(y, pred, k)
    return {"model": name, "macro_f1_mean": f1_mean, "macro_f1_sd": f1_sd, "kappa_mean": kappa_mean,
            "kappa_sd": kappa_sd, "per_subject": per_subject,
            "per_class_f1": dict(zip(classes, per_class_f1(cm).round(4).tolist())),
            "confusion_matrix": cm.tolist(), "classes": classes, "pooled": scores(y, pred, k)}


def cross_validate(name: str, windows: WindowSet, classes: list[str], scheme: str,
                   train_and_predict: Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray],
                   seed: int = 0, log=print) -> dict:
    """``train_and_predict(train_idx, val_idx, test_idx, fold)`` returns predicted class ids for test."""
    from .loop import InterruptsStopEverything   # torch only where a fold trains a network
    y = encode_labels(windows, classes)
    pred = np.full(len(y), -1)
    folds = subject_folds(windows.subjects, scheme, seed=seed)
    for fold, (train_idx, test_idx) in enumerate(folds):
        fit_idx, val_idx = validation_split(windows.subjects, train_idx, seed=seed + fold)
        with InterruptsStopEverything():    # Ctrl-C stops the protocol, not just this fold's training
            pred[test_idx] = train_and_predict(fit_idx, val_idx, test_idx, fold)
        fold_scores = scores(y[test_idx], pred[test_idx], len(classes))
        log(f"  {name} fold {fold + 1}/{len(folds)} (test {', '.join(np.unique(windows.subjects[test_idx])[:4])}"
            f"{'...' if len(np.unique(windows.subjects[test_idx])) > 4 else ''}): "
            f"macro F1 {fold_scores['macro_f1']:.3f}, kappa {fold_scores['kappa']:.3f}")
    result = summarise(name, y, pred, windows.subjects, classes)
    result["scheme"] = scheme
    return result


def random_forest_cv(windows: WindowSet, classes: list[str], scheme: str, seed: int = 0, log=print) -> dict:
    features = window_features(windows.x)
    y = encode_labels(windows, classes)

    def train_and_predict(fit_idx, val_idx, test_idx, fold):
        forest = random_forest(seed)
        train_idx = np.concatenate([fit_idx, val_idx])  # a forest needs no early stopping
        forest.fit(features[train_idx], y[train_idx])
        return forest.predict(features[test_idx])

    return cross_validate("random forest", windows, classes, scheme, train_and_predict, seed, log)
