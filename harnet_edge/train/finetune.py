"""Fine-tuning HARNet on labelled windows: cross-validated scores and the final model."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.windows import WindowSet
from ..models.checkpoints import CheckpointError, load_checkpoint
from ..models.harnet import HARNet
from .crossval import cross_validate, encode_labels
from .loop import TrainConfig, fit, predict_proba


def build_harnet(init: str, variant: str, classes: list[str]) -> HARNet:
    """``init``: "scratch", a published ``.mdl`` file, or one of our checkpoints (backbone reused)."""
    if init == "scratch":
        return HARNet(variant, num_classes=len(classes), classes=classes)
    path = Path(init)
    if path.suffix in (".mdl", ".pt", ".pth"):
        return HARNet.from_ssl_wearables(path, variant=variant, num_classes=len(classes), classes=classes,
                                         verbose=False)
    source, meta = load_checkpoint(path)
    if source.variant != variant:
        raise CheckpointError(f"{path.name} holds {source.variant}, not {variant}")
    model = HARNet(variant, num_classes=len(classes), classes=classes)
    backbone = {k: v for k, v in source.state_dict().items() if k.startswith("feature_extractor.")}
    model.load_state_dict(backbone, strict=False)
    return model


def harnet_cv(name: str, windows: WindowSet, classes: list[str], variant: str, init: str,
              config: TrainConfig, scheme: str, log=print, keep_folds: Path | None = None) -> dict:
    """Cross-validated scores; ``keep_folds``: a folder for each fold's model (distillation teachers)."""
    from .leakage import pretraining_check, seen_subjects, metadata_of_init

    y = encode_labels(windows, classes)
    check = pretraining_check(init, windows.stats.get("dataset", "?"), windows.subjects)
    seen = seen_subjects(metadata_of_init(init))

    def train_and_predict(fit_idx, val_idx, test_idx, fold):
        model = build_harnet(init, variant, classes)
        cfg = TrainConfig(**{**config.__dict__, "seed": config.seed + fold})
        fit(model, windows.x[fit_idx], y[fit_idx], len(classes), windows.x[val_idx], y[val_idx], cfg,
            description=f"{name} fold {fold + 1}")
        if keep_folds is not None:
            save_fold_model(model, Path(keep_folds), fold, windows, fit_idx, val_idx, test_idx, init, seen)
        return predict_proba(model, windows.x[test_idx], device=config.device).argmax(1)

    result = cross_validate(name, windows, classes, scheme, train_and_predict, config.seed, log)
    result["pretraining"] = check
    return result


def save_fold_model(model: HARNet, folder: Path, fold: int, windows: WindowSet, fit_idx, val_idx, test_idx,
                    init: str, seen: dict | None) -> Path:
    """``fold<k>.safetensors``: the fold's model with the subjects it was trained, validated and tested on."""
    from ..models.checkpoints import save_checkpoint

    subjects = lambda idx: sorted({str(s) for s in windows.subjects[idx]})
    path = folder / f"fold{fold + 1}.safetensors"
    save_checkpoint(model.cpu(), path, {
        "fold": fold + 1, "test_subjects": subjects(test_idx), "validation_subjects": subjects(val_idx),
        "init": str(init), "pretraining_data": seen,
        "training_data": {"dataset": windows.stats.get("dataset", "?"), "subjects": subjects(fit_idx),
                          "windows": len(fit_idx)}})
    return path


def train_final(windows: WindowSet, classes: list[str], variant: str, init: str, config: TrainConfig) -> HARNet:
    """The model shipped: trained on every subject, with whole subjects held out for early stopping."""
    from .splits import validation_split

    y = encode_labels(windows, classes)
    fit_idx, val_idx = validation_split(windows.subjects, np.arange(len(y)), seed=config.seed)
    model = build_harnet(init, variant, classes)
    fit(model, windows.x[fit_idx], y[fit_idx], len(classes), windows.x[val_idx], y[val_idx], config,
        description="final model")
    return model.cpu()


def training_summary(windows: WindowSet) -> dict:
    return {"windows": len(windows), "subjects": sorted(set(windows.subjects.tolist())),
            "per_class": windows.counts(), **{k: v for k, v in windows.stats.items() if k != "classes"}}
