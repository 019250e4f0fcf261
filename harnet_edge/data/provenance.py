"""Which people a model has seen: subject ids that mean the same person across dataset names.

HMP "adl" (the paper's 7-volunteer benchmark) and "adl-all" (all 16 volunteers, 14 activities) are
two selections of the same trial files, and the volunteer id comes from the file name in both
(``...-walk-f1.txt``; the dataset's MANUAL.txt: one id ``gN`` per volunteer for the whole dataset).
So ``f1`` is the same person in both, and a key is ``<source>:<id>`` with the source shared by the
two names. selfBACK (Robert Gordon University, 2016) and HMP (University of Genova, 2011) are
different studies, so their ids never name the same person.
"""
from __future__ import annotations

from pathlib import Path

from . import hmp_adl, selfback
from .recording import DataError

# dataset name -> the recordings (people) it is a selection of
SOURCE_OF = {"adl": "hmp_adl", "adl-all": "hmp_adl", "selfback": "selfback"}
PRETRAIN_DATASETS = ("adl-all", "selfback")


def source_of(dataset: str) -> str:
    """Benchmarks map to their recordings; anything else (a CSV path) is its own source."""
    return SOURCE_OF.get(dataset, dataset)


def subject_key(dataset: str, subject: str) -> str:
    return f"{source_of(dataset)}:{subject}"


def benchmark_subjects(name: str, root: Path) -> list[str]:
    """Subject ids of a named benchmark, from file names only (no data read)."""
    root = Path(root)
    if name == "adl":
        present = {hmp_adl.parse_name(p)[1] for p in (root / "hmp_adl").glob("*/Accelerometer-*.txt")}
        return sorted(present & set(hmp_adl.PAPER_SUBJECTS))
    if name == "adl-all":
        return sorted({hmp_adl.parse_name(p)[1] for p in (root / "hmp_adl").glob("*/Accelerometer-*.txt")})
    if name == "selfback":
        folder = root / "selfback_wrist" / "w"
        return sorted({p.name.split(".")[0] for p in folder.glob("*/*.csv.gz")})
    raise DataError(f"--exclude-subjects-of takes benchmark names ({', '.join(sorted(SOURCE_OF))}); got {name!r}")


def excluded_keys(benchmarks: list[str], root: Path) -> set[str]:
    keys = set()
    for name in benchmarks:
        subjects = benchmark_subjects(name, root)
        if not subjects:
            raise DataError(f"no subjects of {name!r} found under {root}; cannot exclude them")
        keys |= {subject_key(name, s) for s in subjects}
    return keys


def parse_names(value: str | None, allowed=None, flag: str = "--data") -> list[str]:
    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    bad = [n for n in names if allowed is not None and n not in allowed]
    if bad:
        raise DataError(f"{flag}: unknown dataset {bad[0]!r}; choose from {', '.join(allowed)}")
    return names


def seen_by(meta: dict | None) -> dict | None:
    """The pretraining record of a checkpoint's metadata, or None when it has none."""
    return (meta or {}).get("pretraining_data")


def overlap(pretraining: dict | None, dataset: str, test_subjects) -> list[str] | None:
    """Test subjects the backbone saw in pretraining; None when the checkpoint cannot tell."""
    if pretraining is None:
        return None
    seen = set(pretraining.get("subjects", []))
    return sorted(s for s in test_subjects if subject_key(dataset, str(s)) in seen)


def protocol_text(pretraining: dict | None) -> str:
    if pretraining is None:
        return "unknown (no pretraining record in the checkpoint)"
    text = f"pretrained on {', '.join(pretraining['datasets'])}"
    if pretraining.get("excluded_subjects_of"):
        text += f" minus the subjects of {', '.join(pretraining['excluded_subjects_of'])}"
    return text + f" ({len(pretraining['subjects'])} subjects)"
