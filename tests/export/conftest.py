import pytest
import torch

from harnet_edge.models import HARNet
from harnet_edge.models.checkpoints import save_checkpoint


def randomise_batchnorm(model, seed=0):
    """Trained-looking BatchNorm statistics, so folding mistakes change outputs visibly."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.5)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.3)
    return model.eval()


@pytest.fixture
def adl_windows(datasets_root):
    from harnet_edge.data import load_benchmark

    return load_benchmark("adl", root=datasets_root)


@pytest.fixture
def harnet5_checkpoint(tmp_path):
    model = randomise_batchnorm(HARNet("harnet5", 5, ["walk", "climb_stairs", "drink_glass", "pour_water", "getup_bed"]))
    path = tmp_path / "teacher.safetensors"
    save_checkpoint(model, path)
    return path
