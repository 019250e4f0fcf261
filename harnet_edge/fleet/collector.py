"""``harnet-edge collect``: subscribe to every gateway under a prefix, write one JSONL per device,
and drop messages delivered twice.

The collector keeps a persistent session (fixed client id, clean_session=False, QoS 1), so while it
or the broker is briefly away the broker holds its messages. QoS 1 means "at least once": a gateway
re-sends what it never saw acknowledged, so a window may arrive twice; it is written once, keyed by
(run id, device, window start). The keys are rebuilt from the files at start, so a restarted
collector does not write repeats either. A repeat is always recent: a gateway re-sends only what it
has in flight (at most 32 messages), so the last RECENT_PER_STREAM windows of each (run, device) are
kept, for the last MAX_STREAMS of them: memory stays bounded however long the collector runs.

Anyone who can publish to the broker can reach the collector, so a message is checked before it is
written (a window needs a string device and run id and a finite window start; anything else is
counted as malformed), and topic levels become file names that stay inside --out.
"""
from __future__ import annotations

import json
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from .collected import RecentWindows, device_file, status_file, valid_window, window_key
from .topics import BrokerUrl, split_topic, subscriptions

MAX_OPEN_FILES = 256          # far below the usual limit of 1024 descriptors, whatever the device count


class WriteFailed(Exception):
    """The disk refused a message: stop without acknowledging it, so the broker keeps it."""


class Collector:
    def __init__(self, broker: BrokerUrl, out, client_id: str = "harnet-edge-collector",
                 on_message: Callable[[str, str | None, str, dict], None] | None = None):
        import paho.mqtt.client as mqtt   # the mqtt extra

        self.mqtt, self.broker, self.out = mqtt, broker, Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.on_message = on_message or (lambda gateway, device, kind, payload: None)
        self.lock = threading.Lock()
        self.seen = RecentWindows()
        self.files: OrderedDict[Path, object] = OrderedDict()     # the most recently written last
        self.devices: set[Path] = set()
        self.counts = {"windows": 0, "duplicates": 0, "statuses": 0, "malformed": 0, "connects": 0}
        self._load_existing()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.reconnect_delay_set(min_delay=0.2, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_connect_fail = lambda *a: self._reachable(False)
        self.client.on_disconnect = lambda *a: self._reachable(False)
        self.reachable: bool | None = None       # one line on stderr per change, not per retry
        self.stopping = False
        self.subscribed = threading.Event()
        self.failure: str | None = None       # set when writing failed; the collector has stopped
        self.thread = threading.Thread(target=self._loop, name="mqtt-collector", daemon=True)

    def _load_existing(self) -> None:
        for path in self.out.glob("*/*.jsonl"):
            if path.name == "status.jsonl":
                continue
            with open(path, errors="replace") as fh:
                for line in fh:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        continue      # a line cut by a crash: that window's message was never acknowledged
                    if isinstance(record, dict) and valid_window(record):
                        self.seen.add(window_key(record))

    def start(self) -> "Collector":
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=15)
        self.thread.start()    # connects, and reconnects while the broker is away
        return self

    def _loop(self) -> None:
        try:
            self.client.loop_forever(retry_first_connection=True)
        except WriteFailed as exc:
            self.failure = str(exc)

    def stop(self) -> None:
        self.stopping = True        # our own disconnect: nothing to say
        self.client.disconnect()
        if self.thread.ident is not None:     # started
            self.thread.join(timeout=5)
        with self.lock:
            for fh in self.files.values():
                fh.close()
            self.files.clear()

    def report(self) -> dict:
        with self.lock:
            return {"broker": str(self.broker), "out": str(self.out), **self.counts,
                    "devices": len(self.devices)}

    def _reachable(self, now: bool) -> None:
        if self.stopping:
            return
        if now != self.reachable and not (now and self.reachable is None):
            print(f"mqtt: connected to {self.broker}" if now else
                  f"mqtt: broker {self.broker.host}:{self.broker.port} unreachable; retrying "
                  "(the gateways keep their messages meanwhile)", file=sys.stderr, flush=True)
        self.reachable = now

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._reachable(False)
            return
        self._reachable(True)
        self.counts["connects"] += 1
        client.subscribe([(topic, 1) for topic in subscriptions(self.broker.prefix)])

    def _append(self, path: Path, payload: dict) -> None:
        fh = self.files.get(path)
        if fh is None:
            if len(self.files) >= MAX_OPEN_FILES:
                self.files.popitem(last=False)[1].close()
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = self.files[path] = open(path, "a+", buffering=1)
            if fh.tell() and (fh.seek(fh.tell() - 1), fh.read(1))[1] != "\n":
                fh.write("\n")     # a line cut by a crash stays alone instead of swallowing the next one
        self.files.move_to_end(path)
        fh.write(json.dumps(payload) + "\n")
        fh.flush()   # before paho acknowledges the message (after this callback returns)

    def _on_message(self, client, userdata, message) -> None:
        # An exception here would end paho's loop (and the message, never acknowledged, would come
        # back at every restart): bad input is counted; only a disk that refuses to write stops us.
        where = split_topic(self.broker.prefix, message.topic)
        try:
            payload = json.loads(message.payload)
        except ValueError:      # also bytes that are not UTF-8
            payload = None
        if where is None or not isinstance(payload, dict) or where[2] == "windows" and not valid_window(payload):
            with self.lock:
                self.counts["malformed"] += 1
            return
        gateway, device, kind = where
        try:
            if not self._write(gateway, device, kind, payload):
                return                                   # a repeat: written before
        except OSError as exc:
            raise WriteFailed(f"cannot write under {self.out}: {exc.strerror or exc}") from None
        if kind != "windows":      # the page trusts the topic for who sent it
            payload = {**payload, "gateway": gateway}
            if device is None:
                payload.pop("device", None)
            elif not isinstance(payload.get("device"), str):
                payload["device"] = device
        self.on_message(gateway, device, kind, {**payload, "gateway": gateway})

    def _write(self, gateway: str, device: str | None, kind: str, payload: dict) -> bool:
        with self.lock:
            if kind == "windows":
                key = window_key(payload)
                if key in self.seen:
                    self.counts["duplicates"] += 1
                    return False
                path = device_file(self.out, gateway, device)
                self._append(path, payload)
                self.seen.add(key)
                self.devices.add(path)
                self.counts["windows"] += 1
            else:
                self._append(status_file(self.out, gateway), payload)
                self.counts["statuses"] += 1
        return True
