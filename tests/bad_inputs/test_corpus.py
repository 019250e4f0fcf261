"""Runs every row of cases.py as a user would: the exit status, one line on stderr, or flagged windows."""
import contextlib
import io
import json
import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import REPO

from .cases import CASES


def run(argv: list[str], in_process: bool) -> tuple[int, str, str]:
    if not in_process:
        done = subprocess.run([sys.executable, "-m", "harnet_edge.cli", *argv], capture_output=True, text=True,
                              cwd=REPO, timeout=300)
        return done.returncode, done.stdout, done.stderr
    from harnet_edge.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:          # argparse refuses with exit 2
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def test_corpus_has_at_least_40_cases_with_unique_names():
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, tmp_path, student_models):
    paths = {name: make(tmp_path, student_models) for name, make in case.inputs.items()}
    paths.setdefault("model", student_models["onnx_int8"])
    argv = [part.format(tmp=tmp_path, **paths) for part in shlex.split(case.argv)]
    records = tmp_path / "windows.jsonl"
    if case.flag or case.windows:
        argv += ["--jsonl", str(records)]
    code, stdout, stderr = run(argv, in_process=not case.subprocess)
    assert "Traceback" not in stderr and "Warning" not in stderr, stderr
    assert code == case.exit, f"exit {code}, stderr: {stderr}"
    if case.message:
        assert stderr.strip() and "\n" not in stderr.strip(), f"not one line: {stderr!r}"
        assert re.search(case.message, stderr), stderr
    if case.flag or case.windows:
        windows = [json.loads(line) for line in records.read_text().splitlines() if "window_start" in line]
        assert len(windows) >= (case.windows or 1)
        if case.flag:
            assert all(w["label"] is None and case.flag in w["flags"] for w in windows), windows[:2]
        else:
            assert all(w["label"] is not None for w in windows)
