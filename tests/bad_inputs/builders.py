"""Makers of bad (and control) inputs for the corpus: each returns ``make(folder, models) -> Path``.

Recordings are synthetic wrist movement written as a user's CSV would be; models are tiny ONNX graphs
built with the onnx helper (no torch) or the session's exported student with rewritten metadata.
"""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np

from harnet_edge.data import write_csv

BASE_META = {"format": "harnet-edge-model", "format_version": 1, "variant": "corpus", "sample_rate_hz": 30,
             "window_samples": 300, "input_layout": "NCT: (batch, 3 axes x/y/z, time)", "input_units": "g",
             "output": "logits", "quantisation": "fp32"}


def movement(rate: float, seconds: float, gravity: bool = True, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Walking-like wrist motion (1.8 Hz swing plus harmonics and noise) with the band at 45 degrees."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    swing = np.stack([0.45 * np.sin(2 * np.pi * 1.8 * t), 0.25 * np.sin(2 * np.pi * 3.6 * t + 0.7),
                      0.2 * np.sin(2 * np.pi * 1.8 * t + 1.9)], axis=1) + 0.03 * rng.normal(size=(len(t), 3))
    if gravity:
        swing += np.array([0.0, -0.7071, -0.7071])
    return t, swing


def recording(rate=50.0, seconds=40.0, time_scale=1.0, time_offset=0.0, scale=1.0, gravity=True,
              column="time", suffix=".csv", edit=None, rewrite=None):
    """A CSV recording; ``time_scale`` 1000 writes milliseconds, ``edit(t, xyz)`` spoils the arrays,
    ``rewrite(text) -> text | bytes`` spoils the file as a spreadsheet or another tool would."""
    def make(folder: Path, models) -> Path:
        t, xyz = movement(rate, seconds, gravity)
        xyz = xyz * scale
        if edit is not None:
            t, xyz = edit(t.copy(), xyz.copy())
        path = folder / f"rec{suffix}"
        write_csv(path, t * time_scale + time_offset, xyz, time_column=column)
        if rewrite is not None:
            spoilt = rewrite(path.read_text())
            path.write_bytes(spoilt.encode() if isinstance(spoilt, str) else spoilt)
        return path
    return make


def labelled(time_scale=1.0, time_offset=0.0, seconds=120.0, rate=50.0, subjects=("s1", "s2"), scale=1.0,
             restart=False):
    """A labelled training CSV (time,x,y,z,label,subject; a walk and a sit run per subject), for
    finetune/bench --data; ``scale`` 9.8 writes m/s^2, ``restart`` starts each run's time at 0."""
    def make(folder: Path, models) -> Path:
        rows = []
        for s, subject in enumerate(subjects):
            for a, label in enumerate(("walk", "sit")):
                t, xyz = movement(rate, seconds / 4, gravity=True, seed=2 * s + a)
                if label == "sit":
                    xyz = xyz * 0.05 + np.array([0.0, 0.0, -1.0])
                xyz = xyz * scale
                start = 0.0 if restart else (2 * s + a) * seconds / 4
                for ti, (x, y, z) in zip((t + start) * time_scale + time_offset, xyz):
                    rows.append(f"{ti:.4f},{x:.4f},{y:.4f},{z:.4f},{label},{subject}")
        path = folder / "train.csv"
        path.write_text("time,x,y,z,label,subject\n" + "\n".join(rows) + "\n")
        return path
    return make


def text(content: str | bytes, name: str = "rec.csv"):
    def make(folder: Path, models) -> Path:
        path = folder / name
        data = content.encode() if isinstance(content, str) else content
        if name.endswith(".gz") and isinstance(content, str):
            data = gzip.compress(data)
        path.write_bytes(data)
        return path
    return make


def missing(name: str = "nowhere.csv"):
    return lambda folder, models: folder / name


def onnx_model(outputs=9, classes=9, window=300, channels=3, symbolic_output=False, **meta_overrides):
    """Flatten -> MatMul -> (N, outputs) with harnet-edge metadata naming ``classes`` (an int or a value)."""
    def make(folder: Path, models) -> Path:
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        weights = np.random.default_rng(0).normal(0, 0.01, (channels * window, outputs)).astype(np.float32)
        out_dims = ["N", "C"] if symbolic_output else ["N", outputs]
        graph = helper.make_graph(
            [helper.make_node("Flatten", ["x"], ["flat"], axis=1), helper.make_node("MatMul", ["flat", "w"], ["y"])],
            "corpus", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", channels, window])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_dims)],
            [numpy_helper.from_array(weights, "w")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        meta = dict(BASE_META, classes=[f"c{i}" for i in range(classes)] if isinstance(classes, int) else classes)
        meta.update(meta_overrides)
        prop = model.metadata_props.add()
        prop.key, prop.value = "harnet_edge", meta if isinstance(meta, str) else json.dumps(meta)
        path = folder / "model.onnx"
        onnx.save(model, str(path))
        return path
    return make


def raw_metadata(raw: str):
    """An otherwise valid ONNX model whose metadata entry is ``raw`` text."""
    def make(folder: Path, models) -> Path:
        import onnx

        path = onnx_model(outputs=5, classes=5)(folder, models)
        model = onnx.load(str(path))
        model.metadata_props[0].value = raw
        onnx.save(model, str(path))
        return path
    return make


def student_tflite(**meta_overrides):
    """The session's exported 5-class student (TFLite) with its metadata rewritten."""
    def make(folder: Path, models) -> Path:
        from harnet_edge.export.metadata import embed_tflite
        from harnet_edge.runtime import read_model_info

        path = folder / "student.tflite"
        shutil.copy(models["tflite"], path)
        meta = dict(read_model_info(path).extra)
        meta.update(meta_overrides)
        embed_tflite(path, meta)
        return path
    return make


def copied(kind: str, name: str, size: int | None = None):
    """The session's ``kind`` model (e.g. "tflite") under another ``name``, cut to ``size`` bytes if given."""
    def make(folder: Path, models) -> Path:
        path = folder / name
        path.write_bytes(Path(models[kind]).read_bytes()[:size])
        return path
    return make


def good_model():
    return lambda folder, models: models["onnx_int8"]
