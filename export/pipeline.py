"""``harnet-edge export``: checkpoint -> folder of validated artefacts + report."""
from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harnet_edge.data.windows import WindowSet
from harnet_edge.formats import FORMATS, ModelFormat
from harnet_edge.models.checkpoints import file_sha256, load_checkpoint, save_checkpoint
from harnet_edge.train.crossval import encode_labels
from harnet_edge.train.loop import TrainConfig, predict_proba

from harnet_edge.runtime.engines import open_engine

from . import ExportError
from .distil import student_schedule
from .fold import prepare_for_export
from .metadata import artefact_metadata
from .equalize import equalise_activation_ranges
from .orientation import LOGITS_BITS, input_range_g, orientation_sweep, rotated_references, with_rotated_copies
from .validate import Thresholds, summary_markdown, validate_artefact

MIN_CALIBRATION_WINDOWS = 16


@dataclass
class ExportOptions:
    formats: tuple = ("onnx", "tflite")     # names of rows of harnet_edge.formats.FORMATS
    int8: bool = True
    fp32: bool = True
    distil: bool = False
    student_variant: str = "cnn-small"
    calibration_windows: int = 200
    sweep_windows: int = 400            # held-out windows per orientation in the orientation sweep
    validation_fraction: float = 0.3
    thresholds: Thresholds = field(default_factory=Thresholds)
    train: TrainConfig = field(default_factory=lambda: student_schedule(TrainConfig()))
    extra_metadata: dict = field(default_factory=dict)
    seed: int = 0
    equalise: float = 1.0               # activation-range equalisation before int8 (equalize.py); 0: off
    logits_bits: int = LOGITS_BITS      # the classifier's output in int8 files: 16 (see orientation.py) or 8


def split_for_export(windows: WindowSet, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Whole subjects held out for validation; the rest calibrates (and trains a student)."""
    subjects = np.unique(windows.subjects)
    if len(subjects) < 2:
        raise ExportError("export needs data from at least two subjects (one to calibrate, one to validate)")
    rng = np.random.default_rng(seed)
    n_val = min(len(subjects) - 1, max(1, int(round(fraction * len(subjects)))))
    val_subjects = rng.choice(subjects, n_val, replace=False)
    is_val = np.isin(windows.subjects, val_subjects)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def export_formats(names, int8: bool = True) -> list[ModelFormat]:
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise ExportError(f"unknown format(s) {unknown}; use {', '.join(FORMATS)}")
    # A format whose float file is only a step (tflm) writes nothing without int8: refuse before any work
    # rather than report success over an empty table.
    int8_only = [n for n in names if FORMATS[n].intermediate_suffix is not None]
    if int8_only and not int8:
        raise ExportError(f"format(s) {', '.join(int8_only)} write int8 files only: add --int8")
    return [FORMATS[n] for n in names]


def export_model_files(model, stem: str, out_dir: Path, options: ExportOptions, calibration: np.ndarray,
                       source_sha: str, scores: dict, log) -> list[tuple[Path, ModelFormat]]:
    if options.int8 and options.equalise > 0 and equalise_activation_ranges(model, calibration, options.equalise):
        log(f"  equalised {stem}'s activation ranges (strength {options.equalise}; same float function)")
    graph = prepare_for_export(model)
    written = []
    extra = {**options.extra_metadata, "evaluation": scores}
    for fmt in export_formats(options.formats):
        keep_fp32 = options.fp32 and fmt.intermediate_suffix is None
        fp32_path = out_dir / f"{stem}_fp32{fmt.intermediate_suffix or fmt.suffix}"
        log(f"  writing {fp32_path.name}")
        fmt.load("fp32_writer")(graph, model.window_len, fp32_path, artefact_metadata(model, "fp32", source_sha, extra))
        if keep_fp32:
            written.append((fp32_path, fmt))
        if options.int8 and fmt.int8_writer is not None:
            int8_path = out_dir / f"{stem}_int8{fmt.suffix}"
            log(f"  writing {int8_path.name} (calibrated on {len(calibration)} windows)")
            quantise = fmt.load("int8_writer")
            # Writers that know the sensor's full scale or 16-bit logits get them (ONNX, TFLite, TFLM);
            # others keep the table's contract.
            accepted = inspect.signature(quantise).parameters
            wanted = {"input_range_g": input_range_g(calibration), "logits_bits": options.logits_bits}
            quantise(fp32_path, int8_path, calibration, artefact_metadata(model, "int8", source_sha, extra),
                     **{name: value for name, value in wanted.items() if name in accepted})
            written.append((int8_path, fmt))
        if not keep_fp32:
            fp32_path.unlink()
    return written


def file_times(out_dir: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in out_dir.iterdir() if path.is_file()}


def remove_unvalidated(out_dir: Path, before: dict[str, int], validated: list[str]) -> list[str]:
    """Delete the files this run wrote or rewrote (``before``: ``file_times`` at its start) that were
    not validated (a ``.tflm.h`` goes with its ``.c``); checkpoints (a distilled student) are kept:
    they are training results, not deployable files."""
    keep = set(validated) | {name[:-2] + ".h" for name in validated if name.endswith(".c")}
    removed = sorted(name for name, mtime in file_times(out_dir).items()
                     if before.get(name) != mtime and name not in keep and not name.endswith(".safetensors"))
    for name in removed:
        (out_dir / name).unlink(missing_ok=True)
    return removed


def export_checkpoint(checkpoint: Path, windows: WindowSet, out_dir: Path, options: ExportOptions, log=print) -> dict:
    checkpoint = Path(checkpoint)
    export_formats(options.formats, options.int8)   # an unknown name fails before any work
    model, meta = load_checkpoint(checkpoint)
    model.eval()
    classes = list(model.classes)
    unknown = sorted(set(windows.labels.tolist()) - set(classes) - {""})
    if unknown:
        raise ExportError(f"the data hold classes {unknown} that {checkpoint.name} does not know ({classes})")
    if windows.x.shape[2] != model.window_len:
        raise ExportError(f"data windows have {windows.x.shape[2]} samples, {model.variant} takes {model.window_len}")
    calib_idx, val_idx = split_for_export(windows, options.validation_fraction, options.seed)
    rng = np.random.default_rng(options.seed)
    calib_idx = rng.permutation(calib_idx)[:options.calibration_windows]
    if len(calib_idx) < MIN_CALIBRATION_WINDOWS:
        raise ExportError(f"calibration set has {len(calib_idx)} windows; at least {MIN_CALIBRATION_WINDOWS} "
                          f"real windows are needed to calibrate int8 ranges")
    out_dir.mkdir(parents=True, exist_ok=True)
    calibration = with_rotated_copies(windows.x[calib_idx], options.seed)
    sweep_x = windows.x[rng.permutation(val_idx)[:options.sweep_windows]]
    source_sha = file_sha256(checkpoint)
    x_val = windows.x[val_idx]
    y_val = encode_labels(windows.subset(val_idx), classes)
    seen = set(meta.get("training_data", {}).get("subjects", []))
    val_subjects = sorted(set(windows.subjects[val_idx].tolist()))
    models = [(model, f"{model.variant}", meta.get("evaluation", {}))]
    if options.distil:
        from .distil import distil_student
        from harnet_edge.train.splits import validation_split

        train_idx = np.flatnonzero(~np.isin(np.arange(len(windows)), val_idx))
        fit_idx, stop_idx = validation_split(windows.subjects, train_idx, seed=options.seed)
        y_all = encode_labels(windows, classes)
        log(f"distilling {model.variant} into {options.student_variant} on {len(fit_idx)} windows")
        student = distil_student(model, windows.x[fit_idx], y_all[fit_idx], windows.x[stop_idx], y_all[stop_idx],
                                 classes, options.train, options.student_variant)
        student_path = out_dir / f"{options.student_variant}.safetensors"
        save_checkpoint(student, student_path, {"distilled_from": checkpoint.name, "teacher_sha256": source_sha,
                                                **{k: v for k, v in options.extra_metadata.items()}})
        models.append((student, options.student_variant, {}))
    artefacts = []
    before = file_times(out_dir)
    try:
        for m, stem, scores in models:
            log(f"exporting {stem}")
            reference = predict_proba(m, x_val, device="cpu")
            sweep_reference = None
            for path, fmt in export_model_files(m, stem, out_dir, options, calibration, source_sha, scores, log):
                # Progress before the slow part: TFLite Micro's reference kernels take minutes on a HARNet.
                log(f"    validating {path.name} on {len(x_val)} windows" + (
                    f", then 24 orientations x {len(sweep_x)}" if "_int8" in path.name else ""))
                result = validate_artefact(path, x_val, reference, y_val, options.thresholds, fmt, m)
                if result["quantisation"] == "int8":
                    if sweep_reference is None:
                        sweep_reference = rotated_references(lambda x: predict_proba(m, x, device="cpu"), sweep_x)
                    result["orientation_sweep"] = orientation_sweep(
                        open_engine(path, threads=1), sweep_x, sweep_reference,
                        options.thresholds.int8_min_orientation_agreement)
                    result["passed"] = bool(result["passed"] and result["orientation_sweep"]["passed"])
                result["model"] = stem
                artefacts.append(result)
                sweep = result.get("orientation_sweep")
                log(f"    {path.name}: agreement {result['agreement']:.3f}, max prob diff {result['max_prob_diff']:.1e}"
                    + (f", worst of 24 orientations {sweep['min_agreement']:.3f}" if sweep else "")
                    + f", {'ok' if result['passed'] else 'FAILED'}")
                if (result.get("graph") or {}).get("warning"):
                    log(f"    warning: {path.name} {result['graph']['warning']}")
    except KeyboardInterrupt:   # no file that looks deployable may stay behind unvalidated
        removed = remove_unvalidated(out_dir, before, [a["file"] for a in artefacts])
        if removed:
            log(f"interrupted: removed {len(removed)} file(s) written but not validated: {', '.join(removed)}")
        raise
    report = {"source": checkpoint.name, "source_sha256": source_sha,
              "validation": {"windows": int(len(val_idx)), "subjects": val_subjects,
                             "subjects_seen_in_training": sorted(seen & set(val_subjects))},
              "calibration": {"windows": int(len(calib_idx)), "with_rotated_copies": int(len(calibration)),
                              "activation_equalisation_strength": options.equalise, "logits_bits": options.logits_bits,
                              "input_range_g": input_range_g(calibration)},
              "thresholds": options.thresholds.__dict__, "artefacts": artefacts}
    (out_dir / "export_report.json").write_text(json.dumps(report, indent=2))
    (out_dir / "export_report.md").write_text(summary_markdown(report))
    failed = [a["file"] for a in artefacts if not a["passed"]]
    if failed:
        raise ExportError(f"validation failed for {', '.join(failed)}; see {out_dir / 'export_report.md'}")
    return report
