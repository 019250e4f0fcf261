"""README fragments from a bench.json written by ``scripts/bench_export.py`` (``harnet-edge bench``):
the export table (size, batch-1 p50 latency at 1 and 2 threads, macro F1, agreement), the speed-up
ratios measured in the same run (the ``*_ratios.json`` beside it), and cold start / peak memory of the
int8 files.

    python scripts/export_table.py docs/results/adl_bench.json
writes docs/results/adl_export.md and docs/results/adl_cold_start.md (then run scripts/readme_results.py).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from readme_results import write_result


def table(results: list[dict]) -> list[str]:
    lines = ["| file | runtime | precision | size MB | p50 ms, 1 thread | p50 ms, 2 threads | macro F1 | kappa | agreement with fp32 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (not r["file"].startswith("harnet"), r["backend"] != "pytorch", r["file"])):
        lat = r["latency"]
        acc = r["accuracy"]
        lines.append(f"| {r['file']} | {r['backend']} | {r['quantisation']} | {r['size_bytes'] / 1e6:.2f} | "
                     f"{lat['threads=1,batch=1']['p50_ms']:.3f} | {lat['threads=2,batch=1']['p50_ms']:.3f} | "
                     f"{acc['macro_f1']:.3f} | {acc['kappa']:.3f} | {acc.get('agreement_with_fp32', float('nan')):.3f} |")
    return lines


def ratio_sentence(ratios: dict, teacher: str) -> str:
    def r(key: str) -> float:
        return ratios[key]

    speed = "int8 {t} is {a:.1f}x (TFLite) / {b:.1f}x (ONNX) faster than fp32 PyTorch eager at one thread " \
            "({c:.1f}x / {d:.1f}x at two); the int8 student {e:.0f}x / {f:.0f}x faster than fp32 PyTorch {t}".format(
                t=teacher, a=r("int8 teacher (TFLite) speed-up over fp32 PyTorch eager, 1 thread(s)"),
                b=r("int8 teacher (ONNX) speed-up over fp32 PyTorch eager, 1 thread(s)"),
                c=r("int8 teacher (TFLite) speed-up over fp32 PyTorch eager, 2 thread(s)"),
                d=r("int8 teacher (ONNX) speed-up over fp32 PyTorch eager, 2 thread(s)"),
                e=r("int8 student (TFLite) speed-up over fp32 PyTorch teacher, 1 thread(s)"),
                f=r("int8 student (ONNX) speed-up over fp32 PyTorch teacher, 1 thread(s)"))
    f1 = (f"; macro F1 of int8 {teacher} {100 * r('int8 teacher macro F1 minus fp32 PyTorch (TFLite)'):+.1f} (TFLite) / "
          f"{100 * r('int8 teacher macro F1 minus fp32 PyTorch (ONNX)'):+.1f} (ONNX) points against fp32, of the int8 "
          f"student {100 * r('int8 student macro F1 minus teacher (TFLite)'):+.1f} / "
          f"{100 * r('int8 student macro F1 minus teacher (ONNX)'):+.1f} points against the fp32 teacher")
    return f"Ratios measured in the same run: {speed}{f1}"


def cold_start_sentence(report: dict, source: str) -> str:
    parts = []
    for r in sorted(report["results"], key=lambda r: (not r["file"].startswith("ds-"), r["file"])):
        cold = r.get("cold_start") or {}
        if r.get("quantisation") == "int8" and "cold_start_s" in cold:
            parts.append(f"{r['file']} {cold['cold_start_s']:.2f} s, {cold['peak_rss_mb']:.0f} MB"
                         + (" (torch imported!)" if cold.get("torch_imported") else ""))
    return (f"- Torch-free device side, cold start (import + load + first inference in a fresh interpreter) "
            f"and peak resident memory, measured by `harnet-edge bench` ({source}): " + "; ".join(parts) + ".")


def main(path: str) -> int:
    path = Path(path)
    report = json.loads(path.read_text())
    results = report["results"]
    prefix = path.stem.removesuffix("_bench")
    teacher = next((r["variant"] for r in results if r["backend"] == "pytorch" and r["file"].startswith("harnet")),
                   "HARNet")
    scored = next(r["accuracy"] for r in results if "macro_f1" in r.get("accuracy", {}))
    dataset, windows, subjects = scored["source"].removeprefix("measured now: ").split(", ", 2)
    device = report["device"]
    lines = [f"Scored on {int(windows.split()[0]):,} held-out windows ({subjects}), measured "
             f"{report['created'][:10]} on {device['cpu']} ({device['cores']} cores); "
             f"`python scripts/bench_export.py --data {dataset}`, table: "
             f"`python scripts/export_table.py {path.as_posix()}`", ""] + table(results)
    ratios_path = path.with_name(f"{prefix}_ratios.json")
    ratios = json.loads(ratios_path.read_text()) if ratios_path.is_file() else None
    if ratios:
        lines += ["", ratio_sentence(ratios, teacher.replace("harnet", "HARNet")) + f" (`{ratios_path.as_posix()}`)."]
    results_dir = path.resolve().parent
    write_result(f"{prefix}_export", None, "\n".join(lines), results_dir)
    write_result(f"{prefix}_cold_start", None, cold_start_sentence(report, path.as_posix()), results_dir)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
