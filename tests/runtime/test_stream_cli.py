"""The stream command as a user runs it: replay, Ctrl-C, SIGKILL, bad input."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

from harnet_edge.data import write_csv
from harnet_edge.runtime import open_engine
from harnet_edge.runtime.pipeline import StreamRuntime
from tests.conftest import REPO, run_cli


def recording(path, seconds=120, rate=50.0, scale=1.0, nan_at=None):
    t = np.arange(int(seconds * rate)) / rate
    xyz = np.zeros((len(t), 3))
    xyz[:, 0] = 0.4 * np.sin(2 * np.pi * 1.8 * t)
    xyz[:, 2] = -0.95
    xyz *= scale
    if nan_at is not None:
        xyz[nan_at, 1] = np.nan
    write_csv(path, t, xyz)
    return path


def start_stream(model, replay, jsonl, speed="5x"):
    return subprocess.Popen([sys.executable, "-m", "harnet_edge.cli", "stream", str(model), "--replay", str(replay),
                             "--speed", speed, "--jsonl", str(jsonl), "--quiet"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_lines(path, n, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= n:
            return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {n} records in {path}")


def test_replay_classifies_every_window_and_writes_csv(tmp_path, student_models):
    rec = recording(tmp_path / "walk.csv", seconds=62)
    out = tmp_path / "out.csv"
    result = run_cli("stream", student_models["tflite_int8"], "--replay", rec, "--speed", "max", "--csv", out,
                     "--smooth", "hmm", "--quiet")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])["summary"]
    assert summary["windows"] == 6 and summary["gaps"] == 0
    rows = out.read_text().splitlines()
    assert rows[0].startswith("time,run,device,window_start,window_end,label,smoothed_label,confidence,p_walk")
    assert len(rows) == 7 and all(r.split(",")[6] for r in rows[1:])     # every row has a smoothed label


def test_ctrl_c_stops_cleanly_with_a_summary(tmp_path, student_models):
    jsonl = tmp_path / "out.jsonl"
    proc = start_stream(student_models["onnx_int8"], recording(tmp_path / "r.csv", 600), jsonl)
    wait_for_lines(jsonl, 2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])["summary"]
    assert summary["windows"] >= 2 and summary["latency_ms"]["p50"] is not None
    assert "Traceback" not in stderr


def test_sigkill_loses_at_most_the_window_in_flight(tmp_path, student_models):
    jsonl = tmp_path / "out.jsonl"
    proc = start_stream(student_models["onnx_int8"], recording(tmp_path / "r.csv", 600), jsonl)
    wait_for_lines(jsonl, 3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    lines = jsonl.read_text().splitlines()
    records = [json.loads(line) for line in lines]          # every written line is a whole record
    starts = [r["window_start"] for r in records if "window_start" in r]
    assert len(starts) >= 3 and starts == sorted(starts)
    assert np.allclose(np.diff(starts), 10.0, atol=0.05)     # none skipped before the kill


def test_replay_file_with_nan_is_refused_with_one_line(tmp_path, student_models):
    """A recording file with NaN is bad input: refused up front (status 2), not streamed."""
    nan_rec = recording(tmp_path / "nan.csv", seconds=30, nan_at=100)
    result = run_cli("stream", student_models["onnx"], "--replay", nan_rec, "--speed", "max", "--quiet")
    assert result.returncode == 2 and "NaN or infinite" in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr


def test_ms2_input_is_flagged_not_fatal(tmp_path, student_models):
    """Data in m/s² stream on: every window is written, flagged and left unlabelled."""
    ms2 = recording(tmp_path / "ms2.csv", seconds=30, scale=9.81)
    jsonl = tmp_path / "o.jsonl"
    result = run_cli("stream", student_models["onnx"], "--replay", ms2, "--speed", "max", "--quiet", "--jsonl", jsonl)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in jsonl.read_text().splitlines() if "window_start" in line]
    assert len(records) == 3 and all(r["label"] is None and "units_look_like_m/s^2" in r["flags"] for r in records)


def test_live_nan_samples_are_dropped_and_counted_not_fatal(student_models):
    """A device that sends NaN mid-stream (a glitching sensor) costs those samples, not the stream:
    the same windows come out as from the clean signal, all classified."""
    from harnet_edge.runtime.samples import SampleBatch

    def stream(nan: bool) -> dict:
        runtime = StreamRuntime(open_engine(student_models["onnx_int8"]), [])
        t = np.arange(0, 40, 1 / 50)
        xyz = np.zeros((len(t), 3))
        xyz[:, 2] = 1.0
        if nan:
            xyz[500:503, 0] = np.nan
        for a in range(0, len(t), 25):
            runtime.ingest(SampleBatch("wrist", t[a:a + 25], xyz[a:a + 25]))
            runtime.step()
        return runtime.summary()

    clean, glitched = stream(False), stream(True)
    assert glitched["dropped_non_finite"] == 3 and clean["dropped_non_finite"] == 0
    assert glitched["windows"] == clean["windows"] >= 3 and glitched["withheld"] == 0
    assert sum(glitched["labels"].values()) == glitched["windows"]      # every window classified


def test_unreadable_model_is_one_line_error(tmp_path):
    bad = tmp_path / "m.tflite"
    bad.write_bytes(b"garbage!" * 10)
    result = run_cli("stream", bad, "--replay", recording(tmp_path / "r.csv", 20), "--quiet")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_fast_replay_never_overruns_the_ring_buffer(tmp_path, student_models):
    """A 10-minute 100 Hz file at maximum speed: every window classified, no hole invented."""
    rec = recording(tmp_path / "long.csv", seconds=600, rate=100.0)
    result = run_cli("stream", student_models["onnx_int8"], "--replay", rec, "--speed", "max", "--quiet")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])["summary"]
    assert summary["windows"] == 60 and summary["gaps"] == 0 and summary["partial_window_samples_dropped"] == 0
