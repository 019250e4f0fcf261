"""How a candidate model's int8 copy holds in the 24 wearing orientations, before choosing it.

Training seeds of the same recipe differ in this: three cnn-small seeds of one draft reached 0.973-0.979
in their worst orientation, while the seed a build kept on validation loss alone had one orientation at
0.943 (held-out selfBACK subjects). So a build scores each candidate's int8 ONNX copy, exported exactly
as the export will, on windows of its own validation subjects, and prefers the candidates that pass.
"""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np

from harnet_edge.runtime.engines import open_engine
from harnet_edge.train.loop import predict_proba

from .orientation import orientation_sweep, rotated_references, with_rotated_copies


def worst_orientation_agreement(model, calibration: np.ndarray, windows: np.ndarray, options) -> float:
    """Lowest int8-vs-fp32 agreement over the 24 orientations of ``windows`` for ``model``'s int8
    ONNX file, written with ``options`` (an ``ExportOptions``) from ``calibration`` windows (as
    recorded: rotated copies are added here, as the export adds them). ``model`` is not changed."""
    from .pipeline import ExportOptions, export_model_files

    candidate = copy.deepcopy(model).eval()
    only_onnx = ExportOptions(**{**options.__dict__, "formats": ("onnx",), "fp32": False})
    with tempfile.TemporaryDirectory() as tmp:
        written = export_model_files(candidate, "candidate", Path(tmp), only_onnx, with_rotated_copies(
            calibration, options.seed), "candidate", {}, log=lambda *_: None)
        engine = open_engine(next(path for path, _ in written if "_int8" in path.name), threads=1)
        references = rotated_references(lambda x: predict_proba(candidate, x, device="cpu"), windows)
        return orientation_sweep(engine, windows, references)["min_agreement"]


def pick_candidate(losses: list[float], worst_agreements: list[float], required: float) -> int:
    """The candidate with the lowest validation loss among those whose int8 copy reaches
    ``required`` in every orientation; if none does, the one whose worst orientation is best."""
    passing = [k for k, worst in enumerate(worst_agreements) if worst >= required]
    if passing:
        return min(passing, key=lambda k: losses[k])
    return int(np.argmax(worst_agreements))
