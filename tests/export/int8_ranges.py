"""The real-valued range an int8 model's input can represent, read from the model file."""
from __future__ import annotations

import numpy as np


def onnx_input_range_g(path) -> tuple[float, float]:
    """Range of the QuantizeLinear that reads the graph input, directly or after shape-only ops."""
    import onnx
    from onnx import numpy_helper

    from harnet_edge.export.onnx_writer import input_tensors

    model = onnx.load(str(path))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    inputs = input_tensors(path)
    node = next(n for n in model.graph.node if n.op_type == "QuantizeLinear" and n.input[0] in inputs)
    scale, zero = float(inits[node.input[1]]), inits[node.input[2]]
    info = np.iinfo(zero.dtype)
    return (info.min - int(zero)) * scale, (info.max - int(zero)) * scale


def tflite_input_range_g(engine) -> tuple[float, float]:
    scale, zero = engine.input["quantization"]
    info = np.iinfo(engine.input["dtype"])
    return (info.min - zero) * scale, (info.max - zero) * scale
