"""The fleet options of ``harnet-edge stream`` (--mqtt, --dashboard and friends), kept out of
stream_cmd so the command stays short: the sinks they add, the server they run, their summary."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .topics import default_gateway_name, parse_broker_url, topic_level


def add_stream_options(p) -> None:
    g = p.add_argument_group("fleet (MQTT broker, live page)")
    g.add_argument("--mqtt", metavar="URL", help="publish windows and device status to mqtt://host:1883/prefix "
                                                 "(QoS 1, store-and-forward on disk; needs the mqtt extra)")
    g.add_argument("--gateway", help="this gateway's name in topics (default: the host name)")
    g.add_argument("--mqtt-queue", type=Path, metavar="FILE",
                   help="on-disk queue for unacknowledged messages (default: "
                        "$XDG_STATE_HOME/harnet-edge/mqtt-<gateway>.sqlite)")
    g.add_argument("--mqtt-queue-max", type=int, default=100_000, metavar="N",
                   help="most messages kept on disk while the broker is away; the oldest go first")
    g.add_argument("--dashboard", metavar="HOST:PORT", help="serve a live page, e.g. 127.0.0.1:8080")


def default_queue_path(gateway: str) -> Path:
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "harnet-edge" / f"mqtt-{gateway}.sqlite"


class StreamFleet:
    """Checks the options at once (bad input: one line, status 2) and builds what they ask for."""

    def __init__(self, args):
        from ..errors import HarnetEdgeError

        self.gateway = topic_level(args.gateway or default_gateway_name())
        self.sinks, self.mqtt, self.state, self.server = [], None, None, None
        if args.mqtt_queue_max < 1:
            raise HarnetEdgeError(f"--mqtt-queue-max must be at least 1; got {args.mqtt_queue_max}")
        if args.dashboard:
            from ..dashboard.server import DashboardServer, parse_address
            from ..dashboard.sink import DashboardSink
            from ..dashboard.state import FleetState

            host, port = parse_address(args.dashboard)
            self.state = FleetState(f"harnet-edge · {self.gateway}")
            self.server = DashboardServer(self.state, host, port)
            self.sinks.append(DashboardSink(self.state, self.gateway))
        if args.mqtt:
            from .publisher import MqttSink

            broker = parse_broker_url(args.mqtt)
            self.mqtt = MqttSink(broker, self.gateway, args.mqtt_queue or default_queue_path(self.gateway),
                                 max_queued=args.mqtt_queue_max)
            self.sinks.append(self.mqtt)

    @contextlib.asynccontextmanager
    async def serving(self):
        if self.server is not None:
            await self.server.start()
            print(f"dashboard: {self.server.url}", flush=True)
        try:
            yield
        finally:
            if self.server is not None:
                await self.server.close()

    def report(self) -> dict:
        return {"mqtt": self.mqtt.report()} if self.mqtt is not None else {}
