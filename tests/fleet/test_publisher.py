"""stream --mqtt's sink against a real Mosquitto: store-and-forward through an outage and a gateway
restart, the last will, and a clear error where paho is missing."""
import os
import signal
import subprocess
import sys
import time

from harnet_edge.fleet.publisher import MqttSink
from harnet_edge.fleet.topics import parse_broker_url
from harnet_edge.runtime.samples import Classification
from tests.conftest import REPO, run_cli


def window(device, start, flags=()):
    return Classification(device, start, start + 10, "walk", {"walk": 0.8, "sit": 0.2}, 4.0, list(flags))


def test_outage_and_gateway_restart_lose_nothing_and_keep_order(mosquitto, subscriber_factory, tmp_path):
    url = parse_broker_url(mosquitto.url + "/site")
    queue = tmp_path / "gw.sqlite"
    mosquitto.stop()                                         # the broker is down from the start
    first = MqttSink(url, "gw1", queue, drain_timeout_s=0.3)
    for k in range(5):
        first.emit(window("dev", 10.0 * k, ["after_gap"] if k == 3 else []))
    first.status("dev: connected")
    first.close()                                            # the gateway stops (or is restarted)
    assert first.report() | {"published": 7, "sent": 0, "queued": 7, "dropped": 0} == first.report()

    mosquitto.start()
    sub = subscriber_factory(mosquitto.port, "site/gw1/#")
    second = MqttSink(url, "gw1", queue, drain_timeout_s=10)
    assert second.report()["backlog_at_start"] == 7
    second.emit(window("dev", 50.0))
    second.close()
    assert second.report()["sent"] == 8 and second.report()["queued"] == 0
    sub.wait_for(lambda m: m[1].get("window_start") == 50.0)
    windows = [m[1] for m in sub.messages if m[0] == "site/gw1/dev/windows"]
    assert [w["window_start"] for w in windows] == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert {w["run_id"] for w in windows[:5]} == {first.run_id} and windows[5]["run_id"] == second.run_id
    events = [m[1]["event"] for m in sub.messages if m[0] == "site/gw1/dev/status"]
    assert events == ["gap", "connected"]


def test_last_will_marks_a_killed_gateway_offline(mosquitto, subscriber_factory, tmp_path):
    sub = subscriber_factory(mosquitto.port, "site/+/status")
    code = ("import sys, time; from harnet_edge.fleet.publisher import MqttSink;"
            "from harnet_edge.fleet.topics import parse_broker_url;"
            "s = MqttSink(parse_broker_url(sys.argv[1]), 'gw-killed', sys.argv[2]); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, mosquitto.url + "/site", str(tmp_path / "q.sqlite")], cwd=REPO)
    try:
        sub.wait_for(lambda m: m[1].get("state") == "online")
        os.kill(proc.pid, signal.SIGKILL)                    # no goodbye: only the broker can tell
        offline = sub.wait_for(lambda m: m[1].get("state") == "offline")
    finally:
        proc.kill()
        proc.wait()
    assert offline[0][0] == "site/gw-killed/status"


def test_missing_paho_is_one_line_and_the_dashboard_still_works(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "paho.py").write_text("raise ModuleNotFoundError(\"No module named 'paho'\", name='paho')\n")
    env = {"PYTHONPATH": f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    result = run_cli("collect", "--mqtt", "mqtt://127.0.0.1:1/x", "--out", tmp_path / "out", env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ("harnet-edge collect: error: paho is not installed; "
                                     "install it with: pip install 'harnet-edge[mqtt]'")
    from tests.runtime.test_stream_cli import recording

    rec = recording(tmp_path / "walk.csv", seconds=21)
    result = run_cli("stream", "--replay", rec, "--speed", "max", "--quiet", "--dashboard", "127.0.0.1:0", env=env,
                     timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("dashboard: http://127.0.0.1:")


def test_a_broker_that_is_down_or_a_full_queue_is_said_once_on_stderr(mosquitto, tmp_path, capfd):
    from harnet_edge.fleet.publisher import MqttSink
    from harnet_edge.fleet.topics import parse_broker_url

    port = mosquitto.port
    mosquitto.stop()                                 # down from the start: the gateway said nothing
    sink = MqttSink(parse_broker_url(f"mqtt://127.0.0.1:{port}/p"), "gw", tmp_path / "q.sqlite",
                    max_queued=2, drain_timeout_s=10)
    for i in range(4):
        sink._put("p/gw/d/status", {"i": i})
    time.sleep(1.0)                                  # several retries
    mosquitto.start()
    sink.close()
    err = capfd.readouterr().err
    assert err.count("unreachable") == 1 and "127.0.0.1" in err and "Connection refused" in err, err
    assert err.count("queue full") == 1 and err.count("connected to") == 1, err
    assert sink.report()["sent"] == 2 and sink.report()["dropped"] == 2
