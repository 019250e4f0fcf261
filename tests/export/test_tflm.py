"""The tflm target: C sources a microcontroller build takes, checked on the real TFLite Micro interpreter."""
import asyncio
import shutil
import subprocess

import numpy as np
import pytest

from harnet_edge.export import ExportError
from harnet_edge.export.tflm import arena_bytes, operator_names, write_tflm
from harnet_edge.runtime.defaults import DEFAULT_DIR, DEFAULT_STEM
from harnet_edge.runtime.model_info import read_model_info

SHIPPED = DEFAULT_DIR / f"{DEFAULT_STEM}_int8.tflite"
CHECK_C = r"""
#include <stdio.h>
#include <string.h>
#include "STEM.h"
int main(void) {
  FILE *f = fopen(TFLITE_PATH, "rb"); static unsigned char buf[1 << 21];
  size_t n = fread(buf, 1, sizeof buf, f); fclose(f);
  printf("%u %d %d %d %d %s\n", harnet_model_tflite_len, n == harnet_model_tflite_len && !memcmp(buf, harnet_model_tflite, n),
         (int)(((unsigned long)harnet_model_tflite) % 16), HARNET_MODEL_NUM_CLASSES, HARNET_MODEL_ARENA_BYTES,
         harnet_model_classes[HARNET_MODEL_NUM_CLASSES - 1]);
  printf("%s\n", harnet_model_info_json);
  return 0;
}
"""


@pytest.fixture(scope="module")
def heldout_windows(datasets_root):
    """Real selfBACK wrist windows of every activity from three subjects (the check compares two
    interpreters on the same int8 file, not accuracy, so whose windows they are does not matter)."""
    from harnet_edge.data.selfback import read_selfback_wrist
    from harnet_edge.data.windows import make_windows

    recordings = read_selfback_wrist(datasets_root / "selfback_wrist", subjects={"026", "027", "028"})
    return make_windows(recordings, 10.0, 5.0).x.astype(np.float32)


def test_tflm_export_compiles_fits_and_agrees_with_litert(tmp_path, heldout_windows):
    meta = read_model_info(SHIPPED).extra
    report = write_tflm(SHIPPED, tmp_path, meta, heldout_windows)
    assert report["agreement_with_litert"] >= 0.99 and report["windows"] == len(heldout_windows)
    # nRF52840 (256 KB RAM, 1 MB flash, of which a BLE SoftDevice takes ~150 KB and TFLM ~100 KB):
    # cnn-small needs ~220 KB, more than ds-small's 196 KB (issue 16's 200 KB bound was set for it)
    assert report["arena_bytes"] <= 64 * 1024 and report["flash_bytes"] <= 256 * 1024
    assert report["macs"] == pytest.approx(4.93e6, rel=0.01)
    assert set(report["ops"]) >= {"CONV_2D", "FULLY_CONNECTED"} and "DEPTHWISE_CONV_2D" not in report["ops"]
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    stem = report["header"][:-2]
    (tmp_path / "check.c").write_text(CHECK_C.replace("STEM", stem))
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Werror", f"-DTFLITE_PATH=\"{SHIPPED}\"", "-I", str(tmp_path),
                    str(tmp_path / "check.c"), str(tmp_path / report["file"]), "-o", str(tmp_path / "check")],
                   check=True, capture_output=True, text=True)
    first, info = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True,
                                 check=True).stdout.splitlines()
    length, same, misalignment, n_classes, arena, last_class = first.split()
    assert (int(length), same, misalignment) == (SHIPPED.stat().st_size, "1", "0")
    assert int(n_classes) == len(meta["classes"]) and last_class == meta["classes"][-1]
    assert int(arena) == report["arena_bytes"]
    import json
    assert json.loads(info)["classes"] == meta["classes"]


def test_arena_is_the_smallest_that_allocates():
    from tflite_micro.python.tflite_micro import runtime

    model = SHIPPED.read_bytes()
    arena = arena_bytes(model)
    runtime.Interpreter.from_bytes(model, arena_size=arena)          # fits
    with pytest.raises(RuntimeError):
        runtime.Interpreter.from_bytes(model, arena_size=arena - 16)  # 16 bytes less does not


def _with_operator_replaced(model: bytes, old: str, new: str) -> bytes:
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    parsed = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    for code in parsed.operatorCodes:
        if max(code.builtinCode, code.deprecatedBuiltinCode) == getattr(schema.BuiltinOperator, old):
            code.builtinCode = code.deprecatedBuiltinCode = getattr(schema.BuiltinOperator, new)
    builder = flatbuffers.Builder(1024)
    builder.Finish(parsed.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_an_operator_tflm_lacks_fails_the_export_naming_it(tmp_path):
    bad = tmp_path / "bad_int8.tflite"
    bad.write_bytes(_with_operator_replaced(SHIPPED.read_bytes(), "MEAN", "SKIP_GRAM"))
    assert "SKIP_GRAM" in operator_names(bad.read_bytes())
    with pytest.raises(ExportError, match="TFLite Micro cannot run this model: .*(SKIP_GRAM|opcode)"):
        write_tflm(bad, tmp_path / "out", read_model_info(SHIPPED).extra)


def test_float_model_and_disagreement_fail_the_export(tmp_path, heldout_windows, monkeypatch):
    meta = read_model_info(SHIPPED).extra
    with pytest.raises(ExportError, match="full-integer"):
        write_tflm(DEFAULT_DIR / f"{DEFAULT_STEM}_fp32.tflite", tmp_path, meta)
    from harnet_edge.runtime import tflm_engine

    real_infer = tflm_engine.TflmEngine._infer
    monkeypatch.setattr(tflm_engine.TflmEngine, "_infer", lambda self, w: np.roll(real_infer(self, w), 1, axis=1))
    with pytest.raises(ExportError, match="agree with ai-edge-litert on 0"):
        write_tflm(SHIPPED, tmp_path / "rolled", meta, heldout_windows[:40])


def test_export_pipeline_writes_a_validated_tflm_target(tmp_path, datasets_root):
    """`--formats tflm` is one row of the format table: the pipeline writes the C files, validates them
    with TFLite Micro against PyTorch and against ai-edge-litert, and keeps no step files."""
    import torch

    from harnet_edge.data import load_benchmark
    from harnet_edge.export.pipeline import ExportOptions, export_checkpoint
    from harnet_edge.export.validate import Thresholds
    from harnet_edge.models.checkpoints import save_checkpoint
    from harnet_edge.models.student import StudentCNN
    from harnet_edge.runtime import open_engine

    torch.manual_seed(0)
    checkpoint = tmp_path / "student.safetensors"
    save_checkpoint(StudentCNN("ds-tiny", 5, ["walk", "climb_stairs", "drink_glass", "pour_water", "getup_bed"]),
                    checkpoint)
    windows = load_benchmark("adl", root=datasets_root)
    out = tmp_path / "out"
    # 8-bit logits: this untrained student's classifier input spans ~1e-8, so with 16-bit activations its
    # bias scale is ~7e-12 and ai-edge-quantizer clamps the bias to -2**31 (TFLite and TFLM alike: int8/fp32
    # agreement 0.000). 16-bit logits are tested on the trained student below.
    report = export_checkpoint(checkpoint, windows, out, ExportOptions(formats=("tflm",), calibration_windows=64,
                               logits_bits=8, thresholds=Thresholds(int8_min_agreement=0.3)), log=lambda *_: None)
    (artefact,) = report["artefacts"]
    assert artefact["file"] == "ds-tiny_int8.tflm.c" and artefact["backend"] == "tflite-micro"
    assert artefact["passed"] and artefact["cross_check"]["ok"]
    assert artefact["cross_check"]["agreement_with_litert"] >= 0.99 and artefact["cross_check"]["windows"] > 50
    assert artefact["graph"]["arena_bytes"] < 64 * 1024 and artefact["graph"]["flash_bytes"] < 64 * 1024
    assert sorted(p.name for p in out.iterdir()) == ["ds-tiny_int8.tflm.c", "ds-tiny_int8.tflm.h",
                                                     "export_report.json", "export_report.md"]
    engine = open_engine(out / "ds-tiny_int8.tflm.c")              # runs the bytes inside the C array
    assert engine.arena_bytes == artefact["graph"]["arena_bytes"] and engine.info.classes[0] == "walk"
    assert engine.output["dtype"] == np.int8 and report["calibration"]["logits_bits"] == 8
    assert "#define HARNET_MODEL_OUTPUT_TYPE kTfLiteInt8\n" in (out / "ds-tiny_int8.tflm.h").read_text()


@pytest.mark.parametrize("name", ["my model.int8", "ds-small+v2 (copy)", "héllo"])
def test_any_file_name_gives_c_that_compiles(tmp_path, name):
    """A stem with spaces, brackets or non-ASCII letters must still give a valid include guard."""
    from harnet_edge.export.tflm import c_sources

    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    stem = name + ".tflm"                       # the file keeps its name; the guard must not
    quant = {"input_shape": [1, 3, 300], "output_shape": [1, 2], "input_scale": 0.03, "input_zero_point": -3,
             "output_scale": 0.06, "output_zero_point": 7}
    header, source = c_sources(bytes(range(40)), {"classes": ["sit", "walk"], "sample_rate_hz": 30,
                                                  "window_samples": 300}, 1024, quant, ["CONV_2D"], stem)
    guard = next(line for line in header.splitlines() if line.startswith("#ifndef"))
    assert guard.isascii()                       # Arduino cores ship gcc 7-9: no UTF-8 identifiers
    (tmp_path / f"{stem}.h").write_text(header)
    (tmp_path / f"{stem}.c").write_text(source)
    (tmp_path / "main.c").write_text(f'#include "{stem}.h"\n#include "{stem}.h"\nint main(void) {{ return '
                                     'harnet_model_tflite_len == 40 ? 0 : 1; }\n')
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Werror", "-o", str(tmp_path / "check"), str(tmp_path / "main.c"),
                    str(tmp_path / f"{stem}.c")], check=True, capture_output=True, text=True)
    assert subprocess.run([str(tmp_path / "check")]).returncode == 0


def test_class_lists_the_label_service_cannot_carry_fail_the_export():
    from harnet_edge.export.tflm import c_sources

    quant = {"input_shape": [1, 3, 300], "output_shape": [1, 2], "input_scale": 0.03, "input_zero_point": -3,
             "output_scale": 0.06, "output_zero_point": 7}
    for classes, words in (([f"c{i}" for i in range(255)], "1..254 classes"),
                           ([f"activity number {i} of the long list" for i in range(20)], "512")):
        with pytest.raises(ExportError, match=words):
            c_sources(bytes(40), {"classes": classes, "sample_rate_hz": 30, "window_samples": 300}, 1024, quant,
                      ["CONV_2D"], "m")


@pytest.fixture(scope="module")
def int16_logits_model(tmp_path_factory, heldout_windows):
    """The shipped student's float graph through the TFLite writer with 16-bit logits: its classifier
    runs TFLite's 16x8 kernel and the output is int16; every other tensor stays int8."""
    from harnet_edge.export.tflite_writer import write_tflite_int8

    path = tmp_path_factory.mktemp("int16") / f"{DEFAULT_STEM}_int8.tflite"
    return write_tflite_int8(DEFAULT_DIR / f"{DEFAULT_STEM}_fp32.tflite", path, heldout_windows[::18],
                             read_model_info(SHIPPED).extra, input_range_g=4.0, logits_bits=16)


def test_tflm_engine_runs_int16_logits_like_litert(int16_logits_model, heldout_windows):
    """TFLite Micro's 16x8 classifier: int16 logits (zero point 0) beyond the int8 range, the same
    counts as ai-edge-litert within a few, and the firmware's label maths on them gives its argmax."""
    from harnet_edge.firmware_bridge import on_device as od
    from harnet_edge.runtime.engines import TFLiteEngine, quantise
    from harnet_edge.runtime.tflm_engine import TflmEngine

    engine = TflmEngine(int16_logits_model)
    assert engine.input["dtype"] == np.int8 and engine.output["dtype"] == np.int16
    scale, zero_point = engine.output["quantization"]
    assert zero_point == 0 and 0 < scale < 0.01
    windows = heldout_windows[::max(1, len(heldout_windows) // 60)]
    litert = TFLiteEngine(int16_logits_model, threads=1)
    ours, theirs = [], []
    for window in windows:
        window_q = quantise(window[None], engine.input)
        ours.append(engine.invoke_int8(window_q[0]))
        litert.interpreter.set_tensor(litert.input["index"], window_q)
        litert.interpreter.invoke()
        theirs.append(litert.interpreter.get_tensor(litert.output["index"]).reshape(-1))
    ours, theirs = np.stack(ours), np.stack(theirs)
    assert ours.dtype == theirs.dtype == np.int16 and np.abs(ours).max() > 127   # would not survive an int8 cast
    # The int8 layers before the classifier round differently in the two runtimes: measured 0.33 logits at
    # most here, as for the same model with int8 logits (0.33); the 16x8 classifier adds no gap of its own.
    assert np.abs(ours.astype(int) - theirs).max() * scale < 0.5
    labels = [od.label_and_confidence(q, scale, zero_point)[0] for q in ours]
    assert labels == ours.argmax(1).tolist()
    assert np.mean(ours.argmax(1) == theirs.argmax(1)) >= 0.98


def test_tflm_export_tells_the_firmware_the_logits_type(heldout_windows, tmp_path):
    """The header's HARNET_MODEL_OUTPUT_TYPE and the model info's output_dtype follow the output tensor:
    int16 from the format table's writer with 16-bit logits (and for the shipped student, exported so),
    int8 with ``logits_bits=8``; all still agree with ai-edge-litert."""
    import json

    from harnet_edge.export.tflm import agreement_with_litert, write_tflm_int8
    from harnet_edge.runtime.tflm_engine import TflmEngine

    meta = read_model_info(SHIPPED).extra
    fp32 = DEFAULT_DIR / f"{DEFAULT_STEM}_fp32.tflite"
    sixteen = write_tflm_int8(fp32, tmp_path / "int16" / "m16_int8.tflm.c", heldout_windows[::18], meta,
                              input_range_g=4.0, logits_bits=16)
    eight = write_tflm_int8(fp32, tmp_path / "int8" / "m8_int8.tflm.c", heldout_windows[::18], meta,
                            input_range_g=4.0, logits_bits=8)
    shipped = tmp_path / "shipped" / write_tflm(SHIPPED, tmp_path / "shipped", meta)["file"]
    for c_path, dtype, tflite_type in ((sixteen, "int16", "kTfLiteInt16"), (eight, "int8", "kTfLiteInt8"),
                                       (shipped, "int16", "kTfLiteInt16")):
        assert f"#define HARNET_MODEL_OUTPUT_TYPE {tflite_type}\n" in c_path.with_name(c_path.name[:-2] + ".h").read_text()
        source = c_path.read_text()
        info = json.loads(json.loads(source.split("harnet_model_info_json[] = ")[1].split(";\n")[0]))
        assert info["output_dtype"] == dtype and len(json.dumps(info, separators=(",", ":"))) <= 512
        assert TflmEngine(c_path).output["dtype"] == np.dtype(dtype)
        assert agreement_with_litert(c_path, heldout_windows[::20])["agreement_with_litert"] >= 0.99


def test_on_device_twin_labels_windows_with_int16_logits(int16_logits_model, heldout_windows):
    """The firmware twin on a 16x8 model: each window's label packet carries the argmax of the int16
    logits TFLite Micro gives for that int8 input, and their float64 softmax confidence to 1/255;
    its classes agree with ai-edge-litert's on the same input."""
    from harnet_edge.firmware_bridge import on_device as od
    from harnet_edge.firmware_bridge.bumble_transport import SoftwareRadio
    from harnet_edge.firmware_bridge.on_device_twin import OnDeviceWearable, imu_counts
    from harnet_edge.runtime.engines import TFLiteEngine, dequantise
    from harnet_edge.runtime.tflm_engine import TflmEngine

    windows = heldout_windows[::max(1, len(heldout_windows) // 40)]

    async def make_twin():                                        # bumble's controller needs a running loop
        return OnDeviceWearable(SoftwareRadio(), "HE-Int16", windows[0].T, int16_logits_model, rate_hz=30)

    twin = asyncio.run(make_twin())
    tflm, litert = TflmEngine(int16_logits_model), TFLiteEngine(int16_logits_model, threads=1)
    same_as_litert = []
    for window in windows:
        counts = imu_counts(window.T, twin.counts_per_g)
        twin.ring[:], twin.ticks = counts, twin.window            # a full ring, oldest sample first
        twin._classify()
        packet = twin.backlog[-1]
        window_q = od.quantise_window(counts, twin.counts_per_g, *tflm.input["quantization"])
        logits = dequantise(tflm.invoke_int8(window_q), tflm.output).astype(np.float64)
        probabilities = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        assert packet.label_index == int(np.argmax(logits))
        assert abs(packet.confidence - 255 * probabilities.max()) <= 1
        litert.interpreter.set_tensor(litert.input["index"], window_q[None])
        litert.interpreter.invoke()
        same_as_litert.append(packet.label_index == litert.interpreter.get_tensor(litert.output["index"]).argmax())
    assert twin.labels_made == len(windows) and np.mean(same_as_litert) >= 0.9


@pytest.mark.parametrize("arena_kb, warned", [(20, False), (131, True)])
def test_tflm_report_warns_when_the_reference_wearable_cannot_hold_the_model(monkeypatch, arena_kb, warned):
    """A HARNet exported to tflm needed a 131 KB arena: valid for a bigger MCU, so the export goes on,
    but it must say the reference sketch's 64 KB will not hold it."""
    from harnet_edge.export import tflm
    from harnet_edge.runtime import tflm_engine

    monkeypatch.setattr(tflm_engine, "tflm_model_bytes", lambda path: SHIPPED.read_bytes())
    monkeypatch.setattr(tflm_engine, "tflm_arena_from_header", lambda path: arena_kb * 1024)
    report = tflm.tflm_graph_report(SHIPPED)
    assert report["ok"] and ("131 KB arena" in report.get("warning", "")) == warned
