"""README fragments from the result files that ``harnet-edge finetune`` / ``distil`` and
``scripts/build_default_models.py`` wrote: the fine-tuning table, the distillation line and the
built-in model's scores. No training here: it only formats what was measured.

    python scripts/results_tables.py
writes docs/results/finetune.md, distil.md and builtin_model.md (then run scripts/readme_results.py).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from readme_results import RESULTS, ROOT, write_result

from harnet_edge.cli.train_cmd import PAPER_ADL_F1   # Yuan et al. 2024, ADL macro F1

ROWS = (("random forest", "random forest, hand-crafted features"), ("harnet10 scratch", "HARNet10 from scratch"),
        ("harnet10 ssl frozen", "HARNet10, our SSL, frozen backbone"),
        ("harnet10 ssl fine-tuned", "HARNet10, our SSL, fine-tuned"))


def load_rows(results_dir: Path, dataset: str) -> dict[str, dict]:
    rows = {}
    for path in sorted(results_dir.glob(f"{dataset}_finetune_*.json")):
        rows.update({r["model"]: r | {"file": path.name} for r in json.loads(path.read_text())})
    return rows


def mean_sd(row: dict | None, metric: str) -> str:
    return "–" if row is None else f"{row[metric + '_mean']:.3f} ± {row[metric + '_sd']:.3f}"


def pretraining_note(row: dict | None, dataset: str) -> str | None:
    """Which pretraining a row's model started from, as its results file records it."""
    if row is None:
        return None
    check = row.get("pretraining")
    if check is None:
        return f"{dataset}: pretraining not recorded in `{row['file']}`"
    seen = check["test_subjects_seen"]
    verdict = ("no test subject seen in pretraining" if check["leakage_free"] else
               f"LEAKY: test subjects {', '.join(seen)} seen in pretraining" if seen else
               "leakage not checkable")
    return f"{dataset}: {check['protocol']}; {verdict}"


def recipe_notes(rows: dict[str, dict], dataset: str) -> list[str]:
    """One line per network row with its augmentation and schedule, and whether the rows share them."""
    networks = [(label, rows[key]) for key, label in ROWS if key in rows and key != "random forest"]
    recipes = {label: row.get("training_recipe") for label, row in networks}
    lines = [f"- {dataset}, {label}: " + (", ".join(f"{k} {v}" for k, v in recipe.items()) if recipe
                                          else "recipe not recorded (measured before recipes were recorded)")
             for label, recipe in recipes.items()]
    known = [r for r in recipes.values() if r]
    if len(known) == len(recipes) > 1:
        differ = sorted({k for r in known for k in r if any(o.get(k) != r.get(k) for o in known)} - {"freeze_backbone"})
        lines.append(f"- {dataset}: " + ("every network row used the same recipe" if not differ
                                         else f"rows differ in {', '.join(differ)}: not like for like"))
    return lines


def finetune_table(results_dir: Path) -> str:
    adl, selfback = load_rows(results_dir, "adl"), load_rows(results_dir, "selfback")
    n_adl = len(next(iter(adl.values()))["per_subject"]) if adl else 0
    n_sb = len(next(iter(selfback.values()))["per_subject"]) if selfback else 0
    lines = [f"| model | ADL ({n_adl} volunteers, LOSO) F1 | ADL kappa | paper ADL F1 | selfBACK wrist ({n_sb} subjects, "
             f"grouped 5-fold) F1 | selfBACK kappa |", "|---|---|---|---|---|---|"]
    notes = []
    for key, label in ROWS:
        a, s = adl.get(key), selfback.get(key)
        lines.append(f"| {label} | {mean_sd(a, 'macro_f1')} | {mean_sd(a, 'kappa')} | {PAPER_ADL_F1[key]:.3f} | "
                     f"{mean_sd(s, 'macro_f1')} | {mean_sd(s, 'kappa')} |")
        if "ssl" in key:
            parts = [p for p in (pretraining_note(a, "ADL"), pretraining_note(s, "selfBACK")) if p]
            notes.append(f"- {label}: {'; '.join(parts)}")
    files = sorted({r["file"] for r in (*adl.values(), *selfback.values())})
    lines += ["", "Pretraining protocol per row (from each results file's `pretraining` record):", *notes,
              "", "Training recipe per network row (from each results file's `training_recipe` record):",
              *recipe_notes(adl, "ADL"), *recipe_notes(selfback, "selfBACK"),
              "", f"(from {', '.join(f'`docs/results/{f}`' for f in files)}; `python scripts/results_tables.py`)"]
    return "\n".join(lines)


def distil_line(results_dir: Path) -> str:
    results = json.loads((results_dir / "adl_distil_cv.json").read_text())
    teacher, student = results[0], results[1]
    int8 = next((r for r in results[2:] if r["model"].endswith("int8")), None)
    subjects = teacher["per_subject"]
    f1 = lambda r, s: r["per_subject"][s]["macro_f1"]
    better = [s for s in subjects if f1(student, s) >= f1(teacher, s)]
    worst = min(subjects, key=lambda s: f1(student, s))
    pairs = ", ".join(f"{s} {f1(student, s):.2f} vs {f1(teacher, s):.2f}" + (f" (int8 {f1(int8, s):.2f})" if int8 else "")
                      for s in subjects)
    transfer = student.get("transfer_set")
    how = (f"distilled per fold on a transfer set of {', '.join(transfer['datasets'])} windows minus the fold's test "
           f"and validation volunteers plus its training windows, {transfer['views']} augmented view(s) each, "
           f"teacher soft labels at temperature {transfer['temperature']:g}"
           if transfer else "distilled on the labelled training folds")
    teacher_from = teacher.get("pretraining", {}).get("protocol", "pretraining not recorded")
    gap = 100 * (student["macro_f1_mean"] - teacher["macro_f1_mean"])
    line = (f"- Distillation under the same protocol (`{student.get('command', 'harnet-edge distil --data adl')}`, "
            f"ADL LOSO, `docs/results/adl_distil_cv.json`): teacher {teacher['model'].split()[0]} ({teacher_from}) "
            f"macro F1 {mean_sd(teacher, 'macro_f1')}, kappa {mean_sd(teacher, 'kappa')}; `{student['model'].split()[0]}` "
            f"student, {how}: {mean_sd(student, 'macro_f1')}, kappa {mean_sd(student, 'kappa')} "
            f"({gap:+.1f} points against the teacher)")
    if int8:
        line += (f"; int8 ONNX student {mean_sd(int8, 'macro_f1')} "
                 f"({100 * (int8['macro_f1_mean'] - student['macro_f1_mean']):+.1f} points against fp32)")
    return (line + f". Student vs teacher per volunteer: {pairs}; the student is at least as good on {len(better)} of "
            f"{len(subjects)}, lowest {f1(student, worst):.2f} on {worst}. " + targets(teacher, student, int8))


def targets(teacher: dict, student: dict, int8: dict | None) -> str:
    """The issue's targets for the student, met or missed by how much (points of macro F1)."""
    gap = 100 * (teacher["macro_f1_mean"] - student["macro_f1_mean"])
    below = sorted(s for s, v in student["per_subject"].items() if v["macro_f1"] < 0.5)
    checks = [f"within 1 point of the teacher: {'met' if gap <= 1 else f'missed by {gap - 1:.1f} points'}",
              "no volunteer below 0.5: " + ("met" if not below else f"missed on {', '.join(below)}")]
    if int8:
        drop = 100 * (student["macro_f1_mean"] - int8["macro_f1_mean"])
        checks.append(f"int8 within 1 point of fp32: {'met' if drop <= 1 else f'missed by {drop - 1:.1f} points'}")
    short = 100 * (0.83 - student["macro_f1_mean"])
    checks.append(f"goal 0.83: {'met' if short <= 0 else f'{short:.1f} points short'}")
    return f"Targets: {'; '.join(checks)}."


def builtin_line(readme_json: Path) -> str:
    info = json.loads(readme_json.read_text())
    held = info["heldout"]
    agreement = {e["file"]: e["agreement"] for e in info["export"] if "int8" in e["file"]}
    parts = " and ".join(f"{a:.3f} ({'ONNX' if f.endswith('.onnx') else 'TFLite'})" for f, a in sorted(agreement.items()))
    wrist = "".join(f"; as worn on the other wrist ({name.split('_')[1]} negated) {other['macro_f1_mean']:.3f}"
                    for name, other in (held.get("other_wrist") or {}).items())
    worst = {e["file"]: e.get("worst_orientation_agreement") for e in info["export"] if "int8" in e["file"]}
    turned = " and ".join(f"{a:.3f} ({'ONNX' if f.endswith('.onnx') else 'TFLite'})"
                          for f, a in sorted(worst.items()) if a is not None)
    # The commands that built it (README.json from a rebuild records them; older ones: the fragment has them).
    command = info.get("command") or "python scripts/build_default_models.py`, commands in `docs/results/default_model.md"
    stem = info["export"][0]["file"].split("_")[0]      # cnn-small_fp32.onnx -> cnn-small
    return (f"- Built-in model (`{stem}`, {held['protocol']}; `{command}`, "
            f"`{readme_json.relative_to(ROOT).as_posix()}`): held-out macro F1 {held['macro_f1_mean']:.3f} ± "
            f"{held['macro_f1_sd']:.3f}, kappa {held['kappa_mean']:.3f} ± {held['kappa_sd']:.3f}{wrist}; int8 agreement "
            f"with fp32 {parts}" + (f", in the worst of the 24 axis-aligned orientations {turned}" if turned else "") + ".")


def fragments(results_dir: Path = RESULTS) -> dict[str, str]:
    return {"finetune": finetune_table(results_dir), "distil": distil_line(results_dir),
            "builtin_model": builtin_line(ROOT / "harnet_edge" / "default_models" / "README.json")}


def main() -> int:
    for name, text in fragments().items():
        write_result(name, None, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
