"""Soak over the software Bluetooth link (issue: firmware_bridge robustness).

A software wearable streams for a long stretch of device time at accelerated speed and drops the
link every --disconnect-every seconds of streaming; the host reconnects each time. Reports
disconnects, reconnects, gaps flagged, windows classified, and resident memory over time (flat =
no leak).

    python scripts/soak_ble.py [--disconnects 60] [--speed 40]
Writes docs/results/soak.json and the README fragment docs/results/soak.md.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def main() -> int:
    sys.path.insert(0, ".")
    from readme_results import write_result
    from harnet_edge.firmware_bridge.sources import SimulatedFleet
    from harnet_edge.firmware_bridge.wearable import Faults
    from harnet_edge.runtime.defaults import default_model
    from harnet_edge.runtime.engines import open_engine
    from harnet_edge.runtime.pipeline import StreamRuntime
    from harnet_edge.runtime.sources import run_sources

    p = argparse.ArgumentParser()
    p.add_argument("--disconnects", type=int, default=60)
    p.add_argument("--every", type=float, default=20.0, help="device seconds of streaming between disconnects")
    p.add_argument("--speed", type=float, default=40.0)
    p.add_argument("--drop", type=float, default=0.02)
    args = p.parse_args()
    fleet = SimulatedFleet(1, "reference", speed=args.speed, rate_hz=50,
                           faults=Faults(drop_probability=args.drop, disconnect_every_s=args.every, seed=3))
    runtime = StreamRuntime(open_engine(default_model()), [])
    memory = []

    async def main_async():
        stop = asyncio.Event()

        async def watch():
            start = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(1.0)
                memory.append((round(time.monotonic() - start, 1), round(rss_mb(), 1)))
                wearables = getattr(fleet, "wearables", [])
                if wearables and wearables[0].disconnects >= args.disconnects:
                    await asyncio.sleep(2.0)       # let the last reconnect happen
                    stop.set()

        watcher = asyncio.create_task(watch())
        summary = await run_sources(runtime, [fleet], stop)
        watcher.cancel()
        return summary

    t0 = time.monotonic()
    summary = asyncio.run(main_async())
    w, s = fleet.wearables[0], fleet.sessions[0]
    third = max(1, len(memory) // 3)
    early, late = memory[third][1], memory[-1][1]
    report = {"wall_seconds": round(time.monotonic() - t0, 1), "device_seconds": round(w.clock.elapsed / w.clock.true_hz, 1),
              "forced_disconnects": w.disconnects, "host_connects": s.connects, "reconnects": summary["reconnects"],
              "gaps_detected": summary["gaps"], "gap_seconds": summary["gap_seconds"],
              "packets_dropped_by_wearable": w.dropped, "packets_lost_seen_by_host": s.protocol.counters["lost"],
              "windows": summary["windows"],
              "rss_mb_after_first_third": early, "rss_mb_at_end": late, "rss_growth_mb": round(late - early, 1)}
    print(json.dumps(report, indent=2))
    defaults = {"disconnects": 60, "every": 20.0, "speed": 40.0, "drop": 0.02}
    command = "python scripts/soak_ble.py" + "".join(f" --{k} {getattr(args, k):g}" for k, v in defaults.items()
                                                     if getattr(args, k) != v)
    write_result("soak", {"command": command, **report, "rss_mb_per_second": memory}, (
        f"- BLE soak over the software link (`{command}`): {report['device_seconds']:,.0f} s of device time "
        f"streamed in {report['wall_seconds']:,.0f} s, {report['forced_disconnects']} forced disconnects, "
        f"{report['reconnects']} reconnects, {report['gaps_detected']} gaps flagged, "
        f"{report['packets_lost_seen_by_host']:,} lost packets seen by the host "
        f"({report['packets_dropped_by_wearable']:,} dropped by the wearable), {report['windows']} windows "
        f"classified; resident memory {early:.1f} -> {late:.1f} MB from the first third to the end."))
    return 0 if s.connects >= w.disconnects else 1


if __name__ == "__main__":
    sys.exit(main())
