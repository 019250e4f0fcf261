"""Where a CSV's time axis may go back: which rows start a new recording, which are an error.

Public datasets restart or reorder time per activity and per trial, so for training a file is cut
into runs (consecutive rows with the same subject and label) and time need only increase within a
run. Inside a run, time going back to or before the run's current recording's first time starts a
new recording (the next trial of the same activity, its clock restarted); any other step back, or a
repeated time, is an error naming the line. A live replay is one device's clock: no restarts at all.
"""
from __future__ import annotations

import numpy as np

from .recording import DataError


class BadRow(DataError):
    """A row that stops the file; ``row``: its index in the block (the rows before it are good)."""

    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.row = row


class TimeAxis:
    """The time column of one file, checked a block at a time; state carries across blocks."""

    def __init__(self, name: str, restarts: bool):
        self.name = name
        self.restarts = restarts          # False: one clock for the whole file (a replayed device)
        self.last_t = -np.inf
        self.last_keys: list | None = None
        self.start_t, self.start_line = -np.inf, 2    # first time and line of the current recording

    def check(self, t: np.ndarray, keys: list[np.ndarray], first_line: int) -> np.ndarray:
        """Indices (in this block) of the rows that start a recording; BadRow on a bad step.
        ``keys``: the subject and label columns present (a change of either starts a run)."""
        if not np.isfinite(t).all():
            at = int(np.argmax(~np.isfinite(t)))
            raise BadRow(at, f"{self.name}: timestamps not strictly increasing at line {first_line + at}")
        steps = np.diff(np.concatenate([[self.last_t], t]))
        new_run = np.zeros(len(t), bool)
        for column, key in enumerate(keys):
            previous = key[0] if self.last_keys is None else self.last_keys[column]
            new_run |= key != np.concatenate([[previous], key[:-1]])
        if self.last_keys is None:
            new_run[0] = True                 # the file's first row starts its first recording
        starts = []
        start_t, start_line = self.start_t, self.start_line
        for i in np.flatnonzero(new_run | (steps <= 0)).tolist():   # few: one per run or recording
            line = first_line + i
            restart = self.restarts and (new_run[i] or t[i] <= start_t)
            if steps[i] <= 0 and not restart:
                if steps[i] == 0:
                    raise BadRow(i, f"{self.name}: timestamps not strictly increasing at line {line} "
                                    f"(same time as line {line - 1})")
                raise BadRow(i, self._backwards(line, -float(steps[i]), start_line, bool(new_run[i])))
            starts.append(i)
            start_t, start_line = float(t[i]), line
        self.last_t = float(t[-1])
        self.last_keys = [key[-1] for key in keys]
        self.start_t, self.start_line = start_t, start_line
        return np.asarray(starts, dtype=np.int64)

    def _backwards(self, line: int, back: float, start_line: int, new_run: bool) -> str:
        text = (f"{self.name}: timestamps not strictly increasing at line {line} ({back:.4g} s before line "
                f"{line - 1}; a clock reset or daylight-saving change? write UTC or seconds")
        if self.restarts:
            text += (f"; time may restart only with a new subject or label, or at or before the first time "
                     f"of the recording that began at line {start_line}")
        elif new_run:
            text += "; a replay is one device's clock: time may not restart at a new subject or label"
        return text + ")"
