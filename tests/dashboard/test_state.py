"""What the page shows, computed from records: bands, loss, gaps, reconnects, latency."""
from harnet_edge.dashboard.state import HOUR_S, FleetState


def record(start, label, wall, flags=(), latency=5.0):
    return {"gateway": "gw", "device": "d", "window_start": start, "window_end": start + 10, "label": label,
            "smoothed_label": None, "confidence": 0.9, "latency_ms": latency, "flags": list(flags), "wall_time": wall}


def test_bands_merge_same_labels_and_leave_holes_for_silence():
    state = FleetState()
    pushed = []
    state.listeners.append(lambda kind, data: pushed.append((kind, data)))
    for k, label in enumerate(["walk", "walk", "sit"]):
        state.window(record(10 * k, label, 1000 + 10 * k, latency=k + 1.0))
    state.window(record(100, "sit", 1100, flags=["after_gap", "packets_lost:3"], latency=9.0))   # 70 s silent
    view = state.devices["gw/d"]
    assert [b[2] for b in view.bands] == ["walk", "sit", "sit"]
    assert view.bands[0][:2] == [990, 1010] and view.bands[1][:2] == [1010, 1020] and view.bands[2][:2] == [1090, 1100]
    s = view.summary()
    assert (s["gaps"], s["packets_lost"], s["loss_windows"], s["latency_p50_ms"]) == (1, 3, 1, 3.0)
    assert pushed[-1][0] == "device" and pushed[-1][1]["band"] == [1090, 1100, "sit"]


def test_timeline_keeps_one_hour_and_counts_reconnects():
    state = FleetState()
    state.window(record(0, "walk", 1000))
    state.window(record(10, "sit", 1000 + HOUR_S + 60))
    assert [b[2] for b in state.devices["gw/d"].bands] == ["sit"]
    for event in ("connected", "disconnected", "reconnected"):
        state.status({"gateway": "gw", "device": "d", "event": event, "text": event})
    state.status({"gateway": "gw", "state": "offline"})
    s = state.snapshot()
    assert s["devices"][0]["reconnects"] == 1 and s["devices"][0]["connected"] is True
    assert s["gateways"] == [{"gateway": "gw", "state": "offline", "wall_time": None}]


def test_on_device_labels_count_their_losses_and_have_no_latency():
    """A wearable that classifies itself reports lost label packets as labels_lost:N, no latency,
    and withheld windows with no label."""
    state = FleetState()
    state.window(record(0, "walk", 1000, flags=["on_device", "device_restarted"], latency=None))
    state.window(record(30, None, 1001, flags=["on_device", "labels_lost:2"], latency=None))
    s = state.devices["gw/d"].summary()
    assert (s["packets_lost"], s["loss_windows"], s["label"]) == (2, 1, "not classified")
    assert s["latency_p50_ms"] is None
