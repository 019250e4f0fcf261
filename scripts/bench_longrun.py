"""Long-run memory: N simulated devices streamed for many hours of device time through the service's
own loop (run_sources: asyncio, model in an executor thread, sinks), as fast as the machine allows;
resident memory sampled along the run must stay flat (within 10 % of its value after warm-up).

Each device sends walking-like motion at 50 Hz in bursts; every 2 h of device time it drops out for
30 s (a gap) and every 10 min it reports 3 lost packets, so the gap/loss statistics are exercised.
Records are serialised to JSON (as the JSON Lines sink does) and counted, not written to disk.

    nice -n 10 python scripts/bench_longrun.py --devices 100 --hours 24 --max-wall-minutes 25

Writes docs/results/longrun.json, docs/results/longrun.md (README fragment) and longrun.png (RSS plot,
if matplotlib is installed). If --max-wall-minutes ends the run early, the files say so and report the
device time actually streamed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from readme_results import write_result  # scripts/ is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class CountingSink:
    """Serialises every record like the JSON Lines sink, and keeps only counts."""

    def __init__(self):
        self.records = self.bytes = self.statuses = 0

    def emit(self, result) -> None:
        self.records += 1
        self.bytes += len(json.dumps(result.as_record())) + 1

    def status(self, text: str) -> None:
        self.statuses += 1

    def close(self) -> None:
        pass


class SyntheticFleet:
    """One source for N devices: each step gives every device ``burst_s`` of samples, waiting while
    any device still has half a ring buffer unread (a file-like source may wait; nothing is lost)."""

    def __init__(self, n: int, hours: float, rate: float, burst_s: float, deadline: float, sample_every_s: float):
        self.n, self.rate, self.burst = n, rate, int(burst_s * rate)
        self.total = int(hours * 3600 * rate)
        self.deadline, self.sample_every = deadline, int(sample_every_s * rate)
        self.names = [f"dev{i:03d}" for i in range(n)]
        self.phase = np.random.default_rng(0).uniform(0, 2 * np.pi, n)
        self.sent = 0                  # samples per device so far (the fleet's device clock)
        self.rss: list[tuple[float, float, float, int]] = []   # (device hours, wall s, RSS MB, windows)
        self.stopped_early = False

    def signal(self, start: int) -> tuple[np.ndarray, np.ndarray]:
        t = (start + np.arange(self.burst)) / self.rate
        swing = 0.4 * np.sin(2 * np.pi * 1.8 * t[None, :] + self.phase[:, None])
        walking = ((t // 300) % 2 == 0)[None, :]         # 5 min walking, 5 min still, alternating
        swing = np.where(walking, swing, 0.01 * np.sin(2 * np.pi * 0.3 * t[None, :]))
        xyz = np.stack([swing, 0.1 + 0.5 * swing, -0.95 + 0.2 * swing], axis=2).astype(np.float32)
        return t, xyz

    async def run(self, runtime) -> None:
        from harnet_edge.runtime.samples import SampleBatch

        pipelines = [runtime.add_device(name, self.rate) for name in self.names]
        started, next_sample = time.monotonic(), 0
        gap_every, gap_len = int(2 * 3600 * self.rate), int(30 * self.rate)
        loss_every = int(600 * self.rate)
        while self.sent < self.total:
            if self.sent >= next_sample:
                self.rss.append((self.sent / self.rate / 3600, time.monotonic() - started, rss_mb(),
                                 runtime.windows_done))
                next_sample += self.sample_every
            if time.monotonic() > self.deadline:
                self.stopped_early = True
                break
            while max(p.unread for p in pipelines) > pipelines[0].raw.capacity // 2:
                runtime.notify()
                await asyncio.sleep(0.002)     # not 0: a busy loop would starve the inference thread
            t, xyz = self.signal(self.sent)
            in_gap = (self.sent % gap_every) < gap_len and self.sent >= gap_every
            if not in_gap:       # a hole is found from the timestamps, as after a silent dropout
                arrival = time.monotonic()
                for i, name in enumerate(self.names):
                    runtime.ingest(SampleBatch(name, t, xyz[i], arrival))
            if self.sent % loss_every < self.burst and self.sent:
                for name in self.names:
                    runtime.note_loss(name, float(t[0]), 3)
            self.sent += self.burst
            runtime.notify()
            await asyncio.sleep(0)
        self.rss.append((self.sent / self.rate / 3600, time.monotonic() - started, rss_mb(), runtime.windows_done))


def flatness(rss: list[tuple[float, float, float, int]], warmup_fraction: float = 0.1) -> dict:
    hours = rss[-1][0]
    after = [r for r in rss if r[0] >= warmup_fraction * hours]
    base = after[0][2]
    peak, last = max(r[2] for r in after), after[-1][2]
    return {"warmup_device_hours": round(after[0][0], 2), "rss_after_warmup_mb": round(base, 1),
            "rss_peak_mb": round(peak, 1), "rss_final_mb": round(last, 1),
            "growth_after_warmup": round(peak / base - 1, 4), "flat_within_10_percent": bool(peak <= 1.1 * base)}


def write_results(out: Path, result: dict) -> None:
    f, s = result["flatness"], result["summary"]
    ran = (f"{result['device_hours_streamed']:.1f} h of device time for {result['devices']} devices"
           + (f" (stopped early by --max-wall-minutes; {result['device_hours_requested']:g} h requested)"
              if result["stopped_early"] else ""))
    lines = [
        f"Long run (`{result['command']}`, {result['machine']}): {ran} in "
        f"{result['wall_seconds'] / 60:.1f} min of wall time, {s['windows']} windows classified, "
        f"{s['gaps']} gaps and {s['packets_lost']} lost packets counted, "
        f"{s['samples_overwritten']} samples overwritten. Resident memory after warm-up "
        f"({f['warmup_device_hours']} h) {f['rss_after_warmup_mb']} MB, peak {f['rss_peak_mb']} MB, "
        f"final {f['rss_final_mb']} MB: growth {100 * f['growth_after_warmup']:.1f} % "
        f"({'within' if f['flat_within_10_percent'] else 'NOT within'} 10 %)."]
    write_result("longrun", result, "\n".join(lines), out)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ModuleNotFoundError:
        return
    hours = [r[0] for r in result["rss_samples"]]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(hours, [r[2] for r in result["rss_samples"]])
    ax.set_xlabel("device hours (each of %d devices)" % result["devices"])
    ax.set_ylabel("resident memory (MB)")
    limit = 1.1 * result["flatness"]["rss_after_warmup_mb"]
    ax.axhline(limit, color="tab:red", linestyle="--", linewidth=1, label="+10 % of after warm-up")
    ax.set_ylim(0, 1.2 * max(limit, result["flatness"]["rss_peak_mb"]))
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "longrun.png", dpi=100)


def main() -> int:
    from harnet_edge.runtime.defaults import default_model
    from harnet_edge.runtime.engines import open_engine
    from harnet_edge.runtime.pipeline import StreamRuntime
    from harnet_edge.runtime.sources import run_sources

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", nargs="?")
    p.add_argument("--devices", type=int, default=100)
    p.add_argument("--hours", type=float, default=24.0, help="device time each device streams")
    p.add_argument("--rate", type=float, default=50.0)
    p.add_argument("--burst-seconds", type=float, default=8.0, help="device seconds per ingested burst")
    p.add_argument("--rss-every-minutes", type=float, default=15.0, help="device minutes between RSS samples")
    p.add_argument("--max-wall-minutes", type=float, default=25.0)
    p.add_argument("--out", type=Path, default=REPO / "docs" / "results")
    args = p.parse_args()

    engine = open_engine(args.model or default_model(), threads=1)
    sink = CountingSink()
    runtime = StreamRuntime(engine, [sink])
    t0 = time.monotonic()
    fleet = SyntheticFleet(args.devices, args.hours, args.rate, args.burst_seconds,
                           t0 + 60 * args.max_wall_minutes, 60 * args.rss_every_minutes)
    summary = asyncio.run(run_sources(runtime, [fleet]))
    wall = time.monotonic() - t0
    command = "nice -n 10 python scripts/bench_longrun.py " + " ".join(sys.argv[1:])
    result = {"command": command.strip(), "machine": f"{os.cpu_count()}-core {platform.machine()}, "
                                                    f"Python {platform.python_version()}",
              "model": str(Path(engine.path).name), "devices": args.devices, "rate_hz": args.rate,
              "burst_seconds": args.burst_seconds, "device_hours_requested": args.hours,
              "device_hours_streamed": round(fleet.sent / args.rate / 3600, 3),
              "stopped_early": fleet.stopped_early, "wall_seconds": round(wall, 1),
              "speed_vs_real_time": round(fleet.sent / args.rate / wall, 1),
              "records_serialised": sink.records, "record_bytes": sink.bytes,
              "summary": summary, "flatness": flatness(fleet.rss), "rss_samples": fleet.rss}
    write_results(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "rss_samples"}, indent=2))
    return 0 if result["flatness"]["flat_within_10_percent"] else 1


if __name__ == "__main__":
    sys.exit(main())
