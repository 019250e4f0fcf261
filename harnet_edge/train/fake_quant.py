"""Quantisation-aware fine-tuning: a few epochs in which the model computes as its int8 copy will.

Why: calibrated post-training int8 of the ds-small student disagreed with fp32 on up to 6 % of
held-out selfBACK windows in some axis-aligned orientations. The error was spread over every layer
(16-bit activations in any one block of layers fixed little; in all of them, nearly all), so the
remedy is a model trained to tolerate the rounding, not a finer format.

The rounding points are where the exporters quantise (ONNX QDQ and TFLite alike): the input, on a
fixed symmetric scale (``export.orientation.MIN_INPUT_RANGE_G``); every ReLU's output and the pooled
features and logits, each on a uint8 range tracked from the training batches; and the weights of
every convolution and linear layer, per output channel, int8 symmetric. Per-channel rounding commutes
with the BatchNorm scale folded in at export, so rounding the unfolded weights is exact. Gradients
pass straight through the rounding (torch's fake-quantise ops).
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from .loop import class_weights, fit

INPUT_RANGE_G = 4.0   # the same full scale as export.orientation.MIN_INPUT_RANGE_G (tested equal)


class Switch:
    """Rounding on or off, shared by every hook of one model (off: the float model it exports from)."""
    on = True


class RangeTracker:
    """Forward hook: tracks a tensor's min/max (moving average over training batches) and rounds the
    tensor to the uint8 grid spanning them."""

    def __init__(self, switch: Switch, momentum: float = 0.05):
        self.switch, self.momentum, self.low, self.high = switch, momentum, None, None

    def observe(self, x: torch.Tensor) -> None:
        low, high = float(x.detach().min()), float(x.detach().max())
        if self.low is None:
            self.low, self.high = low, high
        else:
            self.low += self.momentum * (low - self.low)
            self.high += self.momentum * (high - self.high)

    def round(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        if not self.switch.on:
            return x
        if training or self.low is None:
            self.observe(x)
        low, high = min(self.low, 0.0), max(self.high, 0.0)   # zero must be exact
        scale = max((high - low) / 255.0, 1e-8)
        zero_point = int(round(-low / scale))
        return torch.fake_quantize_per_tensor_affine(x, scale, zero_point, 0, 255)

    def __call__(self, module, inputs, output):
        return self.round(output, module.training)


class ChannelWeightRounding(nn.Module):
    """Parametrisation: weights rounded to int8, symmetric, one scale per output channel."""

    def __init__(self, switch: Switch):
        super().__init__()
        self.switch = switch

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        if not self.switch.on:
            return weight
        flat = weight.detach().reshape(weight.shape[0], -1)
        scale = (flat.abs().amax(1) / 127.0).clamp_min(1e-8).float()
        zero = torch.zeros(weight.shape[0], dtype=torch.int32, device=weight.device)
        return torch.fake_quantize_per_channel_affine(weight, scale, zero, 0, -127, 127)


def input_rounding(switch: Switch):
    """Forward pre-hook: the input on the exporters' fixed symmetric grid (uint8, zero at 128)."""
    scale = 2 * INPUT_RANGE_G / 255.0

    def round_input(module, inputs):
        if not switch.on:
            return inputs
        return (torch.fake_quantize_per_tensor_affine(inputs[0], scale, 128, 0, 255), *inputs[1:])
    return round_input


@contextmanager
def int8_rounding(model: nn.Module):
    """Within the block (``with int8_rounding(model) as switch``; ``switch.on = False`` for the float
    model), ``model`` (a StudentCNN or HARNet: ``embed`` then ``classifier``) computes with
    int8 rounding; afterwards its hooks and parametrisations are gone and its weights are plain floats
    again (the export quantises them the same way)."""
    switch = Switch()
    handles = []
    rounded = [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Linear))]
    try:   # set up inside the try: a failure half-way (or Ctrl-C) leaves no hook behind either
        handles.append(model.register_forward_pre_hook(input_rounding(switch)))
        for module in model.modules():
            if isinstance(module, nn.ReLU):
                handles.append(module.register_forward_hook(RangeTracker(switch)))
        pooled, logits = RangeTracker(switch), RangeTracker(switch)
        handles.append(model.classifier.register_forward_pre_hook(
            lambda module, inputs: (pooled.round(inputs[0], module.training),)))
        handles.append(model.classifier.register_forward_hook(logits))
        for module in rounded:
            parametrize.register_parametrization(module, "weight", ChannelWeightRounding(switch))
        yield switch
    finally:
        for handle in handles:
            handle.remove()
        for module in rounded:
            if parametrize.is_parametrized(module, "weight"):
                parametrize.remove_parametrizations(module, "weight", leave_parametrized=False)


def agreement_loss(model: nn.Module, switch: Switch, task_loss, orientation_p: float = 1.0, weight: float = 3.0,
                   generator: torch.Generator | None = None):
    """A ``fit`` loss: the task loss of the rounded model, plus KL(float answer || rounded answer) on
    the batch turned into random axis-aligned orientations, so the int8 copy agrees with the float
    model however the device is strapped on (the task loss alone made the rounded model accurate in
    the training orientation and left it free elsewhere: worst orientation 0.935 after 8 epochs)."""
    from .wearing import random_orientation

    def loss(logits, xb, yb, idx):
        turned = random_orientation(xb, generator, orientation_p)
        with frozen_batchnorm_statistics(model):   # the turned copies must not become the running statistics
            switch.on = False
            with torch.no_grad():
                target = torch.softmax(model(turned).float(), dim=1)
            switch.on = True
            rounded = torch.log_softmax(model(turned).float(), dim=1)
        return task_loss(logits, xb, yb, idx) + weight * nn.functional.kl_div(rounded, target, reduction="batchmean")
    return loss


@contextmanager
def frozen_batchnorm_statistics(model: nn.Module):
    """BatchNorm layers still normalise by the batch in training mode but keep their running mean
    and variance as they were (momentum 0)."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum


def fit_int8_aware(model: nn.Module, x_train, y_train, n_classes: int, x_val, y_val, config,
                   orientation_p: float = 1.0, agreement_weight: float = 3.0, description: str = "int8-aware") -> dict:
    """Fine-tune a trained model for a few epochs with int8 rounding and ``agreement_loss`` (use a low
    learning rate in ``config``); returns ``fit``'s summary. The model ends as a plain float model."""
    ce = nn.CrossEntropyLoss(weight=class_weights(np.asarray(y_train), n_classes))
    generator = torch.Generator().manual_seed(config.seed)
    with int8_rounding(model) as switch:
        loss = agreement_loss(model, switch, lambda logits, xb, yb, idx: ce.to(logits.device)(logits, yb),
                              orientation_p, agreement_weight, generator)
        return fit(model, x_train, y_train, n_classes, x_val, y_val, config, loss_fn=loss, description=description)
