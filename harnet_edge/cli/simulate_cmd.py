"""``harnet-edge simulate``: run the software wearable (reference profile or Polar PMD).

With ``--transport`` it drives a real controller through bumble (e.g. ``usb:0`` for a USB
Bluetooth dongle), so a laptop can play the wearable for a Raspberry Pi gateway. Without one it
streams to an in-process software central and prints what the host decodes: a self-check.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("simulate", help="run the software wearable (for demos, tests, or over a USB dongle)")
    p.add_argument("--profile", default="reference",
                   choices=["reference", "polar", "movesense", "metamotion", "banglejs", "pinetime"])
    p.add_argument("--name", default="HE-Wearable-1", help="advertised name")
    p.add_argument("--rate", type=float, default=50.0, help="sample rate in Hz (a Polar twin streams at the rate the host picks "
                   "from its model's table; see host_rate_hz)")
    p.add_argument("--recording", type=Path, help="CSV (time,x,y,z in g) to stream instead of generated motion")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of device time to stream")
    p.add_argument("--speed", type=float, default=1.0, help="play faster than real time")
    p.add_argument("--drop", type=float, default=0.0, help="probability of dropping a notification")
    p.add_argument("--jitter-us", type=float, default=0.0, help="timestamp jitter (standard deviation, us)")
    p.add_argument("--disconnect-every", type=float, default=0.0, help="force a disconnect every N s")
    p.add_argument("--reboot-every", type=float, default=0.0, help="reboot (clock restarts) every N s of device time")
    p.add_argument("--polar-model", default="verity-sense", choices=["verity-sense", "h10", "oh1", "polar-360"],
                   help="which Polar sensor the twin plays (--profile polar); it offers that model's rates")
    p.add_argument("--transport", help="bumble transport of a real controller, e.g. usb:0 (default: in-process)")
    p.add_argument("--hci-port", type=int, metavar="PORT",
                   help="serve software Bluetooth controllers as HCI on 127.0.0.1:PORT (0: any free port) so "
                        "'harnet-edge stream --device NAME --hci tcp-client:127.0.0.1:PORT' can connect from "
                        "another process")
    p.set_defaults(func=run)


def load_signal(args):
    import numpy as np

    from harnet_edge.firmware_bridge.wearable import generated_motion

    if args.recording is None:
        return generated_motion(args.rate, max(args.duration, 60))
    from ..data import read_csv, resample_to_rate

    recordings = read_csv(args.recording)
    t = np.concatenate([r.t for r in recordings])
    xyz = np.concatenate([r.xyz for r in recordings])
    return resample_to_rate(t, xyz, args.rate)[1]


def make_wearable(radio, args, signal, faults):
    """The software wearable for --profile: the runner's twins (reference, Polar) or a vendor family twin."""
    from harnet_edge.firmware_bridge.sources import FAMILY_TWINS
    from harnet_edge.firmware_bridge.wearable import SoftwareWearable

    if args.profile in FAMILY_TWINS:            # a vendor twin: it takes the rate the host configures
        import importlib

        module, cls, _stem = FAMILY_TWINS[args.profile]
        twin = getattr(importlib.import_module(f"harnet_edge.firmware_bridge.{module}"), cls)
        return twin(radio, args.name, signal, args.rate, speed=args.speed, drop_probability=args.drop)
    return SoftwareWearable(radio, args.name, signal, args.rate, args.profile, speed=args.speed,
                            faults=faults, polar_model=args.polar_model)


def run(args) -> int:
    from harnet_edge.firmware_bridge.wearable import Faults

    if args.profile == "polar" and args.name == "HE-Wearable-1":   # Polar sensors are found by their name
        from harnet_edge.firmware_bridge.twins.polar import POLAR_MODELS

        args.name = f"Polar {POLAR_MODELS[args.polar_model].advertised} 1A2B3C4D"
    faults = Faults(args.drop, args.jitter_us, args.disconnect_every, args.reboot_every)
    signal = load_signal(args)

    async def over_controller() -> dict:
        from bumble.transport import open_transport

        from harnet_edge.firmware_bridge.bumble_transport import ControllerRadio

        async with await open_transport(args.transport) as (source, sink):
            radio = ControllerRadio(source, sink)
            wearable = make_wearable(radio, args, signal, faults)
            print(f"advertising as {args.name} ({args.profile} profile) on {args.transport}")
            await wearable.run(args.duration)
            return {"sent": wearable.sent, "dropped": wearable.dropped, "disconnects": wearable.disconnects}

    async def serve_hci() -> dict:
        import shlex

        from harnet_edge.firmware_bridge.bumble_transport import SoftwareRadio
        from harnet_edge.firmware_bridge.hci_server import HciServer

        radio = SoftwareRadio()
        wearable = make_wearable(radio, args, signal, faults)
        try:
            server = await HciServer(radio.link, args.hci_port).start()
        except OSError as exc:
            from ..errors import HarnetEdgeError
            raise HarnetEdgeError(f"cannot serve HCI on 127.0.0.1:{args.hci_port} ({exc.strerror or exc}); "
                                  "pick another --hci-port, or 0 for any free port") from None
        print(f"advertising as {args.name} ({args.profile} profile); HCI on {server.spec}\n"
              f"connect with: harnet-edge stream --device {shlex.quote(args.name)} --hci {server.spec}", flush=True)
        try:
            await wearable.run(args.duration)
        finally:
            await server.close()
        return {"sent": wearable.sent, "dropped": wearable.dropped, "disconnects": wearable.disconnects}

    async def self_check() -> dict:
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
        tally = Tally()
        await fleet.run(tally)
        w, s = fleet.wearables[0], fleet.sessions[0]
        if not Tally.samples:     # the device time ran out while the host was still connecting
            from ..errors import HarnetEdgeError
            raise HarnetEdgeError(f"host received no samples: the wearable's {args.duration:g} s of device time "
                                  f"passed before the host had connected and started it; lower --speed "
                                  f"({args.speed:g}) or raise --duration")
        choice = getattr(s.protocol, "choice", None)     # the rate the host asked a Polar twin for
        return {"notifications_sent": w.sent, "dropped_by_fault_injection": w.dropped,
                "forced_disconnects": w.disconnects, "reboots": w.reboots, "host_connects": s.connects,
                "host_rate_hz": choice.rate_hz if choice else w.rate_hz,
                "host_samples": Tally.samples, "decoder": s.protocol.counters}

    if args.transport and args.hci_port is not None:
        from ..errors import HarnetEdgeError
        raise HarnetEdgeError("--transport (a real controller) and --hci-port (software controllers) exclude each other")
    if args.hci_port is not None and not 0 <= args.hci_port <= 65535:
        from ..errors import HarnetEdgeError
        raise HarnetEdgeError(f"--hci-port must be 0..65535, not {args.hci_port}")
    mode = over_controller if args.transport else serve_hci if args.hci_port is not None else self_check
    print(json.dumps(asyncio.run(mode()), indent=2))
    return 0
