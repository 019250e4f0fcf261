"""A bounded first-in-first-out queue on disk (SQLite, stdlib) for messages the broker has not
acknowledged yet. It survives a restart of the gateway: what was queued is drained, in order, the
next time the broker is reachable. When full, the oldest message is dropped (and counted): on a
long outage the newest results are the ones worth keeping, and memory and disk stay bounded.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from ..errors import HarnetEdgeError


class DiskQueue:
    def __init__(self, path, max_messages: int = 100_000):
        self.path = Path(path)
        self.max_messages = max_messages
        self.lock = threading.Lock()      # the sink (event loop) and the publisher thread share it
        self.lock_file = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.lock_file = _lock_alone(self.path)
            self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            # WAL + synchronous=NORMAL: each insert is durable against a killed process, and a power
            # cut loses at most the last few; one fsync per window would cost more than publishing.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                            "topic TEXT NOT NULL, payload BLOB NOT NULL)")
            self.count = self.db.execute("SELECT COUNT(*) FROM queue").fetchone()[0]
        except (OSError, sqlite3.Error) as exc:     # a folder, a corrupt or foreign file, no permission
            if getattr(self, "lock_file", None) is not None:
                os.close(self.lock_file)
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise HarnetEdgeError(f"--mqtt-queue {self.path} cannot be used as a queue: {reason}") from None
        self.dropped = 0

    def __len__(self) -> int:
        return self.count

    def put(self, topic: str, payload: bytes) -> int:
        with self.lock:
            self.db.execute("BEGIN")
            cur = self.db.execute("INSERT INTO queue (topic, payload) VALUES (?, ?)", (topic, payload))
            self.count += 1
            over = self.count - self.max_messages
            if over > 0:
                gone = self.db.execute("DELETE FROM queue WHERE id IN (SELECT id FROM queue ORDER BY id LIMIT ?)",
                                       (over,)).rowcount
                self.count -= gone
                self.dropped += gone
            self.db.execute("COMMIT")
            return cur.lastrowid

    def peek(self, after_id: int, limit: int) -> list[tuple[int, str, bytes]]:
        """The oldest ``limit`` messages with an id above ``after_id`` (those not yet in flight)."""
        with self.lock:
            return self.db.execute("SELECT id, topic, payload FROM queue WHERE id > ? ORDER BY id LIMIT ?",
                                   (after_id, limit)).fetchall()

    def remove(self, message_id: int) -> None:
        with self.lock:
            self.count -= self.db.execute("DELETE FROM queue WHERE id = ?", (message_id,)).rowcount

    def close(self) -> None:
        with self.lock:
            self.db.close()
            os.close(self.lock_file)      # releases the lock


def _lock_alone(path: Path) -> int:
    """One process per queue file: two gateways sharing one (same --gateway on one host, hence the
    same default path) would send and delete each other's rows and miscount what is queued."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        import fcntl
    except ImportError:               # not POSIX: no lock, as before
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise HarnetEdgeError(f"--mqtt-queue {path} is in use by another gateway on this machine; give each "
                              "gateway its own --gateway name (or --mqtt-queue file)") from None
    return fd
