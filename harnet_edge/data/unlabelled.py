"""Unlabelled windows of several datasets minus some people: SSL pretraining and distillation's
transfer set. Subjects are ``<source>:<id>`` keys (provenance.py), so ids never collide across
datasets and a person excluded under one dataset name is excluded under the other too."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .hmp_adl import read_hmp_adl
from .provenance import PRETRAIN_DATASETS, subject_key
from .recording import DataError
from .selfback import read_selfback_wrist
from .windows import WindowSet, make_windows

READERS = {"adl-all": lambda root: read_hmp_adl(root / "hmp_adl", classes=None, subjects=None),
           "selfback": lambda root: read_selfback_wrist(root / "selfback_wrist")}


def unlabelled_windows(datasets: list[str], root: Path, window_s: float, hop_s: float,
                       exclude: set[str] = frozenset(), log=print) -> tuple[WindowSet, dict]:
    """Windows (labels dropped, subjects as keys) and the record of what went in."""
    parts, kept, dropped = [], set(), set()
    for name in datasets:
        if name not in READERS:
            raise DataError(f"unknown unlabelled dataset {name!r}; choose from {', '.join(PRETRAIN_DATASETS)}")
        recordings = [r for r in READERS[name](Path(root))]
        for r in recordings:
            r.subject = subject_key(name, r.subject)
        dropped |= {r.subject for r in recordings if r.subject in exclude}
        recordings = [r for r in recordings if r.subject not in exclude]
        kept |= {r.subject for r in recordings}
        windows = make_windows(recordings, window_s, hop_s)
        log(f"{name}: {len(windows)} windows of {len({r.subject for r in recordings})} subjects "
            f"({len([s for s in dropped if s.startswith(subject_key(name, ''))])} excluded)")
        parts.append(windows)
    if not parts or sum(len(p) for p in parts) == 0:
        raise DataError("no unlabelled windows left after the exclusions")
    windows = WindowSet(np.concatenate([p.x for p in parts]), np.full(sum(map(len, parts)), "", dtype=str),
                        np.concatenate([p.subjects for p in parts]), np.concatenate([p.start_s for p in parts]),
                        np.full(sum(map(len, parts)), -1), {"window_s": window_s, "hop_s": hop_s})
    record = {"datasets": list(datasets), "subjects": sorted(kept), "excluded_subjects": sorted(dropped),
              "windows": len(windows)}
    return windows, record
