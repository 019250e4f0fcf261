"""An append-only text file that states how much a crash or a power cut can lose (see sinks.py)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from ..errors import HarnetEdgeError


class SinkWriteError(HarnetEdgeError):
    """The disk refused a record (full, read-only, failing): one line, exit 2, and systemd restarts."""


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
        self.sync_error: OSError | None = None    # from the timer thread, raised by the next write
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
            self._raise_sync_error()
            try:
                self.fh.write(text)
                self.fh.flush()
                self._dirty = True
                if self.fsync_every_s == 0:
                    self._sync()
            except OSError as exc:
                raise SinkWriteError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def _raise_sync_error(self) -> None:
        if self.sync_error is not None:
            exc, self.sync_error = self.sync_error, None
            raise SinkWriteError(f"cannot sync {self.path} to disk: {exc.strerror or exc}")

    def _sync(self) -> None:
        if self._dirty and not self.fh.closed:
            os.fsync(self.fh.fileno())
            self.fsyncs += 1
            self._dirty = False

    def _sync_periodically(self) -> None:
        # fsync outside the lock: on an SD card it can take 100 ms, and writers (the event loop) must
        # not wait for it. close() joins this thread before closing the file, so the fd stays valid.
        fd = self.fh.fileno()
        while not self._closed.wait(self.fsync_every_s):
            with self._lock:
                dirty, self._dirty = self._dirty, False
            if dirty:
                try:
                    os.fsync(fd)
                    self.fsyncs += 1
                except OSError as exc:
                    self.sync_error = exc
                    return

    def close(self) -> None:
        self._closed.set()
        if self._timer is not None:
            self._timer.join()
        with self._lock:
            if self.fh.closed:
                return
            try:
                self.fh.flush()
                self._sync()
            except OSError as exc:
                raise SinkWriteError(f"cannot write {self.path}: {exc.strerror or exc}") from None
            finally:
                self.fh.close()
            self._raise_sync_error()
