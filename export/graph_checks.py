"""Checks on the converted graphs themselves, not only their outputs: HARNet's circular padding and
fixed anti-aliasing filters must survive conversion as what they are."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from harnet_edge.models.harnet import HARNet


def expected_antialias_taps(model: HARNet) -> list[np.ndarray]:
    return [stage[-1].kernel[0, 0].numpy() for stage in model.feature_extractor]


def onnx_graph_report(path: Path, model=None) -> dict:
    """Op counts; for HARNet also: one wrap-around (Slice+Concat or Pad wrap) per circular conv, and
    every anti-aliasing filter present as a depthwise Conv whose weights are the binomial taps."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    ops = Counter(n.op_type for n in graph.node)
    report = {"ops": dict(ops)}
    if isinstance(model, HARNet):
        n_circular = sum(1 for m in model.modules() if getattr(m, "padding_mode", "") == "circular")
        wraps = ops.get("Concat", 0) + sum(1 for n in graph.node if n.op_type == "Pad" and any(
            a.name == "mode" and a.s == b"wrap" for a in n.attribute))
        inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        depthwise = []
        for n in graph.node:
            groups = next((a.i for a in n.attribute if a.name == "group"), 1)
            if n.op_type == "Conv" and groups > 1:
                w = inits.get(n.input[1])
                if w is None:  # int8 graphs feed weights through DequantizeLinear
                    src = next((m for m in graph.node if n.input[1] in m.output), None)
                    w = inits.get(src.input[0]) if src is not None else None
                    if w is not None and src is not None:
                        scale = inits.get(src.input[1])
                        w = w.astype(np.float32) * (scale.reshape(-1, 1, 1) if scale is not None and scale.size > 1
                                                    else (scale if scale is not None else 1))
                depthwise.append(w)
        taps = expected_antialias_taps(model)
        matched = sum(any(w is not None and w.shape[-1] == len(t) and np.allclose(w[0, 0], t, atol=2e-2)
                          for w in depthwise) for t in taps)
        report.update(circular_convs=n_circular, wrap_ops=wraps, antialias_filters=len(taps),
                      antialias_found=matched,
                      ok=bool(wraps >= n_circular and matched == len(taps)))
    return report


def tflite_graph_report(path: Path, model=None) -> dict:
    from harnet_edge.runtime.engines import load_tflite_interpreter_class

    interpreter_class, _ = load_tflite_interpreter_class()
    interpreter = interpreter_class(model_path=str(path))
    ops = Counter(d["op_name"] for d in interpreter._get_ops_details())
    report = {"ops": dict(ops)}
    if isinstance(model, HARNet):
        taps = expected_antialias_taps(model)
        report.update(antialias_filters=len(taps), depthwise_convs=ops.get("DEPTHWISE_CONV_2D", 0),
                      ok=bool(ops.get("DEPTHWISE_CONV_2D", 0) >= len(taps)))
    return report
