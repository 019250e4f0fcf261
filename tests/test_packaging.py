"""One installed import name: export/ and firmware_bridge/ install as harnet_edge.export / .firmware_bridge."""
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PACKAGE_DIR = PYPROJECT["tool"]["setuptools"]["package-dir"]


def _installed_name(folder: Path) -> str:
    """The import name a source folder installs as, through the package-dir mapping."""
    relative = folder.relative_to(REPO).as_posix()
    for name, root in sorted(PACKAGE_DIR.items(), key=lambda item: -len(item[1])):
        if relative == root or relative.startswith(root + "/"):
            return name + relative[len(root):].replace("/", ".")
    raise AssertionError(f"{relative} is under no package-dir root")


def test_every_source_package_is_listed():
    """Every folder holding Python modules, with or without an __init__.py (harnet_edge/train has none,
    and setuptools installs an unlisted one silently without its modules)."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    folders = {p.parent for root in set(PACKAGE_DIR.values()) for p in (REPO / root).rglob("*.py")
               if "__pycache__" not in p.parts}
    missing = {_installed_name(f) for f in folders} - listed
    assert not missing, f"packages missing from pyproject's [tool.setuptools] packages: {sorted(missing)}"


def test_bare_export_is_not_importable_outside_the_checkout(tmp_path):
    """From a neutral folder only harnet_edge resolves; `import export` must fail."""
    probe = ("import importlib.util as u, harnet_edge.export, harnet_edge.firmware_bridge;"
             "print(u.find_spec('export'), u.find_spec('firmware_bridge'), harnet_edge.export.__file__)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    none_export, none_bridge, export_file = out.stdout.split()
    assert (none_export, none_bridge) == ("None", "None")
    assert Path(export_file).parent == REPO / "export"
    failed = subprocess.run([sys.executable, "-c", "import export"], cwd=tmp_path, capture_output=True, text=True)
    assert failed.returncode != 0 and "No module named 'export'" in failed.stderr


@pytest.mark.slow
def test_wheel_holds_only_harnet_edge(tmp_path):
    """`pip install .` would put exactly one top-level package (plus dist-info) into site-packages."""
    # From a copy without build/: setuptools reuses a stale build/lib, which kept a package dropped
    # from pyproject's list in the wheel and let this test pass.
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "runs",
                                                                "__pycache__", ".benchmarks"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True, text=True)
    (wheel,) = tmp_path.glob("harnet_edge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == {"harnet_edge"}
    assert "harnet_edge/export/pipeline.py" in names
    assert "harnet_edge/firmware_bridge/PROFILE.md" in names
    assert {f"harnet_edge/firmware_bridge/firmware/harnet_wearable/{n}"
            for n in ("harnet_wearable.ino", "harnet_on_device.c", "harnet_on_device.h")} <= set(names)
    sources = {f"{_installed_name(p.parent).replace('.', '/')}/{p.name}"
               for root in set(PACKAGE_DIR.values()) for p in (REPO / root).rglob("*.py") if "__pycache__" not in p.parts}
    assert sources - set(names) == set(), "source modules the wheel leaves out"
    assert "harnet_edge/default_models/cnn-small_int8.onnx" in names
    assert {f"harnet_edge/dashboard/static/{n}" for n in ("index.html", "app.js", "style.css")} <= set(names)
    # The quick start's real motion, its attribution, and the Bangle.js app with its spec ship too.
    assert {"harnet_edge/demo_data/selfback_clip.npz", "harnet_edge/demo_data/ATTRIBUTION.md",
            "harnet_edge/firmware_bridge/BANGLEJS.md",
            "harnet_edge/firmware_bridge/firmware/banglejs/harnetacc.app.js"} <= set(names)
