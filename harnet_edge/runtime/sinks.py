"""Where classifications go: terminal, JSON Lines, CSV, Lab Streaming Layer.

File sinks append and flush every window, so a killed process loses at most the window in flight.
"""
from __future__ import annotations

import csv
import json
import sys
from abc import ABC, abstractmethod
from pathlib import Path

from .samples import Classification


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
    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a", buffering=1)

    def emit(self, result: Classification) -> None:
        self.fh.write(json.dumps(result.as_record()) + "\n")
        self.fh.flush()

    def status(self, text: str) -> None:
        self.fh.write(json.dumps({"status": text}) + "\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


class CsvSink(Sink):
    def __init__(self, path, classes: list[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        self.fh = open(self.path, "a", newline="")
        self.writer = csv.writer(self.fh)
        self.classes = classes
        if new:
            self.writer.writerow(["device", "window_start", "window_end", "label", "smoothed_label", "confidence",
                                  *[f"p_{c}" for c in classes], "latency_ms", "flags"])
            self.fh.flush()

    def emit(self, result: Classification) -> None:
        rec = result.as_record()
        self.writer.writerow([rec["device"], rec["window_start"], rec["window_end"], rec["label"] or "",
                              rec["smoothed_label"] or "", rec["confidence"] if rec["confidence"] is not None else "",
                              *[rec["probabilities"].get(c, "") for c in self.classes],
                              "" if rec["latency_ms"] is None else rec["latency_ms"],
                              ";".join(rec["flags"])])
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


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
