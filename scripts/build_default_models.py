"""Reproduce the built-in default models from ../shared/datasets/selfback_wrist.

1. selfBACK wrist, 9 classes, 10 s windows at 30 Hz (anti-aliased from 100 Hz), 33 subjects.
2. Held-out scores: with ``--holdout``, the export's validation subjects are held out and the model is
   trained once on the rest (the shipped model never saw them); without it, grouped 5-fold by subject,
   then a final model trained on every subject (whole subjects held out for early stopping).
3. Exported (ONNX/TFLite, fp32/int8, calibrated on real windows) and validated by the export stage.
4. The small artefacts are copied into harnet_edge/default_models/ with their metadata inside;
   README.json there records the protocol, the subjects trained on and held out, and the commands.

    python scripts/build_default_models.py --holdout --train-only --seeds 3 --work runs/default_models
    python scripts/build_default_models.py --holdout --reuse-cv --reuse-checkpoint --work runs/default_models

Without --teacher the student learns from the labels alone; with it, by distillation.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

from readme_results import write_result  # scripts/ is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO / "harnet_edge" / "default_models"


def main() -> int:
    from harnet_edge.export.distil import distil_student
    from harnet_edge.export.validate import Thresholds
    from harnet_edge.export.pipeline import ExportOptions, export_checkpoint, split_for_export
    from harnet_edge.data import load_benchmark
    from harnet_edge.data.selfback import CITATION
    from harnet_edge.models.checkpoints import save_checkpoint
    from harnet_edge.models.student import StudentCNN
    from harnet_edge.train.crossval import cross_validate, encode_labels
    from harnet_edge.train.finetune import build_harnet
    from harnet_edge.train.loop import TrainConfig, fit, predict_proba
    from harnet_edge.train.report import results_table, write_results
    from harnet_edge.train.splits import validation_split
    from harnet_edge.train.crossval import summarise
    from harnet_edge.train.wearing import mirror_other_wrist
    from harnet_edge.train.fake_quant import fit_int8_aware
    from harnet_edge.export.int8_check import pick_candidate, worst_orientation_agreement
    from sklearn.metrics import log_loss

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--student", default="cnn-small")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seeds", type=int, default=1, help="train this many students, keep the best on validation")
    # Off by default: on one ds-small seed, 8 int8-aware epochs moved the worst orientation's int8
    # agreement from 0.944 to 0.946 (all 1,433 held-out windows), within noise, and cost 2 points of F1.
    p.add_argument("--int8-epochs", type=int, default=0, help="int8-aware fine-tuning epochs after training (0: none)")
    p.add_argument("--min-agreement-orientation", type=float,
                   help="export's bar for int8 vs fp32 in each of the 24 orientations (default: the export's)")
    p.add_argument("--teacher", help="HARNet variant to distil from (trained here from --teacher-init)")
    p.add_argument("--teacher-init", default="scratch")
    p.add_argument("--teacher-epochs", type=int, default=20)
    p.add_argument("--device", default="auto")
    p.add_argument("--work", type=Path, default=REPO / "runs" / "default_models")
    p.add_argument("--reuse-cv", action="store_true", help="reuse held-out scores from a previous run in --work")
    p.add_argument("--holdout", action="store_true",
                   help="instead of 5-fold CV: hold out the export's validation subjects, train once on the rest "
                        "(scores and export validation then come from subjects the model never saw)")
    p.add_argument("--train-only", action="store_true", help="stop after saving the checkpoint (export later)")
    p.add_argument("--reuse-checkpoint", action="store_true", help="export the checkpoint a previous run left in --work")
    args = p.parse_args()
    # SIGUSR1 ends training early as Ctrl-C would (best weights kept), for runs started in the background.
    import signal

    def stop_training(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGUSR1, stop_training)

    windows = load_benchmark("selfback")
    classes = list(windows.stats["classes"])
    y = encode_labels(windows, classes)
    print(f"selfBACK wrist: {len(windows)} windows, {len(set(windows.subjects))} subjects")
    # Worn either wrist, band turned on the strap (+-30 degrees), small tilts; no axis swaps, no wide
    # turns (on held-out selfBACK subjects they cost this small model 13-18 points of macro F1), and
    # answers kept stable under int8-sized jitter.
    student_cfg = TrainConfig(epochs=args.epochs, patience=10, lr=1e-3, batch_size=64, device=args.device,
                              noise_g=0.02, axis_swap=False, strap_deg=30.0, rotation_deg=15.0, consistency=3.0)
    int8_cfg = TrainConfig(**{**student_cfg.__dict__, "epochs": args.int8_epochs, "patience": args.int8_epochs,
                              "lr": 1e-4, "consistency": 0.0})
    teacher_cfg = TrainConfig(epochs=args.teacher_epochs, patience=5, lr=1e-4, device=args.device)

    def train_student(fit_idx, val_idx, seed=0):
        """With --seeds N, N students from different seeds, each scored on whole training subjects
        held out for validation (never the held-out test subjects): its loss as worn on either wrist,
        and its int8 copy's worst agreement with fp32 over the 24 wearing orientations. Kept: the
        lowest loss among the seeds whose int8 copy passes the export's bar
        (``int8_check.pick_candidate``). This small model's held-out macro F1 moved by up to 10
        points between seeds, and its worst orientation by 3 points."""
        candidates = [train_one_student(fit_idx, val_idx, seed * 100 + k) for k in range(args.seeds)]
        # The loss as worn either way: canonical and both other-wrist mirrors (one seed scored 0.707
        # canonical and 0.613 mirrored on held-out subjects; its loss on canonical windows hid that).
        views = [windows.x[val_idx]] + [mirror_other_wrist(windows.x[val_idx], axis) for axis in (1, 0)]
        losses = [float(np.mean([log_loss(y[val_idx], predict_proba(c, view, device=args.device),
                                          labels=range(len(classes))) for view in views])) for c in candidates]
        calibration = windows.x[np.random.default_rng(seed).permutation(fit_idx)[:options.calibration_windows]]
        worst = [worst_orientation_agreement(c, calibration, windows.x[val_idx], options) for c in candidates]
        print("per seed: validation loss " + ", ".join(f"{v:.3f}" for v in losses) + "; int8 worst of 24 "
              "orientations on validation subjects " + ", ".join(f"{v:.3f}" for v in worst), flush=True)
        return candidates[pick_candidate(losses, worst, options.thresholds.int8_min_orientation_agreement)]

    def train_one_student(fit_idx, val_idx, seed):
        cfg = TrainConfig(**{**student_cfg.__dict__, "seed": seed})
        if args.teacher:
            teacher = build_harnet(args.teacher_init, args.teacher, classes)
            fit(teacher, windows.x[fit_idx], y[fit_idx], len(classes), windows.x[val_idx], y[val_idx],
                TrainConfig(**{**teacher_cfg.__dict__, "seed": seed}), description="teacher")
            return distil_student(teacher, windows.x[fit_idx], y[fit_idx], windows.x[val_idx], y[val_idx],
                                  classes, cfg, args.student)
        student = StudentCNN(args.student, len(classes), classes)
        fit(student, windows.x[fit_idx], y[fit_idx], len(classes), windows.x[val_idx], y[val_idx], cfg,
            description=args.student)
        if args.int8_epochs:   # optional: a few epochs computing as the int8 copy will
            fit_int8_aware(student, windows.x[fit_idx], y[fit_idx], len(classes), windows.x[val_idx], y[val_idx],
                           TrainConfig(**{**int8_cfg.__dict__, "seed": seed}), description="int8-aware")
        return student

    # Every held-out window is also scored as worn on the other wrist (both mirror conventions).
    mirrored_pred = {axis: np.full(len(y), -1) for axis in ("y", "x")}

    def train_and_predict(fit_idx, val_idx, test_idx, fold):
        student = train_student(fit_idx, val_idx, fold)
        for axis, pred in mirrored_pred.items():
            x_mirror = mirror_other_wrist(windows.x[test_idx], "xyz".index(axis))
            pred[test_idx] = predict_proba(student, x_mirror, device=args.device).argmax(1)
        return predict_proba(student, windows.x[test_idx], device=args.device).argmax(1)

    name = f"{args.student} ({'distilled from ' + args.teacher if args.teacher else 'labels only'})"
    previous = args.work / "heldout_scores.json"
    ckpt = args.work / f"{args.student}_selfback.safetensors"
    # The orientation sweep runs on every held-out window (not the export's default sample): the worst of
    # 24 orientations is a minimum, and on 400 windows its sampling error alone is about 1 point.
    options = ExportOptions(extra_metadata={"dataset": "selfBACK wrist (UCI), 100 Hz -> 30 Hz", "citation": CITATION},
                            sweep_windows=len(windows))
    if args.min_agreement_orientation is not None:
        options.thresholds = Thresholds(int8_min_orientation_agreement=args.min_agreement_orientation)
    train_subjects = sorted(set(windows.subjects.tolist()))
    final = None
    if args.holdout:
        train_idx, test_idx = split_for_export(windows, options.validation_fraction, options.seed)
        train_subjects = sorted(set(windows.subjects[train_idx].tolist()))
    if args.reuse_cv and previous.exists():
        result = json.loads(previous.read_text())[0]
    elif args.holdout:
        fit_idx, val_idx = validation_split(windows.subjects, train_idx)
        final = train_student(fit_idx, val_idx)
        pred = predict_proba(final, windows.x[test_idx], device=args.device).argmax(1)
        result = summarise(name, y[test_idx], pred, windows.subjects[test_idx], classes)
        result["scheme"] = f"hold-out: {len(set(windows.subjects[test_idx]))} subjects never trained on"
        result["other_wrist"] = {}
        for axis in ("y", "x"):
            mirrored = predict_proba(final, mirror_other_wrist(windows.x[test_idx], "xyz".index(axis)),
                                     device=args.device).argmax(1)
            full = summarise(name, y[test_idx], mirrored, windows.subjects[test_idx], classes)
            result["other_wrist"][f"mirror_{axis}"] = {k: full[k] for k in ("macro_f1_mean", "macro_f1_sd",
                                                                            "kappa_mean", "kappa_sd")}
        write_results([result], args.work, "heldout_scores")
    else:
        result = cross_validate(name, windows, classes, "group5", train_and_predict)
        result["other_wrist"] = {f"mirror_{axis}": {k: v for k, v in summarise(name, y, pred, windows.subjects, classes).items()
                                                   if k in ("macro_f1_mean", "macro_f1_sd", "kappa_mean", "kappa_sd")}
                                 for axis, pred in mirrored_pred.items()}
        write_results([result], args.work, "heldout_scores")
    print(results_table([result]))

    scores = {"protocol": "selfBACK wrist, " + (result["scheme"] if args.holdout else "grouped 5-fold by subject (33 subjects)"),
              "macro_f1_mean": result["macro_f1_mean"], "macro_f1_sd": result["macro_f1_sd"],
              "kappa_mean": result["kappa_mean"], "kappa_sd": result["kappa_sd"],
              "other_wrist": result.get("other_wrist")}
    if final is None and not (args.reuse_checkpoint and ckpt.exists()):
        fit_idx, val_idx = validation_split(windows.subjects, np.arange(len(y)))
        final = train_student(fit_idx, val_idx)
    if final is not None:
        save_checkpoint(final, ckpt, {"evaluation": {name: scores}, "dataset": "selfBACK wrist", "citation": CITATION,
                          "trained_by": "python scripts/build_default_models.py " + " ".join(sys.argv[1:]),
                          "training_data": {"windows": int(np.isin(windows.subjects, train_subjects).sum()),
                                            "subjects": train_subjects}})
    if args.train_only:
        return 0
    from harnet_edge.models.checkpoints import load_checkpoint
    ckpt_meta = load_checkpoint(ckpt)[1]
    trained_by = ckpt_meta.get("trained_by")
    command = "python scripts/build_default_models.py " + " ".join(sys.argv[1:])
    commands = f"{trained_by}`, then `{command}" if trained_by and trained_by != command else command
    # Which subjects trained the shipped model, and how to rebuild it, travel inside every artefact.
    options.extra_metadata.update(heldout_scores=scores, trained_by=commands,
                                  training_subjects=(ckpt_meta.get("training_data") or {}).get("subjects"))
    report = export_checkpoint(ckpt, windows, args.work / "artefacts", options)
    DEFAULT_DIR.mkdir(exist_ok=True)
    for artefact in report["artefacts"]:
        if artefact["quantisation"] == "int8" or artefact["size_bytes"] < 1_000_000:
            shutil.copy(args.work / "artefacts" / artefact["file"], DEFAULT_DIR / artefact["file"])
    summary = {"heldout": scores, "command": commands,
               "training_subjects": options.extra_metadata["training_subjects"],
               "heldout_subjects": report["validation"]["subjects"],
               "heldout_subjects_seen_in_training": report["validation"]["subjects_seen_in_training"],
               "export": [{**{k: a[k] for k in ("file", "size_bytes", "agreement", "macro_f1")},
                                              "worst_orientation_agreement": (a.get("orientation_sweep") or {}).get("min_agreement")}
                                             for a in report["artefacts"]]}
    (DEFAULT_DIR / "README.json").write_text(json.dumps(summary, indent=2))
    write_results_fragment(scores, report, commands)
    print(json.dumps(summary, indent=2))
    return 0


def write_results_fragment(scores: dict, report: dict, argv: str) -> None:
    """docs/results/default_model.json and the README fragment default_model.md."""
    wrist = scores.get("other_wrist") or {}
    lines = [f"Built-in model (`{argv}`; `docs/results/default_model.json`): "
             f"`{report['artefacts'][0]['model']}` on selfBACK wrist, 9 classes, {scores['protocol']}: macro F1 "
             f"{scores['macro_f1_mean']:.3f} ± {scores['macro_f1_sd']:.3f}, kappa {scores['kappa_mean']:.3f} ± "
             f"{scores['kappa_sd']:.3f}"]
    for name, other in wrist.items():
        lines.append(f"; on the other wrist ({name.split('_')[1]} axis negated) {other['macro_f1_mean']:.3f} ± "
                     f"{other['macro_f1_sd']:.3f}")
    lines.append(".\n\n| file | agreement with fp32 | worst of 24 orientations | macro F1 |\n|---|---|---|---|\n")
    for a in report["artefacts"]:
        sweep = a.get("orientation_sweep")
        lines.append(f"| {a['file']} | {a['agreement']:.3f} | {sweep['min_agreement']:.3f} | " if sweep else
                     f"| {a['file']} | {a['agreement']:.3f} | - | ")
        lines.append(f"{a.get('macro_f1', float('nan')):.3f} |\n")
    lines.append(f"\nInput range of the int8 files: ±{report['calibration']['input_range_g']} g on every axis "
                 f"(calibrated on {report['calibration']['with_rotated_copies']} windows, half of them rotated).\n")
    write_result("default_model", {"heldout": scores, "export": report}, "".join(lines))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
