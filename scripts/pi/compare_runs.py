"""Labels and probabilities of the same replay on x86_64 and on emulated aarch64 must agree.

Tolerance: labels identical, probabilities within 0.05. Both runs use the same file and the same
float64 resampler, but the int8 kernels differ per architecture (XNNPACK's NEON and AVX
requantisation round differently), so an int8 activation can land one quantisation step away and
move a probability by a few hundredths. A label change, or a larger difference, would mean the
arithmetic really differs.

    python scripts/pi/compare_runs.py runs/pi
    python scripts/pi/compare_runs.py --models     (the file names compared; emulate_pi.sh runs them)
Writes docs/results/pi_emulation.json and the README fragment docs/results/pi_emulation.md.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from harnet_edge.runtime.defaults import DEFAULT_STEM

MODELS = (f"{DEFAULT_STEM}_int8.onnx", f"{DEFAULT_STEM}_int8.tflite")


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if '"window_start"' in line]


def main(out: Path) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from readme_results import write_result

    ok, rows = True, []
    for model in MODELS:
        a, b = load(out / f"x86_64_{model}.jsonl"), load(out / f"aarch64_{model}.jsonl")
        same_windows = [r["window_start"] for r in a] == [r["window_start"] for r in b]
        labels = float(np.mean([x["label"] == y["label"] for x, y in zip(a, b)])) if a and b else 0.0
        diff = max((abs(x["probabilities"][k] - y["probabilities"][k]) for x, y in zip(a, b)
                    for k in x["probabilities"]), default=float("nan"))
        passed = same_windows and labels == 1.0 and diff <= 0.05
        ok &= passed
        rows.append({"model": model, "windows": len(a), "same_windows": same_windows,
                     "label_agreement": labels, "max_probability_difference": diff, "passed": passed})
        print(json.dumps(rows[-1]))
    wheels = out / "wheels_arm64.txt"
    data = {"command": "sudo bash scripts/pi/emulate_pi.sh", "comparisons": rows,
            "wheels_arm64": wheels.read_text().split() if wheels.is_file() else []}
    write_result("pi_emulation", data, "- Emulated Raspberry Pi OS 64-bit (`sudo bash scripts/pi/emulate_pi.sh`, "
                 "Debian bookworm arm64 under qemu-user-static) against this x86_64 machine, same replay: " + "; ".join(
                     f"{r['model']}: {r['windows']} windows, labels identical on {100 * r['label_agreement']:.0f} %, "
                     f"probabilities within {r['max_probability_difference']:.3f}" for r in rows) +
                 f" ({'passed' if ok else 'FAILED'}).")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--models"]:
        print(" ".join(MODELS))
        sys.exit(0)
    sys.exit(main(Path(sys.argv[1])))
