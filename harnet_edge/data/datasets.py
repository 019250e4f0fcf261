"""Where the real datasets are, and the named benchmark sets built from them."""
from __future__ import annotations

import os
from pathlib import Path

from . import hmp_adl, selfback
from .recording import DataError
from .windows import WindowSet, make_windows

ENV_VAR = "HARNET_EDGE_DATASETS"


def datasets_root(required: bool = True) -> Path | None:
    """``$HARNET_EDGE_DATASETS``, else ``../shared/datasets`` beside the working directory or the repo."""
    candidates = []
    if os.environ.get(ENV_VAR):
        candidates.append(Path(os.environ[ENV_VAR]))
    here = Path(__file__).resolve()
    candidates += [Path.cwd() / ".." / "shared" / "datasets", here.parents[2] / ".." / "shared" / "datasets"]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    if required:
        raise DataError(f"datasets folder not found; set {ENV_VAR} or place ../shared/datasets beside the project")
    return None


# name -> (reader, folder, windowing defaults: window_s, hop_s, mode)
BENCHMARKS = {
    # The HARNet paper's ADL set: 10 s windows, 5 s overlap, each window resized to 300 samples.
    # Paper mode has no anti-aliasing filter (as the paper's scripts); harmless here, since HMP is
    # sampled at 32 Hz and holds almost nothing above 15 Hz, but not a choice for 50-100 Hz data.
    "adl": dict(reader=lambda root: hmp_adl.read_hmp_adl(root / "hmp_adl"), window_s=10.0, hop_s=5.0,
                mode="paper", classes=hmp_adl.PAPER_CLASSES, cv="loso"),
    # selfBACK wrist: 9 classes, 33 subjects; non-overlapping windows, grouped 5-fold by subject.
    "selfback": dict(reader=lambda root: selfback.read_selfback_wrist(root / "selfback_wrist"), window_s=10.0,
                     hop_s=10.0, mode="resample", classes=selfback.CLASSES, cv="group5"),
}


def load_benchmark(name: str, root: Path | None = None, window_s: float | None = None,
                   hop_s: float | None = None, mode: str | None = None) -> WindowSet:
    if name not in BENCHMARKS:
        raise DataError(f"unknown dataset {name!r}; choose one of {sorted(BENCHMARKS)}")
    spec = BENCHMARKS[name]
    root = root or datasets_root()
    recordings = spec["reader"](Path(root))
    windows = make_windows(recordings, window_s or spec["window_s"], hop_s or spec["hop_s"], mode or spec["mode"])
    windows.stats.update(dataset=name, classes=list(spec["classes"]), cv=spec["cv"])
    return windows
