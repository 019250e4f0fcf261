"""Generic CSV / CSV.gz recordings: ``time,x,y,z[,label,subject]``.

``time`` is seconds (any origin) or an ISO date-time; the sample rate is taken from the
timestamps (median interval, so jitter does not matter). Used for users' own recordings and by
the streaming runtime's replay source, so numpy only.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from .recording import DataError, Recording, check_units_g


def open_text(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path, "rt")


def parse_times(values: list[str], source: str) -> np.ndarray:
    """Seconds as float64. Numbers are taken as seconds; date-times as seconds from the first."""
    try:
        return np.asarray(values, dtype=np.float64)
    except ValueError:
        pass
    try:
        stamps = np.asarray([v.strip().replace(" ", "T", 1) for v in values], dtype="datetime64[us]")
    except ValueError:
        raise DataError(f"{source}: time column is neither seconds nor ISO date-times "
                        f"(first value {values[0]!r})") from None
    return (stamps - stamps[0]).astype(np.int64) / 1e6


def read_csv_rows(path) -> tuple[list[str], list[list[str]]]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    try:
        with open_text(path) as fh:
            lines = [ln for ln in fh.read().splitlines() if ln.strip()]
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name}: cannot read ({exc})") from None
    if not lines:
        raise DataError(f"{path.name}: empty file")
    header = [h.strip().lower() for h in lines[0].split(",")]
    return header, [ln.split(",") for ln in lines[1:]]


def read_csv(path, subject: str | None = None, label: str | None = None,
             strict_units: bool = False) -> list[Recording]:
    """One Recording per (subject, label) run of consecutive rows."""
    path = Path(path)
    header, rows = read_csv_rows(path)
    missing = [c for c in ("time", "x", "y", "z") if c not in header]
    if missing:
        raise DataError(f"{path.name}: header must name time,x,y,z[,label,subject]; missing {missing}")
    col = {name: header.index(name) for name in header}
    if any(len(r) != len(header) for r in rows):
        bad = next(i for i, r in enumerate(rows) if len(r) != len(header))
        raise DataError(f"{path.name}: line {bad + 2} has {len(rows[bad])} fields, header has {len(header)}")
    if len(rows) < 2:
        raise DataError(f"{path.name}: fewer than two samples")
    t = parse_times([r[col["time"]] for r in rows], path.name)
    try:
        xyz = np.asarray([[r[col["x"]], r[col["y"]], r[col["z"]]] for r in rows], dtype=np.float32)
    except ValueError:
        raise DataError(f"{path.name}: x/y/z values must be numbers") from None
    if np.any(np.diff(t) <= 0):
        bad = int(np.argmax(np.diff(t) <= 0))
        raise DataError(f"{path.name}: timestamps not strictly increasing at line {bad + 3}")
    check_units_g(xyz, path.name, strict=strict_units)
    labels = [r[col["label"]].strip() for r in rows] if "label" in col else [label] * len(rows)
    subjects = [r[col["subject"]].strip() for r in rows] if "subject" in col else \
        [subject or path.name.split(".")[0]] * len(rows)
    recordings, start = [], 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or labels[i] != labels[start] or subjects[i] != subjects[start]:
            recordings.append(Recording(t[start:i], xyz[start:i], subjects[start], labels[start] or None,
                                        source=f"{path.name}:{start + 2}"))
            start = i
    return recordings


def write_csv(path, t: np.ndarray, xyz: np.ndarray, label: str | None = None, subject: str | None = None) -> None:
    """Write a recording in the format ``read_csv`` reads (used for replay files and tests)."""
    path = Path(path)
    extra_header = (",label" if label is not None else "") + (",subject" if subject is not None else "")
    extra = (f",{label}" if label is not None else "") + (f",{subject}" if subject is not None else "")
    with (gzip.open(path, "wt") if path.suffix == ".gz" else open(path, "w")) as fh:
        fh.write(f"time,x,y,z{extra_header}\n")
        for ti, (x, y, z) in zip(t, xyz):
            fh.write(f"{ti:.4f},{x:.5f},{y:.5f},{z:.5f}{extra}\n")
