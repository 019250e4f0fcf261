"""Bad command lines (issue 14): each is refused with one line on stderr and exit 2, never a
traceback or a silently coerced value. Table: (case, argv, expected exit code, expected text).

Most run in-process through ``harnet_edge.cli.main`` (fast); a few run as real subprocesses to prove
the same holds for the installed entry point. ``{tmp}``, ``{dir}``, ``{file}``, ``{csv}`` are filled in.
"""
import json

import numpy as np
import pytest

from harnet_edge.cli import main
from tests.conftest import run_cli

LONG_NAME = "x" * 30

CASES = [
    # stream: option values
    ("smooth-unknown", ["stream", "--replay", "{csv}", "--smooth", "foo"], 2, "argument --smooth: expected none, hmm"),
    ("smooth-majority-0", ["stream", "--replay", "{csv}", "--smooth", "majority:0"], 2, "got 'majority:0'"),
    ("smooth-majority-x", ["stream", "--replay", "{csv}", "--smooth", "majority:x"], 2, "got 'majority:x'"),
    ("profile-unknown", ["stream", "--device", "X", "--profile", "foo"], 2, "argument --profile: invalid choice: 'foo'"),
    ("jsonl-directory", ["stream", "--replay", "{csv}", "--jsonl", "{dir}"], 2, "is a directory, expected a file"),
    ("jsonl-under-a-file", ["stream", "--replay", "{csv}", "--jsonl", "{file}/out.jsonl"], 2, "is not a writable folder"),
    ("jsonl-unwritable", ["stream", "--replay", "{csv}", "--jsonl", "/proc/harnet-edge-test.jsonl"], 2,
     "cannot write /proc/harnet-edge-test.jsonl"),
    ("csv-directory", ["stream", "--replay", "{csv}", "--csv", "{dir}"], 2, "argument --csv: "),
    ("hop-zero", ["stream", "--replay", "{csv}", "--hop", "0"], 2, "argument --hop: must be >= 0.1 s, got 0"),
    ("hop-negative", ["stream", "--replay", "{csv}", "--hop", "-5"], 2, "argument --hop: must be >= 0.1 s"),
    ("hop-text", ["stream", "--replay", "{csv}", "--hop", "ten"], 2, "argument --hop: expected a number, got 'ten'"),
    ("duration-negative", ["stream", "--replay", "{csv}", "--duration", "-1"], 2, "argument --duration: must be > 0 s"),
    ("duration-zero", ["stream", "--replay", "{csv}", "--duration", "0"], 2, "argument --duration: must be > 0 s"),
    ("duration-inf", ["stream", "--replay", "{csv}", "--duration", "inf"], 2, "expected a finite number"),
    ("simulate-negative", ["stream", "--simulate", "-3"], 2, "argument --simulate: must be >= 0, got -3"),
    ("simulate-fraction", ["stream", "--simulate", "2.5"], 2, "argument --simulate: expected an integer"),
    ("threads-zero", ["stream", "--replay", "{csv}", "--threads", "0"], 2, "argument --threads: must be >= 1"),
    ("speed-nan", ["stream", "--replay", "{csv}", "--speed", "nan"], 2, "argument --speed: expected a finite number"),
    ("speed-zero", ["stream", "--replay", "{csv}", "--speed", "0x"], 2, "argument --speed: must be > 0 (or 'max')"),
    ("speed-negative", ["stream", "--replay", "{csv}", "--speed=-2x"], 2, "argument --speed: must be > 0"),
    ("speed-words", ["stream", "--replay", "{csv}", "--speed", "fast"], 2, "argument --speed: expected a number"),
    ("fsync-negative", ["stream", "--replay", "{csv}", "--fsync-every", "-1"], 2, "argument --fsync-every: must be >= 0"),
    ("replay-missing", ["stream", "--replay", "{tmp}/nope.csv"], 2, "argument --replay: "),
    ("replay-directory", ["stream", "--replay", "{dir}"], 2, "is a directory"),
    ("model-missing", ["stream", "{tmp}/nope.onnx", "--replay", "{csv}"], 2, "nope.onnx: file not found"),
    ("device-twice", ["stream", "--device", "A", "--device", "A"], 2, "--device A given twice"),
    ("no-source", ["stream"], 2, "no source: give --device, --replay or --simulate N"),
    ("on-device-with-model", ["stream", "{model}", "--simulate", "1", "--profile", "on-device"], 2,
     "--profile on-device: the wearable labels windows with its own model"),
    # simulate
    ("simulate-rate-5000", ["simulate", "--rate", "5000"], 2, "argument --rate: must be <= 200.0 Hz, got 5000"),
    ("simulate-rate-10", ["simulate", "--rate", "10"], 2, "argument --rate: must be >= 25.0 Hz"),
    ("simulate-drop-1.5", ["simulate", "--drop", "1.5"], 2, "argument --drop: must be <= 1, got 1.5"),
    ("simulate-drop-negative", ["simulate", "--drop", "-0.1"], 2, "argument --drop: must be >= 0"),
    ("simulate-name-too-long", ["simulate", "--name", LONG_NAME], 2, "must be 1-29 bytes in UTF-8"),
    ("simulate-duration-negative", ["simulate", "--duration", "-1"], 2, "argument --duration: must be > 0 s"),
    ("simulate-speed-zero", ["simulate", "--speed", "0"], 2, "argument --speed: must be > 0"),
    ("simulate-jitter-negative", ["simulate", "--jitter-us", "-1"], 2, "argument --jitter-us: must be >= 0"),
    ("simulate-disconnect-negative", ["simulate", "--disconnect-every", "-3"], 2, "argument --disconnect-every"),
    ("simulate-recording-missing", ["simulate", "--recording", "{tmp}/nope.csv"], 2, "argument --recording"),
    ("simulate-profile-unknown", ["simulate", "--profile", "auto"], 2, "argument --profile: invalid choice"),
    ("simulate-usb-without-dongle", ["simulate", "--transport", "usb:0", "--duration", "1"], 2,
     "cannot open Bluetooth transport 'usb:0'"),
    ("simulate-nothing-delivered", ["simulate", "--drop", "1", "--duration", "1", "--speed", "10"], 2,
     "host received no samples"),
    # bench merge
    ("merge-missing", ["bench", "merge", "{tmp}/nope.json"], 2, "nope.json: no such file"),
    ("merge-not-json", ["bench", "merge", "{file}"], 2, "not JSON"),
    ("merge-wrong-json", ["bench", "merge", "{json}"], 2, "not a result of harnet-edge bench"),
    ("merge-directory", ["bench", "merge", "{dir}"], 2, "is a directory"),
]


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    from harnet_edge.data import write_csv

    tmp = tmp_path_factory.mktemp("bad")
    (tmp / "folder").mkdir()
    (tmp / "plain.txt").write_text("not json, not a folder\n")
    (tmp / "other.json").write_text(json.dumps({"hello": 1}))
    t = np.arange(50 * 25) / 50
    xyz = np.zeros((len(t), 3))
    xyz[:, 2] = -1
    write_csv(tmp / "rec.csv", t, xyz)
    from harnet_edge.runtime.defaults import default_model

    return {"tmp": str(tmp), "dir": str(tmp / "folder"), "file": str(tmp / "plain.txt"), "model": str(default_model()),
            "json": str(tmp / "other.json"), "csv": str(tmp / "rec.csv")}


def fill(argv, places):
    return [a.format(**places) for a in argv]


@pytest.mark.parametrize("case,argv,code,text", CASES, ids=[c[0] for c in CASES])
def test_bad_command_line_is_one_line_and_exit_2(case, argv, code, text, places, capsys):
    try:
        status = main(fill(argv, places))
    except SystemExit as exc:          # argparse exits itself
        status = exc.code
    err = capsys.readouterr().err
    assert status == code, err
    assert text in err, err
    assert err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("case", ["hop-zero", "speed-nan", "simulate-rate-5000", "merge-not-json",
                                  "jsonl-unwritable"])
def test_the_installed_command_behaves_the_same(case, places):
    _, argv, code, text = next(c for c in CASES if c[0] == case)
    result = run_cli(*fill(argv, places), timeout=120)
    assert result.returncode == code and text in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_stream_profiles_match_the_protocols():
    from harnet_edge.cli.stream_cmd import PROFILES
    from harnet_edge.firmware_bridge.protocols import PROTOCOLS

    assert set(PROFILES) == {"auto", *PROTOCOLS}


def test_good_values_still_parse(places):
    from harnet_edge.cli import build_parser

    args = build_parser().parse_args(fill(["stream", "--replay", "{csv}", "--speed", "10x", "--hop", "2.5",
                                           "--smooth", "majority:5", "--threads", "2", "--fsync-every", "0"],
                                          places))
    assert (args.speed, args.hop, args.smooth, args.threads, args.fsync_every) == (10.0, 2.5, "majority:5", 2, 0.0)
    assert build_parser().parse_args(["stream", "--speed", "max"]).speed == 0.0
