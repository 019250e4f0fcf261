"""``harnet-edge simulate``: run the software wearable (reference profile or Polar PMD).

With ``--transport`` it drives a real controller through bumble (e.g. ``usb:0`` for a USB
Bluetooth dongle), so a laptop can play the wearable for a Raspberry Pi gateway. Without one it
streams to an in-process software central and prints what the host decodes: a self-check.
"""
from __future__ import annotations

import asyncio
import json

from ..errors import HarnetEdgeError


def register(sub) -> None:
    from . import argtypes as types

    p = sub.add_parser("simulate", help="run the software wearable (for demos, tests, or over a USB dongle)")
    p.add_argument("--profile", default="reference",
                   choices=["reference", "polar", "movesense", "metamotion", "banglejs", "pinetime"])
    p.add_argument("--name", default="HE-Wearable-1", type=types.advertised_name, help="advertised name")
    p.add_argument("--rate", type=types.number(float, minimum=MIN_RATE_HZ, maximum=MAX_RATE_HZ, unit=" Hz"),
                   default=50.0, help=f"sample rate in Hz ({MIN_RATE_HZ:g}-{MAX_RATE_HZ:g}; a Polar twin streams at the "
                                      "rate the host picks from its model's table; see host_rate_hz)")
    p.add_argument("--recording", type=types.existing_file,
                   help="CSV (time,x,y,z in g) to stream instead of generated motion")
    p.add_argument("--duration", type=types.positive_seconds, default=30.0, help="seconds of device time to stream")
    p.add_argument("--speed", type=types.number(float, above=0), default=1.0, help="play faster than real time")
    p.add_argument("--drop", type=types.probability, default=0.0, help="probability of dropping a notification")
    p.add_argument("--jitter-us", type=types.number(float, minimum=0), default=0.0,
                   help="timestamp jitter (standard deviation, us)")
    p.add_argument("--disconnect-every", type=types.non_negative_seconds, default=0.0,
                   help="force a disconnect every N s (0: never)")
    p.add_argument("--reboot-every", type=types.non_negative_seconds, default=0.0,
                   help="reboot (clock restarts) every N s of device time (0: never)")
    p.add_argument("--polar-model", default="verity-sense", choices=["verity-sense", "h10", "oh1", "polar-360"],
                   help="which Polar sensor the twin plays (--profile polar); it offers that model's rates")
    p.add_argument("--transport", help="bumble transport of a real controller, e.g. usb:0 (default: in-process)")
    p.add_argument("--hci-port", type=types.number(int, minimum=0, maximum=65535), metavar="PORT",
                   help="serve software Bluetooth controllers as HCI on 127.0.0.1:PORT (0: any free port) so "
                        "'harnet-edge stream --device NAME --hci tcp-client:127.0.0.1:PORT' can connect from "
                        "another process")
    p.set_defaults(func=run)


# HARNet needs at least 25 Hz (PROFILE.md); the host's ring buffer is sized for up to 200 Hz.
MIN_RATE_HZ, MAX_RATE_HZ = 25.0, 200.0


def load_signal(args):
    import numpy as np

    from harnet_edge.firmware_bridge.wearable import generated_motion

    if args.recording is None:
        return generated_motion(args.rate, max(args.duration, 60))
    from ..data import read_csv, resample_to_rate

    # Each recording on its own: time may restart between a file's runs and trials (csv_time).
    return np.concatenate([resample_to_rate(r.t, r.xyz, args.rate)[1] for r in read_csv(args.recording)
                           if len(r.t) > 1])


def make_wearable(radio, args, signal, faults):
    """The software wearable for --profile: the runner's twins (reference, Polar) or a vendor family twin."""
    from harnet_edge.firmware_bridge.sources import FAMILY_TWINS
    from harnet_edge.firmware_bridge.wearable import SoftwareWearable

    if args.profile in FAMILY_TWINS:            # a vendor twin: it takes the rate the host configures
        import importlib

        module, cls, _stem = FAMILY_TWINS[args.profile]
        twin = getattr(importlib.import_module(f"harnet_edge.firmware_bridge.{module}"), cls)
        from harnet_edge.firmware_bridge.sources import family_faults

        return twin(radio, args.name, signal, args.rate, speed=args.speed, **family_faults(args.profile, faults))
    return SoftwareWearable(radio, args.name, signal, args.rate, args.profile, speed=args.speed,
                            faults=faults, polar_model=args.polar_model)


def run(args) -> int:
    from harnet_edge.firmware_bridge.wearable import Faults

    from .stopping import run_keeping_sigterm, stop_on_signals

    if args.profile == "polar" and args.name == "HE-Wearable-1":   # Polar sensors are found by their name
        from harnet_edge.firmware_bridge.twins.polar import POLAR_MODELS

        args.name = f"Polar {POLAR_MODELS[args.polar_model].advertised} 1A2B3C4D"
    faults = Faults(args.drop, args.jitter_us, args.disconnect_every, args.reboot_every)
    signal = load_signal(args)
    reports = []      # the work appends a function that reports what happened so far

    async def over_controller() -> None:
        from bumble.transport import open_transport

        from harnet_edge.firmware_bridge.bumble_transport import ControllerRadio

        try:
            transport = await open_transport(args.transport)
        except Exception as exc:    # bumble raises per backend (usb1, OSError, ValueError...)
            raise HarnetEdgeError(f"cannot open Bluetooth transport {args.transport!r}: "
                                  f"{type(exc).__name__}: {exc}" + USB_HINT * args.transport.startswith("usb"))
        async with transport as (source, sink):
            radio = ControllerRadio(source, sink)
            wearable = make_wearable(radio, args, signal, faults)
            reports.append(lambda: {"sent": getattr(wearable, "sent", None), "dropped": getattr(wearable, "dropped", None),
                                    "disconnects": getattr(wearable, "disconnects", None)})
            print(f"advertising as {args.name} ({args.profile} profile) on {args.transport}", flush=True)
            await wearable.run(args.duration)

    async def serve_hci() -> None:
        import shlex

        from harnet_edge.firmware_bridge.bumble_transport import SoftwareRadio
        from harnet_edge.firmware_bridge.hci_server import HciServer

        radio = SoftwareRadio()
        wearable = make_wearable(radio, args, signal, faults)
        reports.append(lambda: {"sent": getattr(wearable, "sent", None), "dropped": getattr(wearable, "dropped", None),
                                "disconnects": getattr(wearable, "disconnects", None)})
        try:
            server = await HciServer(radio.link, args.hci_port).start()
        except OSError as exc:
            raise HarnetEdgeError(f"cannot serve HCI on 127.0.0.1:{args.hci_port} ({exc.strerror or exc}); "
                                  "pick another --hci-port, or 0 for any free port") from None
        print(f"advertising as {args.name} ({args.profile} profile); HCI on {server.spec}\n"
              f"connect with: harnet-edge stream --device {shlex.quote(args.name)} --hci {server.spec}", flush=True)
        try:
            await wearable.run(args.duration)
        finally:
            await server.close()

    async def self_check() -> None:
        from harnet_edge.firmware_bridge.sources import SimulatedFleet

        class Tally:
            samples = 0
            statuses: list[str] = []

            def add_device(self, *a, **k): pass
            def note_loss(self, *a, **k): pass
            def notify(self): pass
            def status(self, device, text, **k): self.statuses.append(text)
            def ingest(self, batch): Tally.samples += len(batch.t)

        fleet = SimulatedFleet(1, args.profile, speed=args.speed, rate_hz=args.rate, faults=faults,
                               duration_s=args.duration, signals=[signal], polar_model=args.polar_model)

        def report() -> dict:
            if not hasattr(fleet, "wearables"):
                return {"notifications_sent": 0, "host_samples": 0}
            w, s = fleet.wearables[0], fleet.sessions[0]
            choice = getattr(s.protocol, "choice", None)     # the rate the host asked a Polar twin for
            return {"notifications_sent": w.sent, "dropped_by_fault_injection": w.dropped,
                    "forced_disconnects": w.disconnects, "reboots": w.reboots, "host_connects": s.connects,
                    "host_rate_hz": choice.rate_hz if choice else w.rate_hz,
                    "host_samples": Tally.samples, "decoder": s.protocol.counters}
        reports.append(report)
        print(f"# self-check: {args.name} ({args.profile} profile) streams to an in-process central", flush=True)
        await fleet.run(Tally())

    async def until_done_or_stopped() -> list[str]:
        stop = asyncio.Event()
        stopped_by = stop_on_signals(stop, "harnet-edge simulate")
        mode = over_controller if args.transport else serve_hci if args.hci_port is not None else self_check
        work = asyncio.create_task(mode())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (work, stopping):
            task.cancel()
        await asyncio.gather(work, stopping, return_exceptions=True)
        if not stopped_by and work.exception() is not None:
            raise work.exception()
        return stopped_by

    if args.transport and args.hci_port is not None:
        raise HarnetEdgeError("--transport (a real controller) and --hci-port (software controllers) exclude each other")
    stopped_by = run_keeping_sigterm(until_done_or_stopped())
    result = reports[0]() if reports else {"sent": 0}
    if stopped_by:
        result["stopped_by"] = stopped_by[0]
    print(json.dumps(result, indent=2))
    sent = result.get("notifications_sent", result.get("sent", 0))
    delivered = sent and result.get("host_samples", 1)
    if stopped_by and not delivered:
        from signal import Signals

        from . import Stopped
        raise Stopped(Signals[stopped_by[0]])     # stopped before anything happened: 130/143
    if not delivered:
        raise SimulationFailed(f"host received no samples ({sent} notifications sent): the wearable's "
                               f"{args.duration:g} s of device time passed before the host had connected and "
                               f"started it, or every notification was dropped; lower --speed ({args.speed:g}) "
                               "or --drop, or raise --duration")
    return 0


class SimulationFailed(HarnetEdgeError):
    """The wearable ran but nothing was delivered: not a success."""


USB_HINT = " (is a USB Bluetooth dongle plugged in, and not claimed by the OS's Bluetooth stack?)"
