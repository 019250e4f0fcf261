import numpy as np
from sklearn.metrics import cohen_kappa_score, f1_score

from harnet_edge.metrics import cohen_kappa, confusion_matrix, macro_f1


def test_scores_agree_with_scikit_learn():
    rng = np.random.default_rng(1)
    for _ in range(20):
        y = rng.integers(0, 5, 200)
        p = np.where(rng.random(200) < 0.6, y, rng.integers(0, 5, 200))
        assert np.isclose(macro_f1(y, p, 5), f1_score(y, p, average="macro"))
        assert np.isclose(cohen_kappa(y, p, 5), cohen_kappa_score(y, p))


def test_confusion_matrix_counts():
    cm = confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
