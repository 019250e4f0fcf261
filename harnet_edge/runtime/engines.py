"""Inference engines: one small interface over onnxruntime and the TFLite interpreters.

``open_engine(path)`` picks the backend from the file's row in ``harnet_edge.formats``; every engine
reads the model's metadata, runs windows (N, 3, T) float32 in g and returns class probabilities
(N, C). Torch-free.
"""
from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from .model_info import ModelFileError, ModelInfo, _first_line, check_model_file, read_model_info


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Engine(ABC):
    """One model file, ready to classify windows.

    Contract: ``Engine(path, threads)`` opens the file or raises ``ModelFileError`` with one line;
    ``info`` is the file's own ``ModelInfo`` (classes, rate, window, units, quantisation);
    ``run(windows)`` takes (N, 3, info.window_samples) float32 in g (N may be 0) and returns (N, C)
    float32 probabilities, rows summing to 1, C = len(info.classes); a window of another shape is a
    ``ModelFileError``. ``backend`` names the runtime that did the work (it goes into bench tables).
    Subclasses implement ``_infer(windows) -> raw outputs (N, C)``; when the metadata's ``output`` is
    "logits" the base applies the softmax.
    """

    backend = "base"

    def __init__(self, path, threads: int | None = None, session=None):
        self.path = Path(path)
        self.threads = threads
        if not self.path.is_file():
            raise ModelFileError(f"model file not found: {self.path}")
        self.info: ModelInfo = read_model_info(self.path, session)

    def run(self, windows: np.ndarray) -> np.ndarray:
        windows = np.ascontiguousarray(windows, dtype=np.float32)
        expected = (3, self.info.window_samples)
        if windows.ndim != 3 or windows.shape[1:] != expected:
            raise ModelFileError(f"{self.path.name} takes windows of shape (N, {expected[0]}, {expected[1]}); "
                                 f"got {windows.shape}")
        if len(windows) == 0:
            return np.zeros((0, len(self.info.classes)), np.float32)
        out = self._infer(windows).astype(np.float32)
        if out.shape != (len(windows), len(self.info.classes)):
            raise ModelFileError(f"{self.path.name}: the model outputs {_shape(out.shape[1:])} values per window "
                                 f"but its metadata names {len(self.info.classes)} classes")
        if self.info.extra.get("output", "logits") == "logits":
            out = softmax(out)
        return out

    def warm_up(self, repeats: int = 3) -> float:
        """Run a few dummy windows (first runs allocate and pick kernels); returns the first-run seconds."""
        dummy = np.zeros((1, 3, self.info.window_samples), np.float32)
        dummy[:, 2] = 1.0
        t0 = time.perf_counter()
        self.run(dummy)
        first = time.perf_counter() - t0
        for _ in range(repeats - 1):
            self.run(dummy)
        return first

    @abstractmethod
    def _infer(self, windows: np.ndarray) -> np.ndarray:
        """Raw model outputs (N, C) for windows already checked for shape and dtype."""

    def check_io(self, input_shape, output_shape) -> None:
        """The graph's declared shapes against the metadata; symbolic (None/str) dimensions pass here
        and are checked on the first run instead."""
        name, info = self.path.name, self.info
        fixed = [d if isinstance(d, (int, np.integer)) and d > 0 else None for d in input_shape]
        if len(fixed) != 3 or fixed[1] not in (3, None):
            raise ModelFileError(f"{name}: model input has shape {_shape(input_shape)}; the runtime feeds "
                                 f"(batch, 3, {info.window_samples})")
        if fixed[2] not in (info.window_samples, None):
            raise ModelFileError(f"{name}: model input takes {fixed[2]} samples per window but its metadata "
                                 f"says window_samples={info.window_samples}")
        out = [d if isinstance(d, (int, np.integer)) and d > 0 else None for d in output_shape]
        if len(out) != 2 or out[1] not in (len(info.classes), None):
            raise ModelFileError(f"{name}: model output has shape {_shape(output_shape)} but its metadata names "
                                 f"{len(info.classes)} classes")


def _shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class OnnxEngine(Engine):
    backend = "onnxruntime"

    def __init__(self, path, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        check_model_file(path)
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelFileError(f"{Path(path).name}: onnxruntime cannot load it ({_first_line(exc)})") from None
        super().__init__(path, threads, self.session)
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1:
            raise ModelFileError(f"{self.path.name}: model has {len(inputs)} inputs; the runtime feeds one")
        self.check_io(inputs[0].shape, outputs[0].shape)
        self.input_name = inputs[0].name
        self.fixed_batch = inputs[0].shape[0]

    def _infer(self, windows: np.ndarray) -> np.ndarray:
        if isinstance(self.fixed_batch, int) and self.fixed_batch != len(windows):
            return np.concatenate([self.session.run(None, {self.input_name: windows[i:i + 1]})[0]
                                   for i in range(len(windows))])
        return self.session.run(None, {self.input_name: windows})[0]


def load_tflite_interpreter_class():
    """ai-edge-litert first (works with numpy 2), then tflite-runtime (built against numpy 1.x)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
        return Interpreter, "ai-edge-litert"
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter
        return Interpreter, "tflite-runtime"
    except ImportError:
        raise ModelFileError("no TFLite interpreter installed; pip install 'harnet-edge[tflite]' "
                             "(ai-edge-litert) or tflite-runtime") from None


class TFLiteEngine(Engine):
    backend = "tflite"

    def __init__(self, path, threads: int | None = None):
        super().__init__(path, threads)
        interpreter_class, self.backend = load_tflite_interpreter_class()
        try:
            self.interpreter = interpreter_class(model_path=str(self.path), num_threads=threads or os.cpu_count())
            self.interpreter.allocate_tensors()
        except Exception as exc:
            hint = ""
            if self.backend == "tflite-runtime" and np.__version__.startswith("2"):
                hint = "; tflite-runtime 2.14 was built for numpy 1.x and fails with numpy 2: install ai-edge-litert"
            raise ModelFileError(f"{self.path.name}: {self.backend} cannot load it ({_first_line(exc)}){hint}") from None
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.check_io(list(self.input["shape"]), list(self.output["shape"]))

    def _infer(self, windows: np.ndarray) -> np.ndarray:
        outputs = []
        for window in windows:  # the converted graph has a fixed batch of one, as live use needs
            self.interpreter.set_tensor(self.input["index"], quantise(window[None], self.input))
            self.interpreter.invoke()
            outputs.append(dequantise(self.interpreter.get_tensor(self.output["index"]), self.output))
        return np.concatenate(outputs)


def quantise(x: np.ndarray, detail: dict) -> np.ndarray:
    """Float input to an integer input tensor with that tensor's own scale and zero point."""
    if detail["dtype"] == np.float32:
        return x
    scale, zero = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(x / scale + zero), info.min, info.max).astype(detail["dtype"])


def dequantise(y: np.ndarray, detail: dict) -> np.ndarray:
    if detail["dtype"] == np.float32:
        return y.astype(np.float32)
    scale, zero = detail["quantization"]
    return (y.astype(np.float32) - zero) * scale


def open_engine(path, threads: int | None = None, warm_up: bool = True) -> Engine:
    """The engine that ``harnet_edge.formats`` names for this file's suffix."""
    from ..formats import FORMATS, format_of

    path = Path(path)
    fmt = format_of(path)
    if fmt is None:
        expected = " or ".join(f.suffix for f in FORMATS.values())
        raise ModelFileError(f"{path.name}: unknown model format (expected {expected})")
    engine = fmt.load("engine")(path, threads)
    if warm_up:
        engine.warm_up()
    return engine
