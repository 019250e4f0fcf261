"""Self-supervised multi-task pretraining of the HARNet backbone (``harnet-edge pretrain``).

Windows come from memory-mapped ``.npy`` shards (one per subject, (n, 3, T) float32/float16), so the
data can exceed memory; each batch draws a subject uniformly, then windows within it weighted by
movement (std of the magnitude), so still periods do not dominate (as the paper samples). The pretext
transforms run batched on the training device (``pretext.py``). Multi-GPU through PyTorch DDP: launch
the same command with ``torchrun --nproc_per_node=N``.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..models.checkpoints import save_checkpoint, save_published_layout
from ..models.harnet import HARNet
from .device import distributed_context, pick_device, progress, seed_everything
from .loop import autocast_for
from .pretext import apply_pretext

HEAD_NAMES = {"aot": "aot_h", "permute": "permute_h", "time_w": "time_w_h", "scale": "scale_h"}


class BinaryHead(nn.Module):
    def __init__(self, in_features: int):
        super().__init__()
        self.linear1 = nn.Linear(in_features, 2)   # name as in the published checkpoints

    def forward(self, x):
        return self.linear1(x)


class MultiTaskSSL(nn.Module):
    """HARNet backbone with one two-way head per pretext task; keys match the published layout."""

    def __init__(self, variant: str = "harnet10", tasks=("aot", "permute", "time_w")):
        super().__init__()
        self.backbone = HARNet(variant, num_classes=2)
        self.feature_extractor = self.backbone.feature_extractor
        self.tasks = tuple(tasks)
        for task in HEAD_NAMES:  # all four heads exist so the file fits any published-layout loader
            setattr(self, HEAD_NAMES[task], BinaryHead(self.backbone.feature_dim))

    def forward(self, x):
        feats = self.feature_extractor(x).flatten(1)
        return {t: getattr(self, HEAD_NAMES[t])(feats) for t in self.tasks}

    def trained_part(self) -> "TrainedPart":
        return TrainedPart(self)


class TrainedPart(nn.Module):
    """The modules pretraining updates (backbone features and the chosen tasks' heads), sharing their
    parameters with the full model. DDP wraps this: the backbone's classifier and unused heads get
    no gradient, and DDP stops with a reduction error at step 2 when it wraps them too."""

    def __init__(self, full: MultiTaskSSL):
        super().__init__()
        self.feature_extractor = full.feature_extractor
        self.heads = nn.ModuleDict({t: getattr(full, HEAD_NAMES[t]) for t in full.tasks})

    def forward(self, x):
        feats = self.feature_extractor(x).flatten(1)
        return {t: head(feats) for t, head in self.heads.items()}


class ShardedWindows:
    """Windows in ``.npy`` shards, memory-mapped; one shard per subject."""

    def __init__(self, shards: list[Path]):
        if not shards:
            from ..data.recording import DataError
            raise DataError("no .npy window shards found for pretraining")
        self.arrays = [np.load(p, mmap_mode="r") for p in shards]
        self.names = [p.stem for p in shards]
        self.weights = []
        for arr in self.arrays:
            vm = np.linalg.norm(np.asarray(arr, dtype=np.float32), axis=1)
            self.weights.append(self.movement_weights(vm.std(1)))

    @staticmethod
    def movement_weights(std: np.ndarray) -> np.ndarray:
        # Still windows (std < 0.01 g) keep a small share rather than none.
        w = np.clip(std, 0.01, None)
        return w / w.sum()

    @classmethod
    def from_folder(cls, folder) -> "ShardedWindows":
        return cls(sorted(Path(folder).glob("*.npy")))

    def __len__(self) -> int:
        return sum(len(a) for a in self.arrays)

    def sample(self, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        subjects = rng.integers(0, len(self.arrays), batch_size)
        out = np.empty((batch_size, *self.arrays[0].shape[1:]), dtype=np.float32)
        for s in np.unique(subjects):
            rows = np.flatnonzero(subjects == s)
            idx = np.sort(rng.choice(len(self.arrays[s]), len(rows), p=self.weights[s]))
            out[rows] = self.arrays[s][idx]
        return out


def write_shards(windows, folder) -> list[Path]:
    """One ``.npy`` per subject from a WindowSet (labels are dropped: pretraining is unlabelled)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for subject in np.unique(windows.subjects):
        path = folder / f"{str(subject).replace(':', '_')}.npy"   # keys are <source>:<id>
        np.save(path, windows.x[windows.subjects == subject].astype(np.float32))
        paths.append(path)
    return paths


class BatchStream(torch.utils.data.IterableDataset):
    """Endless batches from the shards; each DataLoader worker draws with its own seed."""

    def __init__(self, shards: list[Path], batch_size: int, seed: int):
        self.shards, self.batch_size, self.seed = shards, batch_size, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, info.id if info else 0])
        windows = ShardedWindows(self.shards)
        while True:
            yield torch.from_numpy(windows.sample(self.batch_size, rng))


@dataclass
class PretrainConfig:
    variant: str = "harnet10"
    steps: int = 1000
    batch_size: int = 256
    lr: float = 1e-4
    tasks: tuple = ("aot", "permute", "time_w")
    workers: int = 2
    amp: bool = True
    compile: bool = False
    device: str | None = None
    seed: int = 0
    show_progress: bool = True


def pretrain(shards: list[Path], out: Path, config: PretrainConfig, log=print,
             pretraining_data: dict | None = None) -> dict:
    """``pretraining_data``: which datasets and subjects the shards hold (data/unlabelled.py); saved in
    the checkpoint so fine-tuning can tell whether a test subject was seen."""
    rank, world, local_rank = distributed_context()
    seed_everything(config.seed + rank)
    device = pick_device(config.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    model = MultiTaskSSL(config.variant, config.tasks).to(device)
    train_model = model.trained_part()
    optimiser = torch.optim.Adam(train_model.parameters(), lr=config.lr)
    if world > 1:
        train_model = nn.parallel.DistributedDataParallel(train_model,
                                                          device_ids=[local_rank] if device.type == "cuda" else None)
    if config.compile:
        train_model = torch.compile(train_model)
    loader = torch.utils.data.DataLoader(BatchStream(shards, config.batch_size, config.seed + 1000 * rank),
                                         batch_size=None, num_workers=config.workers,
                                         pin_memory=device.type == "cuda",
                                         persistent_workers=config.workers > 0)
    ce = nn.CrossEntropyLoss()
    history, correct, seen = [], {t: 0 for t in config.tasks}, 0
    start = time.perf_counter()
    bar = progress(range(config.steps), desc="pretrain", disable=not config.show_progress or rank != 0)
    batches = iter(loader)
    model.train()
    try:
        for step in bar:
            x = next(batches).to(device, non_blocking=True)
            x, labels = apply_pretext(x, config.tasks)
            with autocast_for(device, config.amp):
                logits = train_model(x)
                # The paper weighs the tasks equally.
                loss = sum(ce(logits[t].float(), labels[t]) for t in config.tasks) / len(config.tasks)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            if step % 10 == 0 or step == config.steps - 1:
                with torch.no_grad():
                    for t in config.tasks:
                        correct[t] += int((logits[t].argmax(1) == labels[t]).sum())
                    seen += len(x)
                history.append({"step": step, "loss": loss.item()})
                bar.set_postfix(loss=f"{loss.item():.3f}")
    except KeyboardInterrupt:
        log("interrupted: saving the backbone as trained so far")
    elapsed = time.perf_counter() - start
    summary = {"steps": len(history) and history[-1]["step"] + 1, "seconds": elapsed,
               "windows_per_s": (history[-1]["step"] + 1) * config.batch_size * world / elapsed if history else 0,
               "task_accuracy": {t: correct[t] / max(seen, 1) for t in config.tasks},
               "final_loss": history[-1]["loss"] if history else None, "world_size": world}
    if rank == 0:
        out = Path(out)
        model.backbone.classes = ["pretext_a", "pretext_b"]
        save_checkpoint(model.backbone, out.with_suffix(".safetensors"),
                        {"pretraining": summary, "pretext_tasks": list(config.tasks),
                         **({"pretraining_data": pretraining_data} if pretraining_data else {})})
        heads = {f"{HEAD_NAMES[t]}.{k}": v for t in HEAD_NAMES
                 for k, v in getattr(model, HEAD_NAMES[t]).state_dict().items()}
        save_published_layout(model.backbone, out.with_suffix(".mdl"), heads)
    if world > 1:
        torch.distributed.destroy_process_group()
    return summary
