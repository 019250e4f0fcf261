"""The TFLite graph check identifies HARNet's anti-aliasing filters by their fixed taps, so a graph
whose filters are gone fails it even though it still holds many depthwise convolutions."""
import torch
from torch import nn

from harnet_edge.export import fold
from harnet_edge.export.graph_checks import tflite_graph_report
from harnet_edge.export.metadata import artefact_metadata
from harnet_edge.export.tflite_writer import write_tflite_fp32
from harnet_edge.models import HARNet

REAL_FILTER = fold.antialias_as_conv2d


def decimation_only(down) -> nn.Conv2d:
    """Same op, stride, padding and kernel length as the real filter, but one tap of 1: the low-pass
    is removed and only the subsampling remains (what a converter dropping the filter would leave)."""
    conv = REAL_FILTER(down)
    weight = torch.zeros_like(conv.weight)
    weight[..., down.padding] = 1.0
    conv.weight = nn.Parameter(weight, requires_grad=False)
    return conv


def test_tflite_check_fails_when_the_antialias_filters_are_removed(tmp_path, monkeypatch):
    model = HARNet("harnet5", 5).eval()
    monkeypatch.setattr(fold, "antialias_as_conv2d", decimation_only)
    path = write_tflite_fp32(fold.prepare_for_export(model), model.window_len, tmp_path / "no_aa.tflite",
                             artefact_metadata(model, "fp32", "test"))
    report = tflite_graph_report(path, model)
    assert report["depthwise_convs"] >= report["antialias_filters"] == 5   # the old count-based check passed
    assert report["antialias_found"] == 0 and not report["ok"]
