"""A format that exists only in the tests: TorchScript with the metadata as an extra file. Its row is
registered by the test itself; nothing else in the package knows it."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from harnet_edge.runtime.engines import Engine
from harnet_edge.runtime.model_info import METADATA_KEY, ModelInfo

EXTRA_FILE = f"{METADATA_KEY}.json"


def write_torchscript(graph_model, window_len: int, path: Path, meta: dict) -> Path:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        traced = torch.jit.trace(graph_model.eval(), torch.zeros(1, 3, window_len))
        torch.jit.save(traced, str(path), _extra_files={EXTRA_FILE: json.dumps(meta)})
    return path


class TorchScriptEngine(Engine):
    backend = "torchscript"

    def __init__(self, path, threads: int | None = None):
        import torch

        self.path, self.threads, self.torch = Path(path), threads, torch
        extra = {EXTRA_FILE: ""}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self.module = torch.jit.load(str(path), _extra_files=extra)
        self.info = ModelInfo.from_dict(json.loads(extra[EXTRA_FILE]), self.path.name)

    def _infer(self, windows: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            return self.module(self.torch.from_numpy(windows)).numpy()
