"""``harnet-edge collect``: the fleet's results from an MQTT broker into one JSONL per device, with an
optional live page for every gateway at once."""
from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("collect", help="subscribe to every gateway on an MQTT broker; one JSONL per device "
                                       "(needs the mqtt extra)")
    p.add_argument("--mqtt", required=True, metavar="URL", help="mqtt://host:1883/prefix (the gateways' --mqtt)")
    p.add_argument("--out", type=Path, required=True, help="folder: <gateway>/<device>.jsonl, <gateway>/status.jsonl")
    p.add_argument("--client-id", default="harnet-edge-collector",
                   help="the broker keeps this id's session (and its messages) while the collector is away")
    p.add_argument("--dashboard", metavar="HOST:PORT", help="serve the fleet's live page, e.g. 127.0.0.1:8080")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--idle-exit", type=float, metavar="S",
                   help="stop once no window has arrived for S seconds (after the first one)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import HarnetEdgeError
    from ..fleet.collector import Collector
    from ..fleet.topics import parse_broker_url

    for name in ("duration", "idle_exit"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise HarnetEdgeError(f"--{name.replace('_', '-')} must be a positive number of seconds; got {value}")
    broker = parse_broker_url(args.mqtt)
    state = server = None
    if args.dashboard:
        from ..dashboard.server import DashboardServer, parse_address
        from ..dashboard.state import FleetState

        host, port = parse_address(args.dashboard)
        state = FleetState(f"harnet-edge fleet · {broker}")
        server = DashboardServer(state, host, port)

    async def main() -> dict:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        last_window = [None]

        def on_message(gateway, device, kind, payload) -> None:   # paho's thread
            if kind == "windows":
                last_window[0] = time.monotonic()
            if state is not None:
                update = state.window if kind == "windows" else state.status
                loop.call_soon_threadsafe(update, payload)   # its gateway is the topic's

        collector = Collector(broker, args.out, args.client_id, on_message)
        if server is not None:
            await server.start()
            print(f"dashboard: {server.url}", flush=True)
        collector.start()
        print(f"collecting {broker} -> {args.out}", flush=True)
        started = time.monotonic()
        announced = False
        try:
            while not stop.is_set() and collector.failure is None:
                await asyncio.sleep(0.2)
                if not announced and collector.subscribed.is_set():
                    print("subscribed", flush=True)     # from here on the broker keeps our messages
                    announced = True
                now = time.monotonic()
                if args.duration and now - started >= args.duration:
                    break
                if args.idle_exit and last_window[0] is not None and now - last_window[0] >= args.idle_exit:
                    break
        finally:
            collector.stop()
            if server is not None:
                await server.close()
        if collector.failure is not None:
            raise HarnetEdgeError(collector.failure)
        return collector.report()

    print(json.dumps({"summary": asyncio.run(main())}))
    return 0
