"""``harnet-edge devices``: list nearby wearables that harnet-edge can stream, with the protocol it would use."""
from __future__ import annotations

import asyncio
import json


def register(sub) -> None:
    p = sub.add_parser("devices", help="scan for nearby supported wearables (name, address, RSSI, protocol)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds to scan")
    p.add_argument("--all", action="store_true", help="also list devices no protocol claims")
    p.add_argument("--hci", metavar="TRANSPORT",
                   help="scan with the software Bluetooth stack over this bumble HCI transport, "
                        "e.g. tcp-client:127.0.0.1:7531 (see harnet-edge simulate --hci-port)")
    p.add_argument("--json", action="store_true", help="one JSON object per device instead of a table")
    p.set_defaults(func=run)


def run(args) -> int:
    from harnet_edge.firmware_bridge.discovery import scan

    from ..errors import HarnetEdgeError

    if not args.timeout > 0:
        raise HarnetEdgeError("--timeout must be a positive number of seconds")
    if args.hci:
        from harnet_edge.firmware_bridge.bleak_bumble_backend import hci_spec_problem

        if problem := hci_spec_problem(args.hci):
            raise HarnetEdgeError(problem)

    async def main():
        adapter = None
        if args.hci:
            from harnet_edge.firmware_bridge.bleak_bumble_backend import SoftwareAdapter

            adapter = SoftwareAdapter(hci=args.hci)
        try:
            return await scan(args.timeout, adapter, include_unsupported=args.all)
        finally:
            if adapter is not None:
                await adapter.close()

    devices = asyncio.run(main())
    if args.json:
        for device in devices:
            print(json.dumps(device.as_dict()))
        return 0
    if not devices:
        print(f"no supported wearable heard in {args.timeout:g} s (is it on, and not connected to a phone?)")
        return 0
    print(f"{'name':<24} {'address':<18} {'rssi':>5}  protocol")
    for d in devices:
        rssi = "" if d.rssi is None else str(d.rssi)
        print(f"{(d.name or '?'):<24} {d.address:<18} {rssi:>5}  {d.protocol or '-'}")
    return 0
