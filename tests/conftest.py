import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def datasets_root() -> Path:
    """../shared/datasets; skipped only where the folder is absent (a user's fresh clone)."""
    from harnet_edge.data import datasets_root as find

    root = find(required=False)
    if root is None:
        pytest.skip("../shared/datasets is absent (fresh clone); CI always has it")
    return root


def run_cli(*args, env=None, timeout=600):
    """Run the installed ``harnet-edge`` in a subprocess, as a user would."""
    import subprocess

    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "harnet_edge.cli", *map(str, args)], capture_output=True,
                          text=True, env=full_env, timeout=timeout, cwd=REPO)


CLASSES = ["walk", "climb_stairs", "drink_glass", "pour_water", "getup_bed"]


@pytest.fixture(scope="session")
def student_models(tmp_path_factory):
    """A small student exported as fp32/int8 ONNX and TFLite (made here, with torch, once)."""
    import numpy as np
    import torch

    from harnet_edge.export.fold import prepare_for_export
    from harnet_edge.export.metadata import artefact_metadata
    from harnet_edge.export.onnx_writer import write_onnx_fp32, write_onnx_int8
    from harnet_edge.export.tflite_writer import write_tflite_fp32, write_tflite_int8
    from harnet_edge.models.student import StudentCNN

    torch.manual_seed(0)
    model = StudentCNN("ds-tiny", 5, CLASSES).eval()
    out = tmp_path_factory.mktemp("models")
    graph = prepare_for_export(model)
    calib = np.random.default_rng(0).normal(0, 0.3, (32, 3, 300)).astype(np.float32)
    calib[:, 2] += 1
    paths = {"onnx": write_onnx_fp32(graph, 300, out / "s_fp32.onnx", artefact_metadata(model, "fp32", "t")),
             "tflite": write_tflite_fp32(graph, 300, out / "s_fp32.tflite", artefact_metadata(model, "fp32", "t"))}
    paths["onnx_int8"] = write_onnx_int8(paths["onnx"], out / "s_int8.onnx", calib, artefact_metadata(model, "int8", "t"))
    paths["tflite_int8"] = write_tflite_int8(paths["tflite"], out / "s_int8.tflite", calib,
                                             artefact_metadata(model, "int8", "t"))
    paths["torch"] = model
    return paths
