"""An inference-only copy of a model with its BatchNorms made converter-proof.

Known trap (seen with PT2E quantisation): a converter that folds a BatchNorm into the preceding
convolution even when that convolution's output also feeds a residual identity silently changes
the identity branch. HARNet's pre-activation blocks are exactly that shape. So before any converter
sees the model we fold only convolution->BatchNorm pairs whose convolution output has no other
user, and turn every other BatchNorm into an explicit per-channel affine (in the exported graph a
1x1 depthwise convolution that reads the residual stream) that no converter folds into anything.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from harnet_edge.models.harnet import AntiAliasDownsample, HARNet, PreActResBlock
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


class WrapPadConv(nn.Module):
    """A circular-padding convolution spelled as slice + concat (on the time axis, the last one) +
    an unpadded convolution.

    Same numbers as ``padding_mode="circular"``, but litert-torch lowers the built-in circular pad
    to PAD + SLICE + SELECT masks (63 PAD and 63 SELECT ops in HARNet10); two slices and a concat
    are what every runtime does cheaply (int8 TFLite HARNet10: 1.9 -> 1.15 ms, measured side by side)."""

    def __init__(self, conv: nn.Conv1d):
        super().__init__()
        self.pad = conv.padding[0]
        self.conv = copy.deepcopy(conv)      # same weights, groups, stride; only the padding moves out
        self.conv.padding, self.conv.padding_mode = (0,), "zeros"

    def forward(self, x):
        p = self.pad
        return self.conv(torch.cat([x[..., -p:], x, x[..., :p]], dim=-1))


def spell_out_circular_padding(module: nn.Module) -> nn.Module:
    for name, child in module.named_children():
        if isinstance(child, nn.Conv1d) and child.padding_mode == "circular" and child.padding[0] > 0:
            setattr(module, name, WrapPadConv(child))
        else:
            spell_out_circular_padding(child)
    return module


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
    return spell_out_circular_padding(folded)


def fold_student(model: StudentCNN) -> nn.Module:
    folded = copy.deepcopy(model).eval()
    for seq in [m for m in folded.modules() if isinstance(m, nn.Sequential)]:
        items = list(seq)
        for i in range(len(items) - 1):
            if isinstance(items[i], nn.Conv1d) and isinstance(items[i + 1], nn.BatchNorm1d):
                seq[i] = fold_conv_bn(items[i], items[i + 1])
                seq[i + 1] = nn.Identity()
    return folded


def conv2d_from_conv1d(conv: nn.Conv1d) -> nn.Conv2d:
    """The same convolution over a (N, C, 1, T) tensor: kernel (1, k), stride (1, s)."""
    conv2d = nn.Conv2d(conv.in_channels, conv.out_channels, (1, conv.kernel_size[0]), (1, conv.stride[0]),
                       (0, conv.padding[0]), groups=conv.groups, bias=conv.bias is not None)
    conv2d.weight = nn.Parameter(conv.weight.detach().unsqueeze(2).clone())
    if conv.bias is not None:
        conv2d.bias = nn.Parameter(conv.bias.detach().clone())
    return conv2d


def antialias_as_conv2d(down: AntiAliasDownsample) -> nn.Conv2d:
    taps = down.kernel.detach()
    conv2d = nn.Conv2d(taps.shape[0], taps.shape[0], (1, taps.shape[-1]), (1, down.factor), (0, down.padding),
                       groups=taps.shape[0], bias=False)
    conv2d.weight = nn.Parameter(taps.unsqueeze(2).clone(), requires_grad=False)
    return conv2d


def affine_as_depthwise_conv(affine: ChannelAffine) -> nn.Conv2d:
    """The per-channel affine as a 1x1 depthwise convolution with bias: one integer kernel with
    per-channel weight scales instead of an int8 Mul and an int8 Add (HARNet10 int8: ~6 % faster in
    both onnxruntime and TFLite, measured side by side). It consumes the residual stream, never
    produces it, so no converter can fold it into the identity branch."""
    channels = affine.scale.shape[1]
    conv = nn.Conv2d(channels, channels, 1, groups=channels, bias=True)
    conv.weight = nn.Parameter(affine.scale.reshape(channels, 1, 1, 1).clone())
    conv.bias = nn.Parameter(affine.shift.reshape(channels).clone())
    return conv


def lower_to_2d(module: nn.Module) -> nn.Module:
    """Every 1-D op as its (N, C, 1, T) 2-D twin, in place.

    Converters lay out 2-D convolutions channels-last once for the whole graph; with 1-D ones
    litert-torch wrapped every convolution in reshape + transpose pairs (49 of each in HARNet10;
    int8 TFLite 1.12 -> 0.92 ms once lowered, measured side by side)."""
    for name, child in module.named_children():
        if isinstance(child, nn.Conv1d):
            setattr(module, name, conv2d_from_conv1d(child))
        elif isinstance(child, AntiAliasDownsample):
            setattr(module, name, antialias_as_conv2d(child))
        elif isinstance(child, ChannelAffine):
            setattr(module, name, affine_as_depthwise_conv(child))
        else:
            lower_to_2d(child)
    return module


class ExportWrapper(nn.Module):
    """The graph that is converted: windows (N, 3, T) -> logits; no Python-side input checks.
    Inside, tensors are (N, C, 1, T) (see ``lower_to_2d``)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.feature_extractor = lower_to_2d(model.feature_extractor)
        self.classifier = model.classifier
        self.pool = isinstance(model, StudentCNN)

    def forward(self, x):
        feats = self.feature_extractor(x.unsqueeze(2))
        feats = feats.mean(dim=(2, 3)) if self.pool else feats.flatten(1)
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
