"""The paper's self-supervised pretext tasks, vectorised over a batch so they run on the GPU.

Each task transforms a window with probability 0.5 and a binary head predicts whether it did
(Yuan et al. 2024, after Saeed et al. 2019): arrow of time (reversal), permutation (4 segments of at
least 10 samples, shuffled), time warping (smooth random speed curve), and optionally scaling.
Doing this on the device, not per window in DataLoader workers, removes the data-preparation bound
of the original recipe.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

TASKS = ("aot", "permute", "time_w", "scale")


def reverse_time(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return torch.where(mask[:, None, None], x.flip(-1), x)


def permute_segments(x: torch.Tensor, mask: torch.Tensor, n_segments: int = 4, min_len: int = 10,
                     generator=None) -> torch.Tensor:
    n, _, length = x.shape
    dev = x.device
    spare = length - n_segments * min_len
    cuts = torch.sort(torch.randint(0, spare + 1, (n, n_segments - 1), generator=generator), dim=1).values
    edges = torch.cat([torch.zeros(n, 1, dtype=torch.long), cuts, torch.full((n, 1), spare)], dim=1)
    seg_len = edges.diff(dim=1) + min_len                                   # (n, S)
    seg_start = torch.cumsum(seg_len, 1) - seg_len
    # A random non-identity order: a random cyclic shift composed with a random permutation keeps
    # it uniform enough while guaranteeing the label means "shuffled".
    order = torch.argsort(torch.rand(n, n_segments, generator=generator), dim=1)
    identity = (order == torch.arange(n_segments)).all(1)
    order[identity] = order[identity].roll(1, dims=1)
    out_len = torch.gather(seg_len, 1, order)
    out_end = torch.cumsum(out_len, 1)
    pos = torch.arange(length).expand(n, length).contiguous()
    j = torch.searchsorted(out_end, pos, right=True).clamp(max=n_segments - 1)   # output segment
    src_seg = torch.gather(order, 1, j)
    offset = pos - (torch.gather(out_end, 1, j) - torch.gather(out_len, 1, j))
    src = (torch.gather(seg_start, 1, src_seg) + offset).to(dev)
    shuffled = torch.gather(x, 2, src[:, None, :].expand(-1, x.shape[1], -1))
    return torch.where(mask[:, None, None], shuffled, x)


def time_warp(x: torch.Tensor, mask: torch.Tensor, n_knots: int = 4, sigma: float = 0.2,
              generator=None) -> torch.Tensor:
    """Resample each window along a smooth random clock: speed ~ N(1, sigma) at a few knots,
    interpolated, integrated into warped sample positions, then read off by linear interpolation."""
    n, c, length = x.shape
    speed = (1 + sigma * torch.randn(n, 1, n_knots + 2, generator=generator)).clamp(min=0.2).to(x.device)
    speed = F.interpolate(speed, size=length, mode="linear", align_corners=True)[:, 0]   # (n, T)
    clock = torch.cumsum(speed, 1)
    clock = (clock - clock[:, :1]) / (clock[:, -1:] - clock[:, :1]) * (length - 1)
    lo = clock.floor().long().clamp(0, length - 2)
    frac = (clock - lo).to(x.dtype)[:, None, :]
    left = torch.gather(x, 2, lo[:, None, :].expand(-1, c, -1))
    right = torch.gather(x, 2, (lo + 1)[:, None, :].expand(-1, c, -1))
    return torch.where(mask[:, None, None], left + frac * (right - left), x)


def scale(x: torch.Tensor, mask: torch.Tensor, low: float = 0.5, high: float = 1.5, generator=None) -> torch.Tensor:
    """Multiply by a factor away from 1 (|f - 1| >= 0.2), so "scaled" is visible in the data."""
    f = low + (high - low - 0.4) * torch.rand(x.shape[0], generator=generator)
    f = torch.where(f >= 0.8, f + 0.4, f).to(x.device, x.dtype)
    return torch.where(mask[:, None, None], x * f[:, None, None], x)


def apply_pretext(x: torch.Tensor, tasks=("aot", "permute", "time_w"), p: float = 0.5,
                  generator=None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Transform a batch; return it and one 0/1 label per task and window."""
    labels = {}
    for task in tasks:
        mask = (torch.rand(x.shape[0], generator=generator) < p).to(x.device)
        labels[task] = mask.long()
        if task == "aot":
            x = reverse_time(x, mask)
        elif task == "permute":
            x = permute_segments(x, mask, generator=generator)
        elif task == "time_w":
            x = time_warp(x, mask, generator=generator)
        elif task == "scale":
            x = scale(x, mask, generator=generator)
        else:
            raise ValueError(f"unknown pretext task {task!r}; choose from {TASKS}")
    return x, labels
