"""Knowledge distillation of a HARNet teacher into a small student (Hinton et al. 2015).

Loss = alpha * T^2 * KL(student_T || teacher_T) + (1 - alpha) * class-weighted CE(hard labels).
The teacher scores each augmented batch as the student sees it; unlabelled windows (label -1)
contribute to the soft term only.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from harnet_edge.data.windows import WindowSet
from harnet_edge.models.student import StudentCNN
from harnet_edge.train.crossval import cross_validate, encode_labels, summarise
from harnet_edge.train.device import pick_device
from harnet_edge.train.finetune import build_harnet
from harnet_edge.train.loop import TrainConfig, autocast_for, class_weights, fit, predict_proba


# A student from scratch needs a longer schedule than a pretrained teacher, and its validation loss
# rises for the first few epochs while BatchNorm statistics settle: too short a patience keeps an
# untrained student (ADL LOSO with the teacher's 15 epochs / patience 4: macro F1 0.28 against 0.79).
STUDENT_EPOCHS = 40
STUDENT_PATIENCE = 8


def student_schedule(config: TrainConfig, epochs: int | None = None, patience: int | None = None) -> TrainConfig:
    """``config`` with the student's epochs and patience (defaults above)."""
    return TrainConfig(**{**config.__dict__, "epochs": epochs or STUDENT_EPOCHS,
                          "patience": patience or STUDENT_PATIENCE})


def distillation_loss(teacher: torch.nn.Module, weights: torch.Tensor, temperature: float = 4.0, alpha: float = 0.7):
    teacher.eval()

    def loss_fn(logits, xb, yb, idx):
        with torch.no_grad(), autocast_for(xb.device, True):
            target = teacher(xb).float()
        return soft_and_hard_loss(logits, target, yb, weights, temperature, alpha)

    return loss_fn


def soft_and_hard_loss(logits, teacher_logits, yb, weights, temperature: float, alpha: float):
    """Hinton's distillation loss: KL to the teacher's softened answers (scaled by T^2) plus
    class-weighted cross-entropy on the labelled windows (label -1: unlabelled)."""
    soft = F.kl_div(F.log_softmax(logits / temperature, 1), F.softmax(teacher_logits / temperature, 1),
                    reduction="batchmean") * temperature ** 2
    labelled = yb >= 0
    hard = F.cross_entropy(logits[labelled], yb[labelled], weight=weights.to(logits.device)) \
        if labelled.any() else logits.sum() * 0
    return alpha * soft + (1 - alpha) * hard


def distil_student(teacher, x, y, x_val, y_val, classes: list[str], config: TrainConfig,
                   student_variant: str = "cnn-small", x_unlabelled: np.ndarray | None = None,
                   temperature: float = 4.0, alpha: float = 0.7, lr: float = 1e-3) -> StudentCNN:
    student = StudentCNN(student_variant, num_classes=len(classes), classes=classes,
                         window_seconds=teacher.window_len // 30)
    if x_unlabelled is not None and len(x_unlabelled):
        x = np.concatenate([x, x_unlabelled])
        y = np.concatenate([y, np.full(len(x_unlabelled), -1)])
    teacher.to(pick_device(config.device))
    cfg = TrainConfig(**{**config.__dict__, "lr": lr, "freeze_backbone": False})
    loss_fn = distillation_loss(teacher, class_weights(y, len(classes)), temperature, alpha)
    fit(student, x, y, len(classes), x_val, y_val, cfg, loss_fn=loss_fn, description=f"distil {student_variant}")
    return student.cpu()


def distil_cv(windows: WindowSet, classes: list[str], teacher_variant: str, init: str, config: TrainConfig,
              scheme: str, student_variant: str = "cnn-small", log=print,
              student_config: TrainConfig | None = None) -> list[dict]:
    """Teacher and student under one subject-wise protocol: per fold the teacher is fine-tuned on
    the training subjects, then distilled into the student (on its own schedule, see
    ``student_schedule``); both predict the held-out subjects."""
    student_config = student_config or student_schedule(config)
    y = encode_labels(windows, classes)
    student_pred = np.full(len(y), -1)

    def train_and_predict(fit_idx, val_idx, test_idx, fold):
        cfg = TrainConfig(**{**config.__dict__, "seed": config.seed + fold})
        teacher = build_harnet(init, teacher_variant, classes)
        fit(teacher, windows.x[fit_idx], y[fit_idx], len(classes), windows.x[val_idx], y[val_idx], cfg,
            description=f"teacher fold {fold + 1}")
        student = distil_student(teacher, windows.x[fit_idx], y[fit_idx], windows.x[val_idx], y[val_idx],
                                 classes, TrainConfig(**{**student_config.__dict__, "seed": cfg.seed}),
                                 student_variant)
        student_pred[test_idx] = predict_proba(student, windows.x[test_idx], device=config.device).argmax(1)
        return predict_proba(teacher, windows.x[test_idx], device=config.device).argmax(1)

    teacher_result = cross_validate(f"{teacher_variant} teacher", windows, classes, scheme, train_and_predict,
                                    config.seed, log)
    student_result = summarise(f"{student_variant} student", y, student_pred, windows.subjects, classes)
    student_result["scheme"] = scheme
    return [teacher_result, student_result]
