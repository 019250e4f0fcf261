"""int8 files keep the logits in 16 bits: a near tie between two classes must not be decided by the
int8 rounding of the classifier's output (issue 13: int8 and fp32 disagreed in unfamiliar orientations)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from harnet_edge.export import ExportError
from harnet_edge.runtime.engines import open_engine


class NearTie(torch.nn.Module):
    variant, classes, window_len = "near-tie", ["a", "b", "c"], 300

    """logits = (10 m, 10 m + 0.05, -10 m) for the window's mean m: classes 0 and 1 are always 0.05
    apart, while calibration windows (m up to +-4) spread the logits over +-40, an int8 step of ~0.3."""

    def __init__(self):
        super().__init__()
        self.classifier = torch.nn.Linear(3, 3)
        with torch.no_grad():
            self.classifier.weight.copy_(torch.tensor([[10.0, 0, 0], [10.0, 0, 0], [-10.0, 0, 0]]))
            self.classifier.bias.copy_(torch.tensor([0.0, 0.05, 0.0]))

    def forward(self, x):
        return self.classifier(x.mean(dim=2))


@pytest.fixture(scope="module")
def windows():
    rng = np.random.default_rng(0)
    calibration = np.repeat(rng.uniform(-4, 4, (64, 3, 1)), 300, axis=2).astype(np.float32)
    near_ties = np.repeat(rng.uniform(0.1, 1, (50, 3, 1)), 300, axis=2).astype(np.float32)
    return calibration, near_ties


def meta(quantisation: str) -> dict:
    from harnet_edge.export.metadata import artefact_metadata

    return artefact_metadata(NearTie(), quantisation, "0" * 64)


def agreement(path, x) -> float:
    return float(np.mean(open_engine(path, threads=1).run(x).argmax(1) == 1))   # fp32 says class 1 on every one


@pytest.mark.parametrize("fmt", ["onnx", "tflite"])
def test_sixteen_bit_logits_keep_near_ties_that_int8_logits_lose(tmp_path, windows, fmt):
    if fmt == "onnx":
        from harnet_edge.export.onnx_writer import write_onnx_fp32 as write_fp32, write_onnx_int8 as write_int8
    else:
        pytest.importorskip("litert_torch")
        from harnet_edge.export.tflite_writer import write_tflite_fp32 as write_fp32, write_tflite_int8 as write_int8
    calibration, near_ties = windows
    fp32 = write_fp32(NearTie().eval(), 300, tmp_path / f"m_fp32.{fmt}", meta("fp32"))
    assert agreement(fp32, near_ties) == 1.0
    int8_logits = write_int8(fp32, tmp_path / f"m8_int8.{fmt}", calibration, meta("int8"), input_range_g=4.0,
                            logits_bits=8)
    int16_logits = write_int8(fp32, tmp_path / f"m16_int8.{fmt}", calibration, meta("int8"), input_range_g=4.0,
                             logits_bits=16)
    assert agreement(int8_logits, near_ties) < 0.5       # the 0.05 gap is below the int8 step: ties, lost
    assert agreement(int16_logits, near_ties) == 1.0


def test_tflite_int16_logits_are_an_int16_output_with_int8_input(tmp_path, windows):
    pytest.importorskip("litert_torch")
    from harnet_edge.export.tflite_writer import write_tflite_fp32, write_tflite_int8

    calibration, _ = windows
    fp32 = write_tflite_fp32(NearTie().eval(), 300, tmp_path / "m_fp32.tflite", meta("fp32"))
    engine = open_engine(write_tflite_int8(fp32, tmp_path / "m_int8.tflite", calibration, meta("int8"), 4.0,
                                           logits_bits=16))
    assert engine.input["dtype"] == np.int8 and engine.output["dtype"] == np.int16


def test_unknown_logit_width_is_refused_before_any_work(tmp_path, windows):
    from harnet_edge.export.onnx_writer import write_onnx_int8

    with pytest.raises(ExportError, match="logits_bits must be 8 or 16"):
        write_onnx_int8(tmp_path / "absent.onnx", tmp_path / "out.onnx", windows[0], {}, logits_bits=12)
