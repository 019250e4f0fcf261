"""The shipped models are the ones their published figures describe: the same source checkpoint as
the export report in docs/results/default_model.json, and "N subjects never trained on" true of it."""
import json
import re
from pathlib import Path

from harnet_edge.runtime.defaults import DEFAULT_DIR, DEFAULT_STEM
from harnet_edge.runtime.model_info import METADATA_KEY, read_tflite_metadata

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results" / "default_model.json"


def test_shipped_files_come_from_the_reported_checkpoint_and_held_out_subjects_were_never_trained_on():
    report = json.loads(RESULTS.read_text())
    shipped = json.loads((DEFAULT_DIR / "README.json").read_text())
    validation = report["export"]["validation"]
    assert shipped["heldout"] == report["heldout"]
    held_out = re.search(r"hold-out: (\d+) subjects never trained on", report["heldout"]["protocol"])
    if held_out:        # a hold-out build: the figures are scores on exactly the export's validation subjects
        assert int(held_out.group(1)) == len(validation["subjects"])
        assert validation["subjects_seen_in_training"] == []
    import onnxruntime as ort

    session = ort.InferenceSession(str(DEFAULT_DIR / f"{DEFAULT_STEM}_int8.onnx"), providers=["CPUExecutionProvider"])
    inside = {f"{DEFAULT_STEM}_int8.onnx": session.get_modelmeta().custom_metadata_map[METADATA_KEY],
              f"{DEFAULT_STEM}_int8.tflite": read_tflite_metadata((DEFAULT_DIR / f"{DEFAULT_STEM}_int8.tflite").read_bytes())[METADATA_KEY]}
    for name, raw in inside.items():
        metadata = json.loads(raw)
        assert metadata["source_checkpoint_sha256"] == report["export"]["source_sha256"], name
        assert metadata["heldout_scores"]["protocol"] == report["heldout"]["protocol"], name
