import subprocess
import sys

import pytest

from harnet_edge.formats import FORMATS, ModelFormat, format_of, register_format
from harnet_edge.runtime.engines import Engine
from tests.conftest import run_cli

DUMMY = ModelFormat("torchscript", ".ts.pt",
                    fp32_writer="tests.export.dummy_format:write_torchscript", int8_writer=None,
                    graph_check=None, engine="tests.export.dummy_format:TorchScriptEngine")


def test_every_row_resolves_to_writers_checks_and_an_engine():
    assert {"onnx", "tflite"} <= set(FORMATS)
    for fmt in FORMATS.values():
        assert callable(fmt.load("fp32_writer")) and issubclass(fmt.load("engine"), Engine)
        assert fmt.int8_writer is None or callable(fmt.load("int8_writer"))
        assert fmt.graph_check is None or callable(fmt.load("graph_check"))
        assert format_of(f"model_int8{fmt.suffix}") is fmt


def test_a_suffix_belongs_to_one_format():
    with pytest.raises(ValueError, match="already belongs"):
        register_format(ModelFormat("other", ".onnx", "a:b", None, None, "a:b"))


def test_table_runtime_and_bench_import_without_torch():
    code = ("import sys, harnet_edge.formats, harnet_edge.bench.run, harnet_edge.cli.export_cmd\n"
            "from harnet_edge.runtime.defaults import default_model\n"
            "from harnet_edge.runtime.engines import open_engine\n"
            "open_engine(default_model())\n"
            "bad = [m for m in ('torch', 'harnet_edge.export') if m in sys.modules]\n"
            "assert not bad, f'imported: {bad}'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_format_added_to_the_table_alone_is_exported_validated_and_benched(
        tmp_path, harnet5_checkpoint, datasets_root, monkeypatch):
    """Adding a format = one row (here registered by the test) + one module (tests/export/dummy_format.py)."""
    from harnet_edge.bench.run import discover
    from harnet_edge.data import load_benchmark
    from harnet_edge.export.pipeline import ExportOptions, export_checkpoint
    from harnet_edge.runtime.engines import open_engine

    monkeypatch.setitem(FORMATS, DUMMY.name, DUMMY)
    windows = load_benchmark("adl", root=datasets_root, window_s=5)
    out = tmp_path / "artefacts"
    report = export_checkpoint(harnet5_checkpoint, windows, out, ExportOptions(formats=("torchscript",)),
                               log=lambda *_: None)
    (artefact,) = report["artefacts"]          # no int8 writer in the row: fp32 only
    assert artefact["file"] == "harnet5_fp32.ts.pt" and artefact["backend"] == "torchscript"
    assert artefact["passed"] and artefact["agreement"] == 1.0 and artefact["max_prob_diff"] < 1e-4
    assert open_engine(out / "harnet5_fp32.ts.pt").info.window_samples == 150
    assert discover([out]) == [out / "harnet5_fp32.ts.pt"]


def test_cli_refuses_an_unknown_format_naming_the_table(tmp_path, harnet5_checkpoint):
    result = run_cli("export", harnet5_checkpoint, "--formats", "onnx,coreml", "-o", tmp_path / "o")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "coreml" in result.stderr and "onnx, tflite" in result.stderr


def test_cli_refuses_an_int8_only_format_without_int8(tmp_path, harnet5_checkpoint):
    """tflm's float file is only a step: without --int8 the export wrote nothing and said 'artefacts and
    report', exit 0, over an empty table."""
    result = run_cli("export", harnet5_checkpoint, "--formats", "onnx,tflm", "-o", tmp_path / "o")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().endswith("format(s) tflm write int8 files only: add --int8")
    assert not (tmp_path / "o").exists()          # refused before any work
