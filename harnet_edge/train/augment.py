"""Training augmentation for wrist windows, batched on whatever device the batch is on.

A watch can sit either way round: swapping axes (the paper's fine-tuning recipe) and small rotations
make the model indifferent to that. Swaps and turns of up to 45 degrees never reach the device turned
round (x and y negated, a half turn about z), so that is drawn explicitly: a model trained without it
called walking with the device turned round "lying" with 0.8-0.9 confidence. The other wrist is a
mirror image, not a rotation: it is drawn in wearing.py, and with this half turn covers both ways a
mirrored device can read (y or x negated).

Axis swaps and wide turns cost a small model dearly: the ds-small student on selfBACK (held-out
subjects) lost 13-18 points of macro F1 with them, so ``TrainConfig.axis_swap`` can turn them off.
"""
from __future__ import annotations

import math

import torch


def random_axis_swap(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each window gets its axes permuted at random (x: (N, 3, T))."""
    perms = torch.stack([torch.randperm(3, generator=generator) for _ in range(x.shape[0])]).to(x.device)
    return torch.gather(x, 1, perms[:, :, None].expand(-1, -1, x.shape[2]))


def random_half_turn(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Half the windows, at random, as the device turned round on the wrist would record them: x and y
    negated, a half turn about z (x: (N, 3, T))."""
    flip = torch.rand(x.shape[0], generator=generator) < 0.5
    signs = torch.ones(x.shape[0], 3)
    signs[flip, :2] = -1.0
    return x * signs.to(x.device, x.dtype)[:, :, None]


def random_rotation_matrices(n: int, max_angle_rad: float, generator=None, device=None) -> torch.Tensor:
    """Rodrigues rotations about uniformly random axes by angles uniform in +-max_angle."""
    axis = torch.randn(n, 3, generator=generator)
    axis = axis / axis.norm(dim=1, keepdim=True)
    angle = (torch.rand(n, generator=generator) * 2 - 1) * max_angle_rad
    k = torch.zeros(n, 3, 3)
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(1, 2)
    eye = torch.eye(3).expand(n, 3, 3)
    s, c = torch.sin(angle)[:, None, None], torch.cos(angle)[:, None, None]
    return (eye + s * k + (1 - c) * k @ k).to(device)


def random_rotation(x: torch.Tensor, max_angle_deg: float = 45.0, generator=None) -> torch.Tensor:
    rot = random_rotation_matrices(x.shape[0], math.radians(max_angle_deg), generator, x.device)
    return rot.to(x.dtype) @ x


def augment(x: torch.Tensor, generator=None, max_angle_deg: float = 45.0, axis_swap: bool = True) -> torch.Tensor:
    x = random_half_turn(x, generator)
    if axis_swap:
        x = random_axis_swap(x, generator)
    return random_rotation(x, max_angle_deg, generator) if max_angle_deg > 0 else x
