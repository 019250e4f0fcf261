"""Activation-range equalisation: the same float function, narrower spread of channel ranges."""
import numpy as np
import torch

from harnet_edge.export.equalize import MAX_SCALE, channel_peaks, conv_bn_relu_chain, equalise_activation_ranges
from harnet_edge.models.harnet import HARNet
from harnet_edge.models.student import StudentCNN


def _trained_looking_student():
    torch.manual_seed(0)
    model = StudentCNN("ds-small", 4)
    for module in model.modules():     # uneven channel scales, as training leaves them
        if isinstance(module, torch.nn.BatchNorm1d):
            module.weight.data = torch.rand(module.num_features) * 5 + 0.01
            module.bias.data = torch.randn(module.num_features)
    return model.eval()


def _spread(model, x):
    relus = [relu for _, _, relu in conv_bn_relu_chain(model)]
    return [float(p.max() / p[p > 0].min()) for p in channel_peaks(model, relus, x)]


def test_same_function_narrower_ranges():
    model = _trained_looking_student()
    x = np.random.default_rng(0).normal(0, 1, (64, 3, 300)).astype(np.float32)
    with torch.no_grad():
        before = model(torch.from_numpy(x))
    spread_before = _spread(model, x)
    assert equalise_activation_ranges(model, x, strength=1.0)
    with torch.no_grad():
        after = model(torch.from_numpy(x))
    assert torch.allclose(before, after, atol=1e-4, rtol=1e-4)
    spread_after = _spread(model, x)
    assert max(spread_before) > 2
    for wide, narrow in zip(spread_before, spread_after):   # each channel up to the widest, within the scale cap
        assert narrow <= max(1.01, wide / MAX_SCALE * 1.01)


def test_models_that_are_not_a_plain_chain_are_left_alone():
    model = HARNet("harnet5", 4).eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    assert not equalise_activation_ranges(model, np.zeros((4, 3, model.window_len), np.float32))
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_a_layer_where_no_channel_fires_is_left_as_it_is():
    """All-zero calibration windows (a band lying still with gravity removed, a silent file) or a
    layer whose every channel is dead on them: nothing to balance there, the rest still equalised,
    the float function unchanged (main crashed: max() of an empty tensor)."""
    model = _trained_looking_student()
    dead = model.feature_extractor[2].depthwise[1]          # every channel of one layer below zero
    dead.bias.data.fill_(-1e3)
    x = np.random.default_rng(1).normal(0, 1, (32, 3, 300)).astype(np.float32)
    with torch.no_grad():
        before = model(torch.from_numpy(x))
    weight_of_dead = dead.weight.detach().clone()
    assert equalise_activation_ranges(model, x, strength=1.0)
    assert torch.equal(dead.weight, weight_of_dead)
    with torch.no_grad():
        assert torch.allclose(before, model(torch.from_numpy(x)), atol=1e-4, rtol=1e-4)
    silent = StudentCNN("ds-tiny", 3).eval()                # fresh BN, zero input: no ReLU output above 0
    assert equalise_activation_ranges(silent, np.zeros((4, 3, 300), np.float32))
    assert not equalise_activation_ranges(silent, np.zeros((0, 3, 300), np.float32))
