"""The causal smoothers against values worked out by hand from their definitions.

HMM forward filter: belief_t ∝ (Tᵀ belief_{t-1}) ⊙ p_t, T = stay on the diagonal and (1 - stay)/(C - 1)
elsewhere, belief_0 uniform. Majority: the most frequent argmax of the last k windows, ties to the newest.
"""
import numpy as np
import pytest

from harnet_edge.runtime.smoothing import HmmForwardFilter, MajorityFilter, make_smoother


def test_hmm_forward_filter_two_classes_by_hand():
    hmm = HmmForwardFilter(2, stay_probability=0.9)
    # t=1: prior [0.5, 0.5] -> predicted [0.5, 0.5]; x [0.8, 0.2] -> [0.4, 0.1] / 0.5 = [0.8, 0.2]
    assert np.allclose(hmm.update(np.array([0.8, 0.2])), [0.8, 0.2])
    # t=2: predicted [0.9*0.8 + 0.1*0.2, 0.1*0.8 + 0.9*0.2] = [0.74, 0.26]; x [0.3, 0.7]
    #      -> [0.222, 0.182] / 0.404 = [0.549505, 0.450495]: one contrary window does not flip the label
    assert np.allclose(hmm.update(np.array([0.3, 0.7])), [0.222 / 0.404, 0.182 / 0.404])
    # t=3: predicted [0.9*0.549505 + 0.1*0.450495, 0.1*0.549505 + 0.9*0.450495] = [0.539604, 0.460396]
    #      x [0.3, 0.7] -> [0.161881, 0.322277] / 0.484158 = [0.334356, 0.665644]: the second one does
    assert np.allclose(hmm.update(np.array([0.3, 0.7])), [0.334356, 0.665644], atol=1e-6)


def test_hmm_forward_filter_spreads_leaving_mass_over_the_other_classes():
    hmm = HmmForwardFilter(3, stay_probability=0.8)           # off-diagonal (1 - 0.8) / 2 = 0.1
    assert np.allclose(hmm.transition, [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    hmm.update(np.array([0.6, 0.3, 0.1]))                     # uniform prior: belief = [0.6, 0.3, 0.1]
    # predicted [0.48+0.03+0.01, 0.06+0.24+0.01, 0.06+0.03+0.08] = [0.52, 0.31, 0.17]
    # x [0.2, 0.2, 0.6] -> [0.104, 0.062, 0.102] / 0.268
    assert np.allclose(hmm.update(np.array([0.2, 0.2, 0.6])), [0.104 / 0.268, 0.062 / 0.268, 0.102 / 0.268])
    hmm.reset()
    assert np.allclose(hmm.update(np.array([0.2, 0.2, 0.6])), [0.2, 0.2, 0.6])


def test_hmm_forward_filter_survives_a_zero_probability():
    hmm = HmmForwardFilter(2, stay_probability=0.9)
    hmm.update(np.array([1.0, 0.0]))
    belief = hmm.update(np.array([0.0, 1.0]))
    assert np.isfinite(belief).all() and belief.sum() == pytest.approx(1)


def test_majority_filter_by_hand():
    maj = MajorityFilter(3, k=3)
    labels = [int(np.argmax(maj.update(np.eye(3)[c]))) for c in (0, 1, 1, 2, 2, 0, 0)]
    # windows [0] -> 0; [0,1] tie -> newest 1; [0,1,1] -> 1; [1,1,2] -> 1; [1,2,2] -> 2;
    # [2,2,0] -> 2; [2,0,0] -> 0
    assert labels == [0, 1, 1, 1, 2, 2, 0]
    out = maj.update(np.array([0.1, 0.2, 0.7]))
    assert out.tolist() == [1.0, 0.0, 0.0]                     # [0,0,2] -> 0, as a one-hot vector
    maj.reset()
    assert maj.update(np.array([0.1, 0.2, 0.7])).tolist() == [0.0, 0.0, 1.0]


def test_make_smoother_names():
    assert make_smoother("none", 3) is None
    assert isinstance(make_smoother("hmm", 3), HmmForwardFilter)
    assert make_smoother("majority:5", 3).recent.maxlen == 5
    with pytest.raises(ValueError, match="unknown smoothing"):
        make_smoother("viterbi", 3)
