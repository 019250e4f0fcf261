"""Replay a multi-day 100 Hz CSV recording through ``harnet-edge stream`` and measure resident memory
and ingest rate; also the CSV reader alone.

The recording is real wrist data (selfBACK, 100 Hz, in g) tiled to ``--days`` days with continuous
timestamps, written once (fixed-width rows, so the digits of each hour's timestamps are rewritten in
place instead of formatted row by row) and kept in --cache. Each measurement runs in its own process,
which reports its own peak resident set size (ru_maxrss).

    nice -n 10 python scripts/bench_csv_replay.py --days 7
Writes docs/results/csv_replay.json and docs/results/csv_replay.md.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from readme_results import write_result

REPO = Path(__file__).resolve().parents[1]
RATE_HZ = 100
HOUR = 3600 * RATE_HZ
ROW = 34                            # "SSSSSS.CC,+X.XXXX,+Y.YYYY,+Z.ZZZZ\n"

MEASURE = """
import resource, runpy, sys, time, json
argv = {argv!r}
t0 = time.perf_counter()
if argv[0] == "reader":
    from harnet_edge.data.csv_file import iter_csv_chunks
    n = sum(len(c.t) for c in iter_csv_chunks(argv[1]))
    out = {{"samples": n}}
else:
    sys.argv = ["harnet-edge", *argv]
    try:
        runpy.run_module("harnet_edge.cli", run_name="__main__")
    except SystemExit as exc:
        assert not exc.code, exc.code
    out = {{}}
out.update(seconds=time.perf_counter() - t0, peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print("MEASURED " + json.dumps(out))
"""


def real_hour(datasets_root: Path) -> np.ndarray:
    """One hour of real 100 Hz wrist samples (selfBACK subject 026's activities, tiled)."""
    from harnet_edge.data import read_selfback_wrist

    xyz = np.concatenate([r.xyz for r in read_selfback_wrist(datasets_root / "selfback_wrist", subjects={"026"})])
    return np.resize(np.clip(xyz, -9.9999, 9.9999), (HOUR, 3))


def write_recording(path: Path, days: float, xyz_hour: np.ndarray) -> int:
    """Fixed-width rows; per hour only the timestamp digits change (vectorised)."""
    block = np.frombuffer("".join(f"000000.00,{x:+.4f},{y:+.4f},{z:+.4f}\n" for x, y, z in xyz_hour).encode(),
                          np.uint8).reshape(HOUR, ROW).copy()
    local = np.arange(HOUR)                                        # hundredths of a second within the hour
    hours = int(np.ceil(days * 24))
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        fh.write(b"time,x,y,z\n")
        for h in range(hours):
            hundredths = h * HOUR + local
            seconds, cents = hundredths // 100, hundredths % 100
            for i, power in enumerate((100000, 10000, 1000, 100, 10, 1)):
                block[:, i] = 48 + (seconds // power) % 10
            block[:, 7], block[:, 8] = 48 + cents // 10, 48 + cents % 10
            fh.write(block.tobytes())
    tmp.rename(path)
    return hours * HOUR


def measure(argv: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", MEASURE.format(argv=argv)], capture_output=True, text=True, cwd=REPO)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("MEASURED ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"measurement failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    result = json.loads(line[len("MEASURED "):])
    summary = [ln for ln in done.stdout.splitlines() if ln.startswith('{"summary"')]
    if summary:
        result["summary"] = json.loads(summary[-1])["summary"]
    return result


def main() -> None:
    from harnet_edge.data import datasets_root
    from harnet_edge.runtime.defaults import default_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--cache", type=Path, default=REPO / "runs" / "csv_replay")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "results")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    path = args.cache / f"wrist_{args.days:g}d_100hz.csv"
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        write_recording(path, args.days, real_hour(datasets_root()))
    samples = (path.stat().st_size - len("time,x,y,z\n")) // ROW
    print(f"{path.name}: {samples:,} samples, {path.stat().st_size / 1e9:.2f} GB", flush=True)

    reader = measure(["reader", str(path)])
    print(f"reader alone: {reader['samples'] / reader['seconds']:,.0f} samples/s, peak RSS {reader['peak_rss_mb']:.0f} MB",
          flush=True)
    model = default_model()
    stream = measure(["stream", str(model), "--replay", str(path), "--speed", "max", "--quiet"])
    rate = samples / stream["seconds"]
    print(f"stream replay: {rate:,.0f} samples/s ({stream['seconds']:.0f} s), peak RSS {stream['peak_rss_mb']:.0f} MB, "
          f"{stream['summary']['windows']} windows", flush=True)

    command = f"nice -n 10 python scripts/bench_csv_replay.py --days {args.days:g}"
    record = {"command": command, "file": path.name, "days": args.days, "rate_hz": RATE_HZ, "samples": samples,
              "file_bytes": path.stat().st_size, "model": model.name,
              "reader": {"samples_per_s": round(reader["samples"] / reader["seconds"]),
                         "seconds": round(reader["seconds"], 1), "peak_rss_mb": round(reader["peak_rss_mb"], 1)},
              "stream_replay": {"samples_per_s": round(rate), "seconds": round(stream["seconds"], 1),
                                "peak_rss_mb": round(stream["peak_rss_mb"], 1), "summary": stream["summary"]}}
    s = record["stream_replay"]
    write_result("csv_replay", record, (
        f"Replaying {args.days:g} days of 100 Hz wrist data ({samples / 1e6:.1f} M samples, a "
        f"{path.stat().st_size / 1e9:.1f} GB CSV) with `harnet-edge stream {model.name} --replay FILE --speed max`: "
        f"peak resident memory **{s['peak_rss_mb']:.0f} MB**, **{s['samples_per_s'] / 1e3:,.0f} k samples/s** "
        f"({s['summary']['windows']:,} windows classified in {s['seconds'] / 60:.1f} min). The CSV reader alone: "
        f"{record['reader']['samples_per_s'] / 1e6:.2f} M samples/s, peak {record['reader']['peak_rss_mb']:.0f} MB. "
        f"Measured on a shared 2-core machine by `{command}` (docs/results/csv_replay.json)."), args.out)
    print((args.out / "csv_replay.md").read_text())


if __name__ == "__main__":
    main()
