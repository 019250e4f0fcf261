"""Distillation's transfer set never holds a held-out person; fold teachers must match their fold."""
import numpy as np
import pytest
import torch

from harnet_edge.data import DataError
from harnet_edge.data.windows import WindowSet
from harnet_edge.export.transfer import build_transfer_set, cached_distillation_loss
from harnet_edge.export.transfer_distil import distil_transfer_cv, load_fold_teacher
from harnet_edge.models import HARNet
from harnet_edge.models.checkpoints import save_checkpoint
from harnet_edge.train.loop import TrainConfig

CLASSES = ["walk", "climb_stairs"]


def marked_pool(subjects, per_subject=4, length=150):
    """Each window filled with its subject's number, so a window's owner can be read back from it."""
    x = np.concatenate([np.full((per_subject, 3, length), i + 1, np.float32) for i in range(len(subjects))])
    subj = np.repeat(np.asarray(subjects, dtype=str), per_subject)
    return WindowSet(x, np.full(len(x), ""), subj, np.zeros(len(x)), np.zeros(len(x), int))


def test_transfer_set_never_holds_a_held_out_subject():
    keys = ["hmp_adl:f1", "hmp_adl:m5", "selfback:026", "selfback:027"]
    pool = marked_pool(keys)
    labelled_x, labelled_y = np.full((3, 3, 150), 100.0, np.float32), np.array([0, 1, 0])
    held_out = {"hmp_adl:f1", "selfback:027"}
    x, y, record = build_transfer_set(pool, held_out, labelled_x, labelled_y, views=3, config=TrainConfig(), seed=0)
    n = 3 + 2 * 4
    assert x.shape == (3 * n, 3, 150) and len(y) == 3 * n and record["windows"] == 3 * n
    # a rotation or mirror keeps each sample's magnitude: sqrt(3) x the owner's mark
    owners = set(np.unique(np.round(np.linalg.norm(x[:, :, 0], axis=1) / np.sqrt(3), 3)).tolist())
    assert owners == {100.0, 2.0, 3.0}                     # labelled + m5 + 026; never f1 (1) or 027 (4)
    assert record["unlabelled_subjects"] == ["hmp_adl:m5", "selfback:026"]
    assert (y[:3] == labelled_y).all() and (y[3:n] == -1).all() and (y[n:2 * n] == y[:n]).all()
    # every view went through the training augmentation (rotated, mirrored): not copies of the input
    raw = np.concatenate([labelled_x, pool.x[np.isin(pool.subjects, ["hmp_adl:m5", "selfback:026"])]])
    assert not np.allclose(x[:n], raw) and not np.allclose(x[n:2 * n], x[:n])


def test_cached_soft_labels_follow_the_batch_rows():
    teacher_logp = np.log(np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]], np.float32))
    loss = cached_distillation_loss(teacher_logp, torch.ones(2), temperature=1.0, alpha=1.0)
    idx = torch.tensor([2, 0])
    matched = loss(torch.from_numpy(teacher_logp[[2, 0]]), None, torch.tensor([-1, -1]), idx)
    swapped = loss(torch.from_numpy(teacher_logp[[0, 2]]), None, torch.tensor([-1, -1]), idx)
    assert float(matched) < 1e-6 < float(swapped)


def fold_teacher(folder, fold, test, train):
    model = HARNet("harnet5", num_classes=2, classes=CLASSES)
    save_checkpoint(model, folder / f"fold{fold}.safetensors",
                    {"fold": fold, "test_subjects": test, "training_data": {"dataset": "adl", "subjects": train}})


def test_fold_teacher_must_have_held_out_exactly_this_folds_subjects(tmp_path):
    fold_teacher(tmp_path, 1, ["f1"], ["f2", "f3"])
    model, meta = load_fold_teacher(tmp_path, 0, np.array(["f1"]), "adl")
    assert meta["test_subjects"] == ["f1"]
    with pytest.raises(DataError, match="held out"):
        load_fold_teacher(tmp_path, 0, np.array(["f2"]), "adl")
    with pytest.raises(DataError, match="not selfback"):
        load_fold_teacher(tmp_path, 0, np.array(["f1"]), "selfback")
    fold_teacher(tmp_path, 2, ["f2"], ["f1", "f2"])
    with pytest.raises(DataError, match="trained on test subjects"):
        load_fold_teacher(tmp_path, 1, np.array(["f2"]), "adl")


def test_transfer_distillation_end_to_end_keeps_each_fold_out_of_its_transfer_set():
    rng = np.random.default_rng(0)
    subjects = np.repeat(["s1", "s2", "s3", "s4"], 6)
    y = np.tile([0, 1], 12)
    x = rng.normal(0, 0.2, (24, 3, 150)).astype(np.float32)
    x[:, 2] += 1
    x[y == 1, 0] += np.sin(np.linspace(0, 40, 150))          # a learnable difference
    windows = WindowSet(x, np.array(CLASSES)[y], subjects, np.zeros(24), np.zeros(24, int),
                        {"dataset": "toy", "classes": CLASSES})
    pool = marked_pool(["toy:s1", "toy:s2", "toy:s3", "toy:s4", "other:u1"], per_subject=3)
    config = TrainConfig(epochs=1, batch_size=8, max_steps=1, device="cpu", show_progress=False)
    results, folds = distil_transfer_cv(windows, CLASSES, "harnet5", "scratch", config, "loso", pool, config,
                                        "ds-tiny", views=2, log=lambda m: None, calibration_windows=8)
    assert [r["model"] for r in results] == ["harnet5 teacher", "ds-tiny student", "ds-tiny student int8"]
    assert len(folds) == 4
    for f in folds:
        test_key = f"toy:{f['test_subjects'][0]}"
        assert test_key in f["held_out_subjects"] and test_key not in f["unlabelled_subjects"]
        assert "other:u1" in f["unlabelled_subjects"] and len(f["held_out_subjects"]) == 2   # test + validation
    assert all(set(r["per_subject"]) == {"s1", "s2", "s3", "s4"} for r in results)
