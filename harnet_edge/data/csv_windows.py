"""A user's CSV file or folder as model windows (training, pretraining, export), refused in one line
when training could not use it: m/s^2, no labels, no window long enough."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .csv_file import read_csv_files
from .recording import DataError, Recording
from .windows import WindowSet, make_windows


def csv_windows(path, window_s: float, hop_s: float | None = None, mode: str | None = None,
                labelled: bool = True, recordings: list[Recording] | None = None) -> WindowSet:
    """Windows of every CSV at ``path``; ``labelled``: keep only labelled windows and refuse a file
    without labels (fine-tuning, export), else labels are ignored (pretraining)."""
    path = Path(path)
    recordings = read_csv_files(path) if recordings is None else recordings
    windows = make_windows(recordings, window_s, hop_s or window_s, mode or "resample")
    if len(windows) == 0:
        longest = max(r.duration_s for r in recordings)
        raise DataError(f"{path.name}: no {window_s:g} s window fits in any recording (the longest run of one "
                        f"subject and label lasts {longest:.1f} s)")
    unlabelled = windows.labels == ""
    if labelled:
        if unlabelled.all():
            raise DataError(f"{path.name}: no labelled windows; training needs a label column "
                            f"(time,x,y,z,label,subject)")
        windows = windows.subset(~unlabelled)
    # The protocol when --cv is not given: grouped 5-fold as selfBACK, or leave-one-subject-out when
    # fewer than 5 subjects (fewer than 3 is refused by the training command, naming --cv none).
    n_subjects = len(set(windows.subjects.tolist()))
    windows.stats.update(dataset=str(path), classes=sorted(set(windows.labels.tolist()) - {""}),
                         cv="group5" if n_subjects >= 5 else "loso",
                         unlabelled_windows_left_out=int(unlabelled.sum()) if labelled else 0)
    return windows
