"""Reading CSV / CSV.gz recordings a block of bytes at a time, each block checked before it is used.

numpy's C reader parses every block, so memory is bounded by the block, not the file (a week at
100 Hz is 2 GB of text). Checks per block: fields, numbers, NaN, time that only goes forward (or
restarts where ``csv_time`` allows a new recording), and a sample rate HARNet can use
(``plausibility``). Numpy only (the streaming runtime replays with it).
"""
from __future__ import annotations

import gzip
import io
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .csv_time import BadRow, TimeAxis
from .plausibility import TIME_COLUMNS, check_rate
from .recording import DataError

CHUNK_BYTES = 4 << 20


@dataclass
class CsvChunk:
    t: np.ndarray                   # seconds, float64
    xyz: np.ndarray                 # (n, 3) float32, g
    labels: np.ndarray | None       # (n,) str, or None when the file has no label column
    subjects: np.ndarray | None
    first_line: int                 # file line number of the first row
    starts: np.ndarray              # rows (in this chunk) that start a recording (csv_time.TimeAxis)


def open_binary(path: Path):
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def iter_csv_chunks(path, chunk_bytes: int = CHUNK_BYTES, restarts: bool = False) -> Iterator[CsvChunk]:
    """Checked chunks of a CSV recording, in file order; DataError (one line) on the first problem.
    ``restarts``: time may restart per run and recording (training data), not only go forward (a replay)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    reader = _ChunkParser(path.name, restarts)
    try:
        with open_binary(path) as fh:
            reader.header(fh.readline())
            leftover = b""
            while True:
                block = fh.read(chunk_bytes)
                if not block:
                    break
                block = leftover + block
                cut = block.rfind(b"\n") + 1
                leftover = block[cut:]
                if cut:
                    chunk = reader.parse(block[:cut])
                    if chunk is not None:
                        yield chunk
                    reader.raise_pending()
            if leftover.strip():
                chunk = reader.parse(leftover + b"\n")
                if chunk is not None:
                    yield chunk
                reader.raise_pending()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path.name}: cannot read ({exc})") from None
    if reader.rows < 2:
        raise DataError(f"{path.name}: fewer than two samples")


class _ChunkParser:
    def __init__(self, name: str, restarts: bool = False):
        self.name = name
        self.line = 2                      # file line of the next row
        self.rows = 0
        self.time_axis = TimeAxis(name, restarts)
        self.origin: np.datetime64 | None = None   # ISO times: seconds from the first stamp
        self.rate_checked = False
        self.pending: DataError | None = None     # a bad row found after good ones in the same block

    def header(self, raw: bytes) -> None:
        try:
            text = raw.decode("utf-8-sig").strip()          # -sig: Excel's "CSV UTF-8" starts with a BOM
        except UnicodeDecodeError:
            raise DataError(f"{self.name}: cannot read (header is not text)") from None
        if not text:
            raise DataError(f"{self.name}: empty file")
        for separator, name in ((";", "';'"), ("\t", "tabs")):
            if "," not in text and separator in text:
                raise DataError(f"{self.name}: fields are separated by {name}; harnet-edge reads comma-separated "
                                f"CSV with '.' decimals (header time,x,y,z)")
        header = [h.strip().strip('"\'').strip().lower() for h in text.split(",")]   # R quotes its header
        time_col = next((h for h in header if h in TIME_COLUMNS), None)
        missing = [c for c in ("x", "y", "z") if c not in header] + ([] if time_col else ["time"])
        if missing:
            raise DataError(f"{self.name}: header must name time,x,y,z[,label,subject]; missing {missing}")
        self.n_fields = len(header)
        self.time_index, self.time_scale = header.index(time_col), TIME_COLUMNS[time_col]
        self.xyz_index = [header.index(c) for c in ("x", "y", "z")]
        self.label_index = header.index("label") if "label" in header else None
        self.subject_index = header.index("subject") if "subject" in header else None
        self.iso = None                    # decided on the first row

    def parse(self, body: bytes) -> CsvChunk | None:
        first_line = self.line
        self.line += body.count(b"\n")
        if not body.strip():
            return None
        if self.iso is None:
            first = body.lstrip().split(b"\n", 1)[0].split(b",")[self.time_index].strip()
            try:
                float(first)
                self.iso = False
            except ValueError:
                self.iso = True
        table = self._numbers(body, first_line)
        if self.iso:
            t = self._iso_seconds(self._strings(body, self.time_index, first_line), first_line)
        else:
            t = table[:, self.time_index].astype(np.float64) * self.time_scale
        xyz = table[:, self.xyz_index].astype(np.float32)
        labels = self._strings(body, self.label_index, first_line) if self.label_index is not None else None
        subjects = self._strings(body, self.subject_index, first_line) if self.subject_index is not None else None
        try:
            starts = self._check(t, xyz, [k for k in (subjects, labels) if k is not None], first_line)
        except BadRow as exc:
            if exc.row == 0:
                raise DataError(str(exc)) from None
            # The good rows before the bad one are still used (a replay classifies them) and then the
            # error is raised: a week-long file with a clock reset on day 5 keeps days 1-4.
            self.pending = DataError(str(exc))
            keep = slice(0, exc.row)
            t, xyz = t[keep], xyz[keep]
            labels = labels[keep] if labels is not None else None
            subjects = subjects[keep] if subjects is not None else None
            try:
                starts = self._check(t, xyz, [k[keep] for k in (subjects, labels) if k is not None], first_line)
            except DataError:                  # a head too short to judge: the bad row is the news
                raise self.pending from None
        self.rows += len(t)
        return CsvChunk(t, xyz, labels, subjects, first_line, starts)

    def raise_pending(self) -> None:
        if self.pending is not None:
            raise self.pending

    def _numbers(self, body: bytes, first_line: int) -> np.ndarray:
        numeric = sorted({*self.xyz_index, *([] if self.iso else [self.time_index])})
        try:
            table = np.loadtxt(io.BytesIO(body), delimiter=",", dtype=np.float64, usecols=numeric, ndmin=2)
        except ValueError:
            self._explain(body, first_line, numeric)
            raise DataError(f"{self.name}: unreadable rows from line {first_line}") from None
        if body.count(b",") != (self.n_fields - 1) * len(table):    # numpy ignores surplus fields
            self._explain(body, first_line, numeric)
        out = np.empty((len(table), self.n_fields))
        out[:, numeric] = table
        return out

    def _strings(self, body: bytes, column: int, first_line: int) -> np.ndarray:
        try:
            values = np.loadtxt(io.BytesIO(body), delimiter=",", dtype=str, usecols=[column], ndmin=1,
                                comments=None, encoding="utf-8")
        except (ValueError, UnicodeDecodeError):
            self._explain(body, first_line, [])
            raise DataError(f"{self.name}: unreadable rows from line {first_line}") from None
        return np.char.strip(values)

    def _explain(self, body: bytes, first_line: int, numeric: list[int]) -> None:
        """Slow path, only after numpy refused a block: find the first bad line and say what is wrong."""
        for offset, raw in enumerate(body.split(b"\n")):
            if not raw.strip():
                continue
            fields = raw.split(b",")
            if len(fields) != self.n_fields:
                raise DataError(f"{self.name}: line {first_line + offset} has {len(fields)} fields, "
                                f"header has {self.n_fields}")
            bad = next((i for i in numeric if not _is_number(fields[i])), None)
            if bad is not None:
                what = "x/y/z values" if bad in self.xyz_index else "time values"
                raise DataError(f"{self.name}: {what} must be numbers (line {first_line + offset})")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise DataError(f"{self.name}: line {first_line + offset} is not UTF-8 text") from None

    def _iso_seconds(self, values: np.ndarray, first_line: int) -> np.ndarray:
        try:
            with warnings.catch_warnings():
                # A UTC offset (+02:00, Z) is applied (times become UTC, so a daylight-saving change is no
                # jump); numpy warns that it keeps no zone, which is what we want here.
                warnings.simplefilter("ignore", UserWarning)
                stamps = np.char.replace(values, " ", "T").astype("datetime64[us]")
        except ValueError:
            raise DataError(f"{self.name}: time column is neither seconds nor ISO date-times "
                            f"(line {first_line}: {values[0]!r})") from None
        if self.origin is None:
            self.origin = stamps[0]
        return (stamps - self.origin).astype(np.int64) / 1e6

    def _check(self, t: np.ndarray, xyz: np.ndarray, keys: list[np.ndarray], first_line: int) -> np.ndarray:
        bad = ~np.isfinite(xyz).all(axis=1)
        if bad.any():
            raise BadRow(int(np.argmax(bad)), f"{self.name}: {int(bad.sum())} samples are NaN or infinite "
                         f"(first at line {first_line + int(np.argmax(bad))})")
        starts = self.time_axis.check(t, keys, first_line)
        if len(t) >= 2:
            # Before any window: a unit mistake (ms, us) or a rate HARNet cannot use stops here.
            check_rate(t, f"{self.name} (from line {first_line})", first_time=None if self.iso else float(t[0]))
        return starts


def _is_number(field: bytes) -> bool:
    try:
        float(field)
        return True
    except ValueError:
        return False
