import copy

import torch

from harnet_edge.export.fold import count_batchnorms, fold_conv_bn, prepare_for_export
from harnet_edge.export.metadata import artefact_metadata
from harnet_edge.export.onnx_writer import write_onnx_fp32
from harnet_edge.export.validate import Thresholds, validate_artefact
from harnet_edge.models import HARNet
from harnet_edge.models.student import StudentCNN
from tests.export.conftest import randomise_batchnorm


def test_folded_harnet_equals_original_on_real_windows(adl_windows):
    model = randomise_batchnorm(HARNet("harnet10", 5))
    graph = prepare_for_export(model)
    x = torch.from_numpy(adl_windows.x[:32])
    with torch.no_grad():
        assert torch.allclose(graph(x), model(x), atol=1e-4)
    assert count_batchnorms(graph) == 0
    # 8 pre-activation bn1 + 4 stage BNs that follow a residual sum become explicit affines;
    # bn2 (x8) and stage 5's BN (conv output with a single user) are folded into convolutions.
    assert sum(isinstance(m, torch.nn.Conv2d) and m.kernel_size == (1, 1) and m.groups > 1
               for m in graph.modules()) == 12     # ... spelled as 1x1 depthwise convolutions
    # Converter-friendly spelling: circular padding as explicit slices + concat, convolutions 2-D.
    assert not any(isinstance(m, torch.nn.Conv1d) for m in graph.modules())
    assert not any(getattr(m, "padding_mode", "zeros") != "zeros" for m in graph.modules())


def test_folded_student_equals_original():
    model = randomise_batchnorm(StudentCNN("ds-small", 9))
    graph = prepare_for_export(model)
    x = torch.randn(8, 3, 300)
    with torch.no_grad():
        assert torch.allclose(graph(x), model(x), atol=1e-4)
    assert count_batchnorms(graph) == 0


def naive_fold_into_identity_branch(model: HARNet) -> HARNet:
    """The known converter trap: fold a block's bn1 into the stage's first conv although that
    conv's output also feeds the residual identity."""
    broken = copy.deepcopy(model)
    stage = broken.feature_extractor.layer2
    bn = stage[1].bn1
    stage[0] = fold_conv_bn(stage[0], bn)
    with torch.no_grad():  # bn1 now a no-op: its effect was moved into the shared convolution
        bn.running_mean.zero_(), bn.running_var.fill_(1 - bn.eps), bn.weight.fill_(1), bn.bias.zero_()
    return broken


def test_validation_catches_the_residual_folding_trap(tmp_path, adl_windows):
    # Seeded: with weights from whatever state earlier tests left the global RNG in, the broken fold
    # once moved probabilities by only 0.008 (CI order); seeds 0-4 give 0.05-0.20.
    torch.manual_seed(0)
    model = randomise_batchnorm(HARNet("harnet10", 5, ["walk", "climb_stairs", "drink_glass", "pour_water", "getup_bed"]))
    x = adl_windows.x[:80]
    reference = torch.softmax(model(torch.from_numpy(x)), 1).detach().numpy()
    broken = naive_fold_into_identity_branch(model)
    for candidate, should_pass in ((model, True), (broken, False)):
        path = tmp_path / f"{should_pass}.onnx"
        write_onnx_fp32(prepare_for_export(candidate), 300, path, artefact_metadata(model, "fp32", "test"))
        result = validate_artefact(path, x, reference, None, Thresholds())
        assert result["passed"] is should_pass, result
    assert result["max_prob_diff"] > 1e-2
