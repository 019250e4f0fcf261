"""What the MQTT sink and the dashboard send about a window or a device: plain dicts, so a
gateway's page and the fleet page read the same thing. No paho here (the dashboard works without it)."""
from __future__ import annotations

import re
import time

# The runtime reports device changes as text ("<device>: connected"); these are the events it means.
_EVENTS = [("reconnected", "reconnected"), ("connected", "connected"), ("disconnected", "disconnected"),
           ("connect failed", "connect_failed"), ("replay finished", "finished"), ("battery", "battery"),
           ("device clock restarted", "clock_reset")]


def window_record(record: dict, gateway: str, run_id: str) -> dict:
    """The JSONL record plus what a fleet needs to route and de-duplicate it."""
    out = dict(record)
    out.setdefault("gateway", gateway)
    out.setdefault("run_id", run_id)
    out.setdefault("wall_time", round(time.time(), 3))
    return out


def status_event(text: str, gateway: str, run_id: str) -> dict | None:
    """``"<device>: <what happened>"`` as a status event; None for text about no device."""
    device, sep, what = text.partition(": ")
    if not sep:
        return None
    event = next((name for prefix, name in _EVENTS if what.startswith(prefix)), "info")
    out = {"device": device, "gateway": gateway, "run_id": run_id, "event": event, "text": what,
           "wall_time": round(time.time(), 3)}
    if event == "battery":
        level = re.search(r"(\d+(?:\.\d+)?)\s*%", what)
        out["battery_percent"] = float(level.group(1)) if level else None
    return out


def gap_event(record: dict, gateway: str, run_id: str) -> dict:
    """A window flagged ``after_gap``: the device's data had a hole just before it."""
    return {"device": record["device"], "gateway": gateway, "run_id": run_id, "event": "gap",
            "text": f"gap before {record['window_start']} s", "window_start": record["window_start"],
            "wall_time": round(time.time(), 3)}
