"""``harnet-edge bench``: every model variant measured the same way on this device; ``bench merge``
puts several devices side by side."""
from __future__ import annotations

import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("bench", help="accuracy vs latency, size and memory of model variants on this device "
                                     "(harnet-edge bench merge A.json B.json: several devices)")
    p.add_argument("models", nargs="*", type=Path,
                   help="model files or folders (.onnx, .tflite, .safetensors for the PyTorch reference); "
                        "default: the built-in models. 'merge' followed by JSON files merges results")
    p.add_argument("--data", help="labelled data for accuracy: adl, selfback, or a CSV file/folder")
    p.add_argument("--root", type=Path)
    p.add_argument("--subjects", help="comma list of subjects to score on (default: all)")
    p.add_argument("--max-windows", type=int, default=1000, help="cap on windows scored for accuracy")
    p.add_argument("--threads", default="1,2,all", help="thread settings, e.g. 1,2,all")
    p.add_argument("--batch", default="1,64", help="batch sizes: 1 (live) and a large one (offline)")
    p.add_argument("--seconds", type=float, default=1.0, help="time budget per latency measurement")
    p.add_argument("--out", type=Path, default=Path("runs/bench"))
    p.set_defaults(func=run)


def load_data(args, classes_hint=None):
    import numpy as np

    from ..data import load_benchmark
    from ..data.datasets import BENCHMARKS

    if args.data in BENCHMARKS:
        windows = load_benchmark(args.data, root=args.root)
        classes = list(windows.stats["classes"])
    else:
        from ..data import make_windows, read_csv
        from ..data.csv_file import csv_files

        path = Path(args.data)
        files = csv_files(path)
        windows = make_windows([r for f in files for r in read_csv(f)], 10, 10)
        if not any(windows.labels.tolist()):
            from ..errors import HarnetEdgeError
            raise HarnetEdgeError(f"{path.name} has no labelled windows (add a label column: time,x,y,z,label); "
                                  f"accuracy needs labels")
        classes = classes_hint or sorted(set(windows.labels.tolist()))
    if args.subjects:
        windows = windows.subset(np.isin(windows.subjects, args.subjects.split(",")))
    idx = np.random.default_rng(0).permutation(len(windows))[:args.max_windows]
    windows = windows.subset(np.sort(idx))
    lookup = {c: i for i, c in enumerate(classes)}
    keep = np.array([label in lookup for label in windows.labels])
    windows = windows.subset(keep)
    y = np.array([lookup[label] for label in windows.labels])
    note = f"{args.data}, {len(y)} windows, subjects {','.join(sorted(set(windows.subjects.tolist())))}"
    return (windows.x, y, classes), note


def run(args) -> int:
    from ..bench.measure import thread_settings
    from ..bench.run import run_bench
    from ..bench.table import render_table

    if args.models and str(args.models[0]) == "merge":
        reports = [load_report(p) for p in args.models[1:]]
        if not reports:
            from ..errors import HarnetEdgeError
            raise HarnetEdgeError("bench merge needs result files: harnet-edge bench merge A.json B.json")
        args.out.mkdir(parents=True, exist_ok=True)
        return merge(reports, args.models[1:], args.out)
    models = args.models
    if not models:
        from ..runtime.defaults import default_models

        models = default_models()
        print("built-in default models; accuracy 'export' = held-out (subject-wise) score recorded at export, "
              "'now' = measured in this run on --data")
    data, note = (None, "")
    if args.data:
        data, note = load_data(args)
    report = run_bench(list(models), args.out, thread_settings(args.threads),
                       [int(b) for b in args.batch.split(",")], args.seconds, data, note)
    print(render_table(report))
    print(f"results: {args.out / 'bench.json'}")
    print(f"plot: {plot_or_hint([report], args.out / 'bench.png')}")
    return 0


def merge(reports: list[dict], paths: list[Path], out: Path) -> int:
    """Devices side by side: one table (a column per device), one plot (a colour per device)."""
    from ..bench.merge import device_names, plot_side_by_side, side_by_side

    names = device_names(paths)
    print(side_by_side(reports, names))
    (out / "merged.json").write_text(json.dumps(reports, indent=2))
    print(f"plot: {plot_or_hint(reports, out / 'merged.png', lambda r, p: plot_side_by_side(r, names, p))}")
    return 0


def load_report(path: Path) -> dict:
    """A bench.json written by ``harnet-edge bench``, or a one-line error naming the file."""
    from ..errors import HarnetEdgeError

    if not path.is_file():
        raise HarnetEdgeError(f"bench merge: {path}: {'is a directory' if path.is_dir() else 'no such file'}")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarnetEdgeError(f"bench merge: {path}: not JSON ({exc})") from None
    if not (isinstance(report, dict) and isinstance(report.get("device"), dict)
            and isinstance(report.get("results"), list)):
        raise HarnetEdgeError(f"bench merge: {path}: not a result of harnet-edge bench "
                              "(expected an object with 'device' and 'results')")
    return report


def plot_or_hint(reports, path, draw=None) -> str:
    """The device side has no matplotlib by default: the table and JSON still count, the picture
    can be drawn later, anywhere, with ``bench merge``."""
    from ..bench.table import plot

    try:
        return str((draw or plot)(reports, path))
    except ModuleNotFoundError:
        return "skipped (matplotlib not installed: pip install 'harnet-edge[plot]', or run bench merge elsewhere)"
