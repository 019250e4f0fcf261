import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def datasets_root() -> Path:
    """../shared/datasets; skipped only where the folder is absent (a user's fresh clone)."""
    from harnet_edge.data import datasets_root as find

    root = find(required=False)
    if root is None:
        pytest.skip("../shared/datasets is absent (fresh clone); CI always has it")
    return root


def run_cli(*args, env=None, timeout=600):
    """Run the installed ``harnet-edge`` in a subprocess, as a user would."""
    import subprocess

    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "harnet_edge.cli", *map(str, args)], capture_output=True,
                          text=True, env=full_env, timeout=timeout, cwd=REPO)
