import re

from tests.conftest import REPO


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    ci_command = [ln for ln in ci.splitlines() if ln.startswith("python3 -m venv")][0]
    assert ci_command in readme


def test_readme_cli_reference_covers_every_subcommand():
    from harnet_edge.cli import build_parser

    readme = (REPO / "README.md").read_text()
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    missing = [name for name in sub.choices if not re.search(rf"harnet-edge {name}\b", readme)]
    assert not missing, f"README's CLI reference lacks {missing}"
