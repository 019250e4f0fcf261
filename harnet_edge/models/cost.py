"""What a model costs per window: parameters and multiply-accumulates (used for the model zoo figures
and the Raspberry Pi estimate). Works on any zoo model, HARNet or student."""
from __future__ import annotations

import torch
from torch import nn


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def count_macs(model: nn.Module, window_len: int) -> int:
    """Multiply-accumulates of one window through convolutions and linear layers."""
    macs = 0

    def hook(module, inputs, output):
        nonlocal macs
        if isinstance(module, nn.Conv1d):
            macs += output.numel() * module.in_channels // module.groups * module.kernel_size[0]
        elif isinstance(module, nn.Linear):
            macs += output.numel() * module.in_features
        elif hasattr(module, "kernel") and isinstance(getattr(module, "kernel"), torch.Tensor):
            macs += output.numel() * module.kernel.shape[-1]   # fixed anti-aliasing filters

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, window_len))
    model.train(was_training)
    for h in handles:
        h.remove()
    return macs
