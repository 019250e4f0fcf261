"""Microcontroller budget of the int8 students: flash, TensorFlow Lite Micro arena, MACs, an
ESTIMATED latency per window, and radio bytes per hour for raw samples versus on-device labels.

    python scripts/mcu_budget.py [--out docs/results]

Flash, arena and MACs are measured on the int8 TFLite files (the arena by bisection on the real TFLM
interpreter). cnn-small is the shipped built-in model; ds-small and ds-tiny are exported here from their
architectures (random weights, real calibration windows): flash, arena and MACs depend on the graph, not
the weights.
Latency is NOT measured on a microcontroller: it is MACs divided by the MAC rate of a published
benchmark on the same core class, scaled to the clock. Writes mcu_budget.json and mcu_budget.md.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from readme_results import write_result

REPO = Path(__file__).resolve().parents[1]

# Published facts (MLPerf Tiny), each with where it comes from. The reference model's MACs were
# counted with harnet_edge.export.tflm.tflite_macs on the model bytes published beside the result.
PUBLISHED_RATES = [
    {"core": "Cortex-M4F", "board": "nRF52840 (64 MHz, 256 KB RAM, 1 MB flash)", "clock_mhz": 64,
     "measured_on": "Nucleo-L4R5ZI, Cortex-M4 @ 120 MHz, TFLM v2.3.1 + CMSIS-NN", "measured_clock_mhz": 120,
     "model_macs": 2_656_768, "inferences_per_s": 5.497,
     "source": "MLPerf Tiny v0.5 reference submission, keyword spotting (DS-CNN): mlcommons/tiny_results_v0.5 "
               "closed/reference/results/Nucleo-L4R5ZI/kws/performance/results.txt"},
    {"core": "Cortex-M33", "board": "nRF5340 (128 MHz, 512 KB RAM, 1 MB flash)", "clock_mhz": 128,
     "measured_on": "nRF5340 DK, Cortex-M33 @ 128 MHz, microTVM + CMSIS-NN", "measured_clock_mhz": 128,
     "model_macs": 2_656_768, "inferences_per_s": 13.140,
     "source": "MLPerf Tiny v1.0, OctoML, keyword spotting (DS-CNN): mlcommons/tiny_results_v1.0 "
               "closed/OctoML/results/microtvm_cmsis_nn/NRF5340-DK/kws/performance/results.txt"},
]
LABEL_BYTES_PER_WINDOW = 10
RAW_RATE_HZ = 50.0


def radio_bytes_per_hour() -> dict:
    """Notification payload bytes per hour: raw reference-profile packets versus label packets."""
    from harnet_edge.firmware_bridge import on_device, reference_profile as ref

    out = {}
    for mtu in (23, 247):
        per_packet = ref.samples_per_packet(mtu - 3)
        packets_per_s = RAW_RATE_HZ / per_packet
        out[f"raw_{int(RAW_RATE_HZ)}hz_mtu{mtu}"] = round(packets_per_s * (ref.HEADER.size + 6 * per_packet) * 3600)
    out["labels_every_10s"] = on_device.LABEL.size * 360
    return out


def student_int8(variant: str, workdir: Path) -> Path:
    import torch

    from harnet_edge.data import load_benchmark
    from harnet_edge.export.fold import prepare_for_export
    from harnet_edge.export.metadata import artefact_metadata
    from harnet_edge.export.orientation import LOGITS_BITS, MIN_INPUT_RANGE_G
    from harnet_edge.export.tflite_writer import write_tflite_fp32, write_tflite_int8
    from harnet_edge.models.student import StudentCNN

    torch.manual_seed(0)
    windows = load_benchmark("selfback").x[:256].astype(np.float32)
    model = StudentCNN(variant, 9).eval()
    graph = prepare_for_export(model)
    fp32 = write_tflite_fp32(graph, 300, workdir / f"{variant}_fp32.tflite", artefact_metadata(model, "fp32", "budget"))
    return write_tflite_int8(fp32, workdir / f"{variant}_int8.tflite", windows, artefact_metadata(model, "int8", "budget"),
                             input_range_g=MIN_INPUT_RANGE_G, logits_bits=LOGITS_BITS)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=REPO / "docs" / "results")
    args = p.parse_args()
    from harnet_edge.export.tflm import arena_bytes, tflite_macs
    from harnet_edge.runtime.defaults import DEFAULT_DIR, DEFAULT_STEM

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        models = {f"{DEFAULT_STEM} (built-in)": DEFAULT_DIR / f"{DEFAULT_STEM}_int8.tflite",
                  **{variant: student_int8(variant, Path(tmp)) for variant in ("ds-small", "ds-tiny")}}
        for student, path in models.items():
            data = path.read_bytes()
            macs, arena = tflite_macs(data), arena_bytes(data)
            print(f"{student}: {len(data)} bytes flash, {arena} bytes arena, {macs} MACs", flush=True)
            for rate in PUBLISHED_RATES:
                macs_per_cycle = rate["model_macs"] * rate["inferences_per_s"] / (rate["measured_clock_mhz"] * 1e6)
                rows.append({"student": student, "core": rate["core"], "board": rate["board"],
                             "flash_bytes": len(data), "arena_bytes": arena, "macs": macs,
                             "estimated_ms": round(macs / (macs_per_cycle * rate["clock_mhz"] * 1e6) * 1000, 1),
                             "macs_per_cycle_published": round(macs_per_cycle, 3)})
    result = {"rows": rows, "published_rates": PUBLISHED_RATES, "radio_payload_bytes_per_hour": radio_bytes_per_hour(),
              "command": "python scripts/mcu_budget.py",
              "notes": "flash = model bytes only (add the TFLM runtime, ~100 KB on Cortex-M); arena measured on "
                       "the host TFLM build (64-bit pointers): an upper bound on 32-bit cores"}
    write_result("mcu_budget", result, markdown(result), args.out)
    print(markdown(result))
    return 0


def markdown(result: dict) -> str:
    lines = ["| student | MCU | flash (model) KB | TFLM arena KB | MACs per window | latency, ESTIMATE |",
             "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['student']} | {r['core']}, {r['board']} | {r['flash_bytes'] / 1024:.1f} | "
                     f"{r['arena_bytes'] / 1024:.1f} | {r['macs'] / 1e6:.2f} M | ~{r['estimated_ms']:.0f} ms |")
    radio = result["radio_payload_bytes_per_hour"]
    lines += ["", "Radio payload per hour (notification bytes, before link-layer overhead): raw 50 Hz samples "
              f"{radio['raw_50hz_mtu23'] / 1e6:.2f} MB at the default MTU, {radio['raw_50hz_mtu247'] / 1e6:.2f} MB "
              f"at MTU 247; on-device labels {radio['labels_every_10s'] / 1e3:.1f} kB "
              f"({radio['raw_50hz_mtu247'] / radio['labels_every_10s']:.0f}x less than the best raw case).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
