"""Quantisation-aware fine-tuning rounds where the int8 export rounds, and leaves a plain model behind."""
import pytest
import torch

from harnet_edge.export.orientation import MIN_INPUT_RANGE_G
from harnet_edge.models.student import StudentCNN
from harnet_edge.train.fake_quant import INPUT_RANGE_G, int8_rounding


def _student():
    torch.manual_seed(0)
    return StudentCNN("ds-tiny", 3).eval()


def test_input_scale_is_the_exports():
    assert INPUT_RANGE_G == MIN_INPUT_RANGE_G


def test_inside_the_block_inputs_and_weights_are_rounded():
    model, x = _student(), torch.randn(4, 3, 300) * 0.5
    step = 2 * INPUT_RANGE_G / 255
    nudged = x + 0.2 * step * (torch.round(x / step) * step > x).float()   # stays on the same grid point
    plain = model(x)
    assert not torch.equal(plain, model(nudged))
    with int8_rounding(model):
        model.train()
        model(x)          # ranges tracked from a training batch
        model.eval()
        assert torch.equal(model(x), model(nudged))
        conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv1d))
        levels = torch.unique(conv.weight[0] / (conv.weight[0].abs().max() / 127))
        assert torch.allclose(levels, levels.round(), atol=1e-4)


def test_afterwards_the_model_is_plain_and_keeps_its_weights():
    model = _student()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with int8_rounding(model):
        model(torch.randn(2, 3, 300))
    after = model.state_dict()
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)
    assert not model._forward_pre_hooks and not model.classifier._forward_hooks


def test_a_failure_while_setting_up_leaves_no_hook_behind(monkeypatch):
    """Ctrl-C (or any error) half-way through wrapping the model: main had registered its hooks before
    the try, so they stayed and the model went on rounding its activations ever after."""
    from torch.nn.utils import parametrize

    from harnet_edge.models.student import StudentCNN
    from harnet_edge.train import fake_quant

    model = StudentCNN("ds-tiny", 3)
    keys = set(model.state_dict())
    real, calls = parametrize.register_parametrization, {"n": 0}

    def interrupted_on_the_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(fake_quant.parametrize, "register_parametrization", interrupted_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        with fake_quant.int8_rounding(model):
            pass
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert not any(parametrize.is_parametrized(m) for m in model.modules())
    assert set(model.state_dict()) == keys


def test_agreement_passes_leave_the_running_statistics_alone():
    """The turned copies agreement_loss adds must not become BatchNorm's running statistics (they are
    what the exported model normalises with)."""
    from torch import nn

    from harnet_edge.train.fake_quant import agreement_loss

    model = _student().train()
    x, y = torch.randn(16, 3, 300), torch.randint(0, 3, (16,))
    with int8_rounding(model) as switch:
        logits = model(x)
        before = [m.running_mean.clone() for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
        loss = agreement_loss(model, switch, lambda lg, xb, yb, idx: nn.functional.cross_entropy(lg, yb), 1.0)
        loss(logits, x, y, None)
        after = [m.running_mean for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
