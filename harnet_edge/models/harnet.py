"""HARNet: the 1-D pre-activation ResNet of Yuan et al. (npj Digit. Med. 2024).

Written from the paper's description. Module names are chosen so that ``state_dict()`` keys
equal those of the published ssl-wearables checkpoints (``feature_extractor.layerN.M.*``):
that is what lets ``mtl_best.mdl`` and friends load unchanged.

Each of the five stages is ``Conv -> ResBlock x n -> BN -> ReLU -> anti-aliased downsample``;
every convolution pads circularly (a window is treated as periodic, as in the paper), and
downsampling is a fixed (non-learnt) binomial low-pass filter applied with a stride.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

SAMPLE_RATE_HZ = 30


@dataclass(frozen=True)
class Stage:
    channels: int
    kernel: int
    n_resblocks: int
    down_factor: int
    down_order: int


# Stage tables per window length: channels, conv kernel, residual blocks, downsampling factor and
# filter order. The product of the factors equals the window length, so one feature vector remains.
VARIANTS: dict[str, tuple[Stage, ...]] = {
    "harnet5": (
        Stage(64, 5, 2, 2, 2), Stage(128, 5, 2, 2, 2), Stage(256, 5, 2, 3, 1),
        Stage(256, 5, 2, 3, 1), Stage(512, 5, 0, 3, 1),
    ),
    "harnet10": (
        Stage(64, 5, 2, 2, 2), Stage(128, 5, 2, 2, 2), Stage(256, 5, 2, 5, 1),
        Stage(512, 5, 2, 5, 1), Stage(1024, 5, 0, 3, 1),
    ),
    "harnet30": (
        Stage(64, 5, 2, 3, 1), Stage(128, 5, 2, 3, 1), Stage(256, 5, 2, 5, 1),
        Stage(512, 5, 2, 5, 1), Stage(1024, 5, 0, 4, 0),
    ),
}
WINDOW_SECONDS = {"harnet5": 5, "harnet10": 10, "harnet30": 30}


def window_samples(variant: str) -> int:
    return WINDOW_SECONDS[variant] * SAMPLE_RATE_HZ


def feature_size(variant: str) -> int:
    return VARIANTS[variant][-1].channels


class AntiAliasDownsample(nn.Module):
    """Depthwise low-pass filter + stride. The kernel is a box filter convolved with itself
    ``order`` times (order 0 = moving average, 1 = triangle, ...), normalised to unit gain."""

    def __init__(self, channels: int, factor: int, order: int):
        super().__init__()
        if factor < 2 or (order * (factor - 1)) % 2:
            raise ValueError(f"bad downsampling: factor={factor}, order={order}")
        self.factor = factor
        self.padding = order * (factor - 1) // 2
        taps = np.ones(factor)
        for _ in range(order):
            taps = np.convolve(taps, np.ones(factor))
        taps = taps / taps.sum()
        # Saved in the state dict (the published checkpoints hold it as `kernel`).
        self.register_buffer("kernel", torch.tensor(taps, dtype=torch.float32).repeat(channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.kernel, stride=self.factor, padding=self.padding, groups=x.shape[1])


def circular_conv(c_in: int, c_out: int, kernel: int) -> nn.Conv1d:
    return nn.Conv1d(c_in, c_out, kernel, 1, kernel // 2, bias=False, padding_mode="circular")


class PreActResBlock(nn.Module):
    """BN-ReLU-Conv-BN-ReLU-Conv plus the identity (He et al. 2016, pre-activation form)."""

    def __init__(self, channels: int, kernel: int):
        super().__init__()
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv1 = circular_conv(channels, channels, kernel)
        self.bn2 = nn.BatchNorm1d(channels)
        self.conv2 = circular_conv(channels, channels, kernel)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(self.relu(self.bn1(x)))
        y = self.conv2(self.relu(self.bn2(y)))
        return x + y


def make_stage(c_in: int, stage: Stage) -> nn.Sequential:
    # Index positions matter: they are part of the published key names.
    modules: list[nn.Module] = [circular_conv(c_in, stage.channels, stage.kernel)]
    modules += [PreActResBlock(stage.channels, stage.kernel) for _ in range(stage.n_resblocks)]
    modules += [
        nn.BatchNorm1d(stage.channels),
        nn.ReLU(),
        AntiAliasDownsample(stage.channels, stage.down_factor, stage.down_order),
    ]
    return nn.Sequential(*modules)


class ClassifierHead(nn.Module):
    """F -> 512 -> classes, as the paper's fine-tuning head."""

    def __init__(self, in_features: int, num_classes: int, hidden: int = 512):
        super().__init__()
        self.linear1 = nn.Linear(in_features, hidden)
        self.linear2 = nn.Linear(hidden, num_classes)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.linear2(F.relu(self.linear1(feats)))


class HARNet(nn.Module):
    """HARNet backbone + classification head. Input: (N, 3, T) in g at 30 Hz, T = 150/300/900."""

    def __init__(self, variant: str = "harnet10", num_classes: int = 5, classes: list[str] | None = None):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; choose one of {sorted(VARIANTS)}")
        if classes is not None and len(classes) != num_classes:
            raise ValueError(f"{len(classes)} class names given for num_classes={num_classes}")
        self.variant = variant
        self.classes = list(classes) if classes else [f"class_{i}" for i in range(num_classes)]
        self.window_len = window_samples(variant)
        stages = nn.Sequential()
        c_in = 3
        for i, stage in enumerate(VARIANTS[variant]):
            stages.add_module(f"layer{i + 1}", make_stage(c_in, stage))
            c_in = stage.channels
        self.feature_extractor = stages
        self.feature_dim = c_in
        self.classifier = ClassifierHead(c_in, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv1d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm1d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @property
    def num_classes(self) -> int:
        return self.classifier.linear2.out_features

    def check_input(self, x: torch.Tensor) -> None:
        if x.ndim != 3 or x.shape[1] != 3 or x.shape[2] != self.window_len:
            raise ValueError(
                f"{self.variant} expects input of shape (N, 3, {self.window_len}) "
                f"({WINDOW_SECONDS[self.variant]} s x 3 axes at {SAMPLE_RATE_HZ} Hz, in g); "
                f"got {tuple(x.shape)}"
            )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Backbone features, shape (N, F)."""
        self.check_input(x)
        return self.feature_extractor(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.embed(x))

    @classmethod
    def from_ssl_wearables(cls, path, variant: str | None = None, num_classes: int = 5,
                           classes: list[str] | None = None, verbose: bool = True) -> "HARNet":
        """Build a model with the backbone of a published ssl-wearables checkpoint
        (``mtl_best.mdl``, ``mtl_5_best.mdl``, ``mtl_30_best.mdl``). The head starts untrained.
        A thin entry point: ``checkpoints`` owns every file read and write."""
        from .checkpoints import load_published_backbone

        return load_published_backbone(path, variant=variant, num_classes=num_classes,
                                       classes=classes, verbose=verbose)
