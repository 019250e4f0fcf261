"""The built-in default models shipped inside the package (see scripts/build_default_models.py)."""
from __future__ import annotations

from pathlib import Path

from ..formats import format_of
from .model_info import ModelFileError

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "default_models"
# The built-in student (scripts/build_default_models.py); its files are STEM_int8.onnx and so on.
DEFAULT_STEM = "cnn-small"
PREFERENCE = (f"{DEFAULT_STEM}_int8.onnx", f"{DEFAULT_STEM}_int8.tflite", f"{DEFAULT_STEM}_fp32.onnx")


def default_models() -> list[Path]:
    return sorted(p for p in DEFAULT_DIR.glob("*") if format_of(p) is not None)


def default_model() -> Path:
    for name in PREFERENCE:
        if (DEFAULT_DIR / name).is_file():
            return DEFAULT_DIR / name
    raise ModelFileError(f"no built-in model found in {DEFAULT_DIR}; give a model file")
