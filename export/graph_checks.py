"""Checks on the converted graphs themselves, not only their outputs: HARNet's circular padding and
fixed anti-aliasing filters must survive conversion as what they are."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from harnet_edge.models.harnet import HARNet


def expected_antialias_taps(model: HARNet) -> list[np.ndarray]:
    return [stage[-1].kernel[0, 0].numpy() for stage in model.feature_extractor]


def count_circular_convs(model: HARNet) -> int:
    return sum(1 for m in model.modules() if getattr(m, "padding_mode", "") == "circular")


def resolve_constant(name: str, inits: dict, producers: dict) -> np.ndarray | None:
    """A weight as float: an initializer, maybe behind Identity or DequantizeLinear (int8 graphs)."""
    if name in inits:
        return inits[name].astype(np.float32)
    node = producers.get(name)
    if node is None:
        return None
    if node.op_type == "Identity":
        return resolve_constant(node.input[0], inits, producers)
    if node.op_type == "DequantizeLinear":
        q = resolve_constant(node.input[0], inits, producers)
        scale = resolve_constant(node.input[1], inits, producers) if len(node.input) > 1 else None
        zero = resolve_constant(node.input[2], inits, producers) if len(node.input) > 2 else None
        if q is None or scale is None:
            return None
        shape = (-1,) + (1,) * (q.ndim - 1) if scale.size > 1 else ()
        zero = 0 if zero is None else (zero.reshape(shape) if shape else zero)
        return (q - zero) * (scale.reshape(shape) if shape else scale)
    return None


def onnx_graph_report(path: Path, model=None) -> dict:
    """Op counts; for HARNet also: one wrap-around (Slice+Concat or Pad wrap) per circular conv, and
    every anti-aliasing filter present as a depthwise Conv whose weights are the binomial taps."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    ops = Counter(n.op_type for n in graph.node)
    report = {"ops": dict(ops)}
    if isinstance(model, HARNet):
        n_circular = count_circular_convs(model)
        wraps = ops.get("Concat", 0) + sum(1 for n in graph.node if n.op_type == "Pad" and any(
            a.name == "mode" and a.s == b"wrap" for a in n.attribute))
        inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        producers = {out: node for node in graph.node for out in node.output}
        depthwise = [resolve_constant(n.input[1], inits, producers) for n in graph.node
                     if n.op_type == "Conv" and next((a.i for a in n.attribute if a.name == "group"), 1) > 1]
        taps = expected_antialias_taps(model)
        matched = sum(any(w is not None and w.shape[-1] == len(t) and np.allclose(w[0, 0], t, atol=2e-2)
                          for w in depthwise) for t in taps)
        report.update(circular_convs=n_circular, wrap_ops=wraps, antialias_filters=len(taps),
                      antialias_found=matched,
                      ok=bool(wraps >= n_circular and matched == len(taps)))
    if any(n.op_type == "DequantizeLinear" for n in graph.node):
        report.update(onnx_int8_report(path))
        report["ok"] = bool(report.get("ok", True) and report["float_convs_at_runtime"] == 0)
    return report


def onnxruntime_kernels(path: Path) -> Counter:
    """Op types of the graph onnxruntime actually runs, after its own fusions (QDQ -> QLinear*)."""
    import tempfile

    import onnx
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(Path(tmp) / "optimized.onnx")
        options.log_severity_level = 3
        ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return Counter(n.op_type for n in onnx.load(options.optimized_model_filepath).graph.node)


def onnx_int8_report(path: Path) -> dict:
    """An int8 file whose convolutions onnxruntime leaves in float is slower than fp32: refuse it."""
    kernels = onnxruntime_kernels(path)
    return {"runtime_ops": dict(kernels), "float_convs_at_runtime": kernels.get("Conv", 0) + kernels.get("FusedConv", 0),
            "int8_convs_at_runtime": kernels.get("QLinearConv", 0)}


def tflite_depthwise_kernels(interpreter) -> list[np.ndarray]:
    """Float weights (taps, channels) of every DEPTHWISE_CONV_2D, dequantised per channel in int8 files."""
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    kernels = []
    for op in interpreter._get_ops_details():
        if op["op_name"] != "DEPTHWISE_CONV_2D":
            continue
        detail = details[op["inputs"][1]]
        weights = interpreter.get_tensor(detail["index"]).astype(np.float32)    # (1, H, W, C)
        quant = detail["quantization_parameters"]
        if len(quant["scales"]):
            shape = [1] * weights.ndim
            shape[quant["quantized_dimension"]] = -1
            scale = quant["scales"].reshape(shape) if len(quant["scales"]) > 1 else quant["scales"][0]
            zero = quant["zero_points"].reshape(shape) if len(quant["zero_points"]) > 1 else quant["zero_points"][0]
            weights = (weights - zero) * scale
        kernels.append(weights.reshape(-1, weights.shape[-1]))
    return kernels


def count_antialias_filters(kernels: list[np.ndarray], taps: list[np.ndarray], atol: float = 2e-2) -> int:
    """How many of HARNet's fixed filters appear, each as its own depthwise op whose every channel
    holds exactly those taps (the 1x1 affine convolutions, a box filter or a learnt kernel do not)."""
    unused = list(range(len(kernels)))
    found = 0
    for t in taps:
        match = next((i for i in unused if kernels[i].shape[0] == len(t)
                      and np.allclose(kernels[i], t[:, None], atol=atol)), None)
        if match is not None:
            unused.remove(match)
            found += 1
    return found


def tflite_graph_report(path: Path, model=None) -> dict:
    """Op counts; for HARNet also: one CONCATENATION (circular wrap) per circular conv, and every
    anti-aliasing filter present as a depthwise convolution with the binomial taps as weights."""
    from harnet_edge.runtime.engines import load_tflite_interpreter_class

    interpreter_class, _ = load_tflite_interpreter_class()
    interpreter = interpreter_class(model_path=str(path))
    ops = Counter(d["op_name"] for d in interpreter._get_ops_details())
    report = {"ops": dict(ops)}
    if isinstance(model, HARNet):
        taps = expected_antialias_taps(model)
        n_circular = count_circular_convs(model)
        found = count_antialias_filters(tflite_depthwise_kernels(interpreter), taps)
        report.update(antialias_filters=len(taps), antialias_found=found,
                      depthwise_convs=ops.get("DEPTHWISE_CONV_2D", 0),
                      circular_convs=n_circular, wrap_ops=ops.get("CONCATENATION", 0),
                      ok=bool(found == len(taps) and ops.get("CONCATENATION", 0) >= n_circular))
    return report
