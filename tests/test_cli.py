from tests.conftest import run_cli


def test_help_lists_subcommands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("data", "model", "finetune", "evaluate", "pretrain", "export", "distil", "stream", "devices", "simulate", "bench"):
        assert command in result.stdout


def test_bad_model_file_is_one_line_error(tmp_path):
    bad = tmp_path / "mtl_best.mdl"
    bad.write_bytes(b"garbage")
    result = run_cli("model", bad)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "error: cannot read mtl_best.mdl" in result.stderr
    assert "Traceback" not in result.stderr


def test_data_summary_of_adl_compares_with_paper(datasets_root):
    result = run_cli("data", "adl", env={"HARNET_EDGE_DATASETS": str(datasets_root)})
    assert result.returncode == 0, result.stderr
    assert "618" in result.stdout and "635" in result.stdout
