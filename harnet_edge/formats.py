"""Model file formats as data: one row per format, read by the export CLI, the export pipeline and its
validation, the runtime's ``open_engine`` and the benchmark.

Every reference in a row is a dotted name ("package.module:attribute"), imported only when used, so
this table imports nothing heavy: the torch-free device side reads the suffix -> engine column, and
only the export ever imports a writer (which may need torch).

Adding a format is one row here plus one module holding its writers (and, if the host can run the
file, its ``Engine`` class). Contracts of the columns:

- ``fp32_writer(graph_model, window_len, path, meta) -> path``: the float artefact of an
  export-ready torch module (``harnet_edge.export.fold.prepare_for_export``), ``meta`` embedded;
- ``int8_writer(fp32_path, path, calibration, meta) -> path``: the int8 artefact made from the fp32
  file written just before, calibrated on real windows ``(N, 3, T)`` float32 in g; None if the format
  has no int8 variant;
- ``graph_check(path, model) -> dict``: structural checks of the written graph, ``{"ok": bool, ...}``;
  None if there is nothing to check beyond outputs;
- ``engine``: the ``harnet_edge.runtime.engines.Engine`` subclass that runs the file on the host;
  the export validates every artefact with it against PyTorch.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelFormat:
    name: str                        # as given to --formats
    suffix: str                      # file suffix, with the dot
    fp32_writer: str
    int8_writer: str | None
    graph_check: str | None
    engine: str
    description: str = ""
    # A format made from another one's float file (tflm from TFLite) writes that file under this
    # suffix as a step and does not keep it; None: the fp32 file is an artefact of this format.
    intermediate_suffix: str | None = None
    # cross_check(path, windows) -> {"ok": bool, ...}: a check against another runtime on held-out windows.
    cross_check: str | None = None

    def load(self, column: str):
        """The object a column names (imported now), or None for an empty column."""
        return resolve(getattr(self, column))


def resolve(reference: str | None):
    if reference is None:
        return None
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


FORMATS: dict[str, ModelFormat] = {}


def register_format(fmt: ModelFormat) -> ModelFormat:
    """Add a row (or replace the row of that name); a suffix belongs to one format only."""
    clash = next((f.name for f in FORMATS.values() if f.suffix == fmt.suffix and f.name != fmt.name), None)
    if clash:
        raise ValueError(f"suffix {fmt.suffix} already belongs to format {clash!r}")
    FORMATS[fmt.name] = fmt
    return fmt


def format_of(path) -> ModelFormat | None:
    """The row whose suffix the file name ends with (the longest, for suffixes such as ".tflm.cc")."""
    name = Path(path).name
    matches = [f for f in FORMATS.values() if name.endswith(f.suffix)]
    return max(matches, key=lambda f: len(f.suffix), default=None)


register_format(ModelFormat(
    "onnx", ".onnx",
    fp32_writer="harnet_edge.export.onnx_writer:write_onnx_fp32",
    int8_writer="harnet_edge.export.onnx_writer:write_onnx_int8",
    graph_check="harnet_edge.export.graph_checks:onnx_graph_report",
    engine="harnet_edge.runtime.engines:OnnxEngine",
    description="ONNX (onnxruntime); int8 as static QDQ"))
register_format(ModelFormat(
    "tflite", ".tflite",
    fp32_writer="harnet_edge.export.tflite_writer:write_tflite_fp32",
    int8_writer="harnet_edge.export.tflite_writer:write_tflite_int8",
    graph_check="harnet_edge.export.graph_checks:tflite_graph_report",
    engine="harnet_edge.runtime.engines:TFLiteEngine",
    description="TFLite flatbuffer (ai-edge-litert / tflite-runtime); int8 full-integer"))
register_format(ModelFormat(
    "tflm", ".tflm.c",
    fp32_writer="harnet_edge.export.tflite_writer:write_tflite_fp32",
    int8_writer="harnet_edge.export.tflm:write_tflm_int8",
    graph_check="harnet_edge.export.tflm:tflm_graph_report",
    engine="harnet_edge.runtime.tflm_engine:TflmEngine",
    description="TensorFlow Lite Micro: C source + header for a microcontroller, int8 only",
    intermediate_suffix=".tflm-step.tflite",
    cross_check="harnet_edge.export.tflm:agreement_with_litert"))
