"""The built-in default models shipped inside the package (see scripts/build_default_models.py)."""
from __future__ import annotations

from pathlib import Path

from ..formats import format_of
from .model_info import ModelFileError

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "default_models"
PREFERENCE = ("ds-small_int8.onnx", "ds-small_int8.tflite", "ds-small_fp32.onnx")


def default_models() -> list[Path]:
    return sorted(p for p in DEFAULT_DIR.glob("*") if format_of(p) is not None)


def default_model() -> Path:
    for name in PREFERENCE:
        if (DEFAULT_DIR / name).is_file():
            return DEFAULT_DIR / name
    raise ModelFileError(f"no built-in model found in {DEFAULT_DIR}; give a model file")
