import numpy as np

from harnet_edge.train.features import window_features
from harnet_edge.train.splits import subject_folds, validation_split


def test_loso_and_grouped_folds_never_share_subjects():
    subjects = np.repeat(np.array([f"s{i}" for i in range(11)]), 7)
    for scheme in ("loso", "group5"):
        folds = subject_folds(subjects, scheme)
        tested = np.concatenate([test for _, test in folds])
        assert sorted(tested) == list(range(len(subjects)))            # every window tested once
        for train, test in folds:
            assert not set(subjects[train]) & set(subjects[test])
            fit, val = validation_split(subjects, train)
            assert len(val) and not set(subjects[fit]) & set(subjects[val])
            assert set(fit) | set(val) == set(train)
    assert len(subject_folds(subjects, "loso")) == 11 and len(subject_folds(subjects, "group5")) == 5


def test_features_find_dominant_frequency():
    t = np.arange(300) / 30
    x = np.zeros((1, 3, 300))
    x[0, 2] = 1 + 0.3 * np.sin(2 * np.pi * 2.0 * t)
    feats = window_features(x)
    assert feats.shape == (1, 24) and np.isfinite(feats).all()
    assert abs(feats[0, 20] - 2.0) < 0.1   # first dominant frequency of the magnitude
