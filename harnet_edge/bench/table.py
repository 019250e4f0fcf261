"""The terminal table and the plot (latency vs macro F1; marker size = file size; Pareto front)."""
from __future__ import annotations

from pathlib import Path


def headline_latency(result: dict) -> tuple[str, dict] | None:
    lat = result.get("latency", {})
    keys = [k for k in lat if k.endswith("batch=1")]
    if not keys:
        return None
    key = min(keys, key=lambda k: int(k.split(",")[0].split("=")[1]))   # fewest threads: live use
    return key, lat[key]


def f1_of(result: dict) -> tuple[float | None, str]:
    acc = result.get("accuracy") or {}
    if "macro_f1" in acc:
        return acc["macro_f1"], "now"
    rec = result.get("recorded") or {}
    if "macro_f1_mean" in rec:
        return rec["macro_f1_mean"], "export"
    for value in rec.values() if isinstance(rec, dict) else []:
        if isinstance(value, dict) and "macro_f1_mean" in value:
            return value["macro_f1_mean"], "export"
    return None, "-"


def render_table(report: dict) -> str:
    dev = report["device"]
    lines = [f"device: {dev['cpu']} ({dev['cores']} cores, {dev['arch']}, {dev['os']}, Python {dev['python']})",
             f"{'variant':<32}{'runtime':<16}{'quant':<6}{'size MB':>8}{'p50 ms':>9}{'p99 ms':>9}{'win/s':>9}"
             f"{'cold s':>8}{'RSS MB':>8}{'macro F1':>10}{'agree':>7}  F1 from"]
    for r in report["results"]:
        head = headline_latency(r)
        p50 = f"{head[1]['p50_ms']:.3f}" if head else "-"
        p99 = f"{head[1]['p99_ms']:.3f}" if head else "-"
        best_tp = max((v["windows_per_s"] for v in r.get("latency", {}).values()), default=0)
        cold = r.get("cold_start", {})
        f1, source = f1_of(r)
        agree = (r.get("accuracy") or {}).get("agreement_with_fp32")
        lines.append(f"{r['file']:<32}{r.get('backend', '-'):<16}{r.get('quantisation', '-'):<6}"
                     f"{r['size_bytes'] / 1e6:>8.2f}{p50:>9}{p99:>9}{best_tp:>9.0f}"
                     f"{cold.get('cold_start_s', float('nan')):>8.2f}{cold.get('peak_rss_mb', float('nan')):>8.1f}"
                     f"{f1 if f1 is not None else float('nan'):>10.3f}{agree if agree is not None else float('nan'):>7.3f}"
                     f"  {source}")
    lines.append("latency: batch 1, fewest threads measured; win/s: best over threads x batch; "
                 "'F1 from': now = measured on --data in this run, export = held-out score recorded in the file")
    return "\n".join(lines)


def pareto(points: list[tuple[float, float]]) -> list[int]:
    """Indices of points not beaten on both lower latency and higher F1."""
    keep = []
    for i, (lat, f1) in enumerate(points):
        if not any((l2 <= lat and f2 >= f1) and (l2 < lat or f2 > f1) for j, (l2, f2) in enumerate(points) if j != i):
            keep.append(i)
    return sorted(keep, key=lambda i: points[i][0])


def plot(reports: list[dict], path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    markers = "osD^v<>p*h"
    all_points = []
    for k, report in enumerate(reports):
        pts, labels, sizes = [], [], []
        for r in report["results"]:
            head = headline_latency(r)
            f1, _ = f1_of(r)
            if head is None or f1 is None:
                continue
            pts.append((head[1]["p50_ms"], f1))
            labels.append(r["file"])
            sizes.append(30 + 400 * (r["size_bytes"] / 45e6) ** 0.5)
        if not pts:
            continue
        xs, ys = zip(*pts)
        ax.scatter(xs, ys, s=sizes, alpha=0.6, marker=markers[k % len(markers)],
                   label=f"{report['device']['cpu'][:40]} ({report['device']['arch']})")
        for (x, y), text in zip(pts, labels):
            ax.annotate(text, (x, y), fontsize=7, xytext=(4, 4), textcoords="offset points")
        front = pareto(pts)
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "--", lw=1)
        all_points += pts
    ax.set_xscale("log")
    ax.set_xlabel("latency per window, batch 1, ms (log)")
    ax.set_ylabel("macro F1")
    ax.set_title("harnet-edge: accuracy vs latency (marker area ~ file size; dashed: Pareto front)")
    ax.grid(True, which="both", alpha=0.3)
    if all_points:
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
