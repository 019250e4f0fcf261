"""The collector against a third client publishing hostile messages to the fleet's topics (a real
Mosquitto): nothing it sends can stop the collector, write outside --out, or land in another file."""
import json
import time

from harnet_edge.fleet.collected import RECENT_PER_STREAM, RecentWindows, file_name, valid_window
from harnet_edge.fleet.collector import MAX_OPEN_FILES, Collector, device_file
from harnet_edge.fleet.topics import parse_broker_url

from .test_collector import publish


def good(device, start, run_id="r"):
    return {"device": device, "run_id": run_id, "window_start": start, "window_end": start + 10,
            "label": "walk", "confidence": 0.9, "latency_ms": 1.0, "flags": []}


def collect(broker, out, items, valid_device, redelivered=0):
    """Publish ``items`` then one good window for ``valid_device``; wait until all are counted."""
    collector = Collector(parse_broker_url(broker.url + "/p"), out).start()
    assert collector.subscribed.wait(10)
    publish(broker.port, items + [(f"p/gw/{valid_device}/windows", good(valid_device, 99.0))])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        counts = collector.report()
        if counts["windows"] + counts["duplicates"] + counts["malformed"] > len(items) + redelivered:
            break
        time.sleep(0.05)
    collector.stop()
    return collector.report()


def test_hostile_payloads_are_counted_and_never_stop_the_collector(mosquitto, tmp_path):
    hostile = [{"nothing": 1}, {"nothing": 2},                                   # missing fields
               dict(good("d", 0), window_start=[1, 2]),                          # unhashable: killed paho's thread
               dict(good("d", 0), window_start="10"), dict(good("d", 0), window_start=True),
               dict(good("d", 0), device=7), dict(good("d", 0), run_id=None),
               dict(good("d", 0), window_end="x"), dict(good("d", 0), flags="after_gap"),
               dict(good("d", 0), label={"html": 1}), [1, 2], "text", b"\xff\xfe not utf-8"]
    items = [("p/gw/d/windows", h if isinstance(h, bytes) else json.dumps(h).encode()) for h in hostile]
    items.append(("p/gw/d/windows", b'{"device": "d", "run_id": "r", "window_start": NaN}'))
    report = collect(mosquitto, tmp_path, items, "ok")
    assert report["malformed"] == len(items) and report["windows"] == 1, report
    assert not (tmp_path / "gw" / "d.jsonl").exists()
    assert json.loads((tmp_path / "gw" / "ok.jsonl").read_text()) == good("ok", 99.0)


def test_topic_levels_never_escape_the_output_folder_or_mix_files(mosquitto, tmp_path):
    out = tmp_path / "results" / "out"       # the broker fixture keeps its files in tmp_path/broker
    long_name = "x" * 300                                                      # ENAMETOOLONG killed the thread
    levels = [("..", "evil"), ("gw", ".."), (".", "dot"), ("gw", "status"), ("gw", long_name), ("gw", "a%2F")]
    records = [good(device, float(i)) for i, (_, device) in enumerate(levels)]
    items = [(f"p/{gateway}/{device}/windows", record) for (gateway, device), record in zip(levels, records)]
    report = collect(mosquitto, out, items, "ok")
    assert report["windows"] == len(items) + 1 and report["malformed"] == 0, report
    written = sorted(p for p in (tmp_path / "results").rglob("*") if p.is_file())
    assert all(out in p.parents for p in written), written                       # nothing outside --out
    assert not (out / "gw" / "status.jsonl").exists()            # a device named 'status' has its own file
    for (gateway, device), record in zip(levels, records):
        assert json.loads(device_file(out, gateway, device).read_text()) == record
    again = collect(mosquitto, out, items, "ok")                       # dedup across restarts still holds
    assert again["windows"] == 0 and again["duplicates"] == len(items) + 1, again


def test_file_names_are_distinct_safe_and_short():
    names = ["..", ".", ".hidden", "status", "%73tatus", "a%2Fb", "a/b", "a\\b", "tab\there", "x" * 300, "x" * 301,
             "Polar Sense 1A2B3C4D", "AA:BB:CC:DD:EE:FF"]
    files = [file_name(n, reserved=("status",)) for n in names]
    assert len(set(files)) == len(files)
    for f in files:
        assert "/" not in f and "\\" not in f and not f.startswith(".") and f != "status"
        assert len(f.encode()) <= 200 and f.isprintable()
    assert file_name("Polar Sense 1A2B3C4D") == "Polar Sense 1A2B3C4D"          # ordinary names unchanged
    assert file_name("AA:BB:CC:DD:EE:FF") == "AA:BB:CC:DD:EE:FF"


def test_window_validation_accepts_what_the_runtime_writes():
    assert valid_window(good("d", 0))
    assert valid_window({"device": "d", "run_id": "r", "window_start": 0, "confidence": None, "label": None,
                         "smoothed_label": None, "flags": ["after_gap", "packets_lost:3"],
                         "probabilities": {}, "latency_ms": float("nan")})
    assert not valid_window({"device": "d", "run_id": "r", "window_start": float("inf")})


def test_a_disk_that_refuses_to_write_stops_the_collector_and_the_broker_keeps_the_message(mosquitto, tmp_path):
    (tmp_path / "gw").write_text("a file where the gateway's folder should be")
    collector = Collector(parse_broker_url(mosquitto.url + "/p"), tmp_path).start()
    assert collector.subscribed.wait(10)
    publish(mosquitto.port, [("p/gw/d/windows", good("d", 0.0))])
    deadline = time.monotonic() + 10
    while collector.failure is None and time.monotonic() < deadline:
        time.sleep(0.05)
    collector.stop()
    assert collector.failure and "cannot write" in collector.failure
    (tmp_path / "gw").unlink()
    again = collect(mosquitto, tmp_path, [], "ok", redelivered=1)     # same session: the unacknowledged window comes back
    assert again["windows"] == 2 and json.loads((tmp_path / "gw" / "d.jsonl").read_text()) == good("d", 0.0)


def test_a_broker_that_is_down_is_said_once_on_stderr(mosquitto, tmp_path, capfd):
    port = mosquitto.port
    mosquitto.stop()
    collector = Collector(parse_broker_url(f"mqtt://127.0.0.1:{port}/p"), tmp_path).start()
    time.sleep(1.0)                                      # several retries; it used to say nothing at all
    mosquitto.start()
    assert collector.subscribed.wait(10)
    collector.stop()
    err = capfd.readouterr().err
    assert err.count("unreachable") == 1 and err.count("connected to") == 1, err


def test_memory_and_open_files_stay_bounded_however_long_it_runs(tmp_path):
    collector = Collector(parse_broker_url("mqtt://127.0.0.1:1/p"), tmp_path)     # never started: no broker
    for i in range(3 * RECENT_PER_STREAM):        # one device, a long run (was a set of every key)
        collector._write("gw", "d", "windows", good("d", 10.0 * i))
    assert len(collector.seen) <= RECENT_PER_STREAM
    assert not collector._write("gw", "d", "windows", good("d", 10.0 * (3 * RECENT_PER_STREAM - 5)))
    devices = MAX_OPEN_FILES + 50                 # each kept a descriptor open (EMFILE past ~1000)
    for i in range(devices):
        collector._write("gw", f"dev{i}", "windows", good(f"dev{i}", 0.0))
    assert len(collector.files) <= MAX_OPEN_FILES
    collector._write("gw", "dev0", "windows", good("dev0", 10.0))          # reopened and appended
    collector.stop()
    assert len((tmp_path / "gw" / "dev0.jsonl").read_text().splitlines()) == 2
    assert len(list((tmp_path / "gw").glob("dev*.jsonl"))) == devices


def test_recent_windows_forget_the_oldest_stream_and_window():
    recent = RecentWindows(per_stream=3, max_streams=2)
    for start in range(5):
        recent.add(("r", "d", start))
    assert [("r", "d", s) in recent for s in range(5)] == [False, False, True, True, True]
    recent.add(("r", "e", 0))
    recent.add(("r", "d", 5))               # 'd' heard from again: 'e' is now the least recent
    recent.add(("r2", "d", 0))
    assert ("r", "e", 0) not in recent and ("r", "d", 5) in recent and ("r2", "d", 0) in recent
