"""A build chooses among training seeds by loss only among those whose int8 copy holds in every
wearing orientation (export/int8_check.py)."""
import numpy as np
import torch

from harnet_edge.export.int8_check import pick_candidate, worst_orientation_agreement
from harnet_edge.export.pipeline import ExportOptions
from harnet_edge.models.student import StudentCNN
from tests.export.conftest import randomise_batchnorm


def test_lowest_loss_among_the_seeds_that_pass():
    assert pick_candidate([0.60, 0.61, 0.68], [0.94, 0.975, 0.98], 0.97) == 1
    assert pick_candidate([0.60, 0.61, 0.68], [0.97, 0.975, 0.98], 0.97) == 0      # the bar itself passes


def test_when_no_seed_passes_the_one_closest_to_the_bar_is_kept():
    assert pick_candidate([0.60, 0.61, 0.68], [0.94, 0.95, 0.93], 0.97) == 1


def test_candidate_int8_copy_is_swept_without_touching_the_model(adl_windows):
    torch.manual_seed(0)
    model = randomise_batchnorm(StudentCNN("ds-tiny", 5, ["walk", "climb_stairs", "drink_glass", "pour_water",
                                                          "getup_bed"]))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = adl_windows.x.astype(np.float32)
    worst = worst_orientation_agreement(model, x[:32], x[32:56], ExportOptions())
    assert 0.0 <= worst <= 1.0
    # equalisation rescales a copy: the candidate itself is unchanged
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
