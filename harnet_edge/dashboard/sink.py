"""``stream --dashboard``: the gateway's own windows and device changes, into the page's state."""
from __future__ import annotations

import uuid

from ..fleet.events import gap_event, status_event, window_record
from ..runtime.samples import Classification
from .state import FleetState


class DashboardSink:
    def __init__(self, state: FleetState, gateway: str, run_id: str | None = None):
        self.state, self.gateway = state, gateway
        self.run_id = run_id or uuid.uuid4().hex[:12]
        state.gateway_status({"gateway": gateway, "state": "online"})

    def emit(self, result: Classification) -> None:
        record = window_record(result.as_record(), self.gateway, self.run_id)
        self.state.window(record)
        if "after_gap" in result.flags:
            self.state.status(gap_event(record, self.gateway, self.run_id))

    def status(self, text: str) -> None:
        event = status_event(text, self.gateway, self.run_id)
        if event is not None:
            self.state.status(event)

    def close(self) -> None:
        self.state.gateway_status({"gateway": self.gateway, "state": "stopped"})
