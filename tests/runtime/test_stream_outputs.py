"""What ``harnet-edge stream`` writes (issue 14): replayed files keep separate device ids even with
the same basename, and a CSV of another model is never appended to."""
import csv
import json

import numpy as np

from harnet_edge.cli.stream_cmd import replay_device_ids
from tests.conftest import run_cli


def walk(path, seconds=31, scale=1.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * 50)) / 50
    x = scale * 0.4 * np.sin(2 * np.pi * 1.8 * t)
    np.savetxt(path, np.column_stack([t, x, 0 * t + 0.1, 0 * t - 0.95]), fmt="%.4f", delimiter=",",
               header="time,x,y,z", comments="")
    return path


def test_replay_device_ids_are_unique(tmp_path):
    paths = [tmp_path / "a" / "walk.csv", tmp_path / "b" / "walk.csv", tmp_path / "walk-2.csv",
             tmp_path / "c" / "walk.csv.gz"]
    assert replay_device_ids(paths) == ["walk", "walk-2", "walk-2-2", "walk-3"]


def test_two_files_with_one_basename_stay_two_devices(tmp_path):
    a, b = walk(tmp_path / "left" / "walk.csv"), walk(tmp_path / "right" / "walk.csv", seconds=21)
    out = tmp_path / "o.jsonl"
    result = run_cli("stream", "--replay", a, "--replay", b, "--speed", "max", "--quiet", "--jsonl", out)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])["summary"]
    records = [json.loads(line) for line in out.read_text().splitlines() if "window_start" in line]
    per_device = {d: [r["window_start"] for r in records if r["device"] == d] for d in ("walk", "walk-2")}
    assert summary["devices"] == 2 and len(per_device["walk"]) == 3 and len(per_device["walk-2"]) == 2
    assert all(np.diff(s).min() > 0 for s in per_device.values())        # each device's own timeline


def test_csv_of_another_model_gets_a_new_file(tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("device,window_start,label,p_walk,p_sit\nx,0,walk,0.9,0.1\n")     # someone else's columns
    result = run_cli("stream", "--replay", walk(tmp_path / "w.csv"), "--speed", "max", "--quiet", "--csv", out)
    assert result.returncode == 0, result.stderr
    assert "has other columns" in result.stdout and str(tmp_path / "o-2.csv") in result.stdout
    assert out.read_text().count("\n") == 2                                        # untouched
    with open(tmp_path / "o-2.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["time", "run", "device"] and len(rows) == 4
    assert {len(r) for r in rows} == {len(rows[0])}
