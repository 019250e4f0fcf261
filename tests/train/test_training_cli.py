"""Tiny end-to-end CPU training runs through the CLI (a few optimiser steps each)."""
import json

import pytest

import torch

from harnet_edge.models import HARNet
from harnet_edge.models.checkpoints import load_checkpoint, read_checkpoint_metadata, save_checkpoint
from tests.conftest import run_cli


def test_finetune_saves_model_with_metadata_and_results(tmp_path, datasets_root):
    out = tmp_path / "ft"
    result = run_cli("finetune", "--data", "adl", "--root", datasets_root, "--variant", "harnet5",
                     "--epochs", "1", "--max-steps", "2", "--limit-subjects", "3", "--baseline", "-o", out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "random forest" in result.stdout and "paper F1" in result.stdout
    results = json.loads((out / "results.json").read_text())
    assert {r["model"] for r in results} == {"harnet5 scratch", "random forest"}
    assert set(results[0]["per_subject"]) == {"f1", "f2", "f3"}
    assert (out / "confusion_random_forest.png").stat().st_size > 1000
    meta = read_checkpoint_metadata(out / "model.safetensors")
    assert meta["variant"] == "harnet5" and meta["classes"][0] == "walk"
    assert meta["training_data"]["windows"] > 100 and "harnet5 scratch" in meta["evaluation"]
    ev = run_cli("evaluate", out / "model.safetensors", "--data", "adl", "--root", datasets_root,
                 "--limit-subjects", "2", "-o", tmp_path / "ev")
    assert ev.returncode == 0, ev.stderr[-2000:]
    assert (tmp_path / "ev" / "evaluation.json").exists()


def test_pretrain_writes_backbone_in_both_formats(tmp_path, datasets_root):
    stem = tmp_path / "ssl" / "backbone"
    result = run_cli("pretrain", "--data", "adl-all", "--root", datasets_root, "--variant", "harnet5",
                     "--steps", "3", "--batch-size", "16", "--workers", "0", "-o", stem)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    assert summary["steps"] == 3 and summary["windows_per_s"] > 0
    published = HARNet.from_ssl_wearables(stem.with_suffix(".mdl"), num_classes=5)
    assert published.variant == "harnet5"
    ours, _ = load_checkpoint(stem.with_suffix(".safetensors"))
    assert torch.equal(ours.state_dict()["feature_extractor.layer1.0.weight"],
                       published.state_dict()["feature_extractor.layer1.0.weight"])
    # A fine-tune can start from our own pretraining.
    ft = run_cli("finetune", "--data", "adl", "--root", datasets_root, "--variant", "harnet5", "--init",
                 stem.with_suffix(".mdl"), "--cv", "none", "--epochs", "1", "--max-steps", "1", "-o", tmp_path / "ft")
    assert ft.returncode == 0, ft.stderr[-2000:]


def test_init_of_wrong_variant_is_one_line_error(tmp_path, datasets_root):
    path = tmp_path / "h5.safetensors"
    save_checkpoint(HARNet("harnet5", 2), path)
    result = run_cli("finetune", "--data", "adl", "--root", datasets_root, "--variant", "harnet10",
                     "--init", path, "--cv", "none", "-o", tmp_path / "x")
    assert result.returncode == 2 and "holds harnet5, not harnet10" in result.stderr
    assert "Traceback" not in result.stderr


def test_distil_reports_teacher_and_student_on_the_same_folds(tmp_path, datasets_root):
    out = tmp_path / "distil"
    result = run_cli("distil", "--data", "adl", "--root", datasets_root, "--variant", "harnet5", "--epochs", "1",
                     "--student-epochs", "1", "--max-steps", "2", "--limit-subjects", "3", "-o", out)
    assert result.returncode == 0, result.stderr[-2000:]
    teacher, student = json.loads((out / "distil_results.json").read_text())
    assert teacher["model"] == "harnet5 teacher" and student["model"] == "cnn-small student"
    assert set(teacher["per_subject"]) == set(student["per_subject"]) == {"f1", "f2", "f3"}
    assert "cnn-small student" in result.stdout


@pytest.mark.parametrize("extra, message", [
    (["--cv", "loso5"], "unknown --cv 'loso5'"),
    (["--cv", "group5", "--limit-subjects", "3"], "--cv group5 needs at least 5 subjects"),
    (["--limit-subjects", "1"], "--cv loso needs at least 3 subjects"),
])
def test_protocols_the_data_cannot_hold_are_one_line_errors(tmp_path, extra, message):
    result = run_cli("finetune", "--data", "adl", "--variant", "harnet5", "--max-steps", "1", *extra,
                     "-o", tmp_path / "o")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
