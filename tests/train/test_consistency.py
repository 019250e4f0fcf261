"""Consistency training: answers under int8-sized jitter are pulled towards the clean answers."""
import torch
from torch import nn

from harnet_edge.train.loop import TrainConfig, consistent_loss


def _task_loss(logits, xb, yb, idx):
    return nn.functional.cross_entropy(logits, yb)


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 30, 16), nn.ReLU(), nn.Linear(16, 4))


def test_without_jitter_it_is_the_task_loss():
    model, x, y = _model(), torch.randn(8, 3, 30), torch.randint(0, 4, (8,))
    config = TrainConfig(consistency=5.0, consistency_noise_g=0.0)
    loss = consistent_loss(model, x, y, None, _task_loss, config, torch.Generator().manual_seed(0))
    assert torch.allclose(loss, _task_loss(model(x), x, y, None))


def test_jitter_adds_a_penalty():
    model, x, y = _model(), torch.randn(8, 3, 30), torch.randint(0, 4, (8,))
    config = TrainConfig(consistency=5.0, consistency_noise_g=0.5)
    loss = consistent_loss(model, x, y, None, _task_loss, config, torch.Generator().manual_seed(0))
    assert loss > _task_loss(model(x), x, y, None) + 1e-4


def test_turned_pairs_add_a_penalty_even_without_jitter_only_through_the_turned_copies():
    """With every pair turned and no jitter the KL compares a turned window with itself: zero."""
    model, x, y = _model(), torch.randn(8, 3, 30), torch.randint(0, 4, (8,))
    config = TrainConfig(consistency=5.0, consistency_noise_g=0.0, consistency_orientation_p=1.0)
    loss = consistent_loss(model, x, y, None, _task_loss, config, torch.Generator().manual_seed(0))
    assert torch.allclose(loss, _task_loss(model(x), x, y, None))
    jittered = TrainConfig(consistency=5.0, consistency_noise_g=0.5, consistency_orientation_p=1.0)
    assert consistent_loss(model, x, y, None, _task_loss, jittered, torch.Generator().manual_seed(0)) > loss + 1e-4
