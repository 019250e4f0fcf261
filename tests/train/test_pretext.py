import torch

from harnet_edge.train.augment import random_axis_swap, random_rotation
from harnet_edge.train.pretext import apply_pretext, permute_segments, reverse_time, time_warp


def ramp_batch(n=64, length=300):
    t = torch.arange(length, dtype=torch.float32)
    return torch.stack([t, t + 1000, t + 2000]).expand(n, 3, length).clone()


def test_reverse_time_only_where_masked():
    x = ramp_batch(4)
    mask = torch.tensor([True, False, True, False])
    out = reverse_time(x, mask)
    assert torch.equal(out[0], x[0].flip(-1)) and torch.equal(out[1], x[1])


def test_permutation_keeps_every_sample_in_four_shuffled_segments_of_min_length():
    x = ramp_batch(200)
    out = permute_segments(x, torch.ones(200, dtype=torch.bool), generator=torch.Generator().manual_seed(0))
    for row in out[:, 0]:
        assert torch.equal(torch.sort(row).values, x[0, 0])          # a rearrangement, nothing lost
        jumps = torch.nonzero(row.diff() != 1).flatten() + 1
        assert 1 <= len(jumps) <= 3                                   # 4 segments (adjacent may join)
        lengths = torch.diff(torch.cat([torch.tensor([0]), jumps, torch.tensor([300])]))
        assert lengths.min() >= 10
        assert not torch.equal(row, x[0, 0])                          # never the identity
    assert torch.equal(out[:, 1] - out[:, 0], torch.full_like(out[:, 0], 1000))  # axes move together


def test_time_warp_is_monotonic_resampling_with_fixed_ends():
    x = ramp_batch(50)
    out = time_warp(x, torch.ones(50, dtype=torch.bool), generator=torch.Generator().manual_seed(0))
    assert torch.allclose(out[:, 0, 0], x[:, 0, 0]) and torch.allclose(out[:, 0, -1], x[:, 0, -1])
    assert (out[:, 0].diff(dim=1) >= 0).all()
    assert (out - x).abs().amax(dim=(1, 2)).min() > 1.0   # every masked window actually warped


def test_labels_drawn_with_probability_half_and_match_the_transform():
    gen = torch.Generator().manual_seed(1)
    x = ramp_batch(2000)
    out, labels = apply_pretext(x, ("aot",), generator=gen)
    assert 0.45 < labels["aot"].float().mean() < 0.55
    reversed_rows = out[:, 0, 0] > out[:, 0, -1]
    assert torch.equal(reversed_rows.long(), labels["aot"])


def test_rotation_preserves_magnitude_and_axis_swap_permutes():
    x = torch.randn(32, 3, 300)
    rotated = random_rotation(x, 90, torch.Generator().manual_seed(0))
    assert torch.allclose(rotated.norm(dim=1), x.norm(dim=1), atol=1e-5)
    assert not torch.allclose(rotated, x)
    swapped = random_axis_swap(x, torch.Generator().manual_seed(0))
    assert torch.allclose(torch.sort(swapped, dim=1).values, torch.sort(x, dim=1).values)
