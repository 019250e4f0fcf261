"""The corpus of bad inputs: one row per case, what a user types and what they must get back.

A row is ``Case(name, argv, inputs, exit, message | flag | windows)``:
- ``argv``: the command line after ``harnet-edge``; ``{name}`` is replaced by the path ``inputs[name]``
  makes (see builders.py), ``{tmp}`` by the case's own folder, ``{model}`` by a good student model.
- ``exit`` 2 with ``message``: stderr is exactly one line, no traceback, matching the regex ``message``.
- ``flag``: the run succeeds and every window record is withheld (label null) and carries ``flag``
  (``--jsonl`` is added by the runner).
- ``windows``: a control that must work: exit 0 and at least this many windows classified.
- ``subprocess=True`` runs it as a separate process (signals, real stdio); otherwise ``cli.main`` in-process.
Adding a case is adding a row.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .builders import (copied, good_model, labelled, missing, onnx_model, raw_metadata, recording, student_tflite,
                       text)

STREAM = "stream {model} --replay {rec} --speed max --quiet"
BENCH = "bench {model} --threads 1 --batch 1 --seconds 0.05 --out {tmp}/bench"


@dataclass
class Case:
    name: str
    argv: str
    inputs: dict = field(default_factory=dict)
    exit: int = 2
    message: str | None = None
    flag: str | None = None
    windows: int | None = None
    subprocess: bool = False


def _nan(t, xyz):
    xyz[100, 1] = np.nan
    return t, xyz


def _inf(t, xyz):
    xyz[50, 2] = np.inf
    return t, xyz


def _backwards(t, xyz):
    t[200] = t[198]
    return t, xyz


def _clipped_spikes(t, xyz):
    xyz[::40, 0] = 40.0            # a sensor at full scale that is not in g
    return t, xyz


def _bom(text):
    return b"\xef\xbb\xbf" + text.encode()         # Excel's "CSV UTF-8"


def _quoted_header(text):
    return '"time","x","y","z"' + text[text.index("\n"):]    # R's write.csv, quote=TRUE


def _semicolons(text):
    return text.replace(",", ";")


def _comma_decimals(text):
    return text.replace(",", ";").replace(".", ",")   # a German/French spreadsheet export


def _tabs(text):
    return text.replace(",", "\t")


def _iso_with_zone(text):
    """Seconds -> ISO date-times with a +02:00 offset, as a phone app logging local time writes them."""
    header, *rows = text.splitlines()
    start = np.datetime64("2024-03-31T01:59:50", "ms")
    out = [header]
    for row in rows:
        seconds, rest = row.split(",", 1)
        out.append(f"{start + np.timedelta64(round(float(seconds) * 1000), 'ms')}+02:00,{rest}")
    return "\n".join(out) + "\n"


def _repeated_row(t, xyz):
    t[300] = t[299]
    return t, xyz


CASES = [
    # --- time axis: units and rates (issue 14: ms -> 11,998 windows, us -> 21.8 GB, 1 Hz classified)
    Case("epoch milliseconds", STREAM, {"rec": recording(time_scale=1e3, time_offset=1.7e12)},
         message=r"rec\.csv.*as milliseconds they would be 50 Hz \(name the column time_ms\)"),
    Case("epoch microseconds", STREAM, {"rec": recording(time_scale=1e6, time_offset=1.7e15)},
         message=r"as microseconds they would be 50 Hz"),
    Case("nanoseconds", STREAM, {"rec": recording(time_scale=1e9)}, message=r"as nanoseconds they would be 50 Hz"),
    Case("minutes", STREAM, {"rec": recording(time_scale=1 / 60)}, message=r"as minutes they would be (49\.9|50)"),
    Case("1 Hz data", STREAM, {"rec": recording(rate=1.0, seconds=600)},
         message=r"1 Hz if they are seconds; HARNet needs 20-1600 Hz"),
    Case("10 Hz data", STREAM, {"rec": recording(rate=10.0, seconds=120)}, message=r"10 Hz if they are seconds"),
    Case("5 kHz data", STREAM, {"rec": recording(rate=5000.0, seconds=4)}, message=r"5000 Hz if they are seconds"),
    Case("time_ms column is read as milliseconds", STREAM,
         {"rec": recording(time_scale=1e3, time_offset=1.7e12, column="time_ms")}, exit=0, windows=3),
    Case("time_us column is read as microseconds", STREAM,
         {"rec": recording(time_scale=1e6, column="time_us", suffix=".csv.gz")}, exit=0, windows=3),
    Case("finetune on microsecond timestamps (was: Unable to allocate 26.8 GiB)",
         "finetune --data {data} --epochs 1 --max-steps 1 --out {tmp}/ft", {"data": labelled(time_scale=1e6, time_offset=1.7e15)},
         message=r"train\.csv.*as microseconds they would be 50 Hz"),
    Case("bench --data on millisecond timestamps", BENCH + " --data {data}", {"data": labelled(time_scale=1e3)},
         message=r"as milliseconds they would be 50 Hz"),
    Case("epoch seconds at 1 Hz are not called milliseconds", STREAM,
         {"rec": recording(rate=1.0, seconds=600, time_offset=1.7e9)},
         message=r"look like epoch seconds \(2023-11-14\), so the data are 1 Hz; HARNet needs 20-1600 Hz$"),
    Case("epoch milliseconds at 1 Hz are not called 1000 Hz", STREAM,
         {"rec": recording(rate=1.0, seconds=600, time_scale=1e3, time_offset=1.7e12)},
         message=r"look like epoch milliseconds \(2023-11-14\); as milliseconds they would be 1 Hz; HARNet needs 20-1600 Hz$"),
    Case("2 kHz data: downsample, not minutes", STREAM, {"rec": recording(rate=2000.0, seconds=25)},
         message=r"2000 Hz if they are seconds; HARNet needs 20-1600 Hz \(downsample to 1600 Hz or less\)"),
    # --- CSV contents
    Case("NaN sample", STREAM, {"rec": recording(edit=_nan)}, message=r"1 samples are NaN or infinite \(first at line 102\)"),
    Case("infinite sample", STREAM, {"rec": recording(edit=_inf)}, message=r"NaN or infinite"),
    Case("timestamps going backwards", STREAM, {"rec": recording(edit=_backwards)},
         message=r"not strictly increasing at line 202"),
    Case("repeated timestamp", STREAM, {"rec": text("time,x,y,z\n0,0,0,1\n0.02,0,0,1\n0.02,0,0,1\n")},
         message=r"not strictly increasing at line 4"),
    Case("missing z column", STREAM, {"rec": text("time,x,y\n0,0,0\n0.02,0,0\n")}, message=r"missing \['z'\]"),
    Case("no time column", STREAM, {"rec": text("t,x,y,z\n0,0,0,1\n")}, message=r"missing \['time'\]"),
    Case("short row", STREAM, {"rec": text("time,x,y,z\n0,0,0,1\n0.02,0,0\n")}, message=r"line 3 has 3 fields"),
    Case("extra field", STREAM, {"rec": text("time,x,y,z\n0,0,0,1\n0.02,0,0,1,7\n")}, message=r"line 3 has 5 fields"),
    Case("letters in x", STREAM, {"rec": text("time,x,y,z\n0,a,0,1\n0.02,0,0,1\n")},
         message=r"x/y/z values must be numbers \(line 2\)"),
    Case("time neither number nor date", STREAM, {"rec": text("time,x,y,z\nnoon,0,0,1\nlater,0,0,1\n")},
         message=r"neither seconds nor ISO date-times"),
    Case("UTF-8 byte-order mark (Excel 'CSV UTF-8')", STREAM, {"rec": recording(rewrite=_bom)}, exit=0, windows=3),
    Case("quoted header names (R write.csv)", STREAM, {"rec": recording(rewrite=_quoted_header)}, exit=0, windows=3),
    Case("semicolon-separated", STREAM, {"rec": recording(rewrite=_semicolons)},
         message=r"rec\.csv: fields are separated by ';'; harnet-edge reads comma-separated CSV with '\.' decimals"),
    Case("semicolons and comma decimals", STREAM, {"rec": recording(rewrite=_comma_decimals)},
         message=r"separated by ';'"),
    Case("tab-separated", STREAM, {"rec": recording(rewrite=_tabs)}, message=r"fields are separated by tabs"),
    Case("ISO date-times with a UTC offset, no warning on stderr", STREAM, {"rec": recording(rewrite=_iso_with_zone)},
         exit=0, windows=3, subprocess=True),
    Case("repeated timestamp says which line it repeats", STREAM, {"rec": recording(edit=_repeated_row)},
         message=r"line 302 \(same time as line 301\)"),
    Case("clock jumping back says by how much", STREAM, {"rec": recording(edit=_backwards)},
         message=r"line 202 \(0\.02 s before line 201; a clock reset or daylight-saving change\?"),
    Case("empty file", STREAM, {"rec": text("")}, message=r"empty file"),
    Case("header only", STREAM, {"rec": text("time,x,y,z\n")}, message=r"fewer than two samples"),
    Case("truncated gzip", STREAM, {"rec": text(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03+\xc9\xcc", "rec.csv.gz")},
         message=r"cannot read"),
    Case("binary file named .csv", STREAM, {"rec": text(b"\xff\xfe\x00\x01\x02\x9c" * 50)}, message=r"not text|cannot read"),
    Case("replay file missing", STREAM, {"rec": missing()}, message=r"file not found"),
    # --- windows the model cannot judge: classified never, flagged always
    Case("m/s^2 sent as g", STREAM, {"rec": recording(scale=9.80665)}, exit=0, flag="units_look_like_m/s^2"),
    Case("gravity removed, wearer walking", STREAM, {"rec": recording(gravity=False)}, exit=0, flag="gravity_missing"),
    Case("gravity removed, wearer still", STREAM, {"rec": recording(gravity=False, scale=0.05)}, exit=0,
         flag="gravity_missing"),
    Case("values beyond 16 g", STREAM, {"rec": recording(edit=_clipped_spikes)}, exit=0, flag="out_of_range"),
    Case("control: ordinary 50 Hz recording in seconds", STREAM, {"rec": recording()}, exit=0, windows=3),
    # --- model files: metadata against the graph (issue 14: wrong labels, IndexError, tracebacks)
    Case("5 classes for 9 outputs", STREAM, {"model": onnx_model(outputs=9, classes=5), "rec": recording()},
         message=r"model\.onnx: model output has shape \(N, 9\) but its metadata names 5 classes"),
    Case("12 classes for 9 outputs", STREAM, {"model": onnx_model(outputs=9, classes=12), "rec": recording()},
         message=r"model\.onnx: .*names 12 classes"),
    Case("9 classes for 4 outputs (bench)", BENCH, {"model": onnx_model(outputs=4, classes=9)},
         message=r"model\.onnx: model output has shape \(N, 4\) but its metadata names 9 classes"),
    Case("12 classes for 9 outputs (bench)", BENCH, {"model": onnx_model(outputs=9, classes=12)},
         message=r"model\.onnx: .*names 12 classes"),
    Case("symbolic output size, 9 outputs for 5 classes", STREAM,
         {"model": onnx_model(outputs=9, classes=5, symbolic_output=True), "rec": recording()},
         message=r"model\.onnx: (model output has shape \(N, 9\)|the model outputs \(9,\) values per window) but its metadata names 5 classes"),
    Case("TFLite: 5 outputs, metadata names 9 classes", STREAM,
         {"model": student_tflite(classes=[f"c{i}" for i in range(9)]), "rec": recording()},
         message=r"student\.tflite: model output has shape \(1, 5\) but its metadata names 9 classes"),
    Case("window metadata 150 for a 300-sample input", STREAM,
         {"model": onnx_model(outputs=5, classes=5, window_samples=150), "rec": recording()},
         message=r"model\.onnx: model input takes 300 samples per window but its metadata says window_samples=150"),
    Case("six-channel input", STREAM, {"model": onnx_model(outputs=5, classes=5, channels=6), "rec": recording()},
         message=r"model\.onnx: model input has shape \(N, 6, 300\)"),
    Case("classes is a string", STREAM, {"model": onnx_model(outputs=5, classes="walk,sit,run,lie,cycle"),
                                         "rec": recording()},
         message=r"model\.onnx: metadata 'classes' must be a non-empty list of names"),
    Case("classes empty", STREAM, {"model": onnx_model(outputs=5, classes=[]), "rec": recording()},
         message=r"'classes' must be a non-empty list"),
    Case("class named twice", STREAM, {"model": onnx_model(outputs=3, classes=["walk", "sit", "walk"]),
                                       "rec": recording()}, message=r"names a class twice"),
    Case("class that is not text", STREAM, {"model": onnx_model(outputs=3, classes=["walk", 2, "sit"]),
                                            "rec": recording()}, message=r"'classes' must be a non-empty list"),
    Case("rate as text", STREAM, {"model": onnx_model(outputs=5, classes=5, sample_rate_hz="30"), "rec": recording()},
         message=r"'sample_rate_hz' must be a positive number, got \"30\""),
    Case("rate zero", BENCH, {"model": onnx_model(outputs=5, classes=5, sample_rate_hz=0)},
         message=r"'sample_rate_hz' must be a positive number"),
    Case("window not whole", STREAM, {"model": onnx_model(outputs=5, classes=5, window_samples=300.5),
                                      "rec": recording()}, message=r"'window_samples' must be a whole number"),
    Case("window as boolean", STREAM, {"model": onnx_model(outputs=5, classes=5, window_samples=True),
                                       "rec": recording()}, message=r"'window_samples' must be a positive number"),
    Case("model at 25 Hz", STREAM, {"model": onnx_model(outputs=5, classes=5, sample_rate_hz=25), "rec": recording()},
         message=r"model expects 25 Hz input"),
    Case("model wants m/s^2", STREAM, {"model": onnx_model(outputs=5, classes=5, input_units="m/s^2"),
                                       "rec": recording()}, message=r"model expects input in m/s\^2"),
    Case("layout NTC", STREAM, {"model": onnx_model(outputs=5, classes=5, input_layout="NTC"), "rec": recording()},
         message=r"'input_layout' is 'NTC'"),
    Case("quantisation not text", BENCH, {"model": onnx_model(outputs=5, classes=5, quantisation=8)},
         message=r"'quantisation' must be text"),
    Case("metadata is a JSON list", STREAM, {"model": raw_metadata("[1, 2]"), "rec": recording()},
         message=r"model\.onnx: harnet-edge metadata is not a JSON object"),
    Case("metadata is not JSON", BENCH, {"model": raw_metadata("{classes: walk")},
         message=r"model\.onnx: harnet-edge metadata is not valid JSON"),
    Case("metadata lacks the window", STREAM, {"model": raw_metadata('{"classes": ["a"], "sample_rate_hz": 30}'),
                                              "rec": recording()}, message=r"lacks \['window_samples'"),
    Case(".onnx that is really a TFLite file", STREAM, {"model": copied("tflite", "model.onnx"), "rec": recording()},
         message=r"model\.onnx: this is a TFLite model, not ONNX; rename it to \.tflite"),
    Case(".tflite that is really an ONNX file", STREAM, {"model": copied("onnx", "model.tflite"), "rec": recording()},
         message=r"model\.tflite: not a TFLite flatbuffer"),
    Case("0-byte model", STREAM, {"model": copied("onnx", "model.onnx", size=0), "rec": recording()},
         message=r"model\.onnx: empty file \(0 bytes\)"),
    Case("0-byte TFLite model", BENCH, {"model": copied("tflite", "model.tflite", size=0)},
         message=r"model\.tflite: empty file \(0 bytes\)"),
    Case("truncated TFLite model", STREAM, {"model": copied("tflite", "model.tflite", size=3000), "rec": recording()},
         message=r"model\.tflite: (TFLite flatbuffer is corrupt|.*cannot load)"),
    Case("bench --data without a label column", BENCH + " --data {rec}", {"rec": recording()},
         message=r"rec\.csv has no labelled windows \(add a label column"),
    Case("control: the good student model", STREAM, {"model": good_model(), "rec": recording()}, exit=0, windows=3),
    # --- a user's own training data (issue 13 item 5)
    Case("control: data on a CSV whose time restarts at every run", "data {data}",
         {"data": labelled(subjects=("s1", "s2", "s3"), restart=True)}, exit=0),
    Case("data: time going back inside a recording names the line", "data {data}",
         {"data": text("time,x,y,z,label\n5,0,0,1,walk\n5.02,0,0,1,walk\n5.01,0,0,1,walk\n")},
         message=r"rec\.csv: timestamps not strictly increasing at line 4 \(0\.01 s before line 3;.*"
                 r"recording that began at line 2\)$"),
    Case("data: a path that is not there", "data {tmp}/nowhere", message=r"nowhere: no such file or folder$"),
    Case("data: m/s^2 is reported as what training refuses", "data {data}",
         {"data": labelled(subjects=("s1", "s2", "s3"), scale=9.80665)}, exit=1),
    Case("finetune on data in m/s^2 (was: a warning, then training)", "finetune --data {data} --max-steps 1 --out {tmp}/ft",
         {"data": labelled(scale=9.80665)}, message=r"train\.csv: median \|a\| = \d+\.\d+; this looks like m/s\^2"),
    Case("pretrain on CSV in m/s^2", "pretrain --data {data} --steps 1 --out {tmp}/ssl",
         {"data": labelled(scale=9.80665)}, message=r"train\.csv: median \|a\| = \d+\.\d+; this looks like m/s\^2"),
    Case("finetune on one subject", "finetune --data {data} --max-steps 1 --out {tmp}/ft",
         {"data": labelled(subjects=("s1",))},
         message=r"--cv loso needs at least 3 subjects .*; the data hold 1 \(--cv none: no cross-validated score\)$"),
    Case("distil without cross-validation", "distil --data {data} --cv none --max-steps 1 --out {tmp}/d",
         {"data": labelled(subjects=("s1", "s2", "s3"))}, message=r"--cv none: distil compares teacher and student"),
    Case("finetune on a CSV without labels", "finetune --data {rec} --max-steps 1 --out {tmp}/ft",
         {"rec": recording()}, message=r"rec\.csv: no labelled windows; training needs a label column"),
    Case("finetune on runs shorter than a window", "finetune --data {data} --max-steps 1 --out {tmp}/ft",
         {"data": labelled(seconds=20.0)}, message=r"no 10 s window fits in any recording \(the longest run"),
    Case("finetune --hop 0", "finetune --data {data} --hop 0", {"data": labelled()}, message=r"argument --hop: must be > 0 s"),
    Case("export --min-agreement-orientation as a percentage (was: minutes of export, then 'validation failed')",
         "export {tmp}/none.safetensors --int8 --min-agreement-orientation 97",
         message=r"argument --min-agreement-orientation: must be <= 1, got 97"),
    Case("pretrain on a folder without shards or CSVs", "pretrain --data {tmp} --steps 1 --out {tmp}/ssl",
         message=r"no \.npy window shards and no \.csv/\.csv\.gz recordings$"),
]
