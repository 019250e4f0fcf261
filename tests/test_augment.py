"""Training augmentation must cover the ways a band is really worn: the other wrist, turned round."""
import torch

from harnet_edge.train.augment import augment, random_other_wrist


def test_other_wrist_negates_x_and_y_of_about_half_the_windows():
    x = torch.ones(400, 3, 30)
    out = random_other_wrist(x, torch.Generator().manual_seed(0))
    mirrored = (out[:, 0] < 0).all(1)
    assert torch.equal(mirrored, (out[:, 1] < 0).all(1)) and (out[:, 2] == 1).all()
    assert 150 < int(mirrored.sum()) < 250


def test_augment_reaches_the_other_wrist():
    """Gravity along +x: swaps and 45-degree turns alone never point it more than cos(45) down any axis;
    the other wrist (x and y negated) does. Without it the model called other-wrist walking 'lying'."""
    x = torch.zeros(2000, 3, 30)
    x[:, 0] = 1.0
    out = augment(x, torch.Generator().manual_seed(0)).mean(2)
    assert (out.min(1).values < -0.75).float().mean() > 0.2
