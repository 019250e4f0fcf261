"""bench merge: one table with a column per device, one plot with a colour per device."""
import json

import numpy as np

from tests.conftest import run_cli


def report(cpu, p50_by_file):
    return {"device": {"cpu": cpu, "cores": 4, "arch": "aarch64", "os": "Linux", "python": "3.11"},
            "results": [{"file": f, "backend": "onnxruntime", "quantisation": "int8", "size_bytes": 200_000,
                         "latency": {"threads=1,batch=1": {"p50_ms": p50, "p99_ms": 2 * p50, "windows_per_s": 1000 / p50}},
                         "accuracy": {"macro_f1": 0.8}} for f, p50 in p50_by_file.items()]}


def test_merge_puts_devices_in_columns_and_colours(tmp_path):
    (tmp_path / "laptop.json").write_text(json.dumps(report("Intel Xeon", {"a.onnx": 0.05, "b.tflite": 0.04})))
    (tmp_path / "pi").mkdir()
    (tmp_path / "pi" / "laptop.json").write_text(json.dumps(report("Cortex-A76", {"a.onnx": 0.9})))
    result = run_cli("bench", "merge", tmp_path / "laptop.json", tmp_path / "pi" / "laptop.json", "--out", tmp_path / "m")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["variant", "metric", tmp_path.name, "pi"]     # same stem: named by folder
    assert lines[1].split()[-2:] == ["0.050", "0.900"]                          # a.onnx p50 on each device
    b_p50 = next(line for line in lines if line.startswith("b.tflite") and "p50" in line)
    assert b_p50.split()[-2:] == ["0.040", "-"]                                 # not measured on the Pi
    assert sum(line.startswith("variant") for line in lines) == 1               # one table, not one per file

    import matplotlib.image
    from matplotlib import colormaps

    pixels = matplotlib.image.imread(tmp_path / "m" / "merged.png")[..., :3].reshape(-1, 3)
    for colour in colormaps["tab10"].colors[:2]:                                # one colour per device
        assert (np.abs(pixels - np.array(colour)).max(axis=1) < 0.03).sum() > 50
