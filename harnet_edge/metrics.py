"""Classification scores used everywhere (training, export validation, bench); numpy only."""
from __future__ import annotations

import numpy as np


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return cm


def per_class_f1(cm: np.ndarray) -> np.ndarray:
    tp = np.diag(cm).astype(float)
    precision_den, recall_den = cm.sum(0), cm.sum(1)
    precision = np.divide(tp, precision_den, out=np.zeros_like(tp), where=precision_den > 0)
    recall = np.divide(tp, recall_den, out=np.zeros_like(tp), where=recall_den > 0)
    den = precision + recall
    return np.divide(2 * precision * recall, den, out=np.zeros_like(tp), where=den > 0)


def macro_f1(y_true, y_pred, n_classes: int | None = None) -> float:
    """Mean F1 over the classes present in y_true or y_pred (as scikit-learn's 'macro')."""
    y_true, y_pred = np.asarray(y_true, int), np.asarray(y_pred, int)
    n = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    cm = confusion_matrix(y_true, y_pred, n)
    present = (cm.sum(0) + cm.sum(1)) > 0
    return float(per_class_f1(cm)[present].mean()) if present.any() else 0.0


def cohen_kappa(y_true, y_pred, n_classes: int | None = None) -> float:
    y_true, y_pred = np.asarray(y_true, int), np.asarray(y_pred, int)
    n = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    cm = confusion_matrix(y_true, y_pred, n).astype(float)
    total = cm.sum()
    if total == 0:
        return 0.0
    observed = np.trace(cm) / total
    expected = (cm.sum(0) * cm.sum(1)).sum() / total**2
    return float((observed - expected) / (1 - expected)) if expected < 1 else 1.0


def scores(y_true, y_pred, n_classes: int) -> dict:
    return {"macro_f1": macro_f1(y_true, y_pred, n_classes), "kappa": cohen_kappa(y_true, y_pred, n_classes),
            "accuracy": float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if len(y_true) else 0.0,
            "n": int(len(y_true))}


def mean_sd(values) -> tuple[float, float]:
    values = np.asarray(values, float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0
