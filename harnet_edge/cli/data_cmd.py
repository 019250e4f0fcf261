"""``harnet-edge data``: what a dataset yields once windowed (windows per class and subject); for a
user's CSV file or folder also runs, rates, units and what would make training refuse it."""
from __future__ import annotations

import json
from pathlib import Path

from .argtypes import positive_seconds

# The paper's ADL counts (Yuan et al. 2024), to set our reproduction beside.
PAPER_ADL_COUNTS = {"walk": 279, "drink_glass": 105, "pour_water": 93, "getup_bed": 92, "climb_stairs": 66}


def register(sub) -> None:
    p = sub.add_parser("data", help="summarise a benchmark set or CSV recordings as windows per class and subject")
    p.add_argument("dataset", help="benchmark name (adl, selfback) or a CSV/CSV.gz file or folder")
    p.add_argument("--root", type=Path, help="datasets folder (default: ../shared/datasets)")
    p.add_argument("--mode", choices=["paper", "resample"], help="window resizing mode (default per dataset); paper = the paper's linear resize, "
                        "without the anti-aliasing low-pass of resample")
    p.add_argument("--window", type=positive_seconds, default=10.0, help="CSV data: window length (default 10 s)")
    p.add_argument("--hop", type=positive_seconds, help="CSV data: seconds between window starts (default: the window)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data import load_benchmark
    from ..data.datasets import BENCHMARKS

    if args.dataset not in BENCHMARKS:
        return run_csv(args)

    windows = load_benchmark(args.dataset, root=args.root, mode=args.mode)
    per_class, per_subject = windows.counts("labels"), windows.counts("subjects")
    if args.json:
        print(json.dumps({"windows": len(windows), "per_class": per_class, "per_subject": per_subject,
                          **windows.stats}, indent=2))
        return 0
    print(f"{args.dataset}: {len(windows)} windows of {windows.stats['window_s']:.0f} s "
          f"(hop {windows.stats['hop_s']:.0f} s, mode {windows.stats['mode']}), "
          f"{windows.stats['windows_dropped_for_gaps']} dropped for gaps")
    paper = PAPER_ADL_COUNTS if args.dataset == "adl" else {}
    print(f"  {'class':<14}{'windows':>8}" + (f"{'paper':>8}" if paper else ""))
    for label, n in sorted(per_class.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<14}{n:>8}" + (f"{paper.get(label, 0):>8}" if paper else ""))
    if paper:
        print(f"  {'total':<14}{len(windows):>8}{sum(paper.values()):>8}")
    print("  per subject: " + ", ".join(f"{s} {n}" for s, n in per_subject.items()))
    return 0


def run_csv(args) -> int:
    """Exit 0 when finetune, export and pretrain would accept the data, 1 when one would refuse (listed)."""
    from ..data.csv_summary import summarise_csv

    summary = summarise_csv(args.dataset, args.window, args.hop, args.mode or "resample")
    if args.json:
        print(json.dumps(summary, indent=2))
        return 1 if summary["refusals"] else 0
    print(f"{summary['path']}: {len(summary['files'])} file(s), {len(summary['subjects'])} subjects, "
          f"{len(summary['labels'])} labels, {summary['runs']} runs (subject, label), "
          f"{summary['recordings']} recordings (a run's time restarting starts a new one)")
    for f in summary["files"]:
        print(f"  {f['file']}: {f['rows']} rows, {f['runs']} runs, {f['recordings']} recordings, time in {f['time']}, "
              f"{f['rate_hz']} Hz, units {f['units']}" + (f" (warning: {f['warning']})" if "warning" in f else ""))
    print(f"{summary['windows']} windows of {summary['window_s']:g} s (hop {summary['hop_s']:g} s, mode "
          f"{summary['mode']}), {summary['windows_dropped_for_gaps']} dropped for gaps, "
          f"{summary['unlabelled_windows']} unlabelled")
    for label, n in sorted(summary["per_class"].items(), key=lambda kv: -kv[1]):
        print(f"  {label:<14}{n:>8}")
    print("  per subject: " + ", ".join(f"{s} {n}" for s, n in summary["per_subject"].items()))
    for reason in summary["refusals"]:
        print(f"training would refuse: {reason}")
    if not summary["refusals"]:
        print("ready for finetune, export and pretrain")
    return 1 if summary["refusals"] else 0
