"""Each device family's software twin streamed through the real runtime, as a user would run it.

For every family, ``harnet-edge stream --simulate 1 --profile FAMILY --speed 10x --duration 20
--jsonl OUT`` plays the shipped selfBACK clip through that family's twin over the software
Bluetooth stack; this records the rate the host chose, windows, lost notifications, gaps and how
many windows got their true label (MetaMotion stamps samples on the host clock, so its windows
carry no truth). Writes docs/results/families.json and docs/results/families.md.

    python scripts/measure_families.py
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from readme_results import write_result  # scripts/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("movesense", "metamotion", "banglejs", "pinetime")
DEVICE = {"movesense": "Movesense (GSP)", "metamotion": "MetaMotion R/C (MetaWear, BMI160)",
          "banglejs": "Bangle.js 2 (harnetacc app)", "pinetime": "PineTime (InfiniTime motion)"}
RATE = {"movesense": "52 Hz", "metamotion": "50 Hz", "banglejs": "25 Hz", "pinetime": "10 Hz"}


def run(family: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "out.jsonl"
        proc = subprocess.run([sys.executable, "-m", "harnet_edge.cli", "stream", "--simulate", "1", "--profile",
                               family, "--speed", "10x", "--duration", "20", "--jsonl", str(jsonl), "--quiet"],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        if proc.returncode != 0:
            return {"exit": proc.returncode, "error": proc.stderr.strip()}
        summary = json.loads(proc.stdout.strip().splitlines()[-1])["summary"]
        records = [json.loads(ln) for ln in jsonl.read_text().splitlines() if ln.startswith('{"')]
        lost = sum(int(f.split(":")[1]) for r in records for f in r.get("flags", []) if f.startswith("packets_lost"))
        truth = summary.get("truth", {})
        return {"exit": 0, "windows": summary["windows"], "gaps": summary["gaps"], "packets_lost": lost,
                "dropped_backwards": summary["dropped_backwards"], "truth_windows": truth.get("windows", 0),
                "truth_correct": truth.get("correct", 0)}


def result_text(r: dict) -> str:
    if r["exit"]:
        return f"refused, exit {r['exit']}: \"{r['error'].splitlines()[0].split('error: ', 1)[-1]}\""
    truth = (f"{r['truth_correct']}/{r['truth_windows']} windows = true label" if r["truth_windows"]
             else "no truth (host-clock timestamps)")
    return f"{r['windows']} windows, {truth}, {r['gaps']} gaps, {r['packets_lost']} packets lost"


def main() -> None:
    results = {family: run(family) for family in FAMILIES}
    for family, r in results.items():
        print(family, r, flush=True)
    rows = ["| device | tested with | rate | result |", "|---|---|---|---|"]
    rows += [f"| {DEVICE[f]} | software twin over bumble, selfBACK clip, 10x | {RATE[f]} | {result_text(r)} |"
             for f, r in results.items()]
    write_result("families", results,
        "Each family's twin through the runtime (`python scripts/measure_families.py`):\n\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
