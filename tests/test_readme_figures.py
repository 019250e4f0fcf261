"""Every measured figure in README.md comes from a file in docs/results/ (see scripts/readme_results.py):
marked blocks equal their fragments, table fragments equal what their scripts make from the JSON
now, and no measured-looking number is typed into the README outside a marked block."""
import importlib.util
import re
import sys

import pytest

from tests.conftest import REPO

SCRIPTS = REPO / "scripts"


def load_script(name: str):
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location(f"script_{name}", SCRIPTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPTS))


readme_results = load_script("readme_results")
README = (REPO / "README.md").read_text()

# Numbers that look measured: a unit of time, size, ratio, rate or count (devices, windows, packets),
# fractional seconds, an F1/kappa-like 0.xxx, or a mean ± SD.
MEASURED = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:ms|µs|us|MB|GB|kB|KB|KiB|MiB|GiB|%|percent|x|×|times|windows/s|windows|packets|crashes|devices|M MACs|G MAC/s)(?![\w/])"
                      r"|(?<![\w.])\d[\d,]*\.\d+\s?s(?![\w/])"      # 0.09 s, 3.5 s (whole seconds are settings)
                      r"|(?<![\w.])0\.\d{2,}(?![\d])|±")
TABLE_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")     # a bare decimal in a table cell: ms, MB, F1...
# Figures that are not measurements (settings, published facts, the paper's own numbers), each with
# the few words around it so that a measured figure elsewhere is still caught.
ALLOWED = (
    "with the Pi 5 taken as 2-3x a Pi 4",      # Raspberry Pi Ltd's launch figure, not ours
    "per-subject macro F1 and Cohen's kappa, mean ± SD",
    "Per-subject macro F1 and Cohen's kappa, mean ± SD",
    "Cohen's kappa per test subject, mean ± SD over subjects",
    "tflite-runtime 2.14 also works",           # a version
    "look like 0.05 Hz",                        # ms timestamps read as seconds: 50 Hz / 1000, arithmetic
    "group delay 0.33 s",                       # a property of the resampler's filter design
    "software wearables at 10x",                # a replay speed setting
    "agree on >= 99 % of held-out",             # the tflm export's pass threshold, a requirement
    "ai-edge-litert on >= 99 % of",             # the same threshold in prose
    "gives 618 windows against the paper's 635",  # the ADL dataset's window count, fixed by its files
    "in a 64 KB arena",                         # the twin's arena size, a setting
)


def prose_outside_results(text: str) -> str:
    """README text a person types: without marked blocks, code blocks, inline code and links."""
    text = readme_results.BLOCK.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    for allowed in ALLOWED:
        text = text.replace(allowed, "")
    return text


def hand_typed_figures(text: str) -> list[str]:
    prose = prose_outside_results(text)
    found = []
    for match in MEASURED.finditer(prose):
        line = prose[prose.rfind("\n", 0, match.start()) + 1:prose.find("\n", match.end())]
        found.append(f"{match.group(0)!r} in: {line.strip()[:120]}")
    for line in prose.splitlines():
        if line.lstrip().startswith("|"):
            found += [f"{m.group(0)!r} in: {line.strip()[:120]}" for m in TABLE_DECIMAL.finditer(line)
                      if not MEASURED.fullmatch(m.group(0))]
    return found


def test_every_marked_block_equals_its_fragment():
    assert len(readme_results.blocks(README)) >= 10
    assert readme_results.mismatches(README) == []


def test_no_measured_figure_is_typed_outside_a_marked_block():
    figures = hand_typed_figures(README)
    assert not figures, "figures typed by hand (write them from a script into docs/results/):\n" + "\n".join(figures)


def test_table_fragments_are_what_their_scripts_make_from_the_json_now(tmp_path):
    sys.path.insert(0, str(SCRIPTS))
    try:
        tables = load_script("results_tables")
        for name, text in tables.fragments().items():
            assert (REPO / "docs/results" / f"{name}.md").read_text().rstrip("\n") == text, name
        export_table = load_script("export_table")
        for prefix in ("adl", "selfback"):
            bench = tmp_path / f"{prefix}_bench.json"
            bench.write_text((REPO / "docs/results" / bench.name).read_text())
            (tmp_path / f"{prefix}_ratios.json").write_text((REPO / "docs/results" / f"{prefix}_ratios.json").read_text())
            export_table.main(str(bench))
            for kind in ("export", "cold_start"):
                made = (tmp_path / f"{prefix}_{kind}.md").read_text().replace(str(tmp_path), "docs/results")
                assert made == (REPO / "docs/results" / f"{prefix}_{kind}.md").read_text(), f"{prefix}_{kind}"
    finally:
        sys.path.remove(str(SCRIPTS))


@pytest.mark.parametrize("edit", ["inside", "outside"])
def test_a_figure_edited_by_hand_fails(edit):
    if edit == "inside":        # a number in a results block changed: the block no longer equals its file
        edited = re.sub(r"\| 0\.(\d)(\d\d) \|", lambda m: f"| 0.{m[1]}{int(m[2]) ^ 1:02d} |", README, count=1)
        assert edited != README and readme_results.mismatches(edited) == ["docs/results/adl_export.md"]
    else:                       # a figure typed into the prose
        edited = README.replace("## CLI reference", "The student is 3.1x faster.\n\n| a | 12.75 |\n\n## CLI reference")
        assert hand_typed_figures(edited) == ["'3.1x' in: The student is 3.1x faster.", "'12.75' in: | a | 12.75 |"]


def test_splice_puts_a_changed_fragment_into_its_block(tmp_path):
    (tmp_path / "docs/results").mkdir(parents=True)
    (tmp_path / "docs/results/demo.md").write_text("- 12.5 ms\n")
    text = "intro\n<!-- results: docs/results/demo.md -->\n- 9.0 ms\n<!-- /results -->\nend\n"
    assert readme_results.mismatches(text, tmp_path) == ["docs/results/demo.md"]
    spliced = readme_results.splice(text, tmp_path)
    assert spliced == "intro\n<!-- results: docs/results/demo.md -->\n- 12.5 ms\n<!-- /results -->\nend\n"
    assert readme_results.mismatches(spliced, tmp_path) == []


@pytest.mark.parametrize("typed", ["Cold start takes 0.09 s.", "Scored on 1,433 windows.", "Flash 190.8 KB.",
                                   "Peak 58 MiB.", "Inference 4.1 µs.", "0 crashes.", "Uses 26 percent of a core."])
def test_the_issue_s_unbacked_figures_are_caught_in_prose(typed):
    """The kinds of figure issue 17 found typed by hand (seconds, window counts, KB) must not slip by."""
    edited = README.replace("## CLI reference", typed + "\n\n## CLI reference")
    assert hand_typed_figures(edited), typed


def test_scripts_write_fragments_only_through_write_result():
    """A fragment written by hand-rolled code (its own mkdir/json/newline handling) drifts from the
    convention; readme_results.write_result is the one writer."""
    direct = [f"{path.relative_to(REPO)}: {match[0]}" for path in SCRIPTS.rglob("*.py") if path.name != "readme_results.py"
              for match in re.finditer(r'[\w}]\.md"\)\.write_text\(', path.read_text())]
    assert not direct, "write docs/results fragments with readme_results.write_result:\n" + "\n".join(direct)


def test_fine_tuning_table_says_when_rows_were_trained_differently():
    """The SSL rows were once trained with a wider strap turn than the from-scratch row; the table's
    notes must say so instead of printing the rows side by side as if comparable."""
    sys.path.insert(0, str(SCRIPTS))
    try:
        tables = load_script("results_tables")
    finally:
        sys.path.remove(str(SCRIPTS))
    recipe = {"epochs": 30, "strap_deg": 30.0, "rotation_deg": 45.0}
    rows = {"random forest": {}, "harnet10 scratch": {"training_recipe": recipe},
            "harnet10 ssl fine-tuned": {"training_recipe": dict(recipe)}}
    assert tables.recipe_notes(rows, "ADL")[-1] == "- ADL: every network row used the same recipe"
    rows["harnet10 ssl fine-tuned"]["training_recipe"]["strap_deg"] = 180.0
    assert tables.recipe_notes(rows, "ADL")[-1] == "- ADL: rows differ in strap_deg: not like for like"
    del rows["harnet10 scratch"]["training_recipe"]
    notes = tables.recipe_notes(rows, "ADL")
    assert "recipe not recorded" in notes[0] and not any("like for like" in n for n in notes)
