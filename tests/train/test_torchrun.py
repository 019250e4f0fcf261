"""Pretraining and fine-tuning under torchrun: 2 processes on CPU (gloo), tiny sizes, real ADL data."""
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(*args, timeout=300):
    env = dict(os.environ, GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1", TQDM_DISABLE="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
           "--master_addr=127.0.0.1", f"--master_port={free_port()}", "-m", "harnet_edge.cli", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO)


@pytest.mark.slow
def test_pretrain_and_finetune_run_under_torchrun_with_two_processes(tmp_path, datasets_root):
    from harnet_edge.data import load_benchmark
    from harnet_edge.models.checkpoints import load_checkpoint
    from harnet_edge.train.pretrain import write_shards

    windows = load_benchmark("adl", root=datasets_root, window_s=5)
    shards = tmp_path / "shards"
    write_shards(windows.subset(np.isin(windows.subjects, ["f3", "m4"])), shards)
    # Step 2 is where DDP used to stop: the backbone's classifier and unused heads got no gradient.
    result = torchrun("pretrain", "--data", shards, "--variant", "harnet5", "--steps", 3, "--batch-size", 8,
                      "--workers", 0, "-o", tmp_path / "ssl" / "backbone")
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"world_size": 2' in result.stdout and '"steps": 3' in result.stdout
    backbone = tmp_path / "ssl" / "backbone.safetensors"
    assert backbone.exists()

    result = torchrun("finetune", "--data", "adl", "--root", datasets_root, "--limit-subjects", 3,
                      "--variant", "harnet5", "--init", backbone, "--cv", "none", "--epochs", 2, "--max-steps", 3,
                      "--batch-size", 16, "-o", tmp_path / "ft")
    assert result.returncode == 0, result.stderr[-2000:]
    model, meta = load_checkpoint(tmp_path / "ft" / "model.safetensors")
    assert model.window_len == 150 and meta["init"] == str(backbone)
