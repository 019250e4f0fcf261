"""Build the demo clip shipped in the package: real selfBACK wrist motion for the quick start.

Step 1 (``--survey``): classify every 10 s window of every (subject, activity) file with the
built-in int8 model and write docs/results/demo_clip_survey.json (accuracy per file), so that the
clip's segments are chosen from measured, clearly labelled recordings, not guessed.
Step 2 (default): cut ``SEGMENT_S`` seconds of each chosen activity from each chosen subject,
store them as 1/64-g counts at the original 100 Hz (the AX3's own quantisation, so nothing is
lost) in harnet_edge/demo_data/selfback_clip.npz with ATTRIBUTION.md beside it.

    python scripts/build_demo_clip.py --survey
    python scripts/build_demo_clip.py
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from harnet_edge.data import datasets_root
from harnet_edge.data.resample import resample_to_rate
from harnet_edge.data.selfback import read_selfback_wrist
from harnet_edge.runtime.defaults import default_model
from harnet_edge.runtime.engines import open_engine

ROOT = Path(__file__).resolve().parents[1]
SURVEY = ROOT / "docs" / "results" / "demo_clip_survey.json"
OUT = ROOT / "harnet_edge" / "demo_data"
SEGMENT_S = 45            # four activities in 180 s: the quick start (200 s of device time) shows all
# Chosen from the survey: activities a wrist model can tell apart, each subject's files classified
# correctly on most windows (see docs/results/demo_clip_survey.json).
ACTIVITIES = ("walk_mod", "jogging", "sitting", "lying")
# Each subject plays them in another order, so two wearables show different activities at once.
ORDER = {"054": ("walk_mod", "jogging", "sitting", "lying"), "056": ("sitting", "walk_mod", "lying", "jogging")}


def file_accuracy(engine, rec) -> tuple[float, int]:
    _, x30 = resample_to_rate(rec.t, rec.xyz, 30.0, rate_hz=100.0)
    n = len(x30) // 300
    if n == 0:
        return float("nan"), 0
    windows = x30[:n * 300].reshape(n, 300, 3).transpose(0, 2, 1)
    labels = np.asarray(engine.info.classes)[np.argmax(engine.run(windows), axis=1)]
    return float(np.mean(labels == rec.label)), n


def survey() -> None:
    engine = open_engine(default_model())
    out = {}
    for rec in read_selfback_wrist(datasets_root() / "selfback_wrist", classes=ACTIVITIES):
        acc, n = file_accuracy(engine, rec)
        out.setdefault(rec.subject, {})[rec.label] = {"accuracy": round(acc, 3), "windows": n}
        print(rec.subject, rec.label, n, round(acc, 3), flush=True)
    SURVEY.parent.mkdir(parents=True, exist_ok=True)
    SURVEY.write_text(json.dumps({"model": default_model().name, "activities": ACTIVITIES, "files": out}, indent=1))


def build(subjects: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    engine = open_engine(default_model())
    arrays, report = {}, {}
    for subject in subjects:
        counts, labels = [], []
        recordings = read_selfback_wrist(datasets_root() / "selfback_wrist", classes=ACTIVITIES, subjects={subject})
        order = ORDER.get(subject, ACTIVITIES)
        for rec in sorted(recordings, key=lambda r: order.index(r.label)):
            # The middle minute of each recording: no putting-on or walking-to-the-plinth at the ends.
            a = max(0, (len(rec.t) - SEGMENT_S * 100) // 2)
            seg = rec.xyz[a:a + SEGMENT_S * 100]
            counts.append(np.round(seg * 64).astype(np.int16))
            labels.append(np.full(len(seg), ACTIVITIES.index(rec.label), np.int8))
            acc, n = file_accuracy(engine, type(rec)(np.arange(len(seg)) / 100.0, seg, subject, rec.label))
            report.setdefault(subject, {})[rec.label] = {"offline_accuracy": round(acc, 3), "windows": n}
        arrays[f"counts_{subject}"] = np.concatenate(counts)
        arrays[f"labels_{subject}"] = np.concatenate(labels)
    np.savez_compressed(OUT / "selfback_clip.npz", subjects=np.asarray(subjects), classes=np.asarray(ACTIVITIES),
                        rate_hz=np.float64(100.0), **arrays)
    size = (OUT / "selfback_clip.npz").stat().st_size
    (ROOT / "docs" / "results" / "demo_clip.json").write_text(json.dumps(
        {"model": default_model().name, "segment_s": SEGMENT_S, "bytes": size, "segments": report}, indent=1))
    print(json.dumps(report), size, "bytes")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--survey", action="store_true")
    parser.add_argument("--subjects", nargs="+")
    args = parser.parse_args()
    if args.survey:
        return survey()
    build(args.subjects or ["054", "056"])


if __name__ == "__main__":
    main()
