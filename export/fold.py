"""An inference-only copy of a model with its BatchNorms made converter-proof.

Known trap (seen with PT2E quantisation): a converter that folds a BatchNorm into the preceding
convolution even when that convolution's output also feeds a residual identity silently changes
the identity branch. HARNet's pre-activation blocks are exactly that shape. So before any converter
sees the model we fold only convolution->BatchNorm pairs whose convolution output has no other
user, and turn every other BatchNorm into an explicit per-channel affine (Mul + Add) that no
converter will fold into anything.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from harnet_edge.models.harnet import HARNet, PreActResBlock
from harnet_edge.models.student import StudentCNN


class ChannelAffine(nn.Module):
    """y = x * scale + shift per channel: an eval-mode BatchNorm, spelled out."""

    def __init__(self, bn: nn.BatchNorm1d):
        super().__init__()
        scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
        self.register_buffer("scale", scale[None, :, None].clone())
        self.register_buffer("shift", (bn.bias.detach() - bn.running_mean * scale)[None, :, None].clone())

    def forward(self, x):
        return x * self.scale + self.shift


def fold_conv_bn(conv: nn.Conv1d, bn: nn.BatchNorm1d) -> nn.Conv1d:
    """conv followed by bn (conv output used by bn alone) as one convolution with bias."""
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    folded = copy.deepcopy(conv)
    folded.weight = nn.Parameter(conv.weight.detach() * scale[:, None, None])
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
    folded.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias.detach())
    return folded


class FoldedPreActBlock(nn.Module):
    """affine1 -> ReLU -> conv1(+bn2 folded) -> ReLU -> conv2, plus the untouched identity."""

    def __init__(self, block: PreActResBlock):
        super().__init__()
        self.affine1 = ChannelAffine(block.bn1)
        self.conv1 = fold_conv_bn(block.conv1, block.bn2)   # conv1's only user is bn2
        self.conv2 = copy.deepcopy(block.conv2)
        self.relu = nn.ReLU()

    def forward(self, x):
        return x + self.conv2(self.relu(self.conv1(self.relu(self.affine1(x)))))


def fold_harnet(model: HARNet) -> nn.Module:
    folded = copy.deepcopy(model).eval()
    for stage in folded.feature_extractor:
        modules = list(stage)
        has_blocks = any(isinstance(m, PreActResBlock) for m in modules)
        for i, m in enumerate(modules):
            if isinstance(m, PreActResBlock):
                stage[i] = FoldedPreActBlock(m)
            elif isinstance(m, nn.BatchNorm1d):
                if has_blocks:   # its input is a residual sum: no convolution to fold into
                    stage[i] = ChannelAffine(m)
                else:            # conv -> BN directly, and the conv has no other user
                    stage[0] = fold_conv_bn(modules[0], m)
                    stage[i] = nn.Identity()
    return folded


def fold_student(model: StudentCNN) -> nn.Module:
    folded = copy.deepcopy(model).eval()
    for seq in [m for m in folded.modules() if isinstance(m, nn.Sequential)]:
        items = list(seq)
        for i in range(len(items) - 1):
            if isinstance(items[i], nn.Conv1d) and isinstance(items[i + 1], nn.BatchNorm1d):
                seq[i] = fold_conv_bn(items[i], items[i + 1])
                seq[i + 1] = nn.Identity()
    return folded


class ExportWrapper(nn.Module):
    """The graph that is converted: windows (N, 3, T) -> logits; no Python-side input checks."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.feature_extractor = model.feature_extractor
        self.classifier = model.classifier
        self.pool = isinstance(model, StudentCNN)

    def forward(self, x):
        feats = self.feature_extractor(x)
        feats = feats.mean(dim=2) if self.pool else feats.flatten(1)
        return self.classifier(feats)


def prepare_for_export(model: nn.Module) -> nn.Module:
    if isinstance(model, HARNet):
        folded = fold_harnet(model)
    elif isinstance(model, StudentCNN):
        folded = fold_student(model)
    else:
        raise TypeError(f"cannot prepare {type(model).__name__} for export")
    return ExportWrapper(folded).eval()


def count_batchnorms(model: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm1d) for m in model.modules())
