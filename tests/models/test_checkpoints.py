import pytest
import torch

from harnet_edge.models import CheckpointError, HARNet, load_checkpoint, save_checkpoint, save_published_layout
from harnet_edge.models.checkpoints import PRETEXT_HEADS, read_checkpoint_metadata


def write_published(path, variant="harnet10", seed=0):
    """A synthetic file laid out as mtl_best.mdl is: DDP keys, backbone + four 2-way pretext heads."""
    torch.manual_seed(seed)
    source = HARNet(variant)
    with torch.no_grad():
        for p in source.feature_extractor.parameters():
            p.add_(torch.randn_like(p) * 0.01)
        for m in source.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2)
    heads = {f"{h}.linear1.{n}": torch.randn(2, source.feature_dim) if n == "weight" else torch.randn(2)
             for h in PRETEXT_HEADS for n in ("weight", "bias")}
    save_published_layout(source, path, heads)
    return source


def test_published_layout_has_ddp_prefix_and_pretext_heads(tmp_path):
    path = tmp_path / "mtl_best.mdl"
    write_published(path)
    state = torch.load(path, weights_only=True)
    assert all(k.startswith("module.") for k in state)
    assert "module.aot_h.linear1.weight" in state and "module.time_w_h.linear1.bias" in state
    assert not any(k.startswith("module.classifier") for k in state)


@pytest.mark.parametrize("variant", ["harnet5", "harnet10", "harnet30"])
def test_round_trip_published_backbone_with_inferred_variant(tmp_path, variant, capsys):
    path = tmp_path / "mtl.mdl"
    source = write_published(path, variant)
    model = HARNet.from_ssl_wearables(path, num_classes=4)
    assert model.variant == variant
    src, dst = source.state_dict(), model.state_dict()
    backbone = [k for k in src if k.startswith("feature_extractor.")]
    assert all(torch.equal(src[k], dst[k]) for k in backbone)
    assert model.loaded_backbone_tensors == len(backbone)
    assert f"loaded {len(backbone)} backbone tensors" in capsys.readouterr().out
    assert model.classifier.linear2.out_features == 4
    x = torch.randn(2, 3, model.window_len)
    source.eval(), model.eval()
    with torch.no_grad():
        assert torch.allclose(source.embed(x), model.embed(x), atol=1e-5)


def test_wrong_variant_names_the_one_that_fits(tmp_path):
    path = tmp_path / "mtl_5_best.mdl"
    write_published(path, "harnet5")
    with pytest.raises(CheckpointError, match=r"does not fit harnet10: .*fits variant='harnet5'"):
        HARNet.from_ssl_wearables(path, variant="harnet10")


def test_missing_keys_are_named(tmp_path):
    path = tmp_path / "cut.mdl"
    write_published(path)
    state = torch.load(path, weights_only=True)
    del state["module.feature_extractor.layer4.2.conv1.weight"]
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"1 missing \(e\.g\. feature_extractor\.layer4\.2\.conv1\.weight"):
        HARNet.from_ssl_wearables(path, variant="harnet10")


class Payload:
    pass


def test_pickled_code_is_refused_not_executed(tmp_path):
    path = tmp_path / "evil.mdl"
    torch.save({"module.feature_extractor.x": Payload()}, path)
    with pytest.raises(CheckpointError, match="cannot read evil.mdl as a PyTorch state dict"):
        HARNet.from_ssl_wearables(path)


def test_corrupt_file_gets_one_line_error(tmp_path):
    path = tmp_path / "broken.mdl"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CheckpointError) as info:
        HARNet.from_ssl_wearables(path)
    assert "\n" not in str(info.value)


def test_own_checkpoint_round_trip_with_metadata(tmp_path):
    model = HARNet("harnet5", num_classes=3, classes=["sit", "walk", "run"])
    path = tmp_path / "model.safetensors"
    save_checkpoint(model, path, {"scores": {"macro_f1": 0.5}})
    assert not (tmp_path / "model.safetensors.partial").exists()
    meta = read_checkpoint_metadata(path)
    assert meta["variant"] == "harnet5" and meta["classes"] == ["sit", "walk", "run"]
    assert meta["sample_rate_hz"] == 30 and meta["window_samples"] == 150 and meta["scores"]["macro_f1"] == 0.5
    loaded, _ = load_checkpoint(path)
    assert loaded.classes == ["sit", "walk", "run"]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))


def test_own_checkpoint_truncated_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    save_checkpoint(HARNet("harnet5", num_classes=2), path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


@pytest.mark.parametrize("variant", ["cnn-small", "ds-small"])
def test_student_checkpoint_round_trip(tmp_path, variant):
    from harnet_edge.models.cost import count_macs
    from harnet_edge.models.student import StudentCNN

    student = StudentCNN(variant, 9).eval()
    assert count_macs(student, 300) < 5_000_000 and sum(p.numel() for p in student.parameters()) < 300_000
    save_checkpoint(student, tmp_path / "s.safetensors")
    loaded, meta = load_checkpoint(tmp_path / "s.safetensors")
    assert meta["variant"] == variant and type(loaded) is StudentCNN
    x = torch.randn(2, 3, 300)
    with torch.no_grad():
        assert torch.allclose(loaded.eval()(x), student(x))


def test_model_classes_do_no_file_io():
    """checkpoints.py owns reading and writing; the model modules never import it at load time."""
    import ast
    import inspect

    from harnet_edge.models import harnet, student

    for module in (harnet, student):
        tree = ast.parse(inspect.getsource(module))
        top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert not [n for n in top_level if "checkpoints" in ast.unparse(n)], module.__name__
        assert "torch.save" not in inspect.getsource(module) and "safetensors" not in inspect.getsource(module)
    assert not hasattr(HARNet, "save") and not hasattr(student.StudentCNN, "save")


def test_cnn_small_uses_only_full_convolutions():
    """Its int8 robustness comes from every output channel summing many products: no grouped
    (depthwise) convolution may slip back in."""
    from harnet_edge.models.student import StudentCNN

    convs = [m for m in StudentCNN("cnn-small", 9).modules() if isinstance(m, torch.nn.Conv1d)]
    assert len(convs) == 5 and all(c.groups == 1 for c in convs)
