"""Supervised training of a window classifier (fine-tuning HARNet, training a student).

Paper recipe: Adam, class-weighted cross-entropy, augmentation (axis swap + rotation; here also the
other wrist and a band turned on its strap, see wearing.py), early stopping
on a validation split of whole training subjects. Frozen-backbone mode keeps the backbone's
BatchNorm statistics frozen too (it stays in eval mode), so only the head learns.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .augment import augment
from .wearing import jitter, random_orientation, random_wearing
from .device import distributed_context, pick_device, progress, seed_everything


class InterruptsStopEverything:
    """Within the block, Ctrl-C ends ``fit`` (best weights restored) and is then raised again, so a
    cross-validation stops instead of scoring a fold trained for a few steps and going on to the next."""
    depth = 0

    def __enter__(self):
        InterruptsStopEverything.depth += 1

    def __exit__(self, *exc):
        InterruptsStopEverything.depth -= 1


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-4
    weight_decay: float = 0.0
    patience: int = 5
    freeze_backbone: bool = False
    augment: bool = True
    rotation_deg: float = 45.0
    mirror_p: float = 0.5         # other wrist (see wearing.py); 0 turns it off
    # Band turned on the strap by up to this angle; 0 turns it off. Not 180: turns that wide hide the
    # forearm's roll, which tells drinking from pouring and sitting from lying (measured with 180:
    # HARNet10 on ADL's held-out m2, m3 fell from 0.79 to 0.46 macro F1; the selfBACK student lost 12 points).
    strap_deg: float = 30.0
    orientation_p: float = 0.0    # share of windows turned into a random axis-aligned orientation
    noise_g: float = 0.0          # Gaussian jitter (g) so answers survive int8 rounding
    axis_swap: bool = True        # axes permuted at random (the paper's recipe); see augment.py
    consistency: float = 0.0      # weight of a loss pulling answers under jitter towards the clean ones
    consistency_noise_g: float = 0.03   # that jitter, about an int8 input step at +-4 g
    consistency_orientation_p: float = 0.0   # share of those pairs turned into any axis-aligned orientation
    amp: bool = True
    device: str | None = None
    seed: int = 0
    show_progress: bool = True
    max_steps: int | None = None   # for smoke tests: stop after this many optimiser steps


def augmented_view(xb: torch.Tensor, generator: torch.Generator, config: TrainConfig) -> torch.Tensor:
    """The training augmentation: how the window would read worn otherwise, then rotated and jittered."""
    xb = random_orientation(random_wearing(xb, generator, config.mirror_p, config.strap_deg),
                            generator, config.orientation_p)
    return jitter(augment(xb, generator, config.rotation_deg, config.axis_swap), generator, config.noise_g)


def class_weights(y: np.ndarray, n_classes: int) -> torch.Tensor:
    y = y[y >= 0]  # -1 marks unlabelled windows (distillation)
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    weights = np.where(counts > 0, len(y) / (n_classes * np.maximum(counts, 1)), 0.0)
    return torch.tensor(weights, dtype=torch.float32)


def autocast_for(device: torch.device, enabled: bool):
    # bf16 needs no loss scaling and is what recent GPUs are fastest at.
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled and device.type == "cuda")


def set_train_mode(model: nn.Module, freeze_backbone: bool) -> None:
    model.train()
    if freeze_backbone and hasattr(model, "feature_extractor"):
        model.feature_extractor.eval()


@torch.no_grad()
def predict_proba(model: nn.Module, x: np.ndarray, batch_size: int = 256, device=None) -> np.ndarray:
    device = pick_device(device) if not isinstance(device, torch.device) else device
    model.eval().to(device)
    out = []
    for a in range(0, len(x), batch_size):
        xb = torch.from_numpy(np.ascontiguousarray(x[a:a + batch_size])).to(device)
        with autocast_for(device, True):
            out.append(torch.softmax(model(xb).float(), dim=1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def evaluate_loss(model, x, y, loss_fn, device, batch_size=256) -> float:
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for a in range(0, len(x), batch_size):
            xb = torch.from_numpy(x[a:a + batch_size]).to(device)
            yb = torch.from_numpy(y[a:a + batch_size]).to(device)
            with autocast_for(device, True):
                total += float(loss_fn(model(xb).float(), yb)) * len(xb)
            n += len(xb)
    return total / max(n, 1)


def consistent_loss(model, xb, yb, idx, loss_fn, config: TrainConfig, generator) -> torch.Tensor:
    """The task loss plus KL(answer || answer under jitter): a model whose answers flip under noise the
    size of an int8 input step cannot agree with its own int8 copy (measured on the selfBACK student:
    5 mg of noise flipped 3 % of fp32 answers in the worst orientation). The jittered pairs can be
    turned into any axis-aligned orientation, so answers are stable however the device is strapped on
    without the model having to classify every orientation. One forward pass over everything, so DDP
    sees each parameter used once."""
    pairs = random_orientation(xb, generator, config.consistency_orientation_p)
    turned = pairs is not xb
    batch = [xb, pairs, jitter(pairs, generator, config.consistency_noise_g)] if turned else \
        [xb, jitter(xb, generator, config.consistency_noise_g)]
    logits = model(torch.cat(batch)).float().split(len(xb))
    clean, reference, noisy = logits[0], logits[-2], logits[-1]
    target = torch.softmax(reference.detach(), dim=1)
    stability = nn.functional.kl_div(torch.log_softmax(noisy, dim=1), target, reduction="batchmean")
    return loss_fn(clean, xb, yb, idx) + config.consistency * stability


def fit(model: nn.Module, x_train: np.ndarray, y_train: np.ndarray, n_classes: int,
        x_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
        config: TrainConfig = TrainConfig(), loss_fn=None, description: str = "train") -> dict:
    """Train in place; the weights of the best validation epoch are restored at the end.
    Ctrl-C stops training early and still restores the best weights seen (and is raised again
    inside ``InterruptsStopEverything``)."""
    generator = seed_everything(config.seed)
    device = pick_device(config.device)
    model.to(device)
    if config.freeze_backbone:
        for p in model.feature_extractor.parameters():
            p.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    weighted_ce = nn.CrossEntropyLoss(weight=class_weights(y_train, n_classes).to(device))
    loss_fn = loss_fn or (lambda logits, xb, yb, idx: weighted_ce(logits, yb))
    has_val = x_val is not None and len(x_val) > 0
    best = {"loss": float("inf"), "epoch": -1, "state": None}
    history, steps, stale = [], 0, 0
    x_train_t = torch.from_numpy(np.ascontiguousarray(x_train))
    y_train_t = torch.from_numpy(y_train.astype(np.int64))
    # Under torchrun each process takes its share of every batch; DDP averages the gradients, so all
    # processes hold the same weights and take the same early-stopping decisions.
    rank, world, _ = distributed_context()
    train_model = model
    if world > 1:
        train_model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    batches_per_epoch = max(1, -(-len(x_train_t) // config.batch_size))
    bar = progress(total=config.epochs * batches_per_epoch, desc=description,
                   disable=not config.show_progress or rank != 0)
    try:
        for epoch in range(config.epochs):
            set_train_mode(model, config.freeze_backbone)
            order = torch.randperm(len(x_train_t), generator=generator)
            running = 0.0
            for a in range(0, len(order), config.batch_size):
                bar.update(1)   # per batch: an epoch can take minutes on a CPU
                batch = order[a:a + config.batch_size]
                if len(batch) < 2 * world:
                    continue  # BatchNorm cannot train on a batch of one (decided alike in every process)
                idx = batch[rank::world]
                xb, yb = x_train_t[idx].to(device), y_train_t[idx].to(device)
                if config.augment:
                    xb = augmented_view(xb, generator, config)
                with autocast_for(device, config.amp):
                    if config.consistency > 0:
                        loss = consistent_loss(train_model, xb, yb, idx, loss_fn, config, generator)
                    else:
                        loss = loss_fn(train_model(xb).float(), xb, yb, idx)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                running += loss.item() * len(idx) * world
                steps += 1
                if config.max_steps and steps >= config.max_steps:
                    break
            train_loss = running / max(len(order), 1)
            val_loss = evaluate_loss(model, x_val, y_val.astype(np.int64), weighted_ce, device) if has_val else train_loss
            history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss})
            bar.set_postfix(epoch=epoch + 1, train=f"{train_loss:.3f}", val=f"{val_loss:.3f}")
            if val_loss < best["loss"]:
                best = {"loss": val_loss, "epoch": epoch, "state": copy.deepcopy(model.state_dict())}
                stale = 0
            else:
                stale += 1
                if has_val and stale >= config.patience:
                    break
            if config.max_steps and steps >= config.max_steps:
                break
    except KeyboardInterrupt as exc:
        history.append({"interrupted": True})
        interrupt = exc
    else:
        interrupt = None
    bar.close()
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    model.eval()
    if interrupt is not None and InterruptsStopEverything.depth:
        raise interrupt
    return {"history": history, "best_epoch": best["epoch"], "best_val_loss": best["loss"], "steps": steps}
