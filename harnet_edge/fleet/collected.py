"""What the collector keeps on disk and in memory: topic levels as safe file names, what a valid
window record is, and the recent window keys it de-duplicates with (bounded)."""
from __future__ import annotations

import hashlib
import math
import re
from collections import OrderedDict, deque
from pathlib import Path

from .topics import topic_level

_UNSAFE_IN_FILE_NAMES = re.compile(r"[%/\\\x00-\x1f\x7f]")
MAX_NAME_BYTES = 200     # file systems allow 255; room for '.jsonl'


def file_name(level: str, reserved: tuple[str, ...] = ()) -> str:
    """A topic level as a file or folder name: '..', '.x', separators, control characters and the
    reserved names are %-escaped (so distinct levels stay distinct); over-long ones end in a hash."""
    name = _UNSAFE_IN_FILE_NAMES.sub(lambda m: f"%{ord(m.group()):02X}", level) or "%"
    if name.startswith(".") or name in reserved:
        name = f"%{ord(name[0]):02X}{name[1:]}"
    if len(name.encode()) > MAX_NAME_BYTES:
        digest = hashlib.sha256(level.encode()).hexdigest()[:16]
        name = name.encode()[:MAX_NAME_BYTES - 17].decode(errors="ignore") + "%" + digest
    return name


def device_file(out: Path, gateway: str, device: str) -> Path:
    return out / file_name(topic_level(gateway)) / f"{file_name(topic_level(device), ('status',))}.jsonl"


def status_file(out: Path, gateway: str) -> Path:
    return out / file_name(topic_level(gateway)) / "status.jsonl"


def window_key(record: dict) -> tuple:
    return record.get("run_id"), record.get("device"), record.get("window_start")


def _number(value, finite: bool = False) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (not finite or math.isfinite(value))


def valid_window(record: dict) -> bool:
    """What the collector and the page rely on: a window record as the runtime writes it."""
    flags = record.get("flags", [])
    return (isinstance(record.get("device"), str) and isinstance(record.get("run_id"), str)
            and _number(record.get("window_start"), finite=True)
            and all(record.get(k) is None or _number(record[k]) for k in
                    ("window_end", "confidence", "latency_ms", "wall_time"))
            and all(record.get(k) is None or isinstance(record[k], str) for k in ("label", "smoothed_label", "gateway"))
            and isinstance(flags, list) and all(isinstance(f, str) for f in flags))


RECENT_PER_STREAM = 1024      # 32x what a gateway can have in flight
MAX_STREAMS = 1024            # (run, device) pairs: e.g. 20 gateways x 8 devices x 6 restarts each


class RecentWindows:
    """The keys of the windows written lately, per (run id, device), oldest forgotten first."""

    def __init__(self, per_stream: int = RECENT_PER_STREAM, max_streams: int = MAX_STREAMS):
        self.per_stream, self.max_streams = per_stream, max_streams
        self.streams: OrderedDict[tuple, tuple[deque, set]] = OrderedDict()

    def __contains__(self, key: tuple) -> bool:
        stream = self.streams.get(key[:2])
        return stream is not None and key[2] in stream[1]

    def add(self, key: tuple) -> None:
        stream = self.streams.get(key[:2])
        if stream is None:
            stream = self.streams[key[:2]] = (deque(), set())
            if len(self.streams) > self.max_streams:
                self.streams.popitem(last=False)        # the stream heard from least recently
        self.streams.move_to_end(key[:2])
        order, starts = stream
        if key[2] not in starts:
            order.append(key[2])
            starts.add(key[2])
            if len(order) > self.per_stream:
                starts.discard(order.popleft())

    def __len__(self) -> int:
        return sum(len(starts) for _, starts in self.streams.values())
