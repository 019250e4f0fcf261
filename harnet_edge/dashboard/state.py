"""What the dashboard shows, per device: current label and confidence, the last hour as coloured
bands, packet loss, gaps, reconnects, latency; per gateway: online or offline.

Fed with the same dicts the MQTT sink publishes (records and status events), by a gateway's
``stream`` or by ``collect`` for the whole fleet. Every change is also handed to listeners
(the server's push channels) as a small event, so a page never re-downloads the whole state.
"""
from __future__ import annotations

import re
import time
from collections import deque
from typing import Callable

HOUR_S = 3600.0
_LOST = re.compile(r"(?:packets|labels)_lost:(\d+)")   # labels_lost: on-device label packets


class DeviceView:
    def __init__(self, gateway: str, device: str):
        self.gateway, self.device = gateway, device
        self.label: str | None = None
        self.confidence: float | None = None
        self.latency_ms: deque[float] = deque(maxlen=100)
        self.windows = self.windows_with_loss = self.packets_lost = 0
        self.gaps = self.reconnects = self.disconnects = 0
        self.connected: bool | None = None
        self.battery_percent: float | None = None
        self.last_event = ""
        self.last_wall = 0.0
        self.bands: deque[list] = deque()      # [wall start, wall end, label], merged, last hour

    @property
    def key(self) -> str:
        return f"{self.gateway}/{self.device}"

    def add_window(self, record: dict) -> list:
        label = record.get("smoothed_label") or record.get("label") or "not classified"
        self.label, self.confidence = label, record.get("confidence")
        if record.get("latency_ms") is not None:
            self.latency_ms.append(float(record["latency_ms"]))
        self.windows += 1
        lost = sum(int(n) for flag in record.get("flags", []) for n in _LOST.findall(flag))
        self.packets_lost += lost
        self.windows_with_loss += lost > 0
        if "after_gap" in record.get("flags", []):
            self.gaps += 1
        end = float(record.get("wall_time") or time.time())
        length = float(record.get("window_end", 10.0)) - float(record.get("window_start", 0.0))
        # Contiguous with the previous band unless the device went quiet for longer than a window
        # (a replay at 10x delivers a 10 s window every second: bands follow arrival, not device time).
        start = self.last_wall if self.last_wall and end - self.last_wall <= length else end - length
        self.last_wall = end
        band = [round(start, 3), round(end, 3), label]
        last = self.bands[-1] if self.bands else None
        if last and last[2] == label and start <= last[1] + 0.5:
            last[1] = band[1]
        else:
            self.bands.append(band)
        while self.bands and self.bands[0][1] < end - HOUR_S:
            self.bands.popleft()
        return band

    def add_status(self, event: dict) -> None:
        kind = event.get("event")
        self.last_event = event.get("text", kind or "")
        if kind in ("connected", "reconnected"):
            self.connected = True
        if kind == "reconnected":
            self.reconnects += 1
        if kind == "disconnected":
            self.connected, self.disconnects = False, self.disconnects + 1
        if kind == "battery" and event.get("battery_percent") is not None:
            self.battery_percent = event["battery_percent"]

    def summary(self) -> dict:
        lat = sorted(self.latency_ms)
        return {"key": self.key, "gateway": self.gateway, "device": self.device, "label": self.label,
                "confidence": self.confidence, "windows": self.windows, "packets_lost": self.packets_lost,
                "loss_windows": self.windows_with_loss, "gaps": self.gaps, "reconnects": self.reconnects,
                "disconnects": self.disconnects, "connected": self.connected, "battery": self.battery_percent,
                "latency_p50_ms": lat[len(lat) // 2] if lat else None, "last_event": self.last_event}


class FleetState:
    def __init__(self, title: str = "harnet-edge"):
        self.title = title
        self.devices: dict[str, DeviceView] = {}
        self.gateways: dict[str, dict] = {}
        self.listeners: list[Callable[[str, dict], None]] = []

    def _device(self, gateway: str, device: str) -> DeviceView:
        key = f"{gateway}/{device}"
        if key not in self.devices:
            self.devices[key] = DeviceView(gateway, device)
        return self.devices[key]

    def _push(self, kind: str, data: dict) -> None:
        for listener in list(self.listeners):
            listener(kind, data)

    def window(self, record: dict) -> None:
        view = self._device(record.get("gateway", "local"), record["device"])
        band = view.add_window(record)
        self._push("device", {**view.summary(), "band": band})

    def status(self, event: dict) -> None:
        if "device" not in event:            # a gateway's own online/offline
            self.gateway_status(event)
            return
        view = self._device(event.get("gateway", "local"), event["device"])
        view.add_status(event)
        self._push("device", view.summary())

    def gateway_status(self, payload: dict) -> None:
        name = payload.get("gateway", "?")
        self.gateways[name] = {"gateway": name, "state": payload.get("state"), "wall_time": payload.get("wall_time")}
        self._push("gateway", self.gateways[name])

    def snapshot(self) -> dict:
        return {"title": self.title, "now": time.time(), "gateways": list(self.gateways.values()),
                "devices": [{**v.summary(), "bands": list(map(list, v.bands))} for v in self.devices.values()]}
