"""File sinks (issue 14): records say when and in which run they were made, a CSV never gets rows
under another header, and the fsync policy is what the docs say."""
import csv
import json
import os
import time

import pytest

from harnet_edge.runtime.samples import Classification
from harnet_edge.runtime.sinks import CsvSink, JsonlSink, csv_header


def result(device="d", classes=("a", "b"), run_id="run-1"):
    return Classification(device, 0.0, 10.0, classes[0], {c: 1 / len(classes) for c in classes}, 3.0, [],
                          run_id=run_id)


def rows(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def test_csv_with_other_classes_starts_a_new_file(tmp_path):
    path = tmp_path / "out.csv"
    sink = CsvSink(path, ["a", "b"])
    sink.emit(result())
    sink.close()
    other = CsvSink(path, ["walk", "sit", "lie"])           # another model: other columns
    other.emit(result(classes=("walk", "sit", "lie")))
    other.close()
    assert other.redirected and other.path == tmp_path / "out-2.csv"
    assert rows(path)[0] == csv_header(["a", "b"]) and len(rows(path)) == 2        # untouched
    assert rows(other.path)[0] == csv_header(["walk", "sit", "lie"]) and len(rows(other.path)) == 2
    again = CsvSink(path, ["a", "b"])                        # the first model again: appends to out.csv
    again.emit(result())
    again.close()
    assert not again.redirected and len(rows(path)) == 3
    assert all(len(r) == len(rows(path)[0]) for r in rows(path))


def test_csv_written_by_an_older_version_is_not_appended_to(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("device,window_start,window_end,label,smoothed_label,confidence,p_a,p_b,latency_ms,flags\n"
                    "d,0,10,a,,0.5,0.5,0.5,3,\n")
    sink = CsvSink(path, ["a", "b"])
    sink.close()
    assert sink.path.name == "old-2.csv" and path.read_text().count("\n") == 2


def test_records_carry_wall_clock_time_and_run_id(tmp_path):
    before = time.time()
    jsonl = JsonlSink(tmp_path / "o.jsonl", run_id="run-7")
    jsonl.emit(result(run_id="run-7"))
    jsonl.status("d: connected")
    jsonl.close()
    records = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["run"] for r in records] == ["run-7", "run-7"]
    from datetime import datetime
    for r in records:
        stamp = datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
        assert r["time"].endswith("Z") and before - 1 <= stamp <= time.time() + 1
    sink = CsvSink(tmp_path / "o.csv", ["a", "b"])
    sink.emit(result(run_id="run-7"))
    sink.close()
    header, row = rows(tmp_path / "o.csv")
    record = dict(zip(header, row))
    assert record["run"] == "run-7" and record["time"].endswith("Z") and header[:3] == ["time", "run", "device"]


@pytest.fixture
def fsyncs(monkeypatch):
    calls = []
    real = os.fsync

    def counting(fd):
        calls.append((fd, time.monotonic()))
        real(fd)
    monkeypatch.setattr(os, "fsync", counting)
    return calls


def test_fsync_with_every_record_when_asked(tmp_path, fsyncs):
    sink = JsonlSink(tmp_path / "o.jsonl", fsync_every_s=0)
    fd = sink.file.fh.fileno()
    for _ in range(3):
        sink.emit(result())
    assert len([c for c in fsyncs if c[0] == fd]) == 3
    sink.close()


def test_fsync_within_the_stated_interval_and_on_close(tmp_path, fsyncs):
    sink = JsonlSink(tmp_path / "o.jsonl", fsync_every_s=0.2)
    fd = sink.file.fh.fileno()
    written = time.monotonic()
    sink.emit(result())
    deadline = time.monotonic() + 5
    while not [c for c in fsyncs if c[0] == fd] and time.monotonic() < deadline:
        time.sleep(0.02)
    synced = [t for f, t in fsyncs if f == fd]
    assert synced and synced[0] - written < 2.0      # 0.2 s asked; slack for a loaded machine
    time.sleep(0.5)
    assert len([c for c in fsyncs if c[0] == fd]) == 1          # nothing new written: no more fsyncs
    sink.emit(result())
    sink.close()                                                 # the tail is synced on close
    assert len([c for c in fsyncs if c[0] == fd]) == 2


def test_a_full_disk_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    from harnet_edge.errors import HarnetEdgeError

    sink = JsonlSink(tmp_path / "o.jsonl", fsync_every_s=0)

    def full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(HarnetEdgeError, match=r"cannot write .*o.jsonl: No space left on device"):
        sink.emit(result())
    monkeypatch.undo()
    sink.close()


def test_a_failed_background_fsync_surfaces_at_the_next_write(tmp_path, monkeypatch):
    from harnet_edge.errors import HarnetEdgeError

    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "Input/output error")))
    sink = JsonlSink(tmp_path / "o.jsonl", fsync_every_s=0.05)
    sink.emit(result())
    deadline = time.monotonic() + 5
    while sink.file.sync_error is None and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(HarnetEdgeError, match="cannot sync .* Input/output error"):
        sink.emit(result())
    monkeypatch.undo()
    sink.close()
