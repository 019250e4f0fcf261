"""``harnet-edge stream``: classify live windows from BLE devices, a replayed file or the software
wearable. Torch is never imported on this path."""
from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path


def default_model_path() -> Path:
    from ..runtime.defaults import default_model

    return default_model()


def register(sub) -> None:
    p = sub.add_parser("stream", help="classify a live stream (BLE device, replayed CSV, or software wearable)")
    p.add_argument("model", nargs="?", type=Path, help="an exported .onnx/.tflite (default: built-in int8 student)")
    src = p.add_argument_group("sources (one or more)")
    src.add_argument("--device", action="append", default=[], metavar="NAME|ADDRESS",
                     help="a BLE wearable (repeat for several); see harnet-edge devices")
    src.add_argument("--profile", default="auto",
                     help="BLE protocol: auto, reference, polar, movesense, metamotion, banglejs, pinetime, "
                          "on-device (labels the wearable computes itself)")
    src.add_argument("--rate", type=float, metavar="HZ",
                     help="ask the device for this sample rate (default: Polar picks its rate >= 30 Hz closest to 50)")
    ble = p.add_argument_group("connecting (--device)")
    ble.add_argument("--hci", metavar="TRANSPORT",
                     help="use the software Bluetooth stack over this bumble HCI transport instead of the "
                          "system's Bluetooth, e.g. tcp-client:127.0.0.1:7531 (see harnet-edge simulate --hci-port)")
    ble.add_argument("--scan-timeout", type=float, default=10.0, metavar="S", help="seconds to look for the device")
    ble.add_argument("--connect-timeout", type=float, default=20.0, metavar="S",
                     help="seconds for one connection attempt once the device is found")
    ble.add_argument("--connect-attempts", type=int, default=5, metavar="N",
                     help="failed attempts in a row before giving up with exit status 2 (0: never give up)")
    ble.add_argument("--data-timeout", type=float, default=5.0, metavar="S",
                     help="reconnect when a connected device sends nothing for this long")
    src.add_argument("--replay", action="append", default=[], type=Path, metavar="FILE.csv",
                     help="a recording (time,x,y,z) to play back (repeat for several)")
    src.add_argument("--speed", default="1x", help="replay speed, e.g. 1x, 10x, max")
    src.add_argument("--simulate", type=int, default=0, metavar="N",
                     help="N software wearables over the software Bluetooth stack (needs the sim extra)")
    src.add_argument("--polar-model", default="verity-sense", choices=["verity-sense", "h10", "oh1", "polar-360"],
                     help="which Polar sensor --simulate plays with --profile polar (its rates, ranges, frames)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--hop", type=float, help="seconds between windows (default: the window length)")
    p.add_argument("--smooth", default="none", help="none, hmm, majority[:k]")
    p.add_argument("--threads", type=int, default=1, help="inference threads")
    p.add_argument("--jsonl", type=Path, help="append one JSON record per window")
    p.add_argument("--csv", type=Path, help="append one CSV row per window")
    p.add_argument("--lsl", action="store_true", help="publish probabilities as a Lab Streaming Layer outlet")
    p.add_argument("--quiet", action="store_true", help="no live terminal view")
    from ..fleet.stream_options import add_stream_options

    add_stream_options(p)
    p.set_defaults(func=run)


def parse_speed(text: str) -> float:
    text = text.strip().lower()
    if text in ("max", "0", "inf"):
        return 0.0
    try:
        value = float(text.rstrip("x"))
    except ValueError:
        from ..errors import HarnetEdgeError
        raise HarnetEdgeError(f"--speed must look like 1x, 10x or max; got {text!r}") from None
    return value


def connect_options(args):
    from harnet_edge.firmware_bridge.sources import ConnectOptions

    from ..errors import HarnetEdgeError

    for flag in ("scan_timeout", "connect_timeout", "data_timeout"):
        if not getattr(args, flag) > 0:
            raise HarnetEdgeError(f"--{flag.replace('_', '-')} must be a positive number of seconds")
    if args.connect_attempts < 0:
        raise HarnetEdgeError("--connect-attempts must be 0 (never give up) or more")
    if args.hci:
        from harnet_edge.firmware_bridge.bleak_bumble_backend import hci_spec_problem

        if problem := hci_spec_problem(args.hci):
            raise HarnetEdgeError(problem)
    return ConnectOptions(args.scan_timeout, args.connect_timeout, args.connect_attempts,
                          data_timeout_s=args.data_timeout)


def build_sources(args):
    from ..runtime.sources import ReplaySource

    sources = [ReplaySource(path, speed=parse_speed(args.speed)) for path in args.replay]
    if args.device or args.simulate:
        from harnet_edge.firmware_bridge.sources import ble_sources

        sources += ble_sources(args.device, args.profile, args.simulate, speed=parse_speed(args.speed),
                               rate_hz=args.rate, polar_model=args.polar_model, hci=args.hci,
                               connect=connect_options(args))
    if not sources:
        from ..errors import HarnetEdgeError
        raise HarnetEdgeError("no source: give --device, --replay or --simulate N")
    return sources


def run(args) -> int:
    from ..fleet.stream_options import StreamFleet
    from ..runtime.engines import open_engine
    from ..runtime.pipeline import StreamRuntime
    from ..runtime.sinks import CsvSink, JsonlSink, LslSink, TerminalSink
    from ..runtime.sources import run_sources

    engine = open_engine(args.model or default_model_path(), threads=args.threads)
    classes = list(engine.info.classes)
    sinks = [] if args.quiet else [TerminalSink()]
    if args.jsonl:
        sinks.append(JsonlSink(args.jsonl))
    if args.csv:
        sinks.append(CsvSink(args.csv, classes))
    if args.lsl:
        sinks.append(LslSink(classes))
    fleet = StreamFleet(args)
    sinks += fleet.sinks
    runtime = StreamRuntime(engine, sinks, args.hop, args.smooth)
    sources = build_sources(args)
    if not args.quiet:
        print(f"# {engine.path.name} ({engine.backend}, {engine.info.quantisation}): {', '.join(classes)}")

    async def main() -> dict:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)   # Ctrl-C: clean stop with a summary
        if args.duration:
            loop.call_later(args.duration, stop.set)
        async with fleet.serving():
            return await run_sources(runtime, sources, stop)

    try:
        summary = asyncio.run(main())
    finally:
        for sink in sinks:
            sink.close()
    print(json.dumps({"summary": {**summary, **fleet.report()}}))
    return 0
