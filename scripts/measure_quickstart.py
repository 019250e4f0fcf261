"""How often the quick start's live labels match the truth of the real clip it plays.

Runs the README's main command (``harnet-edge stream --simulate 2 --speed 10x --duration 20``)
``--runs`` times, each a fresh process with its own connection timing (so windows fall at other
offsets of the clip), and writes docs/results/quickstart_truth.json and .md. The test threshold
in tests/test_quickstart_truth.py is set below the worst run measured here.

    python scripts/measure_quickstart.py --runs 5
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from readme_results import write_result  # scripts/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["stream", "--simulate", "2", "--speed", "10x", "--duration", "20"]


def one_run() -> dict:
    out = subprocess.run([sys.executable, "-m", "harnet_edge.cli", *COMMAND], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    summary = json.loads(out.strip().splitlines()[-1])["summary"]
    truth = summary["truth"]
    mixed = sum("true mixed" in line for line in out.splitlines())
    model = out.splitlines()[0].removeprefix("# ").split(" (", 1)[0]     # "# cnn-small_int8.onnx (onnxruntime, ..."
    return {"model": model, "windows": summary["windows"], "scored": truth["windows"], "correct": truth["correct"],
            "mixed": mixed, "accuracy": round(truth["correct"] / truth["windows"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = []
    for i in range(args.runs):
        runs.append(one_run())
        print(i + 1, runs[-1], flush=True)
    accuracies = [r["accuracy"] for r in runs]
    models = sorted({r["model"] for r in runs})
    result = {"command": "harnet-edge " + " ".join(COMMAND), "model": ", ".join(models), "runs": runs,
              "accuracy_min": min(accuracies), "accuracy_mean": round(sum(accuracies) / len(accuracies), 3)}
    write_result("quickstart_truth", result,
        f"Over {len(runs)} runs of the quick start with the built-in {result['model']} "
        f"(`python scripts/measure_quickstart.py --runs {len(runs)}`), "
        f"{sum(r['correct'] for r in runs)} of {sum(r['scored'] for r in runs)} windows with a single true "
        f"activity got it as their live label (worst run {min(accuracies):.0%}, mean "
        f"{result['accuracy_mean']:.0%}); windows straddling two activities are shown as `true mixed` "
        "and not scored.\n")


if __name__ == "__main__":
    main()
