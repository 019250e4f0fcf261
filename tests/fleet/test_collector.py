"""The collector against a real Mosquitto: a window delivered twice is written once, also after the
collector restarts; a broken message is counted, not fatal."""
import json
import time

import paho.mqtt.client as mqtt

from harnet_edge.fleet.collector import Collector
from harnet_edge.fleet.topics import parse_broker_url


def publish(port, items):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", port)
    client.loop_start()
    for topic, payload in items:
        client.publish(topic, payload if isinstance(payload, bytes) else json.dumps(payload), qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def run_collector(broker, out, items, expect_messages):
    collector = Collector(parse_broker_url(broker.url + "/p"), out).start()
    assert collector.subscribed.wait(10)
    publish(broker.port, items)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        c = collector.report()
        if c["windows"] + c["duplicates"] + c["statuses"] + c["malformed"] >= expect_messages:
            break
        time.sleep(0.05)
    collector.stop()
    return collector.report()


def test_redelivered_windows_are_written_once_even_across_restarts(mosquitto, tmp_path):
    win = {"device": "dev A", "window_start": 10.0, "window_end": 20.0, "label": "walk", "run_id": "r1"}
    same_window_new_run = dict(win, run_id="r2")
    topic = "p/gw1/dev A/windows"
    first = run_collector(mosquitto, tmp_path, [(topic, win), (topic, win), (topic, same_window_new_run),
                                                ("p/gw1/dev A/status", {"device": "dev A", "event": "connected"}),
                                                (topic, b"{not json")], 5)
    assert (first["windows"], first["duplicates"], first["statuses"], first["malformed"]) == (2, 1, 1, 1)
    again = run_collector(mosquitto, tmp_path, [(topic, win)], 1)        # a new collector, same folder
    assert (again["windows"], again["duplicates"]) == (0, 1)
    lines = (tmp_path / "gw1" / "dev A.jsonl").read_text().splitlines()
    assert [json.loads(line)["run_id"] for line in lines] == ["r1", "r2"]


def test_broker_keeps_the_collectors_messages_while_it_is_away_even_across_a_broker_restart(mosquitto, tmp_path):
    away = Collector(parse_broker_url(mosquitto.url + "/p"), tmp_path).start()      # subscribes once
    assert away.subscribed.wait(10)
    away.stop()
    publish(mosquitto.port, [("p/gw1/d/windows", {"device": "d", "window_start": 0.0, "run_id": "r"})])
    mosquitto.stop()                     # a clean stop writes the broker's persistence file
    mosquitto.start()
    back = run_collector(mosquitto, tmp_path, [], 1)
    assert back["windows"] == 1


def test_a_line_cut_by_a_crash_does_not_swallow_the_next_window(mosquitto, tmp_path):
    (tmp_path / "gw1").mkdir()
    (tmp_path / "gw1" / "d.jsonl").write_text('{"device": "d", "window_start": 0.0, "run_id": "r", "lab')
    report = run_collector(mosquitto, tmp_path, [("p/gw1/d/windows", {"device": "d", "window_start": 0.0,
                                                                       "run_id": "r"})], 1)
    assert report["windows"] == 1                      # the cut line was never acknowledged: written again
    lines = (tmp_path / "gw1" / "d.jsonl").read_text().splitlines()
    assert json.loads(lines[-1]) == {"device": "d", "window_start": 0.0, "run_id": "r"}
