"""Every artefact is run by its real runtime on held-out real windows and compared with PyTorch, and
its graph is checked by its format's graph check (both named by its row in harnet_edge.formats)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harnet_edge.formats import ModelFormat, format_of
from harnet_edge.metrics import cohen_kappa, macro_f1
from harnet_edge.runtime.engines import open_engine


@dataclass
class Thresholds:
    fp32_min_agreement: float = 0.99
    int8_min_agreement: float = 0.95
    fp32_max_prob_diff: float = 1e-3
    int8_min_orientation_agreement: float = 0.97   # in every one of the 24 axis-aligned orientations


def validate_artefact(path: Path, x: np.ndarray, reference_probs: np.ndarray, y: np.ndarray | None,
                      thresholds: Thresholds, fmt: ModelFormat | None = None, model=None) -> dict:
    """Agreement and probability difference against ``reference_probs`` (fp32 PyTorch), macro F1 when
    labels ``y`` are given, and the format's graph check of ``model``'s export; ``passed`` needs all."""
    fmt = fmt or format_of(path)
    engine = open_engine(path, threads=1)
    t0 = time.perf_counter()
    probs = engine.run(x)
    seconds = time.perf_counter() - t0
    agreement = float(np.mean(probs.argmax(1) == reference_probs.argmax(1)))
    max_diff = float(np.abs(probs - reference_probs).max())
    int8 = engine.info.quantisation == "int8"
    required = thresholds.int8_min_agreement if int8 else thresholds.fp32_min_agreement
    passed = agreement >= required and (int8 or max_diff <= thresholds.fp32_max_prob_diff)
    result = {"file": path.name, "backend": engine.backend, "quantisation": engine.info.quantisation,
              "size_bytes": path.stat().st_size, "windows": int(len(x)), "agreement": agreement,
              "max_prob_diff": max_diff, "required_agreement": required, "passed": bool(passed),
              "ms_per_window_1_thread": 1000 * seconds / max(len(x), 1)}
    if y is not None and len(y):
        k = reference_probs.shape[1]
        pred = probs.argmax(1)
        result.update(macro_f1=macro_f1(y, pred, k), kappa=cohen_kappa(y, pred, k),
                      reference_macro_f1=macro_f1(y, reference_probs.argmax(1), k))
    if fmt is not None and fmt.cross_check is not None:
        result["cross_check"] = fmt.load("cross_check")(path, x)
        result["passed"] = bool(result["passed"] and result["cross_check"].get("ok", True))
    if fmt is not None and fmt.graph_check is not None:
        result["graph"] = fmt.load("graph_check")(path, model)
        result["passed"] = bool(result["passed"] and result["graph"].get("ok", True))
    return result


def summary_markdown(report: dict) -> str:
    lines = [f"# Export report: {report['source']}", "",
             f"Validation on {report['validation']['windows']} held-out windows "
             f"(subjects {', '.join(report['validation']['subjects'])}); reference: fp32 PyTorch. "
             + seen_in_training(report['validation']), "",
             "| file | runtime | quant | size | agreement | max prob diff | macro F1 (ref) | graph | passed |",
             "|---|---|---|---|---|---|---|---|---|"]
    for a in report["artefacts"]:
        f1 = f"{a['macro_f1']:.3f} ({a['reference_macro_f1']:.3f})" if "macro_f1" in a else "-"
        graph = a.get("graph", {}).get("ok")
        lines.append(f"| {a['file']} | {a['backend']} | {a['quantisation']} | {a['size_bytes'] / 1e6:.2f} MB | "
                     f"{a['agreement']:.3f} | {a['max_prob_diff']:.2e} | {f1} | "
                     f"{'-' if graph is None else ('ok' if graph else 'FAILED')} | {'yes' if a['passed'] else 'NO'} |")
    lines += orientation_markdown(report)
    return "\n".join(lines) + "\n"


def seen_in_training(validation: dict) -> str:
    """Whether the exported model (the teacher, when distilling) was trained on the validation subjects."""
    seen = validation.get("subjects_seen_in_training", [])
    if not seen:
        return "None of them were in the model's training data."
    return (f"The model was trained on {len(seen)} of them ({', '.join(seen)}): "
            "its scores there are not held-out scores.")


def orientation_markdown(report: dict) -> list[str]:
    """Agreement of each int8 file with fp32 in each of the 24 axis-aligned orientations."""
    swept = [a for a in report["artefacts"] if "orientation_sweep" in a]
    if not swept:
        return []
    first = swept[0]["orientation_sweep"]
    lines = ["", f"Orientation sweep: int8 vs fp32 agreement on {first['windows']} held-out windows turned into "
             f"each of the 24 axis-aligned orientations (required >= {first['required_agreement']:.2f} in every one; "
             f"int8 input range +-{report['calibration'].get('input_range_g', '?')} g).", "",
             "| orientation (rows of the rotation) | " + " | ".join(a["file"] for a in swept) + " |",
             "|---|" + "---|" * len(swept)]
    for k, row in enumerate(first["orientations"]):
        cells = [f"{a['orientation_sweep']['orientations'][k]['agreement']:.3f}" for a in swept]
        lines.append(f"| {k}: {row['rotation']} | " + " | ".join(cells) + " |")
    lines.append("| **worst** | " + " | ".join(f"**{a['orientation_sweep']['min_agreement']:.3f}**" for a in swept) + " |")
    return lines
