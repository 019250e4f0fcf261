"""``stream --mqtt``: every window and device status change goes to the broker with QoS 1,
through a bounded on-disk queue (store-and-forward).

Every message is written to the queue first and removed only when the broker acknowledges it
(PUBACK), so a broker outage, a dropped link or a restarted gateway loses nothing: unacknowledged
messages are sent again, oldest first, once the broker is back. A message may therefore arrive
twice; the collector removes the repeats (run id + device + window start).
One thread owns the paho client; the event loop only appends to the queue.
"""
from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from pathlib import Path

from ..runtime.samples import Classification
from .disk_queue import DiskQueue
from .events import gap_event, status_event, window_record
from .topics import BrokerUrl, device_status_topic, gateway_status_topic, topic_level, window_topic


class MqttSink:
    def __init__(self, broker: BrokerUrl, gateway: str, queue_path, max_queued: int = 100_000,
                 max_inflight: int = 32, drain_timeout_s: float = 5.0, run_id: str | None = None):
        import paho.mqtt.client as mqtt   # the mqtt extra; the CLI turns its absence into one line

        self.mqtt = mqtt
        self.broker, self.gateway = broker, topic_level(gateway)
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.queue = DiskQueue(Path(queue_path), max_queued)
        self.backlog_at_start = len(self.queue)   # left by an earlier run: sent first, in order
        self.max_inflight, self.drain_timeout_s = max_inflight, drain_timeout_s
        self.published = self.sent = self.connects = 0
        self.client = None
        self.connected = False
        self.inflight: dict[int, int] = {}         # paho message id -> queue row id
        self.last_sent_id = 0
        self.reachable: bool | None = None        # for one line on stderr per change, not per retry
        self.wake = threading.Event()
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self.thread.start()

    # -- the sink side (event loop thread) --------------------------------------------------------
    def emit(self, result: Classification) -> None:
        record = window_record(result.as_record(), self.gateway, self.run_id)
        self._put(window_topic(self.broker.prefix, self.gateway, result.device), record)
        if "after_gap" in result.flags:
            self._put(device_status_topic(self.broker.prefix, self.gateway, result.device),
                      gap_event(record, self.gateway, self.run_id))

    def status(self, text: str) -> None:
        event = status_event(text, self.gateway, self.run_id)
        if event is not None:
            self._put(device_status_topic(self.broker.prefix, self.gateway, event["device"]), event)

    def _put(self, topic: str, payload: dict) -> None:
        dropped_before = self.queue.dropped
        self.queue.put(topic, json.dumps(payload).encode())
        if self.queue.dropped and not dropped_before:
            notice(f"queue full ({self.queue.max_messages} messages, --mqtt-queue-max): dropping the oldest")
        self.published += 1
        self.wake.set()

    def _reachable(self, now: bool, why: str = "") -> None:
        if now != self.reachable:
            notice(f"connected to {self.broker}" if now else
                   f"broker {self.broker.host}:{self.broker.port} unreachable ({why}); "
                   f"queueing on disk ({self.queue.path}) and retrying")
        self.reachable = now

    def close(self) -> None:
        """Send what the broker will take within ``drain_timeout_s``; the rest stays on disk."""
        deadline = time.monotonic() + self.drain_timeout_s
        while len(self.queue) and time.monotonic() < deadline:
            self.wake.set()
            time.sleep(0.02)
        self.closing.set()
        self.wake.set()
        self.thread.join(timeout=5)
        self.queue.close()

    def report(self) -> dict:
        """For the stream summary: sent = acknowledged by the broker; queued = still on disk."""
        return {"broker": str(self.broker), "gateway": self.gateway, "run_id": self.run_id,
                "published": self.published, "sent": self.sent, "queued": len(self.queue),
                "dropped": self.queue.dropped, "backlog_at_start": self.backlog_at_start,
                "connects": self.connects}

    # -- the publisher thread ---------------------------------------------------------------------
    def _status_payload(self, state: str) -> bytes:
        return json.dumps({"gateway": self.gateway, "state": state, "run_id": self.run_id,
                           "wall_time": round(time.time(), 3)}).encode()

    def _new_client(self):
        # A fresh client per connection: paho would otherwise re-send its own in-flight copies on
        # reconnect, next to the queue's; the queue alone decides what is (re)sent.
        mqtt = self.mqtt
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"harnet-edge-{self.gateway}-{self.run_id}",
                             clean_session=True)
        client.will_set(gateway_status_topic(self.broker.prefix, self.gateway), self._status_payload("offline"),
                        qos=1, retain=True)
        client.max_inflight_messages_set(self.max_inflight)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._reachable(False, f"it refused us: {reason_code}")
            return
        self.connected = True
        self.connects += 1
        self._reachable(True)
        self.inflight.clear()
        self.last_sent_id = 0        # everything still queued is unacknowledged: send it again, in order
        client.publish(gateway_status_topic(self.broker.prefix, self.gateway), self._status_payload("online"),
                       qos=1, retain=True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected = False

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        row = self.inflight.pop(mid, None)
        if row is not None:
            self.queue.remove(row)
            self.sent += 1

    def _fill_window(self) -> None:
        room = self.max_inflight - len(self.inflight)
        if room <= 0:
            return
        for row, topic, payload in self.queue.peek(self.last_sent_id, room):
            info = self.client.publish(topic, payload, qos=1)
            if info.rc != self.mqtt.MQTT_ERR_SUCCESS:
                return
            self.inflight[info.mid] = row
            self.last_sent_id = row

    def _run(self) -> None:
        backoff = 0.2
        while not self.closing.is_set():
            if self.client is None or not self.connected and self.client.socket() is None:
                self.client = self._new_client()
                try:
                    self.client.connect(self.broker.host, self.broker.port, keepalive=15)
                except OSError as exc:
                    self._reachable(False, exc.strerror or str(exc))
                    self.client = None
                    self.wake.wait(backoff)
                    self.wake.clear()
                    backoff = min(backoff * 2, 5.0)
                    continue
            if self.client.loop(timeout=0.02) != self.mqtt.MQTT_ERR_SUCCESS:
                self._reachable(False, "connection lost")
                self.connected = False
                self.client = None
                self.wake.wait(backoff)
                self.wake.clear()
                backoff = min(backoff * 2, 5.0)
                continue
            if self.connected:
                backoff = 0.2
                self._fill_window()
                if not self.inflight and not len(self.queue) > 0:
                    # Idle: sleep until a new message; waking every 5 s is enough for loop() to answer
                    # the 15 s keepalive, and costs nothing measurable next to the classifier.
                    self.wake.wait(5.0)
                    self.wake.clear()
        if self.client is not None and self.connected:
            info = self.client.publish(gateway_status_topic(self.broker.prefix, self.gateway),
                                       self._status_payload("offline"), qos=1, retain=True)
            deadline = time.monotonic() + 1.0
            while not info.is_published() and time.monotonic() < deadline:
                self.client.loop(timeout=0.02)
            self.client.disconnect()


def notice(text: str) -> None:
    print(f"mqtt: {text}", file=sys.stderr, flush=True)
