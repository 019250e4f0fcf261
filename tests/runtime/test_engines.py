import subprocess
import sys

import numpy as np
import pytest
import torch

from harnet_edge.runtime import ModelFileError, open_engine, read_model_info
from harnet_edge.runtime.pipeline import StreamRuntime
from tests.conftest import CLASSES


@pytest.mark.parametrize("kind", ["onnx", "tflite", "onnx_int8", "tflite_int8"])
def test_every_engine_matches_pytorch_and_reads_metadata(student_models, kind):
    engine = open_engine(student_models[kind], threads=1)
    assert list(engine.info.classes) == CLASSES and engine.info.window_samples == 300
    x = np.random.default_rng(1).normal(0, 0.3, (6, 3, 300)).astype(np.float32)
    x[:, 2] += 1
    probs = engine.run(x)
    with torch.no_grad():
        ref = torch.softmax(student_models["torch"](torch.from_numpy(x)), 1).numpy()
    assert probs.shape == (6, 5) and np.allclose(probs.sum(1), 1, atol=1e-4)
    assert np.abs(probs - ref).max() < (0.05 if "int8" in kind else 1e-4)


def test_int8_tflite_has_integer_io_that_the_engine_quantises(student_models):
    engine = open_engine(student_models["tflite_int8"])
    assert engine.input["dtype"] == np.int8 and engine.output["dtype"] == np.int8


def test_model_whose_window_does_not_fit_is_refused(student_models):
    engine = open_engine(student_models["onnx"])
    with pytest.raises(ModelFileError, match="takes windows of shape"):
        engine.run(np.zeros((1, 3, 150), np.float32))
    with pytest.raises(ModelFileError, match="expects 30 Hz"):
        engine.info.check_stream(rate_hz=25.0)


@pytest.mark.parametrize("content,message", [
    (b"not a model", "onnxruntime cannot load it"),
    (b"", r"bad\.onnx: empty file \(0 bytes\)"),
])
def test_unreadable_onnx_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        open_engine(path)


def test_truncated_tflite_is_a_clear_error(tmp_path, student_models):
    path = tmp_path / "cut.tflite"
    path.write_bytes(student_models["tflite"].read_bytes()[:3000])
    with pytest.raises(ModelFileError):
        open_engine(path)


def test_model_without_metadata_is_refused(tmp_path):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(900, 5))
    path = tmp_path / "plain.onnx"
    torch.onnx.export(model, (torch.zeros(1, 3, 300),), str(path), dynamo=False)
    with pytest.raises(ModelFileError, match="carries no harnet-edge metadata"):
        read_model_info(path)


def test_runtime_import_leaves_torch_unimported():
    code = ("import sys, pkgutil, importlib, harnet_edge.runtime, harnet_edge.firmware_bridge as fb, "
            "harnet_edge.cli.stream_cmd\n"
            "for pkg in (harnet_edge.runtime, fb):\n"
            "    for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.'): importlib.import_module(m.name)\n"
            "bad = [m for m in ('torch', 'harnet_edge.export') if m in sys.modules]\n"
            "assert not bad, f'imported: {bad}'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_runtime_batches_windows_from_several_devices_into_one_call(student_models):
    from harnet_edge.runtime.samples import SampleBatch

    engine = open_engine(student_models["onnx_int8"])
    calls = []
    original = engine.run
    engine.run = lambda x: (calls.append(len(x)), original(x))[1]
    runtime = StreamRuntime(engine, [])
    t = np.arange(0, 10.5, 1 / 50)
    for d in range(4):
        x = np.zeros((len(t), 3))
        x[:, 2] = 1
        runtime.ingest(SampleBatch(f"dev{d}", t, x))
    results = runtime.step()
    assert len(results) == 4 and calls == [4]
