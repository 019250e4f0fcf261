"""Ctrl-C during a cross-validation stops it: no score for a fold trained a few steps (main scored it
as if complete, silently, and went on to train the next fold); a lone fit still ends gracefully."""
import numpy as np
import pytest
import torch

from harnet_edge.data.windows import WindowSet
from harnet_edge.models.student import StudentCNN
from harnet_edge.train.crossval import cross_validate
from harnet_edge.train.loop import TrainConfig, fit

CONFIG = TrainConfig(epochs=3, batch_size=8, lr=1e-3, augment=False, device="cpu")


def _windows():
    rng = np.random.default_rng(0)
    n = 48
    labels = np.array(["sit", "walk"] * (n // 2))
    subjects = np.repeat(["a", "b", "c", "d"], n // 4)
    return WindowSet(rng.normal(0, 1, (n, 3, 300)).astype(np.float32), labels, subjects,
                     np.zeros(n), np.arange(n), {})


def _ctrl_c_at_step(step):
    calls = {"n": 0}

    def loss(logits, xb, yb, idx):
        calls["n"] += 1
        if calls["n"] == step:
            raise KeyboardInterrupt
        return torch.nn.functional.cross_entropy(logits, yb)
    return loss, calls


def test_ctrl_c_in_a_fold_stops_the_cross_validation():
    windows = _windows()
    y = (windows.labels == "walk").astype(np.int64)
    folds_started = []

    def train_and_predict(fit_idx, val_idx, test_idx, fold):
        folds_started.append(fold)
        model = StudentCNN("ds-tiny", 2)
        loss, _ = _ctrl_c_at_step(2)
        fit(model, windows.x[fit_idx], y[fit_idx], 2, windows.x[val_idx], y[val_idx], CONFIG, loss_fn=loss)
        return np.zeros(len(test_idx), dtype=int)

    with pytest.raises(KeyboardInterrupt):
        cross_validate("m", windows, ["sit", "walk"], "loso", train_and_predict, log=lambda *_: None)
    assert folds_started == [0]


def test_ctrl_c_in_a_lone_fit_ends_it_and_keeps_the_model():
    windows = _windows()
    y = (windows.labels == "walk").astype(np.int64)
    model = StudentCNN("ds-tiny", 2)
    loss, calls = _ctrl_c_at_step(8)
    summary = fit(model, windows.x[:36], y[:36], 2, windows.x[36:], y[36:], CONFIG, loss_fn=loss)
    assert summary["history"][-1] == {"interrupted": True} and calls["n"] == 8
    assert summary["best_epoch"] == 0 and not model.training
