"""TFLite Micro target: the int8 student as C source for a microcontroller, checked on the real
TFLite Micro interpreter (the ``tflite-micro`` package runs TFLM's own kernels on the host).

What a firmware needs from an export, and why each piece is measured rather than guessed:
- the flatbuffer as a 16-byte-aligned byte array (TFLM reads tensors in place from flash);
- the tensor-arena size: the smallest arena the interpreter can allocate, found by bisection
  in child interpreters (TFLM can crash rather than fail on a tiny arena);
- the op list, so the sketch registers exactly those kernels (MicroMutableOpResolver);
- classes, rate, window and the input/output quantisation, so the firmware feeds int8 counts the
  way the model was calibrated.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from . import ExportError

MAX_ARENA_BYTES = 16 << 20
# The reference sketch (firmware_bridge/firmware/harnet_wearable) on an nRF52840: of its 1 MB flash, the
# BLE SoftDevice (~150 KB), TFLM (~100 KB) and the sketch leave about 700 KB for the model.
REFERENCE_MODEL_FLASH_BYTES = 700 * 1024
MODEL_INFO_MAX_BYTES = 512      # a GATT attribute value, and the sketch's model-info characteristic
ARENA_STEP_BYTES = 16           # TFLM aligns arena allocations to 16 bytes
# Logits the firmware can read: dtype -> (TfLiteType, TfLitePtrUnion member). int16 logits come from
# a classifier quantised 16x8 (int8 weights, int16 activations); every other tensor stays int8.
OUTPUT_TYPES = {"int8": ("kTfLiteInt8", "int8"), "int16": ("kTfLiteInt16", "i16")}


def _interpreter(model: bytes, arena_bytes: int):
    from tflite_micro.python.tflite_micro import runtime

    return runtime.Interpreter.from_bytes(model, arena_size=int(arena_bytes))


# Bisection runs in a fresh interpreter: TFLM may crash (not fail) on a tiny arena, and forking
# the exporting process (torch, JAX threads) could deadlock. The child reports each probe before
# and after it, so a crash marks that probe "does not fit" and a new child carries on.
_BISECT = """
import sys
from tflite_micro.python.tflite_micro import runtime
model = open(sys.argv[1], "rb").read()
low, high, step = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def fits(size):
    print("try", size, flush=True)
    try:
        runtime.Interpreter.from_bytes(model, arena_size=size)
        ok = True
    except Exception as exc:
        print("error", str(exc).replace(chr(10), " "), flush=True)
        ok = False
    print("fits" if ok else "fails", size, flush=True)
    return ok
if low == 0 and not fits(high):
    sys.exit(3)
while high - low > step:
    middle = (low + high) // 2 // step * step
    if middle <= low:
        break
    low, high = (low, middle) if fits(middle) else (middle, high)
print("done", high, flush=True)
"""


def arena_bytes(model: bytes) -> int:
    """The smallest tensor arena (to 16 bytes) in which TFLM prepares ``model``.

    Measured with the host build (64-bit pointers): a 32-bit microcontroller needs a little less
    for TFLM's own bookkeeping, so the figure is a safe upper bound there."""
    import subprocess
    import sys
    import tempfile

    low, high = 0, MAX_ARENA_BYTES
    with tempfile.NamedTemporaryFile(suffix=".tflite") as file:
        file.write(model)
        file.flush()
        for _ in range(64):                                   # each restart follows a crash
            run = subprocess.run([sys.executable, "-c", _BISECT, file.name, str(low), str(high),
                                  str(ARENA_STEP_BYTES)], capture_output=True, text=True)
            trying, errors = None, []
            for words in (line.split(maxsplit=1) for line in run.stdout.splitlines() if line.strip()):
                if words[0] == "try":
                    trying = int(words[1])
                elif words[0] == "error":
                    errors.append(words[1] if len(words) > 1 else "")
                elif words[0] in ("fits", "fails"):
                    size, trying = int(words[1]), None
                    low, high = (low, size) if words[0] == "fits" else (size, high)
                elif words[0] == "done":
                    return int(words[1])
            if run.returncode == 3 or (low == 0 and high == MAX_ARENA_BYTES and trying == MAX_ARENA_BYTES):
                printed = [line for line in run.stderr.splitlines() if "op" in line.lower()]   # TFLM's own words
                reason = (printed or errors or [run.stderr[-300:]])[0]
                raise ExportError(f"TFLite Micro cannot run this model: {reason.strip() or 'interpreter failed'}")
            if trying is None:
                raise ExportError(f"TFLite Micro arena probe failed: {run.stderr.strip()[-300:]}")
            low = max(low, trying)                            # it crashed trying this size: too small
    raise ExportError("TFLite Micro arena probe kept crashing")


def operator_names(model: bytes) -> list[str]:
    """Builtin operators the model uses, as TFLite names (CONV_2D, ...)."""
    from ai_edge_litert import schema_py_generated as schema

    parsed = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    names = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    return sorted({names[max(op.builtinCode, op.deprecatedBuiltinCode)] for op in parsed.operatorCodes})


def tflite_macs(model: bytes) -> int:
    """Multiply-accumulates of one inference, from the graph the microcontroller runs
    (convolutions, depthwise convolutions, fully connected layers)."""
    from ai_edge_litert import schema_py_generated as schema

    parsed = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    names = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    graph, total = parsed.subgraphs[0], 0
    for op in graph.operators:
        code = parsed.operatorCodes[op.opcodeIndex]
        name = names[max(code.builtinCode, code.deprecatedBuiltinCode)]
        out = int(np.prod(graph.tensors[op.outputs[0]].shape))
        weights = list(graph.tensors[op.inputs[1]].shape) if len(op.inputs) > 1 else []
        if name == "CONV_2D":                       # weights (out, kh, kw, in)
            total += out * weights[1] * weights[2] * weights[3]
        elif name == "DEPTHWISE_CONV_2D":           # weights (1, kh, kw, channels)
            total += out * weights[1] * weights[2]
        elif name == "FULLY_CONNECTED":             # weights (out, in)
            total += out * weights[1]
    return int(total)


def _resolver_method(op_name: str) -> str:
    """CONV_2D -> AddConv2D, the MicroMutableOpResolver method that registers the kernel."""
    return "Add" + "".join(part if part[0].isdigit() else part.capitalize() for part in op_name.split("_"))


def _quantisation(model: bytes) -> dict:
    interpreter = _interpreter(model, MAX_ARENA_BYTES)
    inp, out = interpreter.get_input_details(0), interpreter.get_output_details(0)
    if inp["dtype"] != np.int8 or out["dtype"] not in (np.int8, np.int16):
        raise ExportError("the tflm target needs a full-integer model (int8 input, int8 or int16 logits); "
                          "export with --int8")
    return {"input_shape": [int(s) for s in inp["shape"]], "output_shape": [int(s) for s in out["shape"]],
            "output_dtype": np.dtype(out["dtype"]).name,
            "input_scale": float(inp["quantization_parameters"]["scales"][0]),
            "input_zero_point": int(inp["quantization_parameters"]["zero_points"][0]),
            "output_scale": float(out["quantization_parameters"]["scales"][0]),
            "output_zero_point": int(out["quantization_parameters"]["zero_points"][0])}


def _c_string(text: str) -> str:
    return json.dumps(text)          # a JSON string literal is a valid C string literal for ASCII text


def c_stem(name: str) -> str:
    """A file stem that is also a C identifier fragment: 'ds small-int8.v2' -> 'ds_small_int8_v2'."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name) or "model"


def c_sources(model: bytes, meta: dict, arena: int, quant: dict, ops: list[str], stem: str) -> tuple[str, str]:
    """(header, source) for ``stem``.h / ``stem``.c."""
    classes = list(meta["classes"])
    if not 0 < len(classes) < 255:          # label index 0xFF means withheld (PROFILE.md)
        raise ExportError(f"the tflm target labels 1..254 classes; the model has {len(classes)}")
    guard = f"HARNET_MODEL_{c_stem(stem).upper()}_H"
    output_dtype = quant.get("output_dtype", "int8")
    if output_dtype not in OUTPUT_TYPES:
        raise ExportError(f"the tflm target reads int8 or int16 logits; this model's are {output_dtype}")
    info = {"classes": classes, "sample_rate_hz": meta["sample_rate_hz"], "window_samples": meta["window_samples"],
            "variant": meta.get("variant"), "quantisation": "int8", "output_dtype": output_dtype,
            "model_bytes": len(model), "arena_bytes": arena}
    info_bytes = len(json.dumps(info, separators=(",", ":")).encode())
    if info_bytes > MODEL_INFO_MAX_BYTES:
        raise ExportError(f"model info is {info_bytes} bytes; the on-device service serves at most "
                          f"{MODEL_INFO_MAX_BYTES} (shorten the class names)")
    header = f"""// {stem}.h: generated by `harnet-edge export --formats tflm`; do not edit.
// Input: int8 tensor {quant['input_shape']} laid out (batch, axis x/y/z, time): element [axis][t] is
// input[axis * HARNET_MODEL_WINDOW_SAMPLES + t] = round(g / INPUT_SCALE) + INPUT_ZERO_POINT, clamped.
// Output: {output_dtype} logits (HARNET_MODEL_OUTPUT_TYPE; read output->data.{OUTPUT_TYPES[output_dtype][1]});
// logit = (q - OUTPUT_ZERO_POINT) * OUTPUT_SCALE.
#ifndef {guard}
#define {guard}
#ifdef __cplusplus
extern "C" {{
#endif

#define HARNET_MODEL_SAMPLE_RATE_HZ {int(meta['sample_rate_hz'])}
#define HARNET_MODEL_WINDOW_SAMPLES {int(meta['window_samples'])}
#define HARNET_MODEL_AXES 3
#define HARNET_MODEL_NUM_CLASSES {len(classes)}
#define HARNET_MODEL_INPUT_SCALE {quant['input_scale']!r}f
#define HARNET_MODEL_INPUT_ZERO_POINT {quant['input_zero_point']}
#define HARNET_MODEL_OUTPUT_SCALE {quant['output_scale']!r}f
#define HARNET_MODEL_OUTPUT_ZERO_POINT {quant['output_zero_point']}
/* The output tensor's TfLiteType: the firmware reads data.int8 or data.i16 accordingly. */
#define HARNET_MODEL_OUTPUT_TYPE {OUTPUT_TYPES[output_dtype][0]}
/* Smallest arena TFLM could allocate for this model (host build, 64-bit; an upper bound on 32-bit MCUs). */
#define HARNET_MODEL_ARENA_BYTES {arena}
#define HARNET_MODEL_OP_COUNT {len(ops)}
/* Register exactly the kernels the model uses: MicroMutableOpResolver<HARNET_MODEL_OP_COUNT> r; HARNET_MODEL_ADD_OPS(r); */
#define HARNET_MODEL_ADD_OPS(resolver) do {{ {' '.join(f'(resolver).{_resolver_method(op)}();' for op in ops)} }} while (0)

extern const char *const harnet_model_classes[HARNET_MODEL_NUM_CLASSES];
/* Served verbatim on the on-device classification service's model-info characteristic (PROFILE.md). */
extern const char harnet_model_info_json[];
extern const unsigned char harnet_model_tflite[];
extern const unsigned int harnet_model_tflite_len;

#ifdef __cplusplus
}}
#endif
#endif
"""
    rows = ",\n".join("  " + ", ".join(f"0x{b:02x}" for b in model[i:i + 16]) for i in range(0, len(model), 16))
    source = f"""// {stem}.c: generated by `harnet-edge export --formats tflm`; do not edit.
#include "{stem}.h"

const char *const harnet_model_classes[HARNET_MODEL_NUM_CLASSES] = {{{', '.join(_c_string(c) for c in classes)}}};
const char harnet_model_info_json[] = {_c_string(json.dumps(info, separators=(',', ':')))};
/* 16-byte aligned: TFLM reads tensors in place from this array. */
const unsigned char harnet_model_tflite[] __attribute__((aligned(16))) = {{
{rows}
}};
const unsigned int harnet_model_tflite_len = {len(model)};
"""
    return header, source


TFLM_SUFFIX = ".tflm.c"


def write_tflm_sources(model: bytes, c_path: Path, meta: dict) -> dict:
    """``<stem>.tflm.c`` and ``<stem>.tflm.h`` for an int8 flatbuffer; fails (ExportError) on an op
    TFLM lacks or a float model. Returns what the report records (flash, arena, MACs, ops, scales)."""
    c_path = Path(c_path)
    if not c_path.name.endswith(TFLM_SUFFIX):
        raise ExportError(f"{c_path.name}: tflm sources are named <stem>{TFLM_SUFFIX}")
    arena = arena_bytes(model)                    # first: it names an operator TFLM lacks
    quant = _quantisation(model)
    ops = operator_names(model)
    stem = c_path.name[:-2]                       # "<stem>.tflm"
    header, source = c_sources(model, meta, arena, quant, ops, stem)
    c_path.parent.mkdir(parents=True, exist_ok=True)
    c_path.with_name(stem + ".h").write_text(header)
    c_path.write_text(source)
    return {"file": c_path.name, "header": stem + ".h", "flash_bytes": len(model), "arena_bytes": arena,
            "macs": tflite_macs(model), "ops": ops, **quant}


def write_tflm_int8(fp32_path: Path, path: Path, calibration: np.ndarray, meta: dict,
                    input_range_g: float | None = None, logits_bits: int = 8) -> Path:
    """The format table's int8 writer: fp32 TFLite step -> full-integer TFLite (the TFLite writer's
    calibration; ``logits_bits=16``: a 16x8 classifier with int16 logits, as the TFLite row) -> C
    sources at ``path``; the int8 step file is not kept (the C array holds it)."""
    from .tflite_writer import write_tflite_int8

    path = Path(path)
    step = path.with_name(path.name[:-len(TFLM_SUFFIX)] + ".tflm-step.tflite")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_tflite_int8(fp32_path, step, calibration, meta, input_range_g=input_range_g, logits_bits=logits_bits)
    try:
        write_tflm_sources(step.read_bytes(), path, meta)
    finally:
        step.unlink(missing_ok=True)
    return path


def tflm_graph_report(path: Path, model=None) -> dict:
    """What a firmware build needs to know (the export report records it)."""
    from harnet_edge.runtime.tflm_engine import REFERENCE_ARENA_BYTES, tflm_arena_from_header, tflm_model_bytes

    data = tflm_model_bytes(path)
    arena = tflm_arena_from_header(path)
    report = {"ok": True, "flash_bytes": len(data), "arena_bytes": arena, "macs": tflite_macs(data),
              "ops": operator_names(data)}
    too_big = []
    if arena and arena > REFERENCE_ARENA_BYTES:
        too_big.append(f"a {arena / 1024:.0f} KB arena (it reserves {REFERENCE_ARENA_BYTES // 1024} KB)")
    if len(data) > REFERENCE_MODEL_FLASH_BYTES:
        too_big.append(f"{len(data) / 1024:.0f} KB of flash for the model "
                       f"(it leaves ~{REFERENCE_MODEL_FLASH_BYTES // 1024} KB)")
    if too_big:   # valid for a bigger MCU, so a warning, not a failure
        report["warning"] = f"does not fit the reference wearable (nRF52840 sketch): needs {' and '.join(too_big)}"
    return report


def agreement_with_litert(path: Path, windows: np.ndarray, min_agreement: float = 0.99) -> dict:
    """Labels of the TFLM interpreter (in the header's arena) against ai-edge-litert running the same
    bytes: kernels and rounding differ, the labels must not (>= ``min_agreement``)."""
    import tempfile

    from harnet_edge.runtime.engines import TFLiteEngine
    from harnet_edge.runtime.tflm_engine import TflmEngine, tflm_model_bytes

    windows = np.asarray(windows, np.float32)
    ours = TflmEngine(path).run(windows)
    with tempfile.TemporaryDirectory() as tmp:
        same_bytes = Path(tmp) / (Path(path).name[:-len(TFLM_SUFFIX)] + ".tflite")
        same_bytes.write_bytes(tflm_model_bytes(path))
        reference = TFLiteEngine(same_bytes, threads=1).run(windows)
    agreement = float(np.mean(ours.argmax(1) == reference.argmax(1))) if len(windows) else 1.0
    return {"ok": agreement >= min_agreement, "agreement_with_litert": agreement, "windows": int(len(windows)),
            "required": min_agreement,
            "max_prob_diff_vs_litert": float(np.abs(ours - reference).max()) if len(windows) else 0.0}


def write_tflm(int8_tflite: Path, out_dir: Path, meta: dict, windows: np.ndarray | None = None,
               min_agreement: float = 0.99) -> dict:
    """C sources for an existing int8 ``.tflite`` in ``out_dir``, checked against ai-edge-litert on
    ``windows``; ExportError below ``min_agreement`` (used by scripts and tests; the export pipeline
    goes through the format table's writer and cross check)."""
    int8_tflite = Path(int8_tflite)
    c_path = Path(out_dir) / (int8_tflite.stem + TFLM_SUFFIX)
    report = write_tflm_sources(int8_tflite.read_bytes(), c_path, meta)
    if windows is not None and len(windows):
        check = agreement_with_litert(c_path, windows, min_agreement)
        report.update({k: v for k, v in check.items() if k not in ("ok", "required")})
        if not check["ok"]:
            raise ExportError(f"TFLite Micro labels agree with ai-edge-litert on {check['agreement_with_litert']:.3f} "
                              f"of {check['windows']} windows (< {min_agreement})")
    return report
