"""What a folder of CSV recordings holds, and what would make training refuse it (``harnet-edge data``)."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .csv_chunks import open_binary
from .csv_file import csv_files, read_csv
from .plausibility import TIME_COLUMNS
from .recording import units_problem
from .windows import make_windows

UNIT_NAMES = {"time": "seconds", "time_s": "seconds", "time_ms": "milliseconds", "time_us": "microseconds",
              "time_ns": "nanoseconds"}


def summarise_csv(path, window_s: float = 10.0, hop_s: float | None = None, mode: str = "resample") -> dict:
    """Per file: rows, recordings, time unit, rate, acceleration units; overall: subjects, labels, runs,
    windows per class and subject, and ``refusals`` (why finetune/export/pretrain would stop)."""
    path = Path(path)
    files, recordings, refusals = [], [], []
    for f in csv_files(path):
        with warnings.catch_warnings():          # units are reported below, not warned about
            warnings.simplefilter("ignore", UserWarning)
            recs = read_csv(f)
        xyz = np.concatenate([r.xyz for r in recs])
        problem = units_problem(xyz)
        rates = [r.rate_hz for r in recs if len(r.t) > 1]
        runs = 1 + sum((a.subject, a.label) != (b.subject, b.label) for a, b in zip(recs[:-1], recs[1:]))
        files.append({"file": f.name, "rows": len(xyz), "runs": runs, "recordings": len(recs),
                      "time": time_unit(f), "rate_hz": round(float(np.median(rates)), 2) if rates else None,
                      "units": "g" if problem is None else problem[0]})
        if problem and problem[0] == "m/s^2":
            refusals.append(f"{f.name}: {problem[1]}")
        elif problem:
            files[-1]["warning"] = problem[1]
        recordings += recs
    windows = make_windows(recordings, window_s, hop_s or window_s, mode)
    labelled = windows.labels != ""
    subjects = sorted({r.subject for r in recordings})
    window_subjects = sorted(set(windows.subjects[labelled].tolist()))
    if len(windows) == 0:
        refusals.append(f"no {window_s:g} s window fits in any recording")
    elif not labelled.any():
        refusals.append("no labelled windows: finetune and export need a label column (pretrain does not)")
    elif len(window_subjects) < 3:
        refusals.append(f"{len(window_subjects)} subject(s) with labelled windows: cross-validation needs 3 "
                        f"(finetune --cv none trains without a score; export needs 2)")
    return {"path": str(path), "files": files, "subjects": subjects,
            "labels": sorted({r.label for r in recordings if r.label}),
            "runs": sum(f["runs"] for f in files), "recordings": len(recordings), "windows": len(windows),
            "unlabelled_windows": int((~labelled).sum()),
            "windows_dropped_for_gaps": windows.stats["windows_dropped_for_gaps"],
            "per_class": windows.subset(labelled).counts("labels"), "per_subject": windows.counts("subjects"),
            "window_s": window_s, "hop_s": hop_s or window_s, "mode": mode, "refusals": refusals}


def time_unit(path: Path) -> str:
    """How the file writes time: the unit its time column declares, or ISO date-times."""
    with open_binary(path) as fh:
        header = [h.strip().strip('"\'').strip().lower() for h in fh.readline().decode("utf-8-sig").split(",")]
        first = fh.readline().decode("utf-8", "replace").split(",")
    column = next(h for h in header if h in TIME_COLUMNS)
    try:
        float(first[header.index(column)])
    except (ValueError, IndexError):
        return "ISO date-times"
    return UNIT_NAMES[column]
