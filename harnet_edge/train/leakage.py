"""Did the model we start from already see a test subject? Read from the checkpoint's metadata.

Every checkpoint ``pretrain`` writes records the datasets and subjects it saw (``pretraining_data``);
fine-tuned checkpoints add their labelled ``training_data``. Before cross-validating from such an
``--init`` we compare that with the subjects the folds will test on. An overlap is a warning, not a
refusal: pretraining on the unlabelled test people (transductive SSL) is a protocol some papers use
and old numbers must stay reproducible, but it is a different protocol, so the results JSON records
it and the README table prints it beside the row.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..data.provenance import overlap, protocol_text, subject_key
from ..models.checkpoints import CheckpointError, read_checkpoint_metadata


def metadata_of_init(init: str) -> dict | None:
    """The harnet-edge metadata behind ``--init``; a published-layout ``STEM.mdl`` written by our
    ``pretrain`` is read from ``STEM.safetensors`` beside it. None when there is none (scratch, a
    published checkpoint from elsewhere)."""
    if init == "scratch":
        return None
    path = Path(init)
    if path.suffix in (".mdl", ".pt", ".pth"):
        path = path.with_suffix(".safetensors")
        if not path.is_file():
            return None
    try:
        return read_checkpoint_metadata(path)
    except CheckpointError:
        return None


def seen_subjects(meta: dict | None) -> dict | None:
    """Datasets and subject keys a checkpoint saw, pretraining and labelled training together."""
    if meta is None:
        return None
    record = meta.get("pretraining_data")
    training = meta.get("training_data")
    if record is None and training is None:
        return None
    seen = {"datasets": list((record or {}).get("datasets", [])), "subjects": list((record or {}).get("subjects", [])),
            "excluded_subjects_of": list((record or {}).get("excluded_subjects_of", []))}
    if training:
        dataset = str(training.get("dataset", "?"))
        seen["datasets"].append(f"{dataset} (labelled)")
        seen["subjects"] += [subject_key(dataset, s) for s in training.get("subjects", [])]
    return seen


def pretraining_check(init: str, dataset: str, test_subjects, log=None) -> dict:
    """What the results JSON records about ``init``; warns in one line when a test subject was seen."""
    if init == "scratch":
        return {"init": "scratch", "protocol": "none (random initialisation)", "test_subjects_seen": [],
                "leakage_free": True}
    return check_seen(seen_subjects(metadata_of_init(init)), str(init), dataset, test_subjects, log)


def check_seen(seen: dict | None, name: str, dataset: str, test_subjects, log=None) -> dict:
    leaked = overlap(seen, dataset, sorted({str(s) for s in test_subjects}))
    report = {"init": name, "protocol": protocol_text(seen), "test_subjects_seen": leaked or [],
              "leakage_free": None if leaked is None else not leaked}
    if seen is not None:
        report.update(datasets=seen["datasets"], excluded_subjects_of=seen["excluded_subjects_of"])
    message = None
    if leaked:
        message = (f"warning: {Path(name).name} saw test subjects {', '.join(leaked)} of {dataset} before "
                   f"fine-tuning ({report['protocol']}); these scores are not leakage-free")
    elif leaked is None:
        message = f"note: {Path(name).name} records no pretraining data, so test-subject leakage cannot be checked"
    if message:
        (log or (lambda m: print(m, file=sys.stderr)))(message)
    return report
