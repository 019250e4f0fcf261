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


def near_tie_student() -> StudentCNN:
    """ds-tiny whose classes 0 and 1 share one weight row and differ by a bias of 0.02, while the logits
    span about 0-20 on ADL windows: an int8 step (~0.16) is far wider than the gap, an int16 step is not.
    fp32 therefore says class 1 on every window; an int8 copy with int8 logits ties and says class 0."""
    torch.manual_seed(0)
    model = StudentCNN("ds-tiny", 3, ["a", "b", "c"]).eval()
    with torch.no_grad():
        row = torch.randn(model.feature_dim).abs()
        row *= 20 / 0.0046      # the untrained features' logits reach ~0.0046 with unit weights
        model.classifier.weight.copy_(torch.stack([row, row, torch.zeros_like(row)]))
        model.classifier.bias.copy_(torch.tensor([0.0, 0.02, -20.0]))     # class 2 never competes
    return model


def test_sweep_scores_the_int8_copy_written_with_the_options(adl_windows):
    """The score must come from the int8 file the options describe: a constant, or a sweep of the fp32
    copy, would call every candidate perfect and the build would choose by loss alone."""
    x = adl_windows.x[np.random.default_rng(0).permutation(len(adl_windows))[:104]].astype(np.float32)
    calibration, windows = x[:64], x[64:]
    int8_logits = worst_orientation_agreement(near_tie_student(), calibration, windows, ExportOptions(logits_bits=8))
    int16_logits = worst_orientation_agreement(near_tie_student(), calibration, windows, ExportOptions(logits_bits=16))
    assert int8_logits < 0.5          # the 0.02 gap is lost to int8 rounding in every orientation
    assert int16_logits >= 0.9         # (a few windows beyond the calibrated range saturate)
