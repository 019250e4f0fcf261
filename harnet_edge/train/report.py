"""Human-readable results: a side-by-side table and confusion-matrix pictures."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def results_table(results: list[dict], reference: dict[str, float] | None = None) -> str:
    lines = [f"{'model':<34}{'macro F1 (mean +- SD)':>24}{'kappa (mean +- SD)':>22}" +
             (f"{'paper F1':>10}" if reference else "")]
    for r in results:
        line = (f"{r['model']:<34}{r['macro_f1_mean']:>15.3f} +- {r['macro_f1_sd']:.3f}"
                f"{r['kappa_mean']:>13.3f} +- {r['kappa_sd']:.3f}")
        if reference:
            ref = reference.get(r["model"])
            line += f"{ref:>10.3f}" if ref is not None else f"{'':>10}"
        lines.append(line)
    return "\n".join(lines)


def save_confusion_png(result: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(result["confusion_matrix"], dtype=float)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    classes = result["classes"]
    fig, ax = plt.subplots(figsize=(1.2 + 0.75 * len(classes), 1 + 0.7 * len(classes)))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center",
                    color="white" if norm[i, j] > 0.5 else "black", fontsize=8)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{result['model']}: macro F1 {result['macro_f1_mean']:.3f} +- {result['macro_f1_sd']:.3f}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_results(results: list[dict], out_dir: Path, stem: str = "results") -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.json"
    path.write_text(json.dumps(results, indent=2))
    for r in results:
        safe = "".join(c if c.isalnum() else "_" for c in r["model"]).strip("_")
        save_confusion_png(r, out_dir / f"confusion_{safe}.png")
    return path
