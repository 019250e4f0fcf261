"""Streaming runtime capacity and latency (issue: streaming runtime), measured in one run.

- capacity: N simulated 30 Hz devices pushing 5 notifications/s each (6 samples per burst), fed as fast
  as the runtime takes them on one thread: CPU seconds per stream-second -> devices one core sustains;
- real time: N devices for a few seconds of wall time, paced at 30 Hz: latency from the arrival of a
  window's last sample to its label (p50/p99), CPU per device, resident memory; torch never imported.

    python scripts/bench_streaming.py [MODEL] [--devices 1000] [--seconds 30]
Writes docs/results/streaming.json and the README fragment docs/results/streaming.md.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np


def device_batches(n_devices: int, seconds: float, rate: float = 30.0, burst: int = 6, seed: int = 0):
    """Per time step, one burst for every device: (t, xyz) arrays of walking-like motion in g."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, n_devices)
    steps = int(seconds * rate / burst)
    for step in range(steps):
        t = (step * burst + np.arange(burst)) / rate
        swing = 0.4 * np.sin(2 * np.pi * 1.8 * t[None, :] + phase[:, None])
        xyz = np.stack([swing, 0.1 + 0 * swing, -0.95 + 0.2 * swing], axis=2).astype(np.float32)
        yield t, xyz


def main() -> int:
    sys.path.insert(0, ".")
    from readme_results import load_note, machine_load, write_result
    from harnet_edge.runtime.defaults import default_model
    from harnet_edge.runtime.engines import open_engine
    from harnet_edge.runtime.pipeline import StreamRuntime
    from harnet_edge.runtime.samples import SampleBatch

    p = argparse.ArgumentParser()
    p.add_argument("model", nargs="?")
    p.add_argument("--devices", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=30.0, help="stream seconds per device for the capacity run")
    p.add_argument("--realtime-seconds", type=float, default=25.0)
    args = p.parse_args()
    model = args.model or default_model()
    load_before = machine_load()

    # Capacity: as fast as possible, one thread, CPU time per stream second.
    engine = open_engine(model, threads=1)
    runtime = StreamRuntime(engine, [])
    names = [f"dev{i}" for i in range(args.devices)]
    cpu0 = time.process_time()
    for t, xyz in device_batches(args.devices, args.seconds):
        for i, name in enumerate(names):
            runtime.ingest(SampleBatch(name, t, xyz[i]))
        runtime.step()
    cpu = time.process_time() - cpu0
    capacity = {"devices": args.devices, "stream_seconds": args.seconds, "cpu_seconds": round(cpu, 2),
                "windows": runtime.windows_done,
                "cpu_ms_per_device_second": round(1000 * cpu / (args.devices * args.seconds), 4),
                "devices_one_core_sustains": int(args.devices * args.seconds / cpu)}
    print(json.dumps({"capacity": capacity}))

    # Real time: paced at 30 Hz, latency from the last sample's arrival to the label.
    engine = open_engine(model, threads=1)
    runtime = StreamRuntime(engine, [])
    cpu0, start = time.process_time(), time.perf_counter()
    lag = []
    for step, (t, xyz) in enumerate(device_batches(args.devices, args.realtime_seconds)):
        due = start + (step + 1) * 6 / 30.0
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        lag.append(max(0.0, -delay))
        now = time.monotonic()
        for i, name in enumerate(names):
            runtime.ingest(SampleBatch(name, t, xyz[i], arrival=now))
        runtime.step()
    cpu = time.process_time() - cpu0
    summary = runtime.summary()
    realtime = {"devices": args.devices, "seconds": args.realtime_seconds, "windows": summary["windows"],
                "latency_ms": summary["latency_ms"], "cpu_fraction_of_one_core": round(cpu / args.realtime_seconds, 3),
                "cpu_ms_per_device_second": round(1000 * cpu / (args.devices * args.realtime_seconds), 4),
                "max_lag_behind_real_time_s": round(max(lag), 3),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "torch_imported": "torch" in sys.modules, "model": str(model)}
    print(json.dumps({"realtime": realtime}))
    command = "python scripts/bench_streaming.py" + ("" if args.model is None else f" {args.model}") + \
        ("" if args.devices == 1000 else f" --devices {args.devices}") + \
        ("" if args.seconds == 30 else f" --seconds {args.seconds:g}") + \
        ("" if args.realtime_seconds == 25 else f" --realtime-seconds {args.realtime_seconds:g}")
    lat = {q: float("nan") if v is None else v for q, v in realtime["latency_ms"].items()}
    load_after = machine_load()
    write_result("streaming", {"command": command, "capacity": capacity, "realtime": realtime,
                               "machine_load": {"start": load_before, "end": load_after}}, (
        f"- Streaming (`{command}`, built-in int8 student, one thread): one core sustains "
        f"{capacity['devices_one_core_sustains']:,} simulated 30 Hz devices "
        f"({capacity['cpu_ms_per_device_second']:.2f} ms CPU per device-second); {realtime['devices']:,} devices "
        f"paced in real time for {realtime['seconds']:g} s use {100 * realtime['cpu_fraction_of_one_core']:.0f} % "
        f"of a core, {realtime['peak_rss_mb']:.0f} MB resident, label {lat['p50']:.1f} ms (p50) / "
        f"{lat['p99']:.1f} ms (p99) after the window's last sample arrived, at most "
        f"{realtime['max_lag_behind_real_time_s']:.2f} s behind real time; torch imported: "
        f"{'yes' if realtime['torch_imported'] else 'no'} ({load_note(load_before, load_after)})."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
