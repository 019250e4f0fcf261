"""What a model file says about itself: classes, rate, window, layout, units, quantisation.

Written by ``export`` as a JSON record under the key ``harnet_edge``: in ONNX as a metadata prop,
in TFLite as a named entry of the flatbuffer's ``metadata`` table. Read here without torch, onnx or
the TFLite schema package: the TFLite side is a minimal flatbuffer walk.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HarnetEdgeError

METADATA_KEY = "harnet_edge"
REQUIRED = ("classes", "sample_rate_hz", "window_samples", "input_layout", "input_units")


class ModelFileError(HarnetEdgeError):
    """A model file that cannot be run as asked; one line for the user."""


@dataclass(frozen=True)
class ModelInfo:
    classes: tuple[str, ...]
    sample_rate_hz: float
    window_samples: int
    input_layout: str          # "NCT": (batch, 3 axes, time)
    input_units: str           # "g"
    variant: str = "unknown"
    quantisation: str = "fp32"
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def window_seconds(self) -> float:
        return self.window_samples / self.sample_rate_hz

    @classmethod
    def from_dict(cls, meta: dict, source: str) -> "ModelInfo":
        """Checked field by field: a wrong type here would surface later as a wrong label or a traceback."""
        if not isinstance(meta, dict):
            raise ModelFileError(f"{source}: harnet-edge metadata is not a JSON object")
        missing = [k for k in REQUIRED if k not in meta]
        if missing:
            raise ModelFileError(f"{source}: model metadata lacks {missing}; re-export it with harnet-edge export")
        classes = meta["classes"]
        if not isinstance(classes, list) or not classes or \
                not all(isinstance(c, str) and c.strip() for c in classes):
            raise ModelFileError(f"{source}: metadata 'classes' must be a non-empty list of names, "
                                 f"got {_short(classes)}")
        if len(set(classes)) != len(classes):
            raise ModelFileError(f"{source}: metadata 'classes' names a class twice: {_short(classes)}")
        rate = _number(meta, "sample_rate_hz", source)
        window = _number(meta, "window_samples", source)
        if window != int(window):
            raise ModelFileError(f"{source}: metadata 'window_samples' must be a whole number, got {window:g}")
        for key in ("input_layout", "input_units", "variant", "quantisation"):
            if key in meta and not isinstance(meta[key], str):
                raise ModelFileError(f"{source}: metadata {key!r} must be text, got {_short(meta[key])}")
        layout = meta["input_layout"].split(":")[0].strip()
        if layout != "NCT":
            raise ModelFileError(f"{source}: metadata 'input_layout' is {layout!r}; the runtime feeds NCT "
                                 f"(batch, 3 axes, time)")
        return cls(tuple(classes), rate, int(window), layout,
                   meta["input_units"], meta.get("variant", "unknown"), meta.get("quantisation", "fp32"), meta)

    def check_stream(self, rate_hz: float = 30.0, units: str = "g", window_samples: int | None = None) -> None:
        """Refuse a model whose expectations do not fit the stream it is about to classify."""
        if abs(self.sample_rate_hz - rate_hz) > 1e-6:
            raise ModelFileError(f"model expects {self.sample_rate_hz:g} Hz input, stream is resampled to {rate_hz:g} Hz")
        if self.input_units != units:
            raise ModelFileError(f"model expects input in {self.input_units}, stream delivers {units}")
        if window_samples is not None and window_samples != self.window_samples:
            raise ModelFileError(f"model expects windows of {self.window_samples} samples, stream makes {window_samples}")


# --- TFLite flatbuffer: just enough to read Model.metadata[] and Model.buffers[] ---
# Field slots from the TFLite schema (Model: version 0, operator_codes 1, subgraphs 2, description 3,
# buffers 4, metadata_buffer 5, metadata 6; Metadata: name 0, buffer 1; Buffer: data 0, offset 1, size 2).

def _field_pos(buf: bytes, table: int, slot: int) -> int | None:
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vt_len = struct.unpack_from("<H", buf, vtable)[0]
    entry = 4 + 2 * slot
    if entry >= vt_len:
        return None
    off = struct.unpack_from("<H", buf, vtable + entry)[0]
    return table + off if off else None


def _deref(buf: bytes, pos: int) -> int:
    return pos + struct.unpack_from("<I", buf, pos)[0]


def _vector(buf: bytes, table: int, slot: int) -> tuple[int, int]:
    pos = _field_pos(buf, table, slot)
    if pos is None:
        return 0, 0
    vec = _deref(buf, pos)
    return vec + 4, struct.unpack_from("<I", buf, vec)[0]


def read_tflite_metadata(buf: bytes) -> dict[str, bytes]:
    """{name: bytes} of a TFLite model's metadata entries whose data live inside the flatbuffer."""
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ModelFileError("not a TFLite flatbuffer (identifier TFL3 missing)")
    try:
        root = _deref(buf, 0)
        buffers_start, n_buffers = _vector(buf, root, 4)
        meta_start, n_meta = _vector(buf, root, 6)
        out = {}
        for i in range(n_meta):
            entry = _deref(buf, meta_start + 4 * i)
            name_pos = _field_pos(buf, entry, 0)
            buffer_pos = _field_pos(buf, entry, 1)
            if name_pos is None or buffer_pos is None:
                continue
            name_at = _deref(buf, name_pos)
            name = buf[name_at + 4:name_at + 4 + struct.unpack_from("<I", buf, name_at)[0]].decode()
            index = struct.unpack_from("<I", buf, buffer_pos)[0]
            if index >= n_buffers:
                continue
            buffer_table = _deref(buf, buffers_start + 4 * index)
            data_start, n_data = _vector(buf, buffer_table, 0)
            out[name] = bytes(buf[data_start:data_start + n_data])
        return out
    except (struct.error, UnicodeDecodeError, IndexError):
        raise ModelFileError("TFLite flatbuffer is corrupt (metadata table unreadable)") from None


def check_model_file(path) -> None:
    """Refuse, naming the file, what no runtime should be asked to open: nothing there, 0 bytes, or
    a TFLite flatbuffer under an .onnx name (onnxruntime would only say "Protobuf parsing failed")."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise ModelFileError(f"{path.name}: empty file (0 bytes); export the model again")
    if path.suffix == ".onnx" and head[4:8] == b"TFL3":
        raise ModelFileError(f"{path.name}: this is a TFLite model, not ONNX; rename it to .tflite")


def read_model_info(path, session=None) -> ModelInfo:
    """The model's metadata; for ONNX an already open onnxruntime ``session`` avoids a second load."""
    path = Path(path)
    check_model_file(path)
    if path.suffix == ".onnx":
        if session is None:
            import onnxruntime as ort

            try:
                session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            except Exception as exc:
                raise ModelFileError(f"{path.name}: onnxruntime cannot load it ({_first_line(exc)})") from None
        raw = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    elif path.suffix == ".tflite" or path.name.endswith(".tflm.c"):
        from .tflm_engine import tflm_model_bytes     # a .tflm.c export carries the flatbuffer as a C array

        try:
            raw_bytes = read_tflite_metadata(tflm_model_bytes(path)).get(METADATA_KEY)
        except ModelFileError as exc:
            raise ModelFileError(f"{path.name}: {exc}") from None
        raw = raw_bytes.decode() if raw_bytes is not None else None
    else:
        raise ModelFileError(f"{path.name}: unknown model format (expected .onnx, .tflite or .tflm.c)")
    if raw is None:
        raise ModelFileError(f"{path.name} carries no harnet-edge metadata (classes, rate, window); "
                             f"export it with harnet-edge export")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError:
        raise ModelFileError(f"{path.name}: harnet-edge metadata is not valid JSON") from None
    return ModelInfo.from_dict(meta, path.name)


def _number(meta: dict, key: str, source: str) -> float:
    value = meta[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ModelFileError(f"{source}: metadata {key!r} must be a positive number, got {_short(value)}")
    return float(value)


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
