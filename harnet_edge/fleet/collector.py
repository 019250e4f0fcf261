"""``harnet-edge collect``: subscribe to every gateway under a prefix, write one JSONL per device,
and drop messages delivered twice.

The collector keeps a persistent session (fixed client id, clean_session=False, QoS 1), so while it
or the broker is briefly away the broker holds its messages. QoS 1 means "at least once": a gateway
re-sends what it never saw acknowledged, so a window may arrive twice; it is written once, keyed by
(run id, device, window start). The keys are rebuilt from the files at start, so a restarted
collector does not write repeats either (memory: about 100 bytes per window kept).
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Callable

from .topics import BrokerUrl, split_topic, subscriptions, topic_level


def device_file(out: Path, gateway: str, device: str) -> Path:
    return out / topic_level(gateway) / f"{topic_level(device)}.jsonl"


def window_key(record: dict) -> tuple:
    return record.get("run_id"), record.get("device"), record.get("window_start")


class Collector:
    def __init__(self, broker: BrokerUrl, out, client_id: str = "harnet-edge-collector",
                 on_message: Callable[[str, str | None, str, dict], None] | None = None):
        import paho.mqtt.client as mqtt   # the mqtt extra

        self.mqtt, self.broker, self.out = mqtt, broker, Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.on_message = on_message or (lambda gateway, device, kind, payload: None)
        self.lock = threading.Lock()
        self.seen: set[tuple] = set()
        self.files: dict[Path, object] = {}
        self.devices: set[Path] = set()
        self.counts = {"windows": 0, "duplicates": 0, "statuses": 0, "malformed": 0, "connects": 0}
        self._load_existing()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.reconnect_delay_set(min_delay=0.2, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.subscribed = threading.Event()

    def _load_existing(self) -> None:
        for path in self.out.glob("*/*.jsonl"):
            if path.name == "status.jsonl":
                continue
            with open(path) as fh:
                for line in fh:
                    try:
                        self.seen.add(window_key(json.loads(line)))
                    except json.JSONDecodeError:
                        continue      # a line cut by a crash: that window's message was never acknowledged

    def start(self) -> "Collector":
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=15)
        self.client.loop_start()    # paho's thread connects, and reconnects while the broker is away
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        with self.lock:
            for fh in self.files.values():
                fh.close()
            self.files.clear()

    def report(self) -> dict:
        with self.lock:
            return {"broker": str(self.broker), "out": str(self.out), **self.counts,
                    "devices": len(self.devices)}

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            return
        self.counts["connects"] += 1
        client.subscribe([(topic, 1) for topic in subscriptions(self.broker.prefix)])

    def _append(self, path: Path, payload: dict) -> None:
        fh = self.files.get(path)
        if fh is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = self.files[path] = open(path, "a+", buffering=1)
            if fh.tell() and (fh.seek(fh.tell() - 1), fh.read(1))[1] != "\n":
                fh.write("\n")     # a line cut by a crash stays alone instead of swallowing the next one
        fh.write(json.dumps(payload) + "\n")
        fh.flush()   # before paho acknowledges the message (after this callback returns)

    def _on_message(self, client, userdata, message) -> None:
        where = split_topic(self.broker.prefix, message.topic)
        try:
            payload = json.loads(message.payload)
            assert isinstance(payload, dict) and where is not None
        except (ValueError, AssertionError):
            self.counts["malformed"] += 1
            return
        gateway, device, kind = where
        with self.lock:
            if kind == "windows":
                key = window_key(payload)
                if key in self.seen:
                    self.counts["duplicates"] += 1
                    return
                self.seen.add(key)
                path = device_file(self.out, gateway, device)
                self.devices.add(path)
                self._append(path, payload)
                self.counts["windows"] += 1
            else:
                self._append(self.out / topic_level(gateway) / "status.jsonl", payload)
                self.counts["statuses"] += 1
        self.on_message(gateway, device, kind, payload)
