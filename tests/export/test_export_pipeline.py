import json

import numpy as np
import pytest

from harnet_edge.export import ExportError
from harnet_edge.export.graph_checks import onnx_int8_report
from harnet_edge.export.pipeline import ExportOptions, export_checkpoint
from harnet_edge.export.validate import Thresholds
from harnet_edge.models import HARNet
from harnet_edge.models.checkpoints import save_checkpoint
from harnet_edge.runtime import open_engine, read_model_info
from harnet_edge.train.loop import TrainConfig
from tests.conftest import run_cli
from tests.export.int8_ranges import onnx_input_range_g, tflite_input_range_g


def test_export_writes_validated_artefacts_with_metadata(tmp_path, harnet5_checkpoint, datasets_root):
    from harnet_edge.data import load_benchmark

    windows = load_benchmark("adl", root=datasets_root, window_s=5)
    out = tmp_path / "artefacts"
    options = ExportOptions(distil=True, train=TrainConfig(epochs=1, max_steps=5, lr=1e-3), sweep_windows=24,
                            thresholds=Thresholds(int8_min_agreement=0.3,  # untrained teacher: near-tied outputs
                                                  int8_min_orientation_agreement=0.3))
    logged = []
    report = export_checkpoint(harnet5_checkpoint, windows, out, options, log=logged.append)
    files = {a["file"]: a for a in report["artefacts"]}
    # Each file's validation is announced before it runs (minutes under TFLite Micro): progress, not silence.
    for name in files:
        started = next(i for i, line in enumerate(logged) if line.strip().startswith(f"validating {name} "))
        assert logged[started + 1].strip().startswith(f"{name}: agreement"), logged[started:started + 2]
    assert set(files) == {f"{m}_{q}.{f}" for m in ("harnet5", "cnn-small") for q in ("fp32", "int8")
                          for f in ("onnx", "tflite")}
    for name, result in files.items():
        info = read_model_info(out / name)
        assert info.classes[0] == "walk" and info.sample_rate_hz == 30 and info.window_samples == 150
        assert info.quantisation == ("int8" if "int8" in name else "fp32")
        assert info.extra["source_checkpoint_sha256"] == report["source_sha256"]
        if "fp32" in name:
            assert result["agreement"] == 1.0 and result["max_prob_diff"] < 1e-3
    # HARNet's circular padding and anti-aliasing filters are still in the graphs.
    graph = files["harnet5_fp32.onnx"]["graph"]
    assert graph["ok"] and graph["wrap_ops"] >= graph["circular_convs"] == 21
    assert files["harnet5_int8.onnx"]["graph"]["antialias_found"] == 5
    tflite_graph = files["harnet5_int8.tflite"]["graph"]
    assert tflite_graph["ok"] and tflite_graph["wrap_ops"] >= 21 and "SELECT" not in tflite_graph["ops"]
    assert tflite_graph["antialias_found"] == files["harnet5_fp32.tflite"]["graph"]["antialias_found"] == 5
    # onnxruntime runs every convolution of the int8 file as an int8 kernel, none in float.
    assert files["harnet5_int8.onnx"]["graph"]["float_convs_at_runtime"] == 0
    assert files["harnet5_int8.onnx"]["graph"]["int8_convs_at_runtime"] == 26 + 12   # + affines as 1x1 convs
    assert onnx_int8_report(out / "harnet5_fp32.onnx")["float_convs_at_runtime"] == 38   # the check can fail
    assert files["harnet5_int8.onnx"]["size_bytes"] < files["harnet5_fp32.onnx"]["size_bytes"] / 3
    assert files["cnn-small_int8.tflite"]["agreement"] >= 0.95
    engine = open_engine(out / "cnn-small_int8.tflite")
    assert engine.input["dtype"] == np.int8 and engine.output["dtype"] == np.int16   # full-integer, 16-bit logits
    # The int8 input is symmetric and covers the sensor's full scale (+-4 g) on every axis, whatever
    # orientation the calibration windows (ADL: -1.5..1.5 g) were recorded in.
    scale, zero = engine.input["quantization"]
    low, high = tflite_input_range_g(engine)
    assert abs(zero) <= 1 and low <= -4 + scale and high >= 4 - scale   # symmetric to within one step
    for name in ("harnet5_int8.onnx", "cnn-small_int8.onnx"):
        low, high = onnx_input_range_g(out / name)
        assert low <= -4 + 0.05 and high >= 4 - 0.05
    report_md = (out / "export_report.md").read_text()
    assert report_md.count("| yes |") == 8 and "Orientation sweep" in report_md
    for name in ("harnet5_int8.onnx", "cnn-small_int8.tflite"):
        sweep = files[name]["orientation_sweep"]
        assert len(sweep["orientations"]) == 24 and sweep["windows"] == 24
    assert json.loads((out / "export_report.json").read_text())["validation"]["windows"] > 0


def test_classes_the_checkpoint_lacks_are_refused(tmp_path, datasets_root):
    from harnet_edge.data import load_benchmark

    path = tmp_path / "m.safetensors"
    save_checkpoint(HARNet("harnet5", 2, ["walk", "sit"]), path)
    windows = load_benchmark("adl", root=datasets_root, window_s=5)
    with pytest.raises(ExportError, match="classes .* that m.safetensors does not know"):
        export_checkpoint(path, windows, tmp_path / "o", ExportOptions())


def test_tiny_calibration_set_is_refused(tmp_path, harnet5_checkpoint, datasets_root):
    from harnet_edge.data import load_benchmark

    windows = load_benchmark("adl", root=datasets_root, window_s=5)
    keep = np.isin(windows.subjects, ["f3", "m4"]) & (np.arange(len(windows)) % 10 == 0)
    with pytest.raises(ExportError, match="calibration set has .* windows"):
        export_checkpoint(harnet5_checkpoint, windows.subset(keep), tmp_path / "o", ExportOptions())


def test_cli_export_of_corrupt_checkpoint_is_one_line(tmp_path):
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"\x00" * 64)
    result = run_cli("export", bad, "-o", tmp_path / "o")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "model.safetensors" in result.stderr


def test_ctrl_c_during_validation_leaves_no_unvalidated_model_file(tmp_path, harnet5_checkpoint, datasets_root,
                                                                    monkeypatch):
    """Ctrl-C while an int8 file is being validated: the files already validated stay, the ones
    written but never validated go (a user could otherwise ship an unchecked int8 file)."""
    from harnet_edge.data import load_benchmark
    from harnet_edge.export import pipeline

    checked = []
    real_validate = pipeline.validate_artefact

    def validate_then_interrupt(path, *args, **kwargs):
        if "_int8" in path.name:
            raise KeyboardInterrupt
        checked.append(path.name)
        return real_validate(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "validate_artefact", validate_then_interrupt)
    out = tmp_path / "artefacts"
    out.mkdir()
    (out / "notes.txt").write_text("mine")                      # not this run's: untouched
    windows = load_benchmark("adl", root=datasets_root, window_s=5)
    with pytest.raises(KeyboardInterrupt):
        export_checkpoint(harnet5_checkpoint, windows, out, ExportOptions(formats=("onnx",)), log=lambda *_: None)
    assert checked == ["harnet5_fp32.onnx"]
    assert sorted(p.name for p in out.iterdir()) == ["harnet5_fp32.onnx", "notes.txt"]
