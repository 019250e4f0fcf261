"""Small students for the edge: 1-D CNNs (plain or depthwise-separable) with global average pooling.

Sized by measurement against the export targets (< 300 k parameters, < 5 M MACs per 10 s window):
``cnn-small`` has ~197 k parameters and ~4.9 M MACs, ``ds-small`` ~130 k and ~2.2 M per 10 s window
(HARNet10: 10.5 M and 288 M). Zero padding and plain convolutions only, so every converter and
integer kernel handles them.
"""
from __future__ import annotations

import torch
from torch import nn

SAMPLE_RATE_HZ = 30

# (out_channels, stride) of each block after the stem; "plain" blocks are one full convolution, the
# others depthwise-separable. cnn-small is the built-in model: with the same int8 export, its int8 copy
# agreed with fp32 on >= 97 % of held-out selfBACK windows in each of the 24 wearing orientations
# (3 seeds of a draft with 160 channels last: 0.973-0.979, ONNX, classifier not in int8), where
# ds-small's worst orientation stayed at 0.943-0.946
# with everything tried; likely because a depthwise channel sums only 5 rounded products (a full
# convolution, hundreds), so its rounding error is not averaged away.
STUDENTS = {
    "cnn-small": dict(stem=32, blocks=((64, 2), (96, 2), (128, 2), (144, 1)), block="plain"),
    "ds-small": dict(stem=32, blocks=((64, 2), (96, 2), (128, 2), (160, 1), (192, 1), (256, 2))),
    "ds-tiny": dict(stem=16, blocks=((32, 2), (48, 2), (64, 2), (96, 2))),
}


def conv_bn_relu(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
                         nn.BatchNorm1d(c_out), nn.ReLU())


class DepthwiseSeparable(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int = 5):
        super().__init__()
        self.depthwise = conv_bn_relu(c_in, c_in, kernel, stride, groups=c_in)
        self.pointwise = conv_bn_relu(c_in, c_out, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class PlainConv(nn.Module):
    """One full convolution (BatchNorm, ReLU): every output channel sums kernel x c_in products."""

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int = 5):
        super().__init__()
        self.conv = conv_bn_relu(c_in, c_out, kernel, stride)

    def forward(self, x):
        return self.conv(x)


BLOCKS = {"ds": DepthwiseSeparable, "plain": PlainConv}


class StudentCNN(nn.Module):
    def __init__(self, variant: str = "ds-small", num_classes: int = 5, classes: list[str] | None = None,
                 window_seconds: int = 10):
        super().__init__()
        if variant not in STUDENTS:
            raise ValueError(f"unknown student {variant!r}; choose one of {sorted(STUDENTS)}")
        spec = STUDENTS[variant]
        self.variant = variant
        self.classes = list(classes) if classes else [f"class_{i}" for i in range(num_classes)]
        self.window_len = window_seconds * SAMPLE_RATE_HZ
        layers = [conv_bn_relu(3, spec["stem"], 5, 2)]
        c = spec["stem"]
        block = BLOCKS[spec.get("block", "ds")]
        for c_out, stride in spec["blocks"]:
            layers.append(block(c, c_out, stride))
            c = c_out
        self.feature_extractor = nn.Sequential(*layers)
        self.feature_dim = c
        self.classifier = nn.Linear(c, num_classes)

    @property
    def num_classes(self) -> int:
        return self.classifier.out_features

    def check_input(self, x: torch.Tensor) -> None:
        if x.ndim != 3 or x.shape[1] != 3 or x.shape[2] != self.window_len:
            raise ValueError(f"{self.variant} expects input of shape (N, 3, {self.window_len}); got {tuple(x.shape)}")

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.feature_extractor(x).mean(dim=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.embed(x))
