import json
import shutil

from tests.conftest import run_cli


def test_bench_writes_table_json_and_plot_and_merges(tmp_path, student_models, datasets_root):
    models = tmp_path / "models"
    models.mkdir()
    for key in ("onnx", "onnx_int8", "tflite_int8"):
        shutil.copy(student_models[key], models / student_models[key].name)
    out = tmp_path / "bench"
    result = run_cli("bench", models, "--data", "adl", "--root", datasets_root, "--max-windows", "60",
                     "--threads", "1", "--batch", "1,8", "--seconds", "0.05", "--out", out)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((out / "bench.json").read_text())
    assert report["device"]["cores"] >= 1 and report["device"]["runtimes"]["onnxruntime"]
    by_file = {r["file"]: r for r in report["results"]}
    assert set(by_file) == {"s_fp32.onnx", "s_int8.onnx", "s_int8.tflite"}
    for r in by_file.values():
        assert set(r["latency"]) == {"threads=1,batch=1", "threads=1,batch=8"}
        assert r["latency"]["threads=1,batch=1"]["p50_ms"] > 0
        assert r["cold_start"]["peak_rss_mb"] > 10 and r["cold_start"]["torch_imported"] is False
        assert r["accuracy"]["windows"] == 60 and 0 <= r["accuracy"]["macro_f1"] <= 1
    assert by_file["s_fp32.onnx"]["accuracy"]["agreement_with_fp32"] == 1.0
    assert (out / "bench.png").stat().st_size > 5000
    assert "s_int8.tflite" in result.stdout and "macro F1" in result.stdout
    merged = run_cli("bench", "merge", out / "bench.json", out / "bench.json", "--out", tmp_path / "merged")
    assert merged.returncode == 0, merged.stderr[-2000:]
    assert (tmp_path / "merged" / "merged.png").exists()


def test_bench_of_missing_model_is_one_line_error(tmp_path):
    result = run_cli("bench", tmp_path / "nope.onnx", "--out", tmp_path / "o")
    assert result.returncode == 2 and "model file not found" in result.stderr and "Traceback" not in result.stderr


def test_bench_without_arguments_uses_the_built_in_models(tmp_path):
    out = tmp_path / "b"
    result = run_cli("bench", "--threads", "1", "--batch", "1", "--seconds", "0.02", "--out", out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "built-in default models" in result.stdout
    report = json.loads((out / "bench.json").read_text())
    files = {r["file"] for r in report["results"]}
    assert {"cnn-small_int8.onnx", "cnn-small_int8.tflite"} <= files
    for r in report["results"]:
        assert r["classes"][:3] == ["walk_slow", "walk_mod", "walk_fast"]
        assert 0.5 < r["recorded"]["macro_f1_mean"] < 1          # held-out score recorded at export
    assert "export" in result.stdout                            # says where the F1 figure comes from


def test_bench_scores_data_holding_only_some_of_the_models_classes(student_models, tmp_path):
    """A walking-only labelled CSV is a fair accuracy test of a 5-class model; it used to be skipped
    silently (the table fell back to the export-time score) because the class lists differed."""
    import numpy as np

    from harnet_edge.bench.run import run_bench

    x = np.random.default_rng(0).normal(0, 0.3, (12, 3, 300)).astype(np.float32)
    x[:, 2] += 1
    y = np.array([0, 1] * 6)                     # indices into the data's own classes
    report = run_bench([student_models["onnx"]], tmp_path, [1], [1], 0.02,
                       (x, y, ["pour_water", "walk"]), "two of five classes", log=lambda *_: None)
    accuracy = report["results"][0]["accuracy"]
    assert accuracy["windows"] == 12 and 0 <= accuracy["macro_f1"] <= 1, accuracy
    skipped = run_bench([student_models["onnx"]], tmp_path, [1], [1], 0.02, (x, y, ["walk", "swim"]), "",
                        log=lambda *_: None)["results"][0]["accuracy"]
    assert "swim" in skipped["skipped"]
