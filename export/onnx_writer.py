"""ONNX artefacts: fp32 via the TorchScript exporter, int8 via onnxruntime static QDQ quantisation."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from . import ExportError
from .metadata import embed_onnx

OPSET = 17


def write_onnx_fp32(graph_model: torch.nn.Module, window_len: int, path: Path, meta: dict) -> Path:
    example = torch.zeros(1, 3, window_len)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(graph_model, (example,), str(path), input_names=["windows"], output_names=["logits"],
                          dynamic_axes={"windows": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)
    embed_onnx(path, meta)
    return path


class WindowReader:
    """Feeds calibration windows one at a time to onnxruntime's calibrator."""

    def __init__(self, windows: np.ndarray):
        self.items = iter([{"windows": windows[i:i + 1]} for i in range(len(windows))])

    def get_next(self):
        return next(self.items, None)


SHAPE_ONLY_OPS = ("Unsqueeze", "Reshape", "Transpose", "Squeeze", "Identity")


def input_tensors(path) -> list[str]:
    """The graph input and the tensors it becomes through shape-only ops (the 1-D layers run as 2-D
    ones behind an Unsqueeze): the quantiser puts the input's QuantizeLinear on the last of these."""
    import onnx

    graph = onnx.load(str(path)).graph
    names = [graph.input[0].name]
    while True:
        nxt = next((n for n in graph.node if n.op_type in SHAPE_ONLY_OPS and n.input and n.input[0] == names[-1]), None)
        if nxt is None:
            return names
        names.append(nxt.output[0])


# 16-bit QDQ pairs are standard ONNX from opset 21 (onnxruntime would upgrade the graph itself, warning).
OPSET_16_BIT = 21


def write_onnx_int8(fp32_path: Path, path: Path, calibration: np.ndarray, meta: dict,
                    input_range_g: float | None = None, logits_bits: int = 8) -> Path:
    """``input_range_g``: the input is quantised symmetrically over +-this many g (the sensor's full
    scale) instead of the calibration windows' extremes, so no orientation of gravity is clipped.
    ``logits_bits=16``: the graph's output (the classifier's logits) is quantised to int16; every
    weight stays int8 and every other activation uint8 (see ``export/orientation.py`` for why)."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(WindowReader, CalibrationDataReader):
        pass

    if logits_bits not in (8, 16):
        raise ExportError(f"logits_bits must be 8 or 16, not {logits_bits}")
    pre = path.with_name(path.stem + ".pre.onnx")
    try:
        quant_pre_process(str(fp32_path), str(pre), skip_symbolic_shape=True)
        # QDQ, per-channel int8 weights, uint8 activations (U8S8). Measured with onnxruntime 1.32 on
        # HARNet10: with int8 activations ORT fused only 10 of 26 convolutions into QLinearConv and
        # ran the rest in float behind per-run weight dequantisation (6.1 ms); U8S8 fuses all 26 (1.7 ms).
        tensors = {}
        if input_range_g:
            symmetric = {"rmin": np.float32(-input_range_g), "rmax": np.float32(input_range_g), "symmetric": True}
            tensors.update({name: [dict(symmetric)] for name in input_tensors(pre)})
        if logits_bits == 16:
            graph = onnx.load(str(pre))
            onnx.save(onnx.version_converter.convert_version(graph, OPSET_16_BIT), str(pre))
            int16 = {"quant_type": QuantType.QInt16, "symmetric": True}
            tensors.update({out.name: [dict(int16)] for out in graph.graph.output})
        quantize_static(str(pre), str(path), Reader(calibration.astype(np.float32)), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        extra_options={"TensorQuantOverrides": tensors} if tensors else {})
    except Exception as exc:
        raise ExportError(f"ONNX int8 quantisation failed: {str(exc).splitlines()[0][:200]}") from None
    finally:
        pre.unlink(missing_ok=True)
    embed_onnx(path, meta)
    return path
