"""Where classifications go: terminal, JSON Lines, CSV, Lab Streaming Layer.

Durability of the file sinks (JSON Lines, CSV):
- every record is written and flushed to the OS at once, so a killed process loses at most the
  window in flight;
- the file is fsynced to the disk at most ``fsync_every_s`` seconds after a record was written (a
  background timer, 1 s by default; 0 means fsync with every record) and on close, so a power cut
  loses at most the last ``fsync_every_s`` seconds of records. A new file's folder entry is fsynced too.
Every record carries the wall-clock time it was classified (UTC) and the run id of the process.
"""
from __future__ import annotations

import csv
import json
import sys
import time
from abc import ABC, abstractmethod
from pathlib import Path

from .durable_file import DurableFile
from .samples import Classification, utc_iso


class Sink(ABC):
    """Where classifications go.

    Contract: ``emit(result)`` is called once per window, in order per device, with flagged windows
    too (``result.label`` is None for a window that was not classified); it must hand the result on
    before returning (files flush, so a killed process loses at most the window in flight) and must not
    block the event loop for long. ``status(text)`` carries connection news; ``close()`` is called once
    at the end, also after Ctrl-C.
    """

    @abstractmethod
    def emit(self, result: Classification) -> None: ...

    def status(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class JsonlSink(Sink):
    def __init__(self, path, run_id: str = "", fsync_every_s: float = 1.0):
        self.file = DurableFile(path, fsync_every_s)
        self.path, self.run_id = self.file.path, run_id

    def emit(self, result: Classification) -> None:
        self.file.write(json.dumps(result.as_record()) + "\n")

    def status(self, text: str) -> None:
        self.file.write(json.dumps({"time": utc_iso(time.time()), "run": self.run_id, "status": text}) + "\n")

    def close(self) -> None:
        self.file.close()


def csv_header(classes: list[str]) -> list[str]:
    return ["time", "run", "device", "window_start", "window_end", "label", "smoothed_label", "confidence",
            *[f"p_{c}" for c in classes], "latency_ms", "flags"]


def csv_path_for(path: Path, header: list[str]) -> Path:
    """``path`` if it is new, empty or has exactly this header; else the first of ``stem-2.csv``,
    ``stem-3.csv``... that is: rows for other classes (or an older layout) never land under a header
    whose columns do not match them."""
    candidate, n = Path(path), 1
    while candidate.exists() and candidate.stat().st_size > 0:
        with open(candidate, newline="", encoding="utf-8", errors="replace") as fh:
            if next(csv.reader(fh), None) == header:
                return candidate
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


class CsvSink(Sink):
    """One row per window. If the file already holds rows under a different header (other classes,
    older columns), a new file is started beside it (``self.path`` says which; ``self.redirected``)."""

    def __init__(self, path, classes: list[str], fsync_every_s: float = 1.0):
        self.requested = Path(path)
        self.header = csv_header(classes)
        self.path = csv_path_for(self.requested, self.header)
        self.redirected = self.path != self.requested
        self.file = DurableFile(self.path, fsync_every_s)
        self.classes = classes
        if self.path.stat().st_size == 0:
            self._row(self.header)

    def _row(self, values: list) -> None:
        line = _CsvLine()
        csv.writer(line).writerow(values)
        self.file.write(line.text)

    def emit(self, result: Classification) -> None:
        rec = result.as_record()
        self._row([rec["time"], rec["run"], rec["device"], rec["window_start"], rec["window_end"], rec["label"] or "",
                   rec["smoothed_label"] or "", rec["confidence"] if rec["confidence"] is not None else "",
                   *[rec["probabilities"].get(c, "") for c in self.classes], "" if rec["latency_ms"] is None else rec["latency_ms"],
                   ";".join(rec["flags"])])

    def close(self) -> None:
        self.file.close()


class _CsvLine:
    """csv.writer target that keeps one formatted row (so the row is written in one piece)."""

    def __init__(self):
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


class TerminalSink(Sink):
    """One live line per window: device, label, confidence, latency, status."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def emit(self, result: Classification) -> None:
        label = result.smoothed_label or result.label or "-"
        conf = max(result.probabilities.values()) if result.probabilities else 0.0
        flags = f"  [{', '.join(result.flags)}]" if result.flags else ""
        latency = "on wearable" if result.latency_ms is None else f"{result.latency_ms:>6.1f} ms"
        truth = ""
        if result.true_label is not None:       # the source knows what was really done
            verdict = "" if result.true_label == "mixed" else ("  ok" if label == result.true_label else "  MISS")
            truth = f"  true {result.true_label:<10}{verdict}"
        print(f"{result.device:<18} {result.start:>9.1f}s  {label:<14} {conf:>5.0%}  "
              f"{latency}{truth}{flags}", file=self.stream, flush=True)

    def status(self, text: str) -> None:
        print(f"# {text}", file=self.stream, flush=True)


class LslSink(Sink):
    """A Lab Streaming Layer outlet of class probabilities (needs pylsl: the lsl extra)."""

    def __init__(self, classes: list[str], name: str = "harnet-edge"):
        import pylsl

        info = pylsl.StreamInfo(name, "Classification", len(classes), 0, "float32", name)
        channels = info.desc().append_child("channels")
        for c in classes:
            channels.append_child("channel").append_child_value("label", c)
        self.outlet = pylsl.StreamOutlet(info)
        self.classes = classes

    def emit(self, result: Classification) -> None:
        if result.probabilities and result.origin == "host":   # an on-device label has no full distribution
            self.outlet.push_sample([result.probabilities[c] for c in self.classes])
