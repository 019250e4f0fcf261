"""Measurements of one model variant, all taken the same way so variants and devices compare."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ..metrics import cohen_kappa, macro_f1


def timed_runs(run, x: np.ndarray, repeats: int, warmup: int = 5) -> np.ndarray:
    for _ in range(warmup):
        run(x)
    times = np.empty(repeats)
    for i in range(repeats):
        t0 = time.perf_counter()
        run(x)
        times[i] = time.perf_counter() - t0
    return times


def latency_stats(seconds: np.ndarray, batch: int) -> dict:
    per_window_ms = seconds * 1000 / batch
    return {"p50_ms": float(np.percentile(per_window_ms, 50)), "p90_ms": float(np.percentile(per_window_ms, 90)),
            "p99_ms": float(np.percentile(per_window_ms, 99)), "windows_per_s": float(batch / np.median(seconds))}


def cold_start(path: Path) -> dict:
    """Import + load + first inference in a fresh interpreter, and its peak resident memory."""
    result = subprocess.run([sys.executable, "-m", "harnet_edge.bench.coldstart", str(path)], capture_output=True,
                            text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def thread_settings(spec: str) -> list[int]:
    out = []
    for item in spec.split(","):
        item = item.strip()
        out.append(os.cpu_count() or 1 if item == "all" else int(item))
    return sorted(set(out))


class TorchReference:
    """The fp32 PyTorch eager model, when torch is installed (the reference every artefact is held to)."""
    backend = "pytorch"

    def __init__(self, path: Path, threads: int):
        import torch

        from ..models.checkpoints import load_checkpoint

        torch.set_num_threads(threads)
        self.torch = torch
        self.model, meta = load_checkpoint(path)
        self.model.eval()
        self.classes = list(meta["classes"])
        self.window_samples = self.model.window_len
        self.quantisation = "fp32"
        self.variant = self.model.variant

    def run(self, x: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            return self.torch.softmax(self.model(self.torch.from_numpy(x)), 1).numpy()


def accuracy(probs: np.ndarray, y: np.ndarray, reference: np.ndarray | None) -> dict:
    k = probs.shape[1]
    pred = probs.argmax(1)
    out = {"macro_f1": macro_f1(y, pred, k), "kappa": cohen_kappa(y, pred, k), "windows": int(len(y))}
    if reference is not None:
        out["agreement_with_fp32"] = float(np.mean(pred == reference.argmax(1)))
    return out
