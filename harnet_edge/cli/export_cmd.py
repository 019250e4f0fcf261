"""``harnet-edge export`` and ``harnet-edge distil`` (need the export extra)."""
from __future__ import annotations

from pathlib import Path

from ..formats import FORMATS
from .argtypes import probability
from .train_cmd import add_data_args, add_train_args, add_window_args, check_scheme, command_line, load_windows


def register(sub) -> None:
    p = sub.add_parser("export", help="checkpoint -> validated ONNX/TFLite artefacts (fp32, int8, student)")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--formats", default="onnx,tflite", help=f"comma list of {', '.join(FORMATS)}")
    p.add_argument("--int8", action="store_true", help="also write calibrated int8 artefacts")
    p.add_argument("--distil", action="store_true", help="also distil and export a small student")
    p.add_argument("--student", default="cnn-small", choices=["cnn-small", "ds-small", "ds-tiny"])
    p.add_argument("--calibration", default="adl", help="labelled data for calibration and validation "
                                                         "(benchmark name or CSV file/folder)")
    p.add_argument("--root", type=Path)
    add_window_args(p)
    # Shares of windows (0-1): 97 typed as a percentage would only fail after the whole export.
    p.add_argument("--min-agreement-int8", type=probability, default=0.95)
    p.add_argument("--min-agreement-fp32", type=probability, default=0.99)
    p.add_argument("--min-agreement-orientation", type=probability, default=0.97,
                   help="int8 vs fp32 agreement required in each of the 24 axis-aligned orientations")
    p.add_argument("--equalise", type=probability, default=1.0,
                   help="activation-range equalisation before int8, 0-1 (0: off; see export/equalize.py)")
    p.add_argument("--logits-bits", type=int, choices=[8, 16], default=16,
                   help="the classifier's output in int8 files: 16 (default; int8 logits flipped near ties in "
                        "unfamiliar orientations) or 8 for accelerators that run only int8")
    p.add_argument("--epochs", type=int, help="student training epochs (default 40)")
    p.add_argument("--max-steps", type=int)
    p.add_argument("--device", default="auto")
    p.add_argument("-o", "--out", type=Path, default=Path("runs/export"))
    p.set_defaults(func=run_export)

    p = sub.add_parser("distil", help="teacher vs distilled student under the subject-wise protocol")
    add_data_args(p)
    add_train_args(p)
    p.add_argument("--variant", default="harnet10", choices=["harnet5", "harnet10", "harnet30"])
    p.add_argument("--init", default="scratch")
    p.add_argument("--student", default="cnn-small", choices=["cnn-small", "ds-small", "ds-tiny"])
    p.add_argument("--student-epochs", type=int, help="default 40")
    p.add_argument("--student-patience", type=int, help="default 8")
    p.add_argument("--cv", default=None)
    p.add_argument("--transfer", metavar="DATASETS",
                   help="distil on a transfer set: every window of these datasets (comma list of adl-all, selfback) "
                        "minus each fold's test and validation subjects, plus the fold's training windows, in "
                        "augmented views scored once by the teacher")
    p.add_argument("--transfer-views", type=int, default=2,
                   help="augmented views per transfer window, each scored by the teacher (default 2)")
    p.add_argument("--transfer-hop", type=float, help="seconds between transfer windows (default: the window length)")
    p.add_argument("--wait-for-teachers", type=float, default=0, metavar="SECONDS",
                   help="wait up to this long for each fold's teacher file (run beside the finetune writing them)")
    p.add_argument("--temperature", type=float, default=4.0)
    p.add_argument("--alpha", type=float, default=0.7, help="weight of the soft (teacher) term")
    p.add_argument("--teachers", type=Path,
                   help="folder of per-fold teachers from `finetune --keep-fold-models` (instead of training them)")
    p.add_argument("-o", "--out", type=Path, default=Path("runs/distil"))
    p.set_defaults(func=run_distil)


def run_export(args) -> int:
    from harnet_edge.export.pipeline import ExportOptions, export_checkpoint, export_formats
    from harnet_edge.export.distil import student_schedule
    from harnet_edge.export.validate import Thresholds
    from harnet_edge.models.checkpoints import read_checkpoint_metadata
    from harnet_edge.train.loop import TrainConfig

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    export_formats(formats, args.int8)
    window_s = 10
    if args.checkpoint.suffix == ".safetensors":
        window_s = read_checkpoint_metadata(args.checkpoint).get("window_seconds", 10)
    args.data, args.limit_subjects = args.calibration, None
    windows = load_windows(args, window_s)
    options = ExportOptions(formats=formats, int8=args.int8, distil=args.distil, student_variant=args.student,
                            equalise=args.equalise, logits_bits=args.logits_bits,
                            thresholds=Thresholds(fp32_min_agreement=args.min_agreement_fp32,
                                                  int8_min_agreement=args.min_agreement_int8,
                                                  int8_min_orientation_agreement=args.min_agreement_orientation),
                            train=student_schedule(TrainConfig(lr=1e-3, device=args.device,
                                                               max_steps=args.max_steps), args.epochs))
    export_checkpoint(args.checkpoint, windows, args.out, options)
    print(f"artefacts and report: {args.out}/export_report.md")
    return 0


def run_distil(args) -> int:
    from harnet_edge.export.distil import distil_cv, student_schedule
    from harnet_edge.models.harnet import WINDOW_SECONDS
    from harnet_edge.train.loop import TrainConfig
    from harnet_edge.train.report import results_table, write_results

    windows = load_windows(args, WINDOW_SECONDS[args.variant])
    classes = list(windows.stats["classes"])
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                         amp=not args.no_amp, device=args.device, seed=args.seed, max_steps=args.max_steps)
    student_config = student_schedule(config, args.student_epochs, args.student_patience)
    scheme = check_scheme(args.cv or windows.stats["cv"], windows, allow_none=False)
    if args.transfer or args.teachers:
        return run_transfer_distil(args, windows, classes, scheme, config, student_config)
    results = distil_cv(windows, classes, args.variant, args.init, config, scheme,
                        args.student, student_config=student_config)
    print(results_table(results))
    print(f"results: {write_results(results, args.out, 'distil_results')}")
    return 0


def run_transfer_distil(args, windows, classes, scheme, config, student_config) -> int:
    import numpy as np

    from harnet_edge.data.datasets import datasets_root
    from harnet_edge.data.provenance import PRETRAIN_DATASETS, parse_names
    from harnet_edge.data.unlabelled import unlabelled_windows
    from harnet_edge.export.transfer_distil import distil_transfer_cv
    from harnet_edge.train.report import results_table, write_results

    names = parse_names(args.transfer or "", PRETRAIN_DATASETS, "--transfer")
    window_s = windows.stats.get("window_s", 10.0)
    pool = (unlabelled_windows(names, args.root or datasets_root(), window_s, args.transfer_hop or window_s)[0] if names
            else windows.subset(np.zeros(len(windows), bool)))
    results, folds = distil_transfer_cv(windows, classes, args.variant, args.init, config, scheme, pool, student_config,
                                        args.student, args.transfer_views, args.temperature, args.alpha,
                                        teachers=args.teachers, wait_for_teachers_s=args.wait_for_teachers)
    for r in results:
        r["command"] = command_line()
    for r in results[1:]:
        r["transfer_set"] = {"datasets": names, "views": args.transfer_views, "hop_s": args.transfer_hop or window_s, "temperature": args.temperature,
                             "alpha": args.alpha, "pool_windows": len(pool), "folds": folds}
    print(results_table(results))
    print(f"results: {write_results(results, args.out, 'distil_results')}")
    return 0
