"""Every measured figure in README.md comes from a file in docs/results/, written by the script that
measured it.

Convention (for anyone adding a figure):
- the measuring script writes its raw numbers to docs/results/<name>.json and the README text for
  them (a table or a sentence, with the command that produced it) to docs/results/<name>.md, both
  through ``write_result(name, data, markdown)`` below;
- README.md carries that fragment verbatim between the lines
      <!-- results: docs/results/<name>.md -->
      <!-- /results -->
- ``python scripts/readme_results.py`` splices every fragment into its block; ``--check`` only
  compares and exits 1 on a difference. tests/test_readme_figures.py runs the check and also fails on
  measured-looking numbers typed into the README outside such blocks.

    python scripts/readme_results.py [--check] [--readme README.md]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
BLOCK = re.compile(r"^<!-- results: (?P<path>docs/results/[\w.-]+\.md) -->\n(?P<body>.*?)^<!-- /results -->$",
                   re.M | re.S)


def write_result(name: str, data, markdown: str, results_dir: Path = RESULTS) -> Path:
    """Write docs/results/<name>.json (when ``data`` is not None) and the fragment <name>.md."""
    results_dir.mkdir(parents=True, exist_ok=True)
    if data is not None:
        (results_dir / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    fragment = results_dir / f"{name}.md"
    fragment.write_text(markdown.rstrip("\n") + "\n")
    print(f"wrote {fragment.relative_to(results_dir.parent.parent) if results_dir == RESULTS else fragment}")
    return fragment


def machine_load() -> dict:
    """1-minute load average and core count, to be recorded beside timings: on a shared machine a
    wall-clock rate means little without them."""
    try:
        load = round(os.getloadavg()[0], 1)
    except OSError:
        load = None
    return {"load_average_1min": load, "cores": os.cpu_count()}


def load_note(before: dict, after: dict) -> str:
    return (f"load average {before['load_average_1min']} at the start and {after['load_average_1min']} at the end "
            f"on {before['cores']} cores")


def blocks(text: str) -> list[re.Match]:
    return list(BLOCK.finditer(text))


def splice(text: str, root: Path = ROOT) -> str:
    """The README with every marked block replaced by its fragment's current text."""
    def replace(match: re.Match) -> str:
        fragment = (root / match["path"]).read_text()
        return f"<!-- results: {match['path']} -->\n{fragment.rstrip(chr(10))}\n<!-- /results -->"
    return BLOCK.sub(replace, text)


def mismatches(text: str, root: Path = ROOT) -> list[str]:
    """Paths of fragments that are missing or differ from their README block."""
    bad = []
    for match in blocks(text):
        fragment = root / match["path"]
        if not fragment.is_file():
            bad.append(f"{match['path']} (missing)")
        elif match["body"].rstrip("\n") != fragment.read_text().rstrip("\n"):
            bad.append(match["path"])
    return bad


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="compare only; exit 1 if a block differs from its file")
    p.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = p.parse_args()
    text = args.readme.read_text()
    if args.check:
        bad = mismatches(text)
        for path in bad:
            print(f"README block differs from {path}: run python scripts/readme_results.py")
        return 1 if bad else 0
    missing = [m["path"] for m in blocks(text) if not (ROOT / m["path"]).is_file()]
    if missing:
        print(f"missing fragment(s): {', '.join(missing)}", file=sys.stderr)
        return 2
    new = splice(text)
    if new != text:
        args.readme.write_text(new)
    print(f"{len(blocks(new))} result blocks in {args.readme.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
