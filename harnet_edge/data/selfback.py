"""selfBACK wrist (Sani et al. 2016/2017): Axivity AX3, 100 Hz, g, ``w/<activity>/<subject>.csv.gz``."""
from __future__ import annotations

from pathlib import Path

from .csv_file import read_csv
from .recording import DataError, Recording

RATE_HZ = 100.0
CLASSES = ("walk_slow", "walk_mod", "walk_fast", "upstairs", "downstairs", "jogging",
           "sitting", "standing", "lying")
CITATION = ("S. Sani, N. Wiratunga, S. Massie, K. Cooper. SELFBACK - Activity Recognition for "
            "Self-management of Low Back Pain. SGAI 2016. doi:10.1007/978-3-319-47175-4_21; "
            "UCI Machine Learning Repository: selfBACK (CC BY 4.0)")


def read_selfback_wrist(root, classes=CLASSES, subjects=None) -> list[Recording]:
    root = Path(root)
    folder = root / "w" if (root / "w").is_dir() else root
    if not folder.is_dir():
        raise DataError(f"selfBACK wrist folder not found: {root}")
    recordings = []
    for activity in classes:
        for path in sorted((folder / activity).glob("*.csv.gz")):
            subject = path.name.split(".")[0]
            if subjects is not None and subject not in subjects:
                continue
            for rec in read_csv(path, subject=subject, label=activity):
                rec.nominal_rate_hz = RATE_HZ
                recordings.append(rec)
    if not recordings:
        raise DataError(f"no selfBACK files for classes={classes} under {folder}")
    return recordings
