"""Two processes on one machine, as a user runs them: ``harnet-edge simulate --hci-port 0`` plays the
wearable and serves a software controller as HCI on loopback; ``harnet-edge devices`` and
``harnet-edge stream --device NAME --hci ...`` find and stream it through bleak (BleakTransport with
the software-stack backend). Also the one-line errors of ``stream --device`` when Bluetooth is absent."""
import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.ble


@pytest.fixture
def simulator():
    process = subprocess.Popen([sys.executable, "-m", "harnet_edge.cli", "simulate", "--hci-port", "0",
                                "--duration", "900", "--speed", "10"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=REPO, env=dict(os.environ))
    spec, deadline = None, time.monotonic() + 60
    try:
        while spec is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if "--hci tcp-client:" in line:
                spec = line.split("--hci ")[1].strip()
        assert spec and spec.startswith("tcp-client:127.0.0.1:"), "simulate did not announce its HCI port"
        yield spec
    finally:
        process.terminate()
        process.wait(10)


def stream(spec, out, seconds=7):   # bumble imports alone take ~2 s on a busy 2-core machine
    return run_cli("stream", "--device", "HE-Wearable-1", "--hci", spec, "--duration", seconds, "--quiet",
                   "--jsonl", out, timeout=120)


def test_simulate_and_stream_meet_across_processes(simulator, tmp_path):
    listed = run_cli("devices", "--hci", simulator, "--timeout", "2.5", "--json", timeout=60)   # twin advertises every 1 s
    assert listed.returncode == 0, listed.stderr
    devices = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(d["name"], d["protocol"]) for d in devices] == [("HE-Wearable-1", "reference")]
    assert isinstance(devices[0]["rssi"], int) and devices[0]["address"].count(":") == 5

    first = stream(simulator, tmp_path / "first.jsonl")
    assert first.returncode == 0, first.stderr
    check_windows(tmp_path / "first.jsonl", first)

    # A host that dies mid-stream (kill -9) never disconnects; the simulator must drop its links so
    # the wearable advertises again, as a real one does when the phone's link supervision times out.
    crashed_out = tmp_path / "crashed.jsonl"
    crashed = subprocess.Popen([sys.executable, "-m", "harnet_edge.cli", "stream", "--device", "HE-Wearable-1",
                                "--hci", simulator, "--quiet", "--jsonl", str(crashed_out)], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "connected" not in (crashed_out.read_text() if crashed_out.exists() else ""):
            time.sleep(0.2)
        assert "connected" in crashed_out.read_text()
    finally:
        crashed.kill()
        crashed.wait(10)

    second = stream(simulator, tmp_path / "second.jsonl")
    assert second.returncode == 0, second.stderr
    check_windows(tmp_path / "second.jsonl", second)


def check_windows(path, result):
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert "HE-Wearable-1: connected" in [r.get("status") for r in records]     # status records carry time + run too
    windows = [r for r in records if "window_start" in r]
    assert windows and all(r["device"] == "HE-Wearable-1" for r in windows)
    assert json.loads(result.stdout.splitlines()[-1])["summary"]["windows"] == len(windows)


def one_line_error(result):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="BlueZ over D-Bus is the Linux backend")
def test_stream_without_a_bluetooth_service_gives_up_with_the_cause():
    result = run_cli("stream", "--device", "NONEXISTENT", "--connect-attempts", "2", "--quiet",
                     env={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/harnet-edge-test/bus"}, timeout=60)
    error = one_line_error(result)
    assert "gave up after 2 attempts" in error and "Bluetooth service not running" in error


def test_stream_without_an_adapter_gives_up_with_the_cause():
    result = run_cli("stream", "--device", "HE-Wearable-1", "--hci", "tcp-client:127.0.0.1:1",
                     "--connect-attempts", "1", "--quiet", timeout=60)
    assert "no Bluetooth adapter" in one_line_error(result)
