"""Training augmentation must cover the ways a band is really worn: turned round, axes swapped."""
import torch

from harnet_edge.train.augment import augment, random_half_turn


def test_half_turn_negates_x_and_y_of_about_half_the_windows():
    x = torch.ones(400, 3, 30)
    out = random_half_turn(x, torch.Generator().manual_seed(0))
    mirrored = (out[:, 0] < 0).all(1)
    assert torch.equal(mirrored, (out[:, 1] < 0).all(1)) and (out[:, 2] == 1).all()
    assert 150 < int(mirrored.sum()) < 250


def test_augment_reaches_the_device_turned_round():
    """Gravity along +x: swaps and 45-degree turns alone never point it more than cos(45) down any axis;
    the half turn (x and y negated) does. Without it the model called such walking 'lying'."""
    x = torch.zeros(2000, 3, 30)
    x[:, 0] = 1.0
    out = augment(x, torch.Generator().manual_seed(0)).mean(2)
    assert (out.min(1).values < -0.75).float().mean() > 0.2


def test_augment_without_axis_swap_keeps_each_axis_in_place():
    """axis_swap=False, no rotation: only the half turn, so z is untouched and x, y only change sign."""
    x = torch.randn(200, 3, 30)
    out = augment(x, torch.Generator().manual_seed(0), max_angle_deg=0.0, axis_swap=False)
    assert torch.equal(out[:, 2], x[:, 2])
    assert torch.equal(out[:, :2].abs(), x[:, :2].abs())
