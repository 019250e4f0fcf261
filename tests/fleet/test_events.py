from harnet_edge.fleet.events import status_event, window_record


def test_runtime_status_text_becomes_device_events():
    kinds = {text: status_event(f"Polar Sense 1A: {text}", "gw", "r")["event"]
             for text in ("connected", "reconnected", "disconnected; reconnecting", "connect failed (timeout); retry 2",
                          "replay finished", "battery 57 %", "device clock restarted (reboot?): new segment")}
    assert list(kinds.values()) == ["connected", "reconnected", "disconnected", "connect_failed", "finished", "battery",
                                    "clock_reset"]
    assert status_event("dev: battery 57 %", "gw", "r")["battery_percent"] == 57.0
    assert status_event("dev: connected", "gw", "r")["device"] == "dev"
    assert status_event("no device here", "gw", "r") is None


def test_window_record_keeps_fields_it_already_has():
    record = window_record({"device": "d", "window_start": 0.0, "run_id": "from-sink"}, "gw", "r")
    assert (record["run_id"], record["gateway"]) == ("from-sink", "gw") and record["wall_time"] > 1e9
