"""Export table (issue: export stage), measured side by side in one run.

For one dataset: train HARNet on the training subjects only (the export's held-out subjects never
seen), export it with a distilled student to ONNX/TFLite fp32/int8, then benchmark every artefact
and both PyTorch models on the held-out subjects: size, batch-1 latency (1 and 2 threads), macro F1,
agreement with fp32 PyTorch. Prints the table and the two target ratios.

    python scripts/bench_export.py --data adl [--variant harnet10] [--epochs 25] [--out runs/export_adl]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np


def main() -> int:
    sys.path.insert(0, ".")
    from harnet_edge.export import ExportError
    from harnet_edge.export.pipeline import ExportOptions, export_checkpoint, split_for_export
    from harnet_edge.data import load_benchmark
    from harnet_edge.models.checkpoints import save_checkpoint
    from harnet_edge.train.finetune import train_final, training_summary
    from harnet_edge.train.loop import TrainConfig

    p = argparse.ArgumentParser()
    p.add_argument("--data", default="adl")
    p.add_argument("--variant", default="harnet10")
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--student-epochs", type=int, default=40)
    p.add_argument("--out", type=Path)
    p.add_argument("--reuse", action="store_true", help="reuse a teacher checkpoint already in --out")
    args = p.parse_args()
    out = args.out or Path(f"runs/export_{args.data}")
    out.mkdir(parents=True, exist_ok=True)
    windows = load_benchmark(args.data)
    classes = list(windows.stats["classes"])
    options = ExportOptions(distil=True, train=TrainConfig(epochs=args.student_epochs, patience=8, lr=1e-3))
    _, val_idx = split_for_export(windows, options.validation_fraction, options.seed)
    held_out = sorted(set(windows.subjects[val_idx].tolist()))
    train = windows.subset(~np.isin(windows.subjects, held_out))
    teacher = out / f"{args.variant}_{args.data}.safetensors"
    if not (args.reuse and teacher.exists()):
        print(f"training {args.variant} on {len(train)} windows of subjects not in {held_out}", flush=True)
        model = train_final(train, classes, args.variant, "scratch", TrainConfig(epochs=args.epochs, patience=6))
        save_checkpoint(model, teacher, {"training_data": training_summary(train)})
    try:
        export_checkpoint(teacher, windows, out / "artefacts", options)
    except ExportError as exc:   # the table is still wanted: failing artefacts are marked in the report
        print(f"export validation: {exc}")
    print(open(out / "artefacts" / "export_report.md").read())
    bench = subprocess.run([sys.executable, "-m", "harnet_edge.cli", "bench", str(out / "artefacts"), str(teacher),
                            "--data", args.data, "--subjects", ",".join(held_out), "--threads", "1,2",
                            "--batch", "1,64", "--out", str(out / "bench")], text=True)
    if bench.returncode:
        return bench.returncode
    results = {r["file"]: r for r in json.loads((out / "bench" / "bench.json").read_text())["results"]}

    def p50(name, threads=1):
        return results[name]["latency"][f"threads={threads},batch=1"]["p50_ms"]

    def f1(name):
        return results[name]["accuracy"]["macro_f1"]

    torch_teacher, student = teacher.name, options.student_variant
    lines = {}
    for threads in (1, 2):
        for runtime, ext in (("ONNX", "onnx"), ("TFLite", "tflite")):
            lines[f"int8 teacher ({runtime}) speed-up over fp32 PyTorch eager, {threads} thread(s)"] = \
                p50(torch_teacher, threads) / p50(f"{args.variant}_int8.{ext}", threads)
            lines[f"int8 student ({runtime}) speed-up over fp32 PyTorch teacher, {threads} thread(s)"] = \
                p50(torch_teacher, threads) / p50(f"{student}_int8.{ext}", threads)
    for runtime, ext in (("ONNX", "onnx"), ("TFLite", "tflite")):
        lines[f"int8 teacher macro F1 minus fp32 PyTorch ({runtime})"] = \
            f1(f"{args.variant}_int8.{ext}") - f1(torch_teacher)
        lines[f"int8 student macro F1 minus teacher ({runtime})"] = f1(f"{student}_int8.{ext}") - f1(torch_teacher)
    if f"{student}.safetensors" in results:
        lines["fp32 PyTorch student macro F1"] = f1(f"{student}.safetensors")
    for k, v in lines.items():
        print(f"{k}: {v:.3f}")
    (out / "ratios.json").write_text(json.dumps(lines, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
