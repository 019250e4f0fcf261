"""Raspberry Pi latency ESTIMATE from multiply-accumulates per 10 s window (not a measurement: run
``harnet-edge bench`` on the Pi for that), and the model zoo's sizes.

MACs are counted by ``harnet_edge.models.count_macs`` (convolutions, linear layers and the fixed
anti-aliasing filters of one window). The rate comes from one published figure, MobileNet v1 1.0_224
(569 M MACs) in 87 ms on a Pi 4 CPU with TFLite (dev.to/tildalice, "MobileNet vs EfficientNet-Lite:
Pi 4"), i.e. ~6.5 G MAC/s; the Pi 5 is taken as 2-3x a Pi 4 (Raspberry Pi Ltd's launch figure for
CPU performance).

    python scripts/pi/estimate_latency.py
writes docs/results/pi_estimate.json and the fragments pi_estimate.md and model_costs.md.
"""
from __future__ import annotations

import sys
from pathlib import Path

MOBILENET_MACS, MOBILENET_PI4_MS = 569e6, 87.0
PI5_OVER_PI4 = (2.0, 3.0)


def ms(value: float) -> str:
    return f"{value:.2f}" if value < 0.1 else f"{value:.1f}" if value < 1 else f"{value:.0f}"


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from readme_results import write_result

    from harnet_edge.models import HARNet, count_macs, count_parameters
    from harnet_edge.models.student import StudentCNN

    pi4_macs_per_ms = MOBILENET_MACS / MOBILENET_PI4_MS
    models = {"ds-tiny": StudentCNN("ds-tiny", 5), "ds-small": StudentCNN("ds-small", 5),
              "cnn-small (built-in)": StudentCNN("cnn-small", 5), "HARNet10": HARNet("harnet10", 5)}
    rows = {}
    for name, model in models.items():
        macs = count_macs(model, model.window_len)
        pi4 = macs / pi4_macs_per_ms
        rows[name] = {"macs": macs, "parameters": count_parameters(model), "pi4_ms": pi4,
                      "pi5_ms": [pi4 / PI5_OVER_PI4[1], pi4 / PI5_OVER_PI4[0]]}
    command = "python scripts/pi/estimate_latency.py"
    lines = [f"Estimate, not a measurement (`{command}`): MACs per 10 s window / ~{pi4_macs_per_ms / 1e6:.1f} G MAC/s "
             f"for a Pi 4, 2-3x that for a Pi 5.", "",
             "| model | MACs per window | Pi 4 estimate | Pi 5 estimate |", "|---|---|---|---|"]
    for name, r in rows.items():
        macs = f"{r['macs'] / 1e6:.2f} M" if r["macs"] < 1e8 else f"{r['macs'] / 1e6:.0f} M"
        lines.append(f"| {name} | {macs} | ~{ms(r['pi4_ms'])} ms | ~{ms(r['pi5_ms'][0])}-{ms(r['pi5_ms'][1])} ms |")
    write_result("pi_estimate", {"command": command, "pi4_macs_per_second": pi4_macs_per_ms * 1e3,
                                 "source": "MobileNet v1 1.0_224, 569 M MACs, 87 ms on a Pi 4 (dev.to/tildalice)",
                                 "models": rows}, "\n".join(lines))
    plain, small, tiny, big = rows["cnn-small (built-in)"], rows["ds-small"], rows["ds-tiny"], rows["HARNet10"]
    write_result("model_costs", None, (
        f"Students: `cnn-small`, the built-in one, five full convolutions ({plain['parameters'] / 1e3:.0f} k parameters, "
        f"{plain['macs'] / 1e6:.1f} M MACs per 10 s window); the depthwise-separable `ds-small` "
        f"({small['parameters'] / 1e3:.0f} k, {small['macs'] / 1e6:.1f} M) and `ds-tiny` ({tiny['parameters'] / 1e3:.0f} k, "
        f"{tiny['macs'] / 1e6:.2f} M); HARNet10 is "
        f"{big['parameters'] / 1e6:.1f} M parameters and {big['macs'] / 1e6:.0f} M MACs (5-class head; "
        f"`{command}`, counted by `harnet_edge.models.count_macs`)."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
