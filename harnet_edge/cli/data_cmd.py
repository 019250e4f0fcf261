"""``harnet-edge data``: what a dataset yields once windowed (windows per class and subject)."""
from __future__ import annotations

import json
from pathlib import Path

# The paper's ADL counts (Yuan et al. 2024), to set our reproduction beside.
PAPER_ADL_COUNTS = {"walk": 279, "drink_glass": 105, "pour_water": 93, "getup_bed": 92, "climb_stairs": 66}


def register(sub) -> None:
    p = sub.add_parser("data", help="summarise a benchmark dataset as windows per class and subject")
    p.add_argument("dataset", choices=["adl", "selfback"], help="named benchmark set")
    p.add_argument("--root", type=Path, help="datasets folder (default: ../shared/datasets)")
    p.add_argument("--mode", choices=["paper", "resample"], help="window resizing mode (default per dataset); paper = the paper's linear resize, "
                        "without the anti-aliasing low-pass of resample")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data import load_benchmark

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
