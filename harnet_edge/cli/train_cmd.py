"""``harnet-edge finetune``, ``evaluate`` and ``pretrain``: the torch side (needs the train extra)."""
from __future__ import annotations

import json
from pathlib import Path

from .argtypes import positive_seconds

PAPER_ADL_F1 = {"random forest": 0.764, "harnet10 scratch": 0.414, "harnet10 ssl frozen": 0.645,
                "harnet10 ssl fine-tuned": 0.829}


def add_data_args(p) -> None:
    p.add_argument("--data", default="adl", help="benchmark name (adl, selfback) or a CSV/CSV.gz file or folder")
    p.add_argument("--root", type=Path, help="datasets folder (default: ../shared/datasets)")
    p.add_argument("--limit-subjects", type=int, help="use only the first N subjects (quick runs)")
    add_window_args(p)


def add_window_args(p) -> None:
    p.add_argument("--hop", type=positive_seconds,
                   help="seconds between window starts for CSV data (default: the window length; the paper: half of it)")
    p.add_argument("--mode", choices=["paper", "resample"], default="resample",
                   help="CSV data: anti-aliased resampling to 30 Hz, or the paper's per-window resize")


def add_train_args(p) -> None:
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--max-steps", type=int, help="stop after N optimiser steps (smoke tests)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    p.add_argument("--no-amp", action="store_true", help="disable bf16 mixed precision on GPU")
    p.add_argument("--seed", type=int, default=0)


def register(sub) -> None:
    p = sub.add_parser("finetune", help="fine-tune HARNet with subject-wise cross-validation; save the final model")
    add_data_args(p)
    add_train_args(p)
    p.add_argument("--variant", default="harnet10", choices=["harnet5", "harnet10", "harnet30"])
    p.add_argument("--init", default="scratch", help="scratch, a published .mdl, or our .safetensors checkpoint")
    p.add_argument("--freeze-backbone", action="store_true", help="train only the head (BN statistics frozen)")
    p.add_argument("--cv", default=None, help="loso, group5, ... or none (default: the dataset's protocol)")
    p.add_argument("--baseline", action="store_true", help="also evaluate the random forest on the same folds")
    p.add_argument("--name", help="name of this model in tables (default from variant/init)")
    p.add_argument("--no-final", action="store_true", help="skip training the final all-subject model")
    p.add_argument("--keep-fold-models", action="store_true",
                   help="save each fold's model as OUT/folds/foldK.safetensors (teachers for distil --teachers)")
    p.add_argument("-o", "--out", type=Path, default=Path("runs/finetune"))
    p.set_defaults(func=run_finetune)

    p = sub.add_parser("evaluate", help="score a saved model on labelled windows, per subject")
    p.add_argument("checkpoint", type=Path)
    add_data_args(p)
    p.add_argument("--device", default="auto")
    p.add_argument("-o", "--out", type=Path, default=Path("runs/evaluate"))
    p.set_defaults(func=run_evaluate)

    p = sub.add_parser("pretrain", help="self-supervised multi-task pretraining of the HARNet backbone")
    p.add_argument("--data", default="adl-all",
                   help="folder of .npy window shards, or dataset names, comma-separated: adl-all (all 14 ADL "
                        "activities, 16 volunteers), selfback")
    p.add_argument("--exclude-subjects-of", metavar="BENCHMARKS",
                   help="comma list of benchmarks (adl, selfback) whose subjects never reach pretraining, so the "
                        "backbone stays disjoint from their test folds")
    p.add_argument("--root", type=Path)
    p.add_argument("--variant", default="harnet10", choices=["harnet5", "harnet10", "harnet30"])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--tasks", default="aot,permute,time_w", help="comma list of aot, permute, time_w, scale")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--device", default="auto")
    p.add_argument("--no-amp", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--out", type=Path, default=Path("runs/pretrain/harnet_ssl"),
                   help="output stem: writes STEM.safetensors and STEM.mdl (published layout)")
    p.set_defaults(func=run_pretrain)


def load_windows(args, window_s: float = 10.0):
    from ..data import load_benchmark
    from ..data.csv_windows import csv_windows
    from ..data.datasets import BENCHMARKS

    if args.data in BENCHMARKS:
        windows = load_benchmark(args.data, root=args.root, window_s=window_s)
    else:
        windows = csv_windows(args.data, window_s, getattr(args, "hop", None), getattr(args, "mode", None),
                              labelled=True)
    if getattr(args, "limit_subjects", None):
        import numpy as np

        keep = sorted(set(windows.subjects.tolist()))[:args.limit_subjects]
        windows = windows.subset(np.isin(windows.subjects, keep))
    return windows


def command_line() -> str:
    """The command as typed (recorded in results files, so a figure names what measured it)."""
    import shlex
    import sys

    return "harnet-edge " + shlex.join(sys.argv[1:])


def check_scheme(scheme: str, windows, allow_none: bool = True) -> str:
    """A protocol the data can hold, or a one-line DataError (not a fold trained on 0 windows)."""
    from ..data.recording import DataError

    n_subjects = len(set(windows.subjects.tolist()))
    if scheme == "none" and not allow_none:
        raise DataError("--cv none: distil compares teacher and student on held-out subjects; use loso or groupK")
    if scheme == "none":
        return scheme
    if scheme != "loso" and not (scheme.startswith("group") and scheme[5:].isdigit()):
        raise DataError(f"unknown --cv {scheme!r}; use loso, groupK (e.g. group5) or none")
    folds = n_subjects if scheme == "loso" else int(scheme[5:])
    if n_subjects < 3 or folds > n_subjects:
        raise DataError(f"--cv {scheme} needs at least {max(3, folds)} subjects (a test, a validation and a training "
                        f"subject per fold); the data hold {n_subjects} (--cv none: no cross-validated score)")
    return scheme


RECIPE_FIELDS = ("epochs", "lr", "batch_size", "patience", "augment", "rotation_deg", "mirror_p", "strap_deg",
                 "axis_swap", "orientation_p", "noise_g", "consistency")


def training_recipe(config) -> dict:
    """What a row's network was trained with, so a table can show whether its rows are like for like
    (the README's SSL rows were once trained with a wider strap turn than its from-scratch row)."""
    return {name: getattr(config, name) for name in RECIPE_FIELDS}


def run_finetune(args) -> int:
    from ..models.checkpoints import save_checkpoint
    from ..models.harnet import WINDOW_SECONDS
    from ..train.crossval import random_forest_cv
    from ..train.finetune import harnet_cv, train_final, training_summary
    from ..train.loop import TrainConfig
    from ..train.report import results_table, write_results

    windows = load_windows(args, WINDOW_SECONDS[args.variant])
    classes = list(windows.stats["classes"])
    scheme = check_scheme(args.cv or windows.stats["cv"], windows)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                         freeze_backbone=args.freeze_backbone, amp=not args.no_amp, device=args.device,
                         seed=args.seed, max_steps=args.max_steps)
    init_name = "scratch" if args.init == "scratch" else ("ssl frozen" if args.freeze_backbone else "ssl fine-tuned")
    name = args.name or f"{args.variant} {init_name}"
    print(f"{windows.stats['dataset']}: {len(windows)} windows, {len(classes)} classes, "
          f"{len(set(windows.subjects.tolist()))} subjects; protocol {scheme}")
    from ..train.device import is_main_process

    if scheme == "none" and len(set(windows.subjects.tolist())) < 2:
        print(f"note: one subject: no subject is held out, so the final model trains for {args.epochs} epochs "
              f"without early stopping and nothing is scored")
    results = []
    if scheme != "none":
        results.append(harnet_cv(name, windows, classes, args.variant, args.init, config, scheme,
                                 keep_folds=args.out / "folds" if args.keep_fold_models else None))
        if args.baseline:
            results.append(random_forest_cv(windows, classes, scheme, args.seed))
        for r in results:
            r["command"] = command_line()
            if r["model"] != "random forest":
                r["training_recipe"] = training_recipe(config)
        reference = PAPER_ADL_F1 if windows.stats["dataset"] == "adl" else None
        print(results_table(results, reference))
        if is_main_process():
            print(f"results: {write_results(results, args.out)}")
    if not args.no_final:
        model = train_final(windows, classes, args.variant, args.init, config)
        if not is_main_process():   # under torchrun every process holds the same model; one writes it
            return 0
        path = args.out / "model.safetensors"
        scores = {r["model"]: {k: r[k] for k in ("macro_f1_mean", "macro_f1_sd", "kappa_mean", "kappa_sd")}
                  for r in results}
        from ..train.leakage import metadata_of_init, seen_subjects

        save_checkpoint(model, path, {"training_data": training_summary(windows), "evaluation": scores,
                                      "init": args.init, "pretraining_data": seen_subjects(metadata_of_init(args.init)), "freeze_backbone": args.freeze_backbone, "protocol": scheme})
        print(f"final model (all subjects): {path}")
    return 0


def run_evaluate(args) -> int:
    import numpy as np

    from ..models.checkpoints import load_checkpoint
    from ..train.crossval import encode_labels, summarise
    from ..train.loop import predict_proba
    from ..train.report import results_table, write_results

    model, meta = load_checkpoint(args.checkpoint)
    windows = load_windows(args, meta["window_seconds"])
    y = encode_labels(windows, list(meta["classes"]))
    pred = predict_proba(model, windows.x, device=args.device).argmax(1)
    result = summarise(args.checkpoint.name, y, pred, windows.subjects, list(meta["classes"]))
    print(results_table([result]))
    print(f"results: {write_results([result], args.out, 'evaluation')}")
    return 0 if np.all(pred >= 0) else 1


def run_pretrain(args) -> int:
    from ..data.recording import DataError
    from ..train.pretrain import PretrainConfig, pretrain

    data = Path(args.data)
    shards = sorted(data.glob("*.npy")) if data.is_dir() else []
    if args.exclude_subjects_of and data.exists():
        raise DataError("--exclude-subjects-of needs named datasets (adl-all, selfback), not a file or folder")
    # which people the backbone sees, recorded in it (finetune --init compares them with its test subjects)
    record = {"datasets": [str(data)], "subjects": [f"{data}:{p.stem}" for p in shards], "excluded_subjects": []}
    if not shards:
        from ..models.harnet import WINDOW_SECONDS

        seconds = WINDOW_SECONDS[args.variant]
        if data.exists():
            from ..data.csv_file import csv_files
            from ..data.csv_windows import csv_windows

            try:
                csv_files(data)
            except DataError:
                raise DataError(f"--data {data}: no .npy window shards and no .csv/.csv.gz recordings") from None
            windows = csv_windows(data, seconds, seconds / 2, labelled=False)     # labels are ignored
            record["subjects"] = sorted({f"{data}:{s}" for s in windows.subjects.tolist()})
            folder = args.out.parent / f"shards_{data.name}"
        else:
            from ..data.datasets import datasets_root
            from ..data.provenance import PRETRAIN_DATASETS, SOURCE_OF, excluded_keys, parse_names
            from ..data.unlabelled import unlabelled_windows

            names = parse_names(args.data)
            if not names or any(n not in PRETRAIN_DATASETS for n in names):
                raise DataError(f"--data must be a folder of .npy shards, CSV recordings (file or folder), or "
                                f"adl-all, selfback (comma-separated); got {args.data!r}")
            root = args.root or datasets_root()
            exclude_of = parse_names(args.exclude_subjects_of, sorted(SOURCE_OF), "--exclude-subjects-of")
            windows, record = unlabelled_windows(names, root, seconds, seconds / 2, excluded_keys(exclude_of, root))
            record["excluded_subjects_of"] = exclude_of
            folder = args.out.parent / (f"shards_{'+'.join(names)}" +
                                        (f"_minus_{'+'.join(exclude_of)}" if exclude_of else ""))
        shards = shards_for(windows, folder)
        print(f"{args.data}: {len(windows)} unlabelled windows in {len(shards)} subject shards")
    config = PretrainConfig(variant=args.variant, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                            tasks=tuple(args.tasks.split(",")), workers=args.workers, amp=not args.no_amp,
                            compile=args.compile, device=args.device, seed=args.seed)
    summary = pretrain(shards, args.out, config, pretraining_data=record)
    print(json.dumps(summary, indent=2))
    print(f"backbone: {args.out.with_suffix('.safetensors')} and {args.out.with_suffix('.mdl')} (published layout)")
    return 0


def shards_for(windows, folder: Path) -> list[Path]:
    """One .npy per subject; under torchrun the first process writes them, the others wait and list them."""
    from ..train.device import distributed_context
    from ..train.pretrain import write_shards

    rank, world, _ = distributed_context()
    if rank == 0:
        for stale in Path(folder).glob("*.npy"):   # a shard left by another selection must not join in
            stale.unlink()
    shards = write_shards(windows, folder) if rank == 0 else []
    if world > 1:
        import torch

        torch.distributed.barrier()
        shards = shards or sorted(folder.glob("*.npy"))
    return shards
