"""The metadata every artefact carries inside, and how it is written into ONNX and TFLite files."""
from __future__ import annotations

import json
from pathlib import Path

from harnet_edge import __version__
from harnet_edge.runtime.model_info import METADATA_KEY


def artefact_metadata(model, quantisation: str, source_sha256: str, extra: dict | None = None) -> dict:
    meta = {
        "format": "harnet-edge-model",
        "format_version": 1,
        "variant": model.variant,
        "classes": list(model.classes),
        "sample_rate_hz": 30,
        "window_samples": model.window_len,
        "window_seconds": model.window_len / 30,
        "input_layout": "NCT: (batch, 3 axes x/y/z, time)",
        "input_units": "g (gravity included)",
        "output": "logits",
        "quantisation": quantisation,
        "source_checkpoint_sha256": source_sha256,
        "exported_by": f"harnet-edge {__version__}",
    }
    meta.update(extra or {})
    meta["input_units"] = "g"  # the runtime compares units literally
    return meta


def embed_onnx(path: Path, meta: dict) -> None:
    import onnx

    model = onnx.load(str(path))
    del model.metadata_props[:]
    prop = model.metadata_props.add()
    prop.key, prop.value = METADATA_KEY, json.dumps(meta)
    model.producer_name = "harnet-edge"
    onnx.save(model, str(path))


def embed_tflite(path: Path, meta: dict) -> None:
    """Add a named entry to the flatbuffer's metadata table (the TFLite schema's own mechanism)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    raw = Path(path).read_bytes()
    model = schema.ModelT.InitFromPackedBuf(bytearray(raw), 0)
    for buf in model.buffers or []:
        # Some writers keep constant data after the flatbuffer and point at it by file offset;
        # repacking moves everything, so bring such data inline first.
        if getattr(buf, "offset", 0) and buf.offset > 1:
            buf.data = list(raw[buf.offset:buf.offset + buf.size])
            buf.offset, buf.size = 0, 0
    model.metadata = [m for m in (model.metadata or []) if m.name != METADATA_KEY.encode() and m.name != METADATA_KEY]
    buffer = schema.BufferT()
    buffer.data = list(json.dumps(meta).encode())
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_KEY
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    Path(path).write_bytes(builder.Output())
