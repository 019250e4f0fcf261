"""The fine-tuning check: a backbone that saw a test subject is flagged, a disjoint one is not."""
import json

import pytest

from harnet_edge.models import HARNet
from harnet_edge.models.checkpoints import save_checkpoint, save_published_layout
from harnet_edge.train.leakage import pretraining_check
from tests.conftest import run_cli


def backbone(tmp_path, subjects, name="ssl"):
    model = HARNet("harnet5", num_classes=2)
    path = tmp_path / f"{name}.safetensors"
    save_checkpoint(model, path, {"pretraining_data": {"datasets": ["adl-all"], "subjects": subjects,
                                                       "excluded_subjects_of": []}})
    save_published_layout(model, path.with_suffix(".mdl"), {})
    return path


def test_leaky_backbone_is_flagged_for_the_subjects_it_saw(tmp_path):
    path = backbone(tmp_path, ["hmp_adl:f1", "hmp_adl:m5"])
    messages = []
    report = pretraining_check(str(path), "adl", ["f1", "f2", "f1"], log=messages.append)
    assert report["leakage_free"] is False and report["test_subjects_seen"] == ["f1"]
    assert len(messages) == 1 and "saw test subjects f1 of adl" in messages[0]
    # the published-layout .mdl written beside it is judged by the same record
    assert pretraining_check(str(path.with_suffix(".mdl")), "adl", ["f1"], log=messages.append)["leakage_free"] is False


def test_disjoint_backbone_passes_and_unknown_is_said(tmp_path):
    messages = []
    clean = pretraining_check(str(backbone(tmp_path, ["hmp_adl:m5", "selfback:026"])), "adl", ["f1", "f2"],
                              log=messages.append)
    assert clean["leakage_free"] is True and clean["test_subjects_seen"] == [] and not messages
    # selfBACK subject 026 is not ADL's: ids are matched per study
    assert pretraining_check(str(tmp_path / "ssl.safetensors"), "selfback", ["026"], log=messages.append)[
        "test_subjects_seen"] == ["026"]
    model = HARNet("harnet5", num_classes=2)
    save_published_layout(model, tmp_path / "foreign.mdl", {})      # no record anywhere
    unknown = pretraining_check(str(tmp_path / "foreign.mdl"), "adl", ["f1"], log=messages.append)
    assert unknown["leakage_free"] is None and "cannot be checked" in messages[-1]


@pytest.mark.slow
def test_finetune_from_a_leaky_pretrain_warns_and_records_it(tmp_path, datasets_root):
    stem = tmp_path / "leaky"
    pre = run_cli("pretrain", "--data", "adl-all", "--root", datasets_root, "--variant", "harnet5", "--steps", "1",
                  "--batch-size", "4", "--workers", "0", "-o", stem)
    assert pre.returncode == 0, pre.stderr[-2000:]
    out = tmp_path / "ft"
    ft = run_cli("finetune", "--data", "adl", "--root", datasets_root, "--variant", "harnet5", "--init",
                 stem.with_suffix(".mdl"), "--epochs", "1", "--max-steps", "1", "--limit-subjects", "3", "--no-final",
                 "-o", out)
    assert ft.returncode == 0, ft.stderr[-2000:]
    warnings = [line for line in ft.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "saw test subjects f1, f2, f3 of adl" in warnings[0]
    row = json.loads((out / "results.json").read_text())[0]
    check = row["pretraining"]
    assert check["leakage_free"] is False and check["protocol"].startswith("pretrained on adl-all (16 subjects)")
    # The recipe travels with the row, so the table can tell like-for-like rows from the rest.
    assert row["training_recipe"]["epochs"] == 1 and row["training_recipe"]["strap_deg"] == 30.0


def test_pretrain_exclusion_flags_are_checked_in_one_line(tmp_path, datasets_root):
    bad = run_cli("pretrain", "--data", "adl-all", "--root", datasets_root, "--exclude-subjects-of", "adl,hmp",
                  "--steps", "1", "-o", tmp_path / "x")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "hmp" in bad.stderr
    bad = run_cli("pretrain", "--data", str(tmp_path), "--exclude-subjects-of", "adl", "-o", tmp_path / "x")
    assert bad.returncode == 2 and "named datasets" in bad.stderr
