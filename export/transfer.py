"""Distillation's transfer set: every window we have, minus the fold's held-out people, in augmented
views, each scored once by the teacher.

A student distilled on the ~500 labelled windows of an ADL training fold alone fell 10 points behind
its teacher (0.681 vs 0.781, ADL LOSO); matching the teacher needs the teacher's answers on far more
inputs than there are labels (Hinton et al. 2015; Beyer et al. 2022, "a good teacher is patient and
consistent"). The teacher scores each view once and the student trains on exactly those views
(consistent teaching): scoring every augmented batch again each epoch costs a HARNet10 forward pass
per window per epoch, most of a CPU run.

Held out of the transfer set: the fold's test subjects (never seen by teacher or student) and its
validation subjects (their labelled windows decide when the student stops).
"""
from __future__ import annotations

import numpy as np
import torch
from .distil import soft_and_hard_loss

from harnet_edge.data.windows import WindowSet
from harnet_edge.train.loop import TrainConfig, augmented_view, predict_proba


def pool_mask(pool_subjects: np.ndarray, held_out_keys: set[str]) -> np.ndarray:
    """Windows of the unlabelled pool that may join this fold's transfer set."""
    return ~np.isin(pool_subjects, sorted(held_out_keys))


def views_of(x: np.ndarray, views: int, config: TrainConfig, seed: int, chunk: int = 1024) -> np.ndarray:
    """``views`` copies of every window, each through the training augmentation as ``fit`` draws it
    (other wrist, strap turn, axis swap, rotation): the teacher learnt on such views, and the
    student must answer for every way the band is worn."""
    generator = torch.Generator().manual_seed(seed)
    out = [np.concatenate([augmented_view(torch.from_numpy(np.ascontiguousarray(x[a:a + chunk])), generator,
                                          config).numpy() for a in range(0, len(x), chunk)]) for _ in range(views)]
    return np.concatenate(out).astype(np.float32)


def build_transfer_set(pool: WindowSet, held_out_keys: set[str], x_labelled: np.ndarray, y_labelled: np.ndarray,
                       views: int, config: TrainConfig, seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """(x, y, record): the labelled training windows (y >= 0) and the allowed pool windows (y = -1),
    each in ``views`` views."""
    keep = pool_mask(pool.subjects, held_out_keys)
    base_x = np.concatenate([x_labelled, pool.x[keep]])
    base_y = np.concatenate([y_labelled, np.full(int(keep.sum()), -1)])
    record = {"labelled_windows": int(len(x_labelled)), "unlabelled_windows": int(keep.sum()), "views": views,
              "windows": int(len(base_x) * views), "unlabelled_subjects": sorted(set(pool.subjects[keep].tolist())),
              "held_out_subjects": sorted(held_out_keys)}
    return views_of(base_x, views, config, seed), np.tile(base_y, views), record


def teacher_log_probs(teacher, x: np.ndarray, device=None) -> np.ndarray:
    """Log-probabilities stand in for logits: softmax(log p / T) equals softmax(logits / T)."""
    return np.log(np.clip(predict_proba(teacher, x, device=device), 1e-8, None)).astype(np.float32)


def cached_distillation_loss(teacher_logp: np.ndarray, weights: torch.Tensor, temperature: float = 4.0,
                             alpha: float = 0.7):
    """alpha * T^2 * KL(student_T || teacher_T) + (1 - alpha) * class-weighted CE on labelled windows;
    ``idx`` are the batch's rows of the training array that ``teacher_logp`` is aligned with."""
    target = torch.from_numpy(teacher_logp)

    def loss_fn(logits, xb, yb, idx):
        return soft_and_hard_loss(logits, target[idx].to(logits.device), yb, weights, temperature, alpha)

    return loss_fn
