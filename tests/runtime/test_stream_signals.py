"""SIGINT/SIGTERM at any moment of ``harnet-edge stream`` (issue 14): start-up (reading a recording),
connection (software wearables being connected) and streaming. Real signals to real subprocesses:
always a summary line and a deliberate exit code, never a traceback."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO


def as_from_a_terminal():
    """Shells start background jobs with SIGINT ignored, and Python then leaves it ignored; a user at a
    terminal has it at the default, which is what these tests are about."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stream(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harnet_edge.cli", "stream", *map(str, args)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=as_from_a_terminal)


def finish(proc) -> tuple[int, dict, str]:
    stdout, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr and stderr.count("\n") <= 1, stderr
    return proc.returncode, json.loads(stdout.strip().splitlines()[-1])["summary"], stderr


def big_recording(path: Path, rows: int = 200_000) -> Path:
    t = np.arange(rows) / 100.0
    xyz = np.column_stack([0.3 * np.sin(t), 0.1 + 0 * t, -0.95 + 0 * t])
    np.savetxt(path, np.column_stack([t, xyz]), fmt="%.4f", delimiter=",", header="time,x,y,z", comments="")
    return path


def has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def loading_the_model(pid: int) -> bool:
    """onnxruntime's library is mapped: the model is being opened (start-up is still under way)."""
    try:
        with open(f"/proc/{pid}/maps") as fh:
            return "onnxruntime" in fh.read()
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_start_up(tmp_path, sig):
    """Caught while the model is being opened: the process is frozen (SIGSTOP) the moment onnxruntime is
    loaded, checked to have no output file yet (sinks are made last in start-up), signalled, resumed."""
    rec = big_recording(tmp_path / "rec.csv", rows=20_000)
    jsonl = tmp_path / "o.jsonl"
    proc = stream("--replay", rec, "--speed", "max", "--quiet", "--jsonl", jsonl)
    deadline = time.time() + 60
    while not loading_the_model(proc.pid):
        assert proc.poll() is None and time.time() < deadline, "the model was never opened"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGSTOP)
    still_starting = not jsonl.exists()
    os.kill(proc.pid, sig)
    os.kill(proc.pid, signal.SIGCONT)
    code, summary, stderr = finish(proc)
    assert still_starting
    assert code == 128 + sig and summary == {"windows": 0, "stopped_by": sig.name, "stopped_during": "start-up"}
    assert not jsonl.exists() or jsonl.read_text() == ""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_while_connecting(sig):
    """Right after start-up the software wearables are still being found and connected."""
    proc = stream("--simulate", "2", "--speed", "5x")
    for line in proc.stdout:
        if line.startswith("# run "):
            break
    os.kill(proc.pid, sig)
    code, summary, stderr = finish(proc)
    assert code == 0 and summary["stopped_by"] == sig.name and summary["windows"] == 0, summary
    assert summary["run"] == line.split()[2]


def test_sigterm_while_streaming_closes_files_and_summarises(tmp_path):
    t = np.arange(600 * 50) / 50
    rec = tmp_path / "walk.csv"
    np.savetxt(rec, np.column_stack([t, 0.4 * np.sin(2 * np.pi * 1.8 * t), 0 * t + 0.1, 0 * t - 0.95]),
               fmt="%.4f", delimiter=",", header="time,x,y,z", comments="")
    jsonl = tmp_path / "o.jsonl"
    proc = stream("--replay", rec, "--speed", "10x", "--quiet", "--jsonl", jsonl)
    deadline = time.time() + 60
    while not (jsonl.exists() and jsonl.read_text().count("\n") >= 2):
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGTERM)
    code, summary, _ = finish(proc)
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert code == 0 and summary["stopped_by"] == "SIGTERM"
    assert summary["windows"] == len([r for r in records if "window_start" in r]) >= 2
    assert {r["run"] for r in records} == {summary["run"]}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_simulate_with_its_report(sig):
    proc = subprocess.Popen([sys.executable, "-m", "harnet_edge.cli", "simulate", "--duration", "600"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=as_from_a_terminal)
    assert proc.stdout.readline().startswith("# self-check")
    time.sleep(0.5)
    os.kill(proc.pid, sig)
    stdout, stderr = proc.communicate(timeout=60)
    report = json.loads(stdout)
    assert report["stopped_by"] == sig.name and "Traceback" not in stderr and stderr.count("\n") <= 1, stderr
    assert proc.returncode == (0 if report["host_samples"] else 128 + sig)
