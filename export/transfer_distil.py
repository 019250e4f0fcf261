"""Teacher vs student under the subject-wise protocol, the student distilled on a transfer set
(transfer.py); teachers trained here or loaded per fold (``finetune --keep-fold-models``); each
fold's student also quantised to int8 ONNX and scored, so int8 vs fp32 is measured per subject."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from harnet_edge.data.provenance import subject_key
from harnet_edge.data.recording import DataError
from harnet_edge.data.windows import WindowSet
from harnet_edge.models.checkpoints import load_checkpoint
from harnet_edge.models.student import StudentCNN
from harnet_edge.train.crossval import cross_validate, encode_labels, summarise
from harnet_edge.train.finetune import build_harnet
from harnet_edge.train.leakage import check_seen, pretraining_check
from harnet_edge.train.loop import TrainConfig, class_weights, fit, predict_proba

from .transfer import build_transfer_set, cached_distillation_loss, teacher_log_probs


def load_fold_teacher(folder: Path, fold: int, test_subjects, dataset: str, wait_s: float = 0):
    """The fold's saved model and metadata, refused unless it was held out from exactly this fold's
    test subjects. ``wait_s``: how long to wait for the file (a finetune beside us writes it
    atomically when the fold is done)."""
    path = Path(folder) / f"fold{fold + 1}.safetensors"
    deadline = time.monotonic() + wait_s
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(min(10.0, max(0.0, deadline - time.monotonic())))
    model, meta = load_checkpoint(path)
    expected = sorted({str(s) for s in test_subjects})
    if meta.get("test_subjects") != expected:
        raise DataError(f"{path}: teacher held out {meta.get('test_subjects')}, but fold {fold + 1} tests {expected}; "
                        f"use the fold models of a finetune run on the same data and --cv")
    seen = {s for s in (meta.get("training_data") or {}).get("subjects", [])}
    if seen & set(expected):
        raise DataError(f"{path}: teacher was trained on test subjects {sorted(seen & set(expected))}")
    if (meta.get("training_data") or {}).get("dataset") not in (None, dataset):
        raise DataError(f"{path}: teacher was trained on {meta['training_data']['dataset']}, not {dataset}")
    return model, meta


def int8_predictions(student: StudentCNN, calibration: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """The student as int8 ONNX (the export path: folded graph, +-4 g symmetric input), run by onnxruntime."""
    from harnet_edge.runtime.engines import open_engine

    from .fold import prepare_for_export
    from .metadata import artefact_metadata
    from .onnx_writer import write_onnx_fp32, write_onnx_int8
    from .orientation import input_range_g

    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "student_fp32.onnx", Path(tmp) / "student_int8.onnx"
        write_onnx_fp32(prepare_for_export(student), student.window_len, fp32, artefact_metadata(student, "fp32", ""))
        write_onnx_int8(fp32, int8, calibration, artefact_metadata(student, "int8", ""), input_range_g(calibration))
        return open_engine(int8, threads=1).run(x_test).argmax(1)


def distil_transfer_cv(windows: WindowSet, classes: list[str], teacher_variant: str, init: str, config: TrainConfig,
                       scheme: str, pool: WindowSet, student_config: TrainConfig, student_variant: str = "cnn-small",
                       views: int = 2, temperature: float = 4.0, alpha: float = 0.7, lr: float = 1e-3,
                       teachers: Path | None = None, wait_for_teachers_s: float = 0, int8: bool = True, calibration_windows: int = 200,
                       log=print) -> tuple[list[dict], list[dict]]:
    """[teacher, student(, student int8)] results and one transfer-set record per fold."""
    dataset = windows.stats.get("dataset", "?")
    y = encode_labels(windows, classes)
    student_pred, int8_pred, records = np.full(len(y), -1), np.full(len(y), -1), []
    check = pretraining_check(init, dataset, windows.subjects, log=log) if teachers is None else None
    fold_checks = []

    def train_and_predict(fit_idx, val_idx, test_idx, fold):
        seed = config.seed + fold
        test_subjects = np.unique(windows.subjects[test_idx])
        if teachers is not None:
            teacher, meta = load_fold_teacher(teachers, fold, test_subjects, dataset, wait_for_teachers_s)
            # the backbone the teacher started from, against this fold's test subjects
            fold_checks.append(check_seen(meta.get("pretraining_data"), meta.get("init", str(teachers)), dataset,
                                          test_subjects, log))
        else:
            teacher = build_harnet(init, teacher_variant, classes)
            fit(teacher, windows.x[fit_idx], y[fit_idx], len(classes), windows.x[val_idx], y[val_idx],
                TrainConfig(**{**config.__dict__, "seed": seed}), description=f"teacher fold {fold + 1}")
        held_out = {subject_key(dataset, str(s)) for s in np.unique(windows.subjects[np.r_[test_idx, val_idx]])}
        cfg = TrainConfig(**{**student_config.__dict__, "seed": seed, "lr": lr, "freeze_backbone": False})
        x, yt, record = build_transfer_set(pool, held_out, windows.x[fit_idx], y[fit_idx], views, cfg, seed)
        log(f"  fold {fold + 1}: transfer set {record['windows']} windows ({record['labelled_windows']} labelled + "
            f"{record['unlabelled_windows']} unlabelled, x{views} augmented views); teacher scoring it")
        logp = teacher_log_probs(teacher, x, device=config.device)
        student = StudentCNN(student_variant, num_classes=len(classes), classes=classes,
                             window_seconds=teacher.window_len // 30)
        loss_fn = cached_distillation_loss(logp, class_weights(yt, len(classes)), temperature, alpha)
        # augment off: the views are already augmented and the teacher scored exactly these inputs
        fit(student, x, yt, len(classes), windows.x[val_idx], y[val_idx], TrainConfig(**{**cfg.__dict__, "augment": False}),
            loss_fn=loss_fn, description=f"distil {student_variant} fold {fold + 1}")
        student = student.cpu().eval()
        student_pred[test_idx] = predict_proba(student, windows.x[test_idx], device="cpu").argmax(1)
        if int8:
            rng = np.random.default_rng(seed)
            calibration = windows.x[rng.choice(fit_idx, min(calibration_windows, len(fit_idx)), replace=False)]
            int8_pred[test_idx] = int8_predictions(student, calibration, windows.x[test_idx])
        records.append({"fold": fold + 1, "test_subjects": test_subjects.tolist(), **record})
        return predict_proba(teacher, windows.x[test_idx], device=config.device).argmax(1)

    teacher_result = cross_validate(f"{teacher_variant} teacher", windows, classes, scheme, train_and_predict,
                                    config.seed, log)
    if check is None and fold_checks:
        seen = sorted({s for c in fold_checks for s in c["test_subjects_seen"]})
        check = {**fold_checks[0], "teachers": str(teachers), "test_subjects_seen": seen,
                 "leakage_free": None if any(c["leakage_free"] is None for c in fold_checks) else not seen}
    teacher_result["pretraining"] = check
    results = [teacher_result]
    for name, pred in ((f"{student_variant} student", student_pred), (f"{student_variant} student int8", int8_pred)):
        if name.endswith("int8") and not int8:
            continue
        result = summarise(name, y, pred, windows.subjects, classes)
        result["scheme"] = scheme
        results.append(result)
    return results, records
