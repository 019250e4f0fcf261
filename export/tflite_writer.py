"""TFLite artefacts: fp32 by litert-torch (PyTorch -> TFLite, no TensorFlow), full-integer int8 by
ai-edge-quantizer's static recipe on that float graph (int8 weights and activations, calibrated).

Quantising the converted float graph, rather than the PyTorch graph with PT2E, sidesteps the
BatchNorm-folding trap described in ``fold.py``; the export still validates the result.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
from pathlib import Path

import numpy as np
import torch

from . import ExportError
from .metadata import embed_tflite


@contextlib.contextmanager
def quiet():
    """The converters print pages of progress to stdout/stderr; keep our own progress readable."""
    logging.getLogger("absl").setLevel(logging.ERROR)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def write_tflite_fp32(graph_model: torch.nn.Module, window_len: int, path: Path, meta: dict) -> Path:
    try:
        import litert_torch
    except ImportError:
        raise ExportError("TFLite export needs litert-torch: pip install 'harnet-edge[export]'") from None
    with quiet():
        edge = litert_torch.convert(graph_model.eval(), (torch.zeros(1, 3, window_len),))
        edge.export(str(path))
    embed_tflite(path, meta)
    return path


def calibrate_min_max(qt, data: dict):
    """Activation ranges from the true min/max over the calibration windows.

    ai-edge-quantizer's default keeps a moving average of per-sample min/max, which shrinks the
    ranges: on ADL the input range came out as -1.13..0.94 g for data spanning -1.5..1.5 g, clipping
    every strong movement (int8 agreement with fp32 fell to ~0.82). onnxruntime's MinMax calibrator
    uses the true extremes; this does the same here."""
    from ai_edge_quantizer import calibrator
    from ai_edge_quantizer.utils import qsv_utils

    try:
        calib = calibrator.Calibrator(qt._float_model_buffer, qsv_update_func=qsv_utils.min_max_update)
        calib.calibrate(data, qt._recipe_manager)
        return calib.get_model_qsvs()
    except (AttributeError, TypeError):   # the quantizer's internals moved: fall back to its default
        return qt.calibrate(data)


def widen_input_range(qsvs: dict, input_tensor: str, input_range_g: float) -> dict:
    """The input's int8 range becomes +-input_range_g (symmetric: zero point 0), whatever the
    calibration windows spanned, so gravity on either side of any axis is representable."""
    stats = qsvs[input_tensor]
    stats["min"] = np.full_like(stats["min"], -input_range_g)
    stats["max"] = np.full_like(stats["max"], input_range_g)
    return qsvs


def write_tflite_int8(fp32_path: Path, path: Path, calibration: np.ndarray, meta: dict,
                      input_range_g: float | None = None, logits_bits: int = 8) -> Path:
    """``logits_bits=16``: fully connected layers run as TFLite's 16x8 kernel (int8 weights, int16
    activations) and the graph's output (the logits) is int16; every other tensor stays int8.
    TFLite Micro runs both kernels."""
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_quantizer import qtyping, quantizer, recipe

    if logits_bits not in (8, 16):
        raise ExportError(f"logits_bits must be 8 or 16, not {logits_bits}")

    interpreter = Interpreter(model_path=str(fp32_path))
    input_tensor = interpreter.get_input_details()[0]["name"]
    signatures = interpreter.get_signature_list()
    signature = next(iter(signatures))
    input_name = signatures[signature]["inputs"][0]
    samples = [{input_name: calibration[i:i + 1].astype(np.float32)} for i in range(len(calibration))]
    try:
        with quiet():
            qt = quantizer.Quantizer(str(fp32_path))
            qt.load_quantization_recipe(recipe.static_wi8_ai8())
            if logits_bits == 16:
                for op in (qtyping.TFLOperationName.FULLY_CONNECTED, qtyping.TFLOperationName.OUTPUT):
                    qt.add_static_config(regex=".*", operation_name=op, activation_num_bits=16, weight_num_bits=8)
            qsvs = calibrate_min_max(qt, {signature: samples})
            if input_range_g:
                qsvs = widen_input_range(qsvs, input_tensor, input_range_g)
            result = qt.quantize(qsvs)
            result.export_model(str(path), overwrite=True)
    except Exception as exc:
        raise ExportError(f"TFLite int8 quantisation failed: {str(exc).splitlines()[0][:200]}") from None
    embed_tflite(path, meta)
    return path
