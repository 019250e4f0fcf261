"""An append-only text file that states how much a crash or a power cut can lose (see sinks.py)."""
from __future__ import annotations

import os
import threading
from pathlib import Path


def _fsync_folder(folder: Path) -> None:
    """A new file survives a power cut only once its folder entry is on disk too."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class DurableFile:
    """An append-only text file: flush per record, fsync on a timer (or per record), fsync on close."""

    def __init__(self, path: Path, fsync_every_s: float = 1.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self.fh = open(self.path, "a", newline="", encoding="utf-8")
        if created:
            _fsync_folder(self.path.parent)
        self.fsync_every_s = fsync_every_s
        self.fsyncs = 0
        self._dirty = False
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._timer = None
        if fsync_every_s > 0:
            self._timer = threading.Thread(target=self._sync_periodically, name=f"fsync {self.path.name}",
                                           daemon=True)
            self._timer.start()

    def write(self, text: str) -> None:
        with self._lock:
            self.fh.write(text)
            self.fh.flush()
            self._dirty = True
            if self.fsync_every_s == 0:
                self._sync()

    def _sync(self) -> None:
        if self._dirty and not self.fh.closed:
            os.fsync(self.fh.fileno())
            self.fsyncs += 1
            self._dirty = False

    def _sync_periodically(self) -> None:
        while not self._closed.wait(self.fsync_every_s):
            with self._lock:
                self._sync()

    def close(self) -> None:
        self._closed.set()
        if self._timer is not None:
            self._timer.join()
        with self._lock:
            if not self.fh.closed:
                self.fh.flush()
                self._sync()
                self.fh.close()
