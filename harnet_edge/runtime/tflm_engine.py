"""An engine over the TensorFlow Lite Micro interpreter: the kernels a microcontroller runs,
on the host. Used to verify ``tflm`` exports and by the software twin of on-device firmware."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .engines import Engine, ModelFileError, dequantise, quantise

DEFAULT_ARENA_BYTES = 1 << 20
REFERENCE_ARENA_BYTES = 64 * 1024    # the RAM the reference sketch (nRF52840) reserves for TFLM
TFLM_SUFFIX = ".tflm.c"
_ARRAY = re.compile(r"harnet_model_tflite\[\][^=]*=\s*\{([^}]*)\};")
_LENGTH = re.compile(r"harnet_model_tflite_len\s*=\s*(\d+)\s*;")
OUTPUT_DTYPES = (np.int8, np.int16)       # logits: int8, or int16 from a 16x8 classifier
_ARENA = re.compile(r"#define\s+HARNET_MODEL_ARENA_BYTES\s+(\d+)")


def tflm_model_bytes(path) -> bytes:
    """The flatbuffer a ``.tflm.c`` export carries (the bytes the firmware gets), or a .tflite's bytes."""
    path = Path(path)
    if not path.name.endswith(TFLM_SUFFIX):
        return path.read_bytes()
    text = path.read_text(errors="replace")
    array, length = _ARRAY.search(text), _LENGTH.search(text)
    if not array or not length:
        raise ModelFileError(f"{path.name}: not a harnet-edge tflm source (no harnet_model_tflite array)")
    try:
        data = bytes(int(v, 16) for v in array.group(1).replace(",", " ").split())
    except ValueError:
        raise ModelFileError(f"{path.name}: the harnet_model_tflite array holds something other than bytes") from None
    if len(data) != int(length.group(1)):
        raise ModelFileError(f"{path.name}: the model array has {len(data)} bytes, harnet_model_tflite_len "
                             f"says {length.group(1)}")
    return data


def tflm_arena_from_header(path) -> int | None:
    """HARNET_MODEL_ARENA_BYTES from the ``.tflm.h`` beside a ``.tflm.c`` (what the firmware reserves)."""
    path = Path(path)
    header = path.with_name(path.name[:-2] + ".h") if path.name.endswith(TFLM_SUFFIX) else None
    if header is None or not header.is_file():
        return None
    found = _ARENA.search(header.read_text(errors="replace"))
    return int(found.group(1)) if found else None


class TflmEngine(Engine):
    """A full-integer ``.tflite`` in a fixed tensor arena, one window per invoke (as on the MCU).

    ``arena_bytes`` is the arena the firmware reserves: a model that does not fit is refused,
    as the device would refuse it."""

    backend = "tflite-micro"

    def __init__(self, path, threads: int | None = None, arena_bytes: int | None = None):
        super().__init__(path, threads)
        # A .tflm.c export runs in the arena its header reserves: as strict as the firmware.
        arena_bytes = arena_bytes or tflm_arena_from_header(self.path) or DEFAULT_ARENA_BYTES
        try:
            from tflite_micro.python.tflite_micro import runtime
        except ImportError:
            raise ModelFileError("TFLite Micro is not installed: pip install 'harnet-edge[tflm]'") from None
        try:
            self.interpreter = runtime.Interpreter.from_bytes(tflm_model_bytes(self.path), arena_size=int(arena_bytes))
        except RuntimeError as exc:
            raise ModelFileError(f"{self.path.name}: TFLite Micro cannot prepare it in a {arena_bytes}-byte arena "
                                 f"({exc})") from None
        self.arena_bytes = int(arena_bytes)
        self.input = self._detail(self.interpreter.get_input_details(0))
        self.output = self._detail(self.interpreter.get_output_details(0))
        if self.input["dtype"] != np.int8 or self.output["dtype"] not in OUTPUT_DTYPES:
            raise ModelFileError(f"{self.path.name}: TFLite Micro targets need a full-integer model "
                                 f"(int8 input, int8 or int16 logits)")

    @staticmethod
    def _detail(detail: dict) -> dict:
        """TFLM's details in the shape ``quantise``/``dequantise`` expect (as TFLite's)."""
        q = detail["quantization_parameters"]
        return {"dtype": detail["dtype"], "shape": detail["shape"],
                "quantization": (float(q["scales"][0]), int(q["zero_points"][0]))}

    def invoke_int8(self, window_q: np.ndarray) -> np.ndarray:
        """One already-quantised (3, T) int8 window -> the logits in the model's output dtype
        (int8, or int16 where the classifier runs TFLite's 16x8 kernel), as the firmware calls it."""
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
