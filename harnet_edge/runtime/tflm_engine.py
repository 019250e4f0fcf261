"""An engine over the TensorFlow Lite Micro interpreter: the kernels a microcontroller runs,
on the host. Used to verify ``tflm`` exports and by the software twin of on-device firmware."""
from __future__ import annotations

import numpy as np

from .engines import Engine, ModelFileError, dequantise, quantise

DEFAULT_ARENA_BYTES = 1 << 20


class TflmEngine(Engine):
    """A full-integer ``.tflite`` in a fixed tensor arena, one window per invoke (as on the MCU).

    ``arena_bytes`` is the arena the firmware reserves: a model that does not fit is refused,
    as the device would refuse it."""

    backend = "tflite-micro"

    def __init__(self, path, threads: int | None = None, arena_bytes: int = DEFAULT_ARENA_BYTES):
        super().__init__(path, threads)
        try:
            from tflite_micro.python.tflite_micro import runtime
        except ImportError:
            raise ModelFileError("TFLite Micro is not installed: pip install 'harnet-edge[tflm]'") from None
        try:
            self.interpreter = runtime.Interpreter.from_bytes(self.path.read_bytes(), arena_size=int(arena_bytes))
        except RuntimeError as exc:
            raise ModelFileError(f"{self.path.name}: TFLite Micro cannot prepare it in a {arena_bytes}-byte arena "
                                 f"({exc})") from None
        self.arena_bytes = int(arena_bytes)
        self.input = self._detail(self.interpreter.get_input_details(0))
        self.output = self._detail(self.interpreter.get_output_details(0))
        if self.input["dtype"] != np.int8:
            raise ModelFileError(f"{self.path.name}: TFLite Micro targets need a full-integer (int8) model")

    @staticmethod
    def _detail(detail: dict) -> dict:
        """TFLM's details in the shape ``quantise``/``dequantise`` expect (as TFLite's)."""
        q = detail["quantization_parameters"]
        return {"dtype": detail["dtype"], "shape": detail["shape"],
                "quantization": (float(q["scales"][0]), int(q["zero_points"][0]))}

    def invoke_int8(self, window_q: np.ndarray) -> np.ndarray:
        """One already-quantised (3, T) int8 window -> the int8 logits, as the firmware calls it."""
        self.interpreter.set_input(np.asarray(window_q, np.int8)[None], 0)
        self.interpreter.invoke()
        return self.interpreter.get_output(0).reshape(-1)

    def _infer(self, windows: np.ndarray) -> np.ndarray:
        outputs = []
        for window in windows:
            self.interpreter.set_input(quantise(window[None], self.input), 0)
            self.interpreter.invoke()
            outputs.append(dequantise(self.interpreter.get_output(0), self.output))
        return np.concatenate(outputs)
