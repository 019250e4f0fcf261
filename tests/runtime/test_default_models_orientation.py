"""The shipped int8 models hold however the wearable is worn (issue 13): their input covers gravity
on either side of every axis, and they agree with fp32 in all 24 axis-aligned orientations on real
selfBACK windows."""
import numpy as np
import pytest

from harnet_edge.runtime import open_engine
from harnet_edge.runtime.defaults import DEFAULT_DIR, DEFAULT_STEM
from tests.export.int8_ranges import onnx_input_range_g, tflite_input_range_g


def test_shipped_int8_inputs_cover_two_g_on_every_axis():
    low, high = onnx_input_range_g(DEFAULT_DIR / f"{DEFAULT_STEM}_int8.onnx")
    assert low <= -2 and high >= 2
    low, high = tflite_input_range_g(open_engine(DEFAULT_DIR / f"{DEFAULT_STEM}_int8.tflite"))
    assert low <= -2 and high >= 2


@pytest.fixture(scope="module")
def heldout_windows(datasets_root):
    """Every window of the selfBACK subjects the shipped model never trained on (README.json names
    them): a sample of a few hundred would leave the worst of 24 orientations a point of noise."""
    import json

    from harnet_edge.data import load_benchmark

    heldout = json.loads((DEFAULT_DIR / "README.json").read_text())["heldout_subjects"]
    windows = load_benchmark("selfback", root=datasets_root)
    return windows.x[np.isin(windows.subjects, heldout)]


@pytest.mark.parametrize("fmt", ["onnx", "tflite"])
def test_shipped_int8_agrees_with_fp32_in_every_orientation(fmt, heldout_windows):
    from harnet_edge.export.orientation import orientation_sweep, rotated_references

    fp32 = open_engine(DEFAULT_DIR / f"{DEFAULT_STEM}_fp32.{fmt}")
    int8 = open_engine(DEFAULT_DIR / f"{DEFAULT_STEM}_int8.{fmt}")
    sweep = orientation_sweep(int8, heldout_windows, rotated_references(fp32.run, heldout_windows))
    worst = min(sweep["orientations"], key=lambda r: r["agreement"])
    assert sweep["min_agreement"] >= 0.97, f"int8 agrees with fp32 on {worst['agreement']:.3f} in orientation {worst}"
