import re

import pytest
import torch

from harnet_edge.models import HARNet, count_parameters, feature_size, window_samples


@pytest.mark.parametrize("variant,n_params", [("harnet5", 4_227_904), ("harnet10", 10_457_408)])
def test_backbone_parameter_counts_match_paper(variant, n_params):
    assert count_parameters(HARNet(variant).feature_extractor) == n_params


@pytest.mark.parametrize("variant", ["harnet5", "harnet10", "harnet30"])
def test_forward_and_embedding_shapes(variant):
    model = HARNet(variant, num_classes=7).eval()
    x = torch.randn(4, 3, window_samples(variant))
    with torch.no_grad():
        assert model.embed(x).shape == (4, feature_size(variant))
        assert model(x).shape == (4, 7)


def test_state_dict_keys_follow_published_layout():
    keys = [k for k in HARNet("harnet10").state_dict() if k.startswith("feature_extractor.")]
    pattern = re.compile(r"feature_extractor\.layer[1-5]\.\d+\.(weight|bias|running_mean|running_var|"
                         r"num_batches_tracked|kernel|(bn[12]|conv[12])\.\w+)$")
    assert all(pattern.match(k) for k in keys), [k for k in keys if not pattern.match(k)][:5]
    sd = HARNet("harnet10").state_dict()
    assert sd["feature_extractor.layer1.0.weight"].shape == (64, 3, 5)
    assert sd["feature_extractor.layer3.1.conv2.weight"].shape == (256, 256, 5)
    # Stage 5 has no residual blocks: conv, BN, ReLU, anti-aliasing filter (factor 3, triangle).
    assert sd["feature_extractor.layer5.3.kernel"].shape == (1024, 1, 5)
    assert sd["classifier.linear1.weight"].shape == (512, 1024)


def test_antialias_kernels_are_fixed_lowpass_with_unit_gain():
    model = HARNet("harnet10")
    kernel = model.state_dict()["feature_extractor.layer1.5.kernel"][0, 0]
    assert torch.allclose(kernel, torch.tensor([1, 3, 3, 1.0]) / 8)  # box(2) convolved twice
    assert not any("kernel" in name for name, _ in model.named_parameters())


def test_circular_padding_wraps_the_window_end_onto_its_start():
    """The first output sample of every convolution sees the last input samples (periodic window)."""
    model = HARNet("harnet10").eval()
    first_conv = model.feature_extractor.layer1[0]
    x = torch.randn(1, 3, 300)
    bumped = x.clone()
    bumped[..., -1] += 1.0
    with torch.no_grad():
        delta = (first_conv(bumped) - first_conv(x)).abs()[0].sum(0)
    assert delta[0] > 0 and delta[1] > 0 and delta[2] == 0  # kernel 5: two samples wrap
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d)]
    assert len(convs) == 21 and all(c.padding_mode == "circular" for c in convs)


@pytest.mark.parametrize("shape", [(2, 3, 299), (2, 300, 3), (3, 300)])
def test_wrong_input_shape_gets_clear_error(shape):
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 3, 300\)"):
        HARNet("harnet10")(torch.randn(*shape))


def test_unknown_variant_rejected():
    with pytest.raises(ValueError, match="unknown variant"):
        HARNet("harnet20")
