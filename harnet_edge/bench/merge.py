"""``bench merge``: several devices side by side: one table with a column per device, and one plot
(latency vs macro F1) with a colour per device, so the same model can be followed across devices."""
from __future__ import annotations

from pathlib import Path

from .table import f1_of, headline_latency

# (row label, how to read it from one result, format)
METRICS = [
    ("p50 ms (batch 1)", lambda r: (headline_latency(r) or (None, {}))[1].get("p50_ms"), "{:.3f}"),
    ("p99 ms (batch 1)", lambda r: (headline_latency(r) or (None, {}))[1].get("p99_ms"), "{:.3f}"),
    ("windows/s (best)", lambda r: max((v["windows_per_s"] for v in r.get("latency", {}).values()), default=None), "{:.0f}"),
    ("cold start s", lambda r: r.get("cold_start", {}).get("cold_start_s"), "{:.2f}"),
    ("peak RSS MB", lambda r: r.get("cold_start", {}).get("peak_rss_mb"), "{:.1f}"),
    ("macro F1", lambda r: f1_of(r)[0], "{:.3f}"),
]


def device_names(paths: list[Path]) -> list[str]:
    """A short column name per file: its stem (laptop.json -> laptop), or its folder where stems repeat
    (runs/pi/bench.json -> pi); a number is added where both repeat."""
    stems = [p.stem for p in paths]
    names = [p.stem if stems.count(p.stem) == 1 else (p.parent.name or p.stem) for p in paths]
    return [n if names.count(n) == 1 else f"{n}-{i + 1}" for i, n in enumerate(names)]


def variant_key(result: dict) -> str:
    return result["file"]


def side_by_side(reports: list[dict], names: list[str]) -> str:
    variants: list[str] = []
    for report in reports:
        for r in report["results"]:
            if variant_key(r) not in variants:
                variants.append(variant_key(r))
    lookup = [{variant_key(r): r for r in report["results"]} for report in reports]
    width = max(10, *(len(n) + 2 for n in names))
    first = max(len("variant"), *(len(v) for v in variants)) + 2
    lines = [f"{'variant':<{first}}{'metric':<20}" + "".join(f"{n:>{width}}" for n in names)]
    for variant in variants:
        for label, read, fmt in METRICS:
            cells = []
            for per_device in lookup:
                value = read(per_device[variant]) if variant in per_device else None
                cells.append(fmt.format(value) if value is not None else "-")
            lines.append(f"{variant:<{first}}{label:<20}" + "".join(f"{c:>{width}}" for c in cells))
    lines.append("devices:")
    for name, report in zip(names, reports):
        dev = report["device"]
        lines.append(f"  {name}: {dev['cpu']} ({dev['cores']} cores, {dev['arch']}, {dev['os']}, "
                     f"Python {dev['python']})")
    lines.append("'-': not measured on that device; latency: batch 1, fewest threads measured")
    return "\n".join(lines)


def plot_side_by_side(reports: list[dict], names: list[str], path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    colours = plt.get_cmap("tab10").colors
    for k, (name, report) in enumerate(zip(names, reports)):
        points = []
        for r in report["results"]:
            head, (f1, _) = headline_latency(r), f1_of(r)
            if head is not None and f1 is not None:
                points.append((head[1]["p50_ms"], f1, r["file"]))
        if not points:
            continue
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=60, color=colours[k % 10],
                   label=f"{name}: {report['device']['cpu'][:32]} ({report['device']['arch']})")
        for x, y, text in points:
            ax.annotate(text, (x, y), fontsize=7, xytext=(4, 4), textcoords="offset points", color=colours[k % 10])
    ax.set_xscale("log")
    ax.set_xlabel("latency per window, batch 1, ms (log)")
    ax.set_ylabel("macro F1")
    ax.set_title("harnet-edge bench merge: the same models on several devices (colour = device)")
    ax.grid(True, which="both", alpha=0.3)
    if ax.collections:
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
