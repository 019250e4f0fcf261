"""Reading and writing HARNet weights without unpickling code.

Two formats:
- published ssl-wearables files (``mtl_best.mdl`` ...): a plain PyTorch state dict saved from
  DistributedDataParallel, keys prefixed ``module.``, holding the backbone and four two-way
  pretext heads. Read with ``torch.load(weights_only=True)``.
- this project's own: safetensors with a JSON metadata record (variant, classes, rates, scores).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from ..errors import HarnetEdgeError
from .harnet import HARNet, SAMPLE_RATE_HZ, VARIANTS

PRETEXT_HEADS = ("aot_h", "scale_h", "permute_h", "time_w_h")
FORMAT_NAME = "harnet-edge-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(HarnetEdgeError, ValueError):
    """A model file that cannot be used as asked; the message is one line for the user."""


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _backbone_shapes(variant: str) -> dict[str, torch.Size]:
    model = HARNet(variant, num_classes=2)
    return {k: v.shape for k, v in model.state_dict().items() if k.startswith("feature_extractor.")}


def read_published_state(path) -> dict[str, torch.Tensor]:
    """The published file's tensors with the DDP ``module.`` prefix removed."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt zip, pickle with code objects, truncated file...
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"cannot read {path.name} as a PyTorch state dict: {first_line}") from None
    if isinstance(raw, dict) and "state_dict" in raw and isinstance(raw["state_dict"], dict):
        raw = raw["state_dict"]
    if not isinstance(raw, dict) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise CheckpointError(f"{path.name} is not a state dict of tensors")
    return {k.removeprefix("module."): v for k, v in raw.items()}


def infer_variant(state: dict[str, torch.Tensor]) -> str | None:
    """The variant whose backbone keys and shapes all match ``state``; None if none does."""
    for variant in VARIANTS:
        expected = _backbone_shapes(variant)
        if all(k in state and state[k].shape == s for k, s in expected.items()):
            return variant
    return None


def _mismatch_report(state: dict[str, torch.Tensor], variant: str) -> str:
    expected = _backbone_shapes(variant)
    missing = [k for k in expected if k not in state]
    wrong = [f"{k} {tuple(state[k].shape)} != {tuple(s)}" for k, s in expected.items()
             if k in state and state[k].shape != s]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing (e.g. {', '.join(missing[:3])})")
    if wrong:
        parts.append(f"{len(wrong)} of wrong shape (e.g. {'; '.join(wrong[:2])})")
    fits = infer_variant(state)
    hint = f"; the file fits variant={fits!r}" if fits else "; it fits no HARNet variant"
    return ", ".join(parts) + hint


def load_published_backbone(path, variant: str | None = None, num_classes: int = 5,
                            classes: list[str] | None = None, verbose: bool = True) -> HARNet:
    state = read_published_state(path)
    backbone = {k: v for k, v in state.items() if k.startswith("feature_extractor.")}
    if not backbone:
        raise CheckpointError(f"{Path(path).name} holds no 'feature_extractor.*' tensors; not a HARNet file")
    if variant is None:
        variant = infer_variant(backbone)
        if variant is None:
            raise CheckpointError(f"{Path(path).name} matches no HARNet variant: "
                                  + _mismatch_report(backbone, "harnet10"))
    if variant not in VARIANTS:
        raise CheckpointError(f"unknown variant {variant!r}; choose one of {sorted(VARIANTS)}")
    expected = _backbone_shapes(variant)
    if set(backbone) != set(expected) or any(backbone[k].shape != s for k, s in expected.items()):
        raise CheckpointError(f"{Path(path).name} does not fit {variant}: " + _mismatch_report(backbone, variant))
    ignored = [k for k in state if not k.startswith("feature_extractor.")]
    unknown = [k for k in ignored if k.split(".")[0] not in PRETEXT_HEADS]
    model = HARNet(variant, num_classes=num_classes, classes=classes)
    model.load_state_dict(backbone, strict=False)
    model.loaded_backbone_tensors = len(backbone)
    if verbose:
        n_params = sum(v.numel() for k, v in backbone.items() if not k.endswith(("kernel", "num_batches_tracked")))
        print(f"loaded {len(backbone)} backbone tensors ({n_params:,} values) into {variant}; "
              f"ignored {len(ignored)} pretext-head tensors" + (f" and {len(unknown)} unknown" if unknown else "")
              + "; classifier head starts untrained")
    return model


def save_published_layout(model: HARNet, path, pretext_heads: dict[str, torch.Tensor] | None = None) -> None:
    """Write the backbone (and pretext heads, if given) as the published files are laid out:
    a plain state dict with every key prefixed ``module.``."""
    state = {f"module.{k}": v.detach().cpu().clone() for k, v in model.state_dict().items()
             if k.startswith("feature_extractor.")}
    for k, v in (pretext_heads or {}).items():
        state[f"module.{k}"] = v.detach().cpu().clone()
    torch.save(state, path)


def build_model(variant: str, classes: list[str], window_seconds: int = 10):
    """An untrained model of any zoo variant: HARNet5/10/30 or a student."""
    from .student import STUDENTS, StudentCNN

    if variant in VARIANTS:
        return HARNet(variant, num_classes=len(classes), classes=classes)
    if variant in STUDENTS:
        return StudentCNN(variant, num_classes=len(classes), classes=classes, window_seconds=window_seconds)
    raise CheckpointError(f"unknown model variant {variant!r}")


def model_metadata(model: HARNet, extra: dict | None = None) -> dict:
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "variant": model.variant,
        "classes": list(model.classes),
        "sample_rate_hz": SAMPLE_RATE_HZ,
        "window_seconds": model.window_len // SAMPLE_RATE_HZ,
        "window_samples": model.window_len,
        "input_layout": "NCT: (batch, 3 axes x/y/z, time)",
        "input_units": "g",
    }
    meta.update(extra or {})
    return meta


def save_checkpoint(model: HARNet, path, extra_metadata: dict | None = None) -> None:
    """Save atomically (write + rename), so an interrupted run never leaves a half-written model."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(tmp), metadata={"harnet_edge": json.dumps(model_metadata(model, extra_metadata))})
    tmp.replace(path)


def read_checkpoint_metadata(path) -> dict:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            raw = (fh.metadata() or {}).get("harnet_edge")
    except Exception as exc:
        raise CheckpointError(f"cannot read {Path(path).name} as a harnet-edge checkpoint: "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if raw is None:
        raise CheckpointError(f"{Path(path).name} has no harnet-edge metadata")
    meta = json.loads(raw)
    if meta.get("format") != FORMAT_NAME or meta.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{Path(path).name}: unsupported checkpoint format {meta.get('format')} "
                              f"v{meta.get('format_version')}")
    return meta


def load_checkpoint(path):
    """Load our own checkpoint; published ``.mdl`` files are routed to the published loader."""
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.suffix in (".mdl", ".pt", ".pth"):
        model = load_published_backbone(path, verbose=False)
        return model, model_metadata(model, {"source": "ssl-wearables published backbone"})
    meta = read_checkpoint_metadata(path)
    model = build_model(meta["variant"], meta["classes"], meta.get("window_seconds", 10))
    state = load_file(str(path))
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatch
        raise CheckpointError(f"{path.name} does not fit {meta['variant']}: {str(exc).splitlines()[-1].strip()}") from None
    if result.missing_keys or result.unexpected_keys:
        raise CheckpointError(f"{path.name} does not fit {meta['variant']}: missing {result.missing_keys[:3]}, "
                              f"unexpected {result.unexpected_keys[:3]}")
    model.metadata = meta
    return model, meta
