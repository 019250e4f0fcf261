"""A new user's own data, end to end: a public dataset converted to the README's CSV format, as its files
come (time restarting at every trial), through data, finetune, export and pretrain; and the same data
in m/s^2 or from one subject refused in one line.

The conversion follows the dataset's PROVENANCE.md, not our reader: HMP/ADL codes 0..63 are
-1.5..+1.5 g, 32 Hz, sample k at k/32 s of its trial file.
"""
import json

import numpy as np
import pytest

from tests.conftest import run_cli

SUBJECTS, ACTIVITIES, TRIALS = ("f1", "m1", "m2"), ("Walk", "Drink_glass"), 2


def convert_hmp(root, path, subjects=SUBJECTS, scale=1.0):
    """One CSV, rows grouped by subject, then activity, then trial file; each trial's time starts at 0."""
    rows = []
    for subject in subjects:
        for activity in ACTIVITIES:
            for trial in sorted((root / "hmp_adl" / activity).glob(f"Accelerometer-*-{subject}.txt"))[:TRIALS]:
                g = (-1.5 + np.loadtxt(trial, ndmin=2) / 63 * 3) * scale
                rows += [f"{k / 32:.5f},{x:.4f},{y:.4f},{z:.4f},{activity.lower()},{subject}"
                         for k, (x, y, z) in enumerate(g)]
    path.write_text("time,x,y,z,label,subject\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def hmp_csv(datasets_root, tmp_path_factory):
    return convert_hmp(datasets_root, tmp_path_factory.mktemp("own") / "hmp.csv")


def one_line_error(result, *fragments):
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip().count("\n") == 0, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.mark.slow
def test_converted_dataset_runs_through_data_finetune_export_and_pretrain(hmp_csv, tmp_path):
    data = run_cli("data", hmp_csv, "--json")
    assert data.returncode == 0, data.stderr[-2000:]
    summary = json.loads(data.stdout)
    assert summary["subjects"] == list(SUBJECTS) and summary["labels"] == ["drink_glass", "walk"]
    assert summary["runs"] == 6 and summary["recordings"] >= 9        # 2 trials per run, some subjects have fewer
    assert summary["files"][0]["rate_hz"] == 32.0 and summary["files"][0]["units"] == "g"
    assert summary["refusals"] == [] and summary["windows"] > 20

    ft = run_cli("finetune", "--data", hmp_csv, "--variant", "harnet5", "--epochs", "1", "--max-steps", "1",
                 "--batch-size", "8", "--hop", "5", "--mode", "paper", "-o", tmp_path / "ft")
    assert ft.returncode == 0, ft.stderr[-2000:]
    assert "protocol loso" in ft.stdout
    [result] = json.loads((tmp_path / "ft" / "results.json").read_text())
    assert set(result["per_subject"]) == set(SUBJECTS)

    export = run_cli("export", tmp_path / "ft" / "model.safetensors", "--calibration", hmp_csv, "--formats", "onnx",
                     "-o", tmp_path / "export")
    assert export.returncode == 0, export.stderr[-2000:]
    report = json.loads((tmp_path / "export" / "export_report.json").read_text())
    assert report["validation"]["subjects"] and set(report["validation"]["subjects"]) <= set(SUBJECTS)

    stem = tmp_path / "ssl" / "backbone"
    pretrain = run_cli("pretrain", "--data", hmp_csv, "--variant", "harnet5", "--steps", "1", "--batch-size", "8",
                       "--workers", "1", "-o", stem)
    assert pretrain.returncode == 0, pretrain.stderr[-2000:]
    assert "unlabelled windows in 3 subject shards" in pretrain.stdout
    assert stem.with_suffix(".safetensors").exists() and stem.with_suffix(".mdl").exists()


def test_converted_dataset_in_metres_per_second_squared_is_refused(datasets_root, tmp_path):
    from harnet_edge.models import HARNet
    from harnet_edge.models.checkpoints import save_checkpoint

    path = convert_hmp(datasets_root, tmp_path / "ms2.csv", scale=9.80665)
    save_checkpoint(HARNet("harnet5", 2, classes=["drink_glass", "walk"]), tmp_path / "h5.safetensors")
    quick = ["--variant", "harnet5", "--epochs", "1", "--max-steps", "1"]       # bounded should the check break
    for command in (["finetune", "--data", path, *quick], ["pretrain", "--data", path, "--steps", "1"],
                    ["distil", "--data", path, *quick], ["export", tmp_path / "h5.safetensors", "--calibration", path]):
        one_line_error(run_cli(*command, "-o", tmp_path / "out"), "ms2.csv: median |a| = 9.", "looks like m/s^2")
    data = run_cli("data", path)
    assert data.returncode == 1 and "training would refuse: ms2.csv: median |a|" in data.stdout


def test_one_subject_is_refused_not_trained_on_an_empty_fold(datasets_root, tmp_path):
    from harnet_edge.models import HARNet
    from harnet_edge.models.checkpoints import save_checkpoint

    path = convert_hmp(datasets_root, tmp_path / "one.csv", subjects=("f1",))
    one_line_error(run_cli("finetune", "--data", path, "-o", tmp_path / "ft"),
                   "--cv loso needs at least 3 subjects", "the data hold 1 (--cv none")
    save_checkpoint(HARNet("harnet5", 2, classes=["drink_glass", "walk"]), tmp_path / "h5.safetensors")
    one_line_error(run_cli("export", tmp_path / "h5.safetensors", "--calibration", path, "--formats", "onnx",
                           "-o", tmp_path / "export"), "export needs data from at least two subjects")
    data = run_cli("data", path)
    assert data.returncode == 1 and "training would refuse: 1 subject(s) with labelled windows" in data.stdout


def test_selfback_files_merged_in_activity_order_keep_their_own_clocks(datasets_root, tmp_path):
    """selfBACK's files (PROVENANCE.md: ISO local times, 100 Hz, g; one file per activity and subject) joined
    in folder order, as a user would: the activities were not recorded in that order, so time jumps back."""
    import gzip

    rows, backwards = [], 0
    for subject in ("026", "027", "028"):
        previous_end = ""
        for activity in ("sitting", "upstairs", "walk_mod"):
            lines = gzip.open(datasets_root / "selfback_wrist" / "w" / activity / f"{subject}.csv.gz", "rt").read()
            lines = lines.splitlines()[1:]
            backwards += lines[0] < previous_end          # ISO times compare as text
            previous_end = lines[-1]
            rows += [f"{line},{activity},{subject}" for line in lines]
    assert backwards > 0                                  # else this test would prove nothing
    path = tmp_path / "selfback.csv"
    path.write_text("time,x,y,z,label,subject\n" + "\n".join(rows) + "\n")
    data = run_cli("data", path, "--json")
    assert data.returncode == 0, data.stderr[-2000:]
    summary = json.loads(data.stdout)
    assert summary["runs"] == summary["recordings"] == 9 and summary["refusals"] == []
    assert summary["files"][0]["time"] == "ISO date-times" and summary["files"][0]["rate_hz"] == 100.0
    assert set(summary["per_subject"]) == {"026", "027", "028"} and summary["windows"] > 100
