"""Markdown table (size, batch-1 p50 latency at 1 and 2 threads, macro F1, agreement) from a bench.json.

    python scripts/export_table.py docs/results/adl_bench.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str) -> int:
    results = json.loads(Path(path).read_text())["results"]
    print("| file | runtime | precision | size MB | p50 ms, 1 thread | p50 ms, 2 threads | macro F1 | kappa | agreement with fp32 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in sorted(results, key=lambda r: (not r["file"].startswith("harnet"), r["backend"] != "pytorch", r["file"])):
        lat = r["latency"]
        acc = r["accuracy"]
        print(f"| {r['file']} | {r['backend']} | {r['quantisation']} | {r['size_bytes'] / 1e6:.2f} | "
              f"{lat['threads=1,batch=1']['p50_ms']:.3f} | {lat['threads=2,batch=1']['p50_ms']:.3f} | "
              f"{acc['macro_f1']:.3f} | {acc['kappa']:.3f} | {acc.get('agreement_with_fp32', float('nan')):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
