"""Generic CSV / CSV.gz recordings: ``time,x,y,z[,label,subject]``.

``time`` is seconds (any origin) or an ISO date-time; a column named ``time_ms``, ``time_us`` or
``time_ns`` declares its unit. ``iter_csv_chunks`` (csv_chunks.py) streams checked blocks (replay of
multi-day recordings); ``read_csv`` collects whole recordings (training, benchmarks). Numpy only.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from .csv_chunks import CHUNK_BYTES, CsvChunk, iter_csv_chunks
from .plausibility import TIME_COLUMNS
from .recording import DataError, Recording, check_units_g

__all__ = ["CHUNK_BYTES", "CsvChunk", "csv_files", "iter_csv_chunks", "read_csv", "read_csv_files", "write_csv"]


def read_csv(path, subject: str | None = None, label: str | None = None,
             strict_units: bool = False, chunk_bytes: int = CHUNK_BYTES) -> list[Recording]:
    """One Recording per run of consecutive rows with the same subject and label, and within a run per
    restart of its time (see csv_time); ``strict_units``: m/s^2 is an error, not a warning."""
    path = Path(path)
    chunks = list(iter_csv_chunks(path, chunk_bytes, restarts=True))
    t = np.concatenate([c.t for c in chunks])
    xyz = np.concatenate([c.xyz for c in chunks])
    check_units_g(xyz, path.name, strict=strict_units)
    n = len(t)
    labels = np.concatenate([c.labels for c in chunks]) if chunks[0].labels is not None else \
        np.full(n, label if label is not None else "")
    default_subject = subject or path.name.split(".")[0]
    subjects = np.concatenate([c.subjects for c in chunks]) if chunks[0].subjects is not None else \
        np.full(n, default_subject)
    offsets = np.cumsum([0, *(len(c.t) for c in chunks[:-1])])
    edges = [*np.concatenate([c.starts + o for c, o in zip(chunks, offsets)]).tolist(), n]
    return [Recording(t[a:b], xyz[a:b], str(subjects[a]), str(labels[a]) or None,
                      source=f"{path.name}:{chunks[0].first_line + a}")
            for a, b in zip(edges[:-1], edges[1:])]


def write_csv(path, t: np.ndarray, xyz: np.ndarray, label: str | None = None, subject: str | None = None,
              time_column: str = "time") -> None:
    """Write a recording in the format ``read_csv`` reads (used for replay files and tests)."""
    path = Path(path)
    extra_header = (",label" if label is not None else "") + (",subject" if subject is not None else "")
    extra = (f",{label}" if label is not None else "") + (f",{subject}" if subject is not None else "")
    time_format = "%.6f" if TIME_COLUMNS.get(time_column, 1.0) == 1.0 else "%.0f"
    table = np.column_stack([np.asarray(t, np.float64), np.asarray(xyz, np.float64)])
    with (gzip.open(path, "wb") if path.suffix == ".gz" else open(path, "wb")) as fh:
        fh.write(f"{time_column},x,y,z{extra_header}\n".encode())
        np.savetxt(fh, table, fmt=[time_format, "%.5f", "%.5f", "%.5f"], delimiter=",",
                   footer="", comments="", newline=f"{extra}\n")


def is_csv_recording(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.name.lower().endswith((".csv", ".csv.gz"))


def csv_files(path) -> list[Path]:
    """The CSV/CSV.gz recordings at ``path`` (a file, or a folder's ``*.csv`` and ``*.csv.gz``), or a
    one-line DataError. Hidden files (a spreadsheet's ``.~lock.NAME.csv#`` while the file is open)
    and copies (``NAME.csv.bak``, ``NAME.csv~``) are not recordings."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path}: no such file or folder")
    files = sorted(p for p in path.iterdir() if is_csv_recording(p))
    if not files:
        raise DataError(f"{path}: no .csv or .csv.gz files in this folder")
    return files


def read_csv_files(path, strict_units: bool = True) -> list[Recording]:
    """Every recording of ``csv_files(path)``; for training, m/s^2 is an error (``strict_units``)."""
    return [rec for f in csv_files(path) for rec in read_csv(f, strict_units=strict_units)]
