"""How a wrist sensor is worn: the other wrist (a mirror image) and the band turned on the strap.

Axis convention (selfBACK's Axivity AX3 and the HMP sensor on the wrist): x runs along the forearm.
Worn on the other wrist, the same movement is seen through a mirror across the body's midline; in
the device's own (right-handed) frame that is one axis negated: the axis across the wrist (y) when
the device sits as the mirror image, or x when it is also turned to read the right way round (the
two differ by a half-turn about z). Turning the band on the strap rotates about the forearm (x).

The 24 axis-aligned orientations (signed permutations with determinant +1) are every way a box-shaped
device can be strapped on: the int8 export is validated in each (``export.orientation``).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import torch

ACROSS_WRIST_AXIS = 1
FOREARM_AXIS = 0


def mirror_other_wrist(x: np.ndarray, axis: int = ACROSS_WRIST_AXIS) -> np.ndarray:
    """Windows (N, 3, T) as the same movements would read on the other wrist."""
    out = np.array(x, copy=True)
    out[:, axis] *= -1
    return out


def axis_aligned_rotations() -> list[np.ndarray]:
    """The 24 proper rotations that map coordinate axes onto coordinate axes (identity first)."""
    rotations = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            m = np.zeros((3, 3), np.float32)
            m[range(3), perm] = signs
            if round(float(np.linalg.det(m))) == 1:
                rotations.append(m)
    return rotations


def rotate(x: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """Windows (N, 3, T) seen by a sensor rotated by ``rotation`` (3x3)."""
    return np.einsum("ij,njt->nit", rotation.astype(np.float32), x).astype(np.float32)


def random_wearing(x: torch.Tensor, generator: torch.Generator | None = None, mirror_p: float = 0.5,
                   strap_deg: float = 30.0) -> torch.Tensor:
    """Training augmentation: each window on the other wrist with probability ``mirror_p``, and the
    band turned about the forearm by an angle uniform in +-``strap_deg``."""
    n = x.shape[0]
    flip = torch.rand(n, generator=generator) < mirror_p
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(strap_deg)
    c, s = torch.cos(angle), torch.sin(angle)
    rot = torch.zeros(n, 3, 3)
    rot[:, FOREARM_AXIS, FOREARM_AXIS] = 1
    a, b = [i for i in range(3) if i != FOREARM_AXIS]
    rot[:, a, a], rot[:, a, b], rot[:, b, a], rot[:, b, b] = c, -s, s, c
    rot[flip, :, ACROSS_WRIST_AXIS] *= -1     # mirror first, then turn on the strap
    return rot.to(x.device, x.dtype) @ x


def random_orientation(x: torch.Tensor, generator: torch.Generator | None = None, p: float = 0.0) -> torch.Tensor:
    """With probability ``p`` each window is turned into one of the 24 axis-aligned orientations (a
    device strapped on upside down or sideways)."""
    if p <= 0:
        return x
    rotations = torch.from_numpy(np.stack(axis_aligned_rotations()))
    pick = torch.randint(len(rotations), (x.shape[0],), generator=generator)
    pick[torch.rand(x.shape[0], generator=generator) >= p] = 0      # index 0 is the identity
    return rotations[pick].to(x.device, x.dtype) @ x


def jitter(x: torch.Tensor, generator: torch.Generator | None = None, sigma_g: float = 0.0) -> torch.Tensor:
    """Gaussian noise of ``sigma_g`` g: a model whose answer flips under noise smaller than an int8 step
    cannot agree with its own int8 copy (measured: 10 mg flipped 9 % of the old default's answers)."""
    if sigma_g <= 0:
        return x
    return x + sigma_g * torch.randn(x.shape, generator=generator).to(x.device, x.dtype)
