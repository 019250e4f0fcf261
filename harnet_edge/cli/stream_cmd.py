"""``harnet-edge stream``: classify live windows from BLE devices, a replayed file or the software
wearable. Torch is never imported on this path."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path


def default_model_path() -> Path:
    from ..runtime.defaults import default_model

    return default_model()


def register(sub) -> None:
    from . import argtypes as types

    p = sub.add_parser("stream", help="classify a live stream (BLE device, replayed CSV, or software wearable)")
    p.add_argument("model", nargs="?", type=types.existing_file,
                   help="an exported .onnx/.tflite (default: built-in int8 student)")
    src = p.add_argument_group("sources (one or more)")
    src.add_argument("--device", action="append", default=[], metavar="NAME|ADDRESS",
                     help="a BLE wearable (repeat for several); see harnet-edge devices")
    src.add_argument("--profile", default="auto", choices=PROFILES,
                     help="BLE protocol: " + ", ".join(PROFILES) + " (on-device: labels the wearable computes itself)")
    src.add_argument("--rate", type=types.number(float, above=0, unit=" Hz"), metavar="HZ",
                     help="ask the device for this sample rate (default: Polar picks its rate >= 30 Hz closest to 50)")
    ble = p.add_argument_group("connecting (--device)")
    ble.add_argument("--hci", metavar="TRANSPORT",
                     help="use the software Bluetooth stack over this bumble HCI transport instead of the "
                          "system's Bluetooth, e.g. tcp-client:127.0.0.1:7531 (see harnet-edge simulate --hci-port)")
    ble.add_argument("--scan-timeout", type=types.positive_seconds, default=10.0, metavar="S",
                     help="seconds to look for the device")
    ble.add_argument("--connect-timeout", type=types.positive_seconds, default=20.0, metavar="S",
                     help="seconds for one connection attempt once the device is found")
    ble.add_argument("--connect-attempts", type=types.number(int, minimum=0), default=5, metavar="N",
                     help="failed attempts in a row before giving up with exit status 2 (0: never give up)")
    ble.add_argument("--data-timeout", type=types.positive_seconds, default=5.0, metavar="S",
                     help="reconnect when a connected device sends nothing for this long")
    src.add_argument("--replay", action="append", default=[], type=types.existing_file, metavar="FILE.csv",
                     help="a recording (time,x,y,z) to play back (repeat for several)")
    src.add_argument("--speed", default=1.0, type=types.speed, help="replay speed, e.g. 1x, 10x, max")
    src.add_argument("--simulate", type=types.number(int, minimum=0), default=0, metavar="N",
                     help="N software wearables over the software Bluetooth stack (needs the sim extra)")
    src.add_argument("--polar-model", default="verity-sense", choices=["verity-sense", "h10", "oh1", "polar-360"],
                     help="which Polar sensor --simulate plays with --profile polar (its rates, ranges, frames)")
    p.add_argument("--duration", type=types.positive_seconds, help="stop after this many seconds")
    p.add_argument("--hop", type=types.number(float, minimum=0.1, unit=" s"),
                   help="seconds between windows (default: the window length)")
    p.add_argument("--smooth", default="none", type=types.smoothing, help="none, hmm, majority[:k]")
    p.add_argument("--threads", type=types.number(int, minimum=1), default=1, help="inference threads")
    p.add_argument("--jsonl", type=types.output_file, help="append one JSON record per window")
    p.add_argument("--csv", type=types.output_file,
                   help="append one CSV row per window (a file with other columns is left alone: "
                        "rows go to FILE-2.csv, ...)")
    p.add_argument("--fsync-every", type=types.non_negative_seconds, default=1.0, metavar="S",
                   help="fsync file sinks at most S seconds after a record (0: with every record); "
                        "records are flushed to the OS at once regardless")
    p.add_argument("--lsl", action="store_true", help="publish probabilities as a Lab Streaming Layer outlet")
    p.add_argument("--quiet", action="store_true", help="no live terminal view")
    from ..fleet.stream_options import add_stream_options

    add_stream_options(p)
    p.set_defaults(func=run)


# Kept in step with firmware_bridge's PROTOCOLS by a test (importing it here would slow every --help).
PROFILES = ["auto", "reference", "polar", "movesense", "metamotion", "banglejs", "pinetime", "on-device"]


def replay_device_ids(paths: list[Path]) -> list[str]:
    """Device ids from file names, made unique: a/walk.csv and b/walk.csv are walk and walk-2."""
    ids: list[str] = []
    for path in paths:
        stem = path.name.split(".")[0]
        candidate, n = stem, 1
        while candidate in ids:
            n += 1
            candidate = f"{stem}-{n}"
        ids.append(candidate)
    return ids


def connect_options(args):
    """The values are checked by argparse (types): positive seconds, attempts >= 0."""
    from harnet_edge.firmware_bridge.sources import ConnectOptions

    if args.hci:       # the numbers are argparse's; the transport string is checked here
        from harnet_edge.firmware_bridge.bleak_bumble_backend import hci_spec_problem

        from ..errors import HarnetEdgeError

        if problem := hci_spec_problem(args.hci):
            raise HarnetEdgeError(problem)
    return ConnectOptions(args.scan_timeout, args.connect_timeout, args.connect_attempts,
                          data_timeout_s=args.data_timeout)


def build_sources(args):
    from ..errors import HarnetEdgeError
    from ..runtime.sources import ReplaySource

    twice = sorted({d for d in args.device if args.device.count(d) > 1})
    if twice:
        raise HarnetEdgeError(f"--device {twice[0]} given twice; each device can be streamed once")
    sources = [ReplaySource(path, device=name, speed=args.speed)
               for path, name in zip(args.replay, replay_device_ids(args.replay))]
    if args.device or args.simulate:
        from harnet_edge.firmware_bridge.sources import ble_sources

        sources += ble_sources(args.device, args.profile, args.simulate, speed=args.speed, rate_hz=args.rate,
                               polar_model=args.polar_model, hci=args.hci, connect=connect_options(args))
    if not sources:
        raise HarnetEdgeError("no source: give --device, --replay or --simulate N")
    return sources


def run(args) -> int:
    """Start-up (model, files, sources), then stream until the sources end, --duration, or
    SIGINT/SIGTERM. A signal while streaming (connecting included) stops cleanly: summary, exit 0.
    A signal during start-up prints a summary of nothing done and exits 128 + the signal number."""
    from . import exit_status_for, interrupt_behind
    from .stopping import run_keeping_sigterm

    sinks = []
    try:
        try:
            runtime, sources, sinks, fleet = start_up(args)
        except (KeyboardInterrupt, ImportError) as exc:
            stop = interrupt_behind(exc)
            if stop is None:
                raise
            print(json.dumps({"summary": {"windows": 0, "stopped_by": _signal_name(stop),
                                          "stopped_during": "start-up"}}))
            return exit_status_for(stop)
        summary = run_keeping_sigterm(stream(runtime, sources, args.duration, args.quiet, fleet))
    finally:
        for sink in sinks:
            sink.close()
    print(json.dumps({"summary": {**summary, **fleet.report()}}))
    return 0


def _signal_name(exc: KeyboardInterrupt) -> str:
    return exc.args[0] if exc.args and str(exc.args[0]).startswith("SIG") else "SIGINT"


def refuse_unused_model(args) -> None:
    """With --profile on-device every label comes from the wearable's own model (the built-in one on
    --simulate): a model file would head the output with its name and classes and label nothing."""
    if args.profile == "on-device" and args.model and not args.replay:
        from ..errors import HarnetEdgeError

        raise HarnetEdgeError(f"--profile on-device: the wearable labels windows with its own model; "
                              f"{args.model.name} would not be used (give no model file)")


def start_up(args):
    from ..fleet.stream_options import StreamFleet
    from ..runtime.engines import open_engine
    from ..runtime.pipeline import StreamRuntime
    from ..runtime.sinks import CsvSink, JsonlSink, LslSink, TerminalSink

    refuse_unused_model(args)
    engine = open_engine(args.model or default_model_path(), threads=args.threads)
    sources = build_sources(args)
    classes = list(engine.info.classes)
    sinks = [] if args.quiet else [TerminalSink()]
    runtime = StreamRuntime(engine, sinks, args.hop, args.smooth)
    try:
        if args.jsonl:
            sinks.append(JsonlSink(args.jsonl, runtime.run_id, args.fsync_every))
        if args.csv:
            sinks.append(CsvSink(args.csv, classes, args.fsync_every))
            if sinks[-1].redirected:
                print(f"# {args.csv} has other columns (another model or version): writing to {sinks[-1].path}")
        if args.lsl:
            sinks.append(LslSink(classes))
        fleet = StreamFleet(args)
        sinks += fleet.sinks
    except BaseException as exc:
        for sink in sinks:
            sink.close()
        if isinstance(exc, OSError):     # e.g. a folder root may not write to, or /proc
            from ..errors import HarnetEdgeError
            raise HarnetEdgeError(f"cannot write {exc.filename or 'output file'}: {exc.strerror or exc}") from None
        raise
    if not args.quiet:
        print(f"# {engine.path.name} ({engine.backend}, {engine.info.quantisation}): {', '.join(classes)}",
              flush=True)
    return runtime, sources, sinks, fleet


async def stream(runtime, sources, duration: float | None, quiet: bool = True, fleet=None) -> dict:
    from ..runtime.sources import run_sources
    from .stopping import stop_on_signals

    stop = asyncio.Event()
    stopped_by = stop_on_signals(stop, "harnet-edge stream")
    loop = asyncio.get_running_loop()
    if not quiet:     # from here on a signal stops cleanly: connecting, streaming
        print(f"# run {runtime.run_id}", flush=True)
    if duration:
        loop.call_later(duration, stop.set)
    if fleet is None:
        summary = await run_sources(runtime, sources, stop)
    else:
        async with fleet.serving():
            summary = await run_sources(runtime, sources, stop)
    summary["stopped_by"] = stopped_by[0] if stopped_by else ("duration" if stop.is_set() else "end of sources")
    return summary

