"""On-device classification: the firmware's C window code, its software twin, and labels over GATT."""
import asyncio
import json
import shutil
import subprocess

import numpy as np
import pytest

from harnet_edge.firmware_bridge import on_device as od
from harnet_edge.firmware_bridge.reference_profile import ProtocolError
from tests.conftest import REPO

FIRMWARE = REPO / "firmware_bridge/firmware/harnet_wearable"
HARNESS = r"""
#include <stdio.h>
#include "harnet_on_device.h"
/* stdin: n, then n lines "x y z" counts; then logits lines "k scale zp l0 .. lk-1". stdout: one line per window. */
int main(void) {
  static harnet_window w; int n; int8_t input[3 * HARNET_WINDOW_SAMPLES];
  if (scanf("%d", &n) != 1) return 1;
  for (int i = 0; i < n; i++) {
    int x, y, z; if (scanf("%d %d %d", &x, &y, &z) != 3) return 1;
    int16_t s[3] = {(int16_t)x, (int16_t)y, (int16_t)z};
    harnet_window_push(&w, s);
    if (harnet_window_ready(&w, 150)) {
      harnet_window_quantise(&w, input, 4096.0f, 0.03125f, -3);
      unsigned long sum = 0; for (int j = 0; j < 3 * HARNET_WINDOW_SAMPLES; j++) sum = sum * 31 + (uint8_t)input[j];
      printf("window %d %d %d %d %lu\n", i, input[0], input[HARNET_WINDOW_SAMPLES], input[3 * HARNET_WINDOW_SAMPLES - 1], sum);
    }
  }
  int k, zp; float scale;
  while (scanf("%d %f %d", &k, &scale, &zp) == 3) {
    int16_t logits[32]; uint8_t label, conf, packet[HARNET_LABEL_PACKET_BYTES];
    for (int j = 0; j < k; j++) { int v; if (scanf("%d", &v) != 1) return 1; logits[j] = (int16_t)v; }
    harnet_label_confidence(logits, k, scale, zp, &label, &conf);
    harnet_label_packet(packet, 65535, 4294967000u, label, conf, HARNET_FLAG_FIRST_AFTER_BOOT);
    printf("label %d %d", label, conf); for (int j = 0; j < HARNET_LABEL_PACKET_BYTES; j++) printf(" %d", packet[j]); printf("\n");
  }
  return 0;
}
"""


def _checksum(window_q: np.ndarray) -> int:
    total = 0
    for v in window_q.reshape(-1).astype(np.uint8).tolist():
        total = (total * 31 + v) % (1 << 64)
    return total


@pytest.fixture(scope="module")
def firmware_harness(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    out = tmp_path_factory.mktemp("firmware")
    (out / "harness.c").write_text(HARNESS)
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-I", str(FIRMWARE),
                    str(out / "harness.c"), str(FIRMWARE / "harnet_on_device.c"), "-lm", "-o", str(out / "harness")],
                   check=True, capture_output=True, text=True)
    return out / "harness"


def test_firmware_c_and_software_twin_make_the_same_bytes(firmware_harness):
    """The sketch's window ring, int8 quantisation and label packet, compiled from the firmware's own
    C file, against the Python the twin runs: identical windows, labels and packets."""
    rng = np.random.default_rng(3)
    counts = np.clip(rng.normal(0, 3000, (700, 3)) + [0, 0, -4096], -32768, 32767).astype(np.int16)
    counts[::97] = [32767, -32768, 0]                     # clamping at both ends of int8
    # int8 logits (scale 1/16, zero point 7), then int16 logits of a 16x8 classifier (zero point 0)
    # spread past the int8 range and close together, so that wrapping them to int8 would change both answers.
    logits = [(l, np.float32(0.0625), 7) for l in [rng.integers(-128, 128, size=k).astype(np.int8) for k in (9, 5, 9, 12)]
              + [np.array([5, 5, 1], np.int8)]] + \
        [(l, np.float32(7.4e-4), 0) for l in [rng.integers(-32768, 32768, size=9).astype(np.int16),
                                              (rng.integers(-2000, 2000, size=9) + 20000).astype(np.int16),
                                              np.array([-32768, 32767, 32767, 300, -129], np.int16)]]
    stdin = f"{len(counts)}\n" + "\n".join(" ".join(map(str, c)) for c in counts.tolist()) + "\n" + \
        "\n".join(f"{len(l)} {float(scale)!r} {zp} " + " ".join(map(str, l.tolist())) for l, scale, zp in logits) + "\n"
    lines = subprocess.run([str(firmware_harness)], input=stdin, capture_output=True, text=True,
                           check=True).stdout.splitlines()

    expected = []
    for i in range(len(counts)):
        written = i + 1
        if written >= 300 and (written - 300) % 150 == 0:
            q = od.quantise_window(counts[written - 300:written], 4096, 0.03125, -3)
            expected.append(f"window {i} {q[0, 0]} {q[1, 0]} {q[2, -1]} {_checksum(q)}")
    for l, scale, zp in logits:
        label, confidence = od.label_and_confidence(l, scale, zp)
        packet = od.LabelPacket(65535, 4294967000, label, confidence, od.FLAG_FIRST_AFTER_BOOT).encode()
        expected.append(f"label {label} {confidence} " + " ".join(map(str, packet)))
    assert len(expected) == 3 + len(logits)
    assert lines == expected


def test_int16_logits_give_the_label_and_confidence_of_their_float_values():
    """A 16x8 classifier's logits (zero point 0) outside the int8 range: argmax and confidence are those
    of the dequantised values (softmax in float64 here), not of counts wrapped to int8."""
    logits_q = np.array([300, -200, 1000, 990, -32768], np.int16)      # wrapped to int8: 44, 56, -24, -34, 0
    scale = 0.01
    best, confidence = od.label_and_confidence(logits_q, scale, 0)
    logits = logits_q.astype(np.float64) * scale
    probabilities = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert best == 2 and confidence == round(255 * probabilities.max()) == 134
    assert od.label_and_confidence(logits_q.astype(np.int32), scale, 0) == (best, confidence)
    with pytest.raises(ValueError, match="int8 or int16"):
        od.label_and_confidence(np.array([40000, 0]), scale, 0)
    with pytest.raises(ValueError, match="int8 or int16"):
        od.label_and_confidence(np.array([0.5, 0.1]), scale, 0)


def test_label_packets_decode_with_losses_reboots_and_refusals():
    protocol = od.OnDeviceProtocol()
    protocol.model = od.OnDeviceModel(("sit", "walk"), 30, 300)
    first = protocol.decode(od.LabelPacket(0, 9966, 1, 255, od.FLAG_FIRST_AFTER_BOOT).encode())
    assert first.label == "walk" and first.confidence == 1.0 and first.end == pytest.approx(9.966)
    assert first.start == pytest.approx(9.966 - 299 / 30) and "device_restarted" in first.flags
    third = protocol.decode(od.LabelPacket(2, 29966, od.WITHHELD, 0).encode())
    assert third.label is None and third.lost_before == 1 and "labels_lost:1" in third.flags
    assert protocol.decode(od.LabelPacket(1, 19966, 0, 128).encode()) is None          # late duplicate
    assert protocol.decode(od.LabelPacket(3, 39966, 7, 128).encode()) is None          # no such class
    assert protocol.decode(b"\x02" + bytes(9)) is None                                  # unknown version
    rebooted = protocol.decode(od.LabelPacket(0, 9966, 0, 200, od.FLAG_FIRST_AFTER_BOOT).encode())
    assert rebooted.lost_before == 0 and rebooted.end == pytest.approx(9.966)
    assert protocol.counters == {"packets": 3, "malformed": 3, "lost": 1}
    with pytest.raises(ProtocolError, match="0 classes"):
        od.OnDeviceModel.decode(json.dumps({"classes": [], "sample_rate_hz": 30, "window_samples": 300}).encode())
    with pytest.raises(ProtocolError, match="unreadable"):
        od.OnDeviceModel.decode(b"\xff not json")


def _selfback_clip(datasets_root, seconds=80):
    """A real selfBACK wrist recording (100 Hz, g): walking then sitting, one subject."""
    from harnet_edge.data.selfback import read_selfback_wrist

    recs = read_selfback_wrist(datasets_root / "selfback_wrist", classes=("walk_mod", "sitting"), subjects={"026"})
    subject = recs[0].subject
    parts = [r for r in recs if r.subject == subject]
    half = int(seconds / 2 * 100)
    return np.concatenate([parts[0].xyz[:half], parts[1].xyz[:half]]).astype(np.float32), \
        [parts[0].label, parts[1].label]


@pytest.mark.ble
def test_on_device_labels_stream_from_the_twin_to_the_sinks(datasets_root, tmp_path):
    """The twin classifies real motion with TFLite Micro in a 64 KB arena, keeps labels while no central
    listens, and the host receives every one over GATT into the same sinks, marked on-device."""
    from harnet_edge.firmware_bridge.bumble_transport import BumbleTransport, SoftwareRadio
    from harnet_edge.firmware_bridge.on_device_twin import OnDeviceWearable
    from harnet_edge.firmware_bridge.session import DeviceSession
    from harnet_edge.runtime import open_engine
    from harnet_edge.runtime.defaults import DEFAULT_DIR, DEFAULT_STEM
    from harnet_edge.runtime.pipeline import StreamRuntime
    from harnet_edge.runtime.sinks import CsvSink, JsonlSink

    signal, truth = _selfback_clip(datasets_root)
    model = DEFAULT_DIR / f"{DEFAULT_STEM}_int8.tflite"
    engine = open_engine(DEFAULT_DIR / f"{DEFAULT_STEM}_int8.onnx")

    async def main():
        radio = SoftwareRadio()
        twin = OnDeviceWearable(radio, "HE-OnDevice", signal, model, rate_hz=100, speed=40, loop_signal=False)
        runtime = StreamRuntime(engine, [JsonlSink(tmp_path / "w.jsonl"), CsvSink(tmp_path / "w.csv", list(engine.info.classes))])
        wearable = asyncio.create_task(twin.run(duration_s=len(signal) / 100))
        await asyncio.sleep(25 / 40)                # 25 s of device time pass before the host connects
        assert twin.labels_made >= 1 and twin.labels_sent == 0   # made on the wrist, kept for later
        # A watchdog far shorter than the label interval (0.25 s here): silence between labels is normal.
        session = DeviceSession("HE-OnDevice", BumbleTransport(radio.new_device("central"), "HE-OnDevice"),
                                od.OnDeviceProtocol(), data_timeout_s=0.05)
        host = asyncio.create_task(session.run(runtime))
        await wearable
        await asyncio.sleep(0.3)
        host.cancel()
        assert session.watchdog_reconnects == 0 and session.labels == 8
        return twin, runtime

    twin, runtime = asyncio.run(main())
    records = [json.loads(line) for line in (tmp_path / "w.jsonl").read_text().splitlines()]
    labels = [r for r in records if "origin" in r]
    assert twin.labels_made == 8 and twin.labels_sent == 8 and twin.labels_dropped == 0
    assert len(labels) == 8 and all(r["origin"] == "on-device" and "on_device" in r["flags"] for r in labels)
    assert "device_restarted" in labels[0]["flags"] and all(not f.startswith("labels_lost") for r in labels
                                                               for f in r["flags"])
    assert [r["window_end"] for r in labels] == pytest.approx([(300 * k - 1) // 1 * 1000 // 30 / 1000
                                                               for k in range(1, 9)], abs=1e-3)
    # Real motion, judged on the wrist: walking windows first, sitting windows last.
    assert {r["label"] for r in labels[:3]} <= {"walk_slow", "walk_mod", "walk_fast"}
    assert {r["label"] for r in labels[-3:]} == {"sitting"}
    assert runtime.summary()["on_device_windows"] == 8
    csv_rows = (tmp_path / "w.csv").read_text().splitlines()
    assert len(csv_rows) == 9 and all(",on_device" in row or "on_device" in row.split(",")[-1] for row in csv_rows[1:])


def test_twin_refuses_a_model_that_does_not_fit_its_arena():
    from harnet_edge.firmware_bridge.bumble_transport import SoftwareRadio
    from harnet_edge.firmware_bridge.on_device_twin import OnDeviceWearable
    from harnet_edge.runtime.defaults import DEFAULT_DIR, DEFAULT_STEM
    from harnet_edge.runtime.model_info import ModelFileError

    with pytest.raises(ModelFileError, match="cannot prepare it in a 8192-byte arena"):
        OnDeviceWearable(SoftwareRadio(), "HE-Small", np.zeros((100, 3), np.float32),
                         DEFAULT_DIR / f"{DEFAULT_STEM}_int8.tflite", arena_bytes=8192)


def test_sketch_on_device_mode_matches_the_spec():
    """The sketch cannot be built here: its on-device constants must equal the host's."""
    sketch = (FIRMWARE / "harnet_wearable.ino").read_text()
    header = (FIRMWARE / "harnet_on_device.h").read_text()
    for uuid in (od.SERVICE_UUID, od.LABEL_UUID, od.MODEL_INFO_UUID, od.CONTROL_UUID):
        assert f'"{uuid}"' in sketch
    assert f"BACKLOG_LABELS = {od.BACKLOG_LABELS};" in sketch
    assert f"#define HARNET_LABEL_PACKET_BYTES {od.LABEL.size}" in header
    assert f"#define HARNET_LABEL_WITHHELD 0x{od.WITHHELD:02X}" in header
    assert f"#define HARNET_FLAG_FIRST_AFTER_BOOT 0x{od.FLAG_FIRST_AFTER_BOOT:02x}" in header
    assert f"#define HARNET_FLAG_BACKLOG_OVERFLOW 0x{od.FLAG_BACKLOG_OVERFLOW:02x}" in header
    for call in ("harnet_window_push(&window, xyz)", "harnet_window_ready(&window, HOP_SAMPLES)",
                 "harnet_window_quantise(&window, input->data.int8, COUNTS_PER_G",
                 "output->type == kTfLiteInt16 ? output->data.i16[i] : output->data.int8[i]",
                 "harnet_label_confidence(logits, HARNET_MODEL_NUM_CLASSES",
                 "output(0)->type != HARNET_MODEL_OUTPUT_TYPE) while (true) {}", "HARNET_MODEL_ADD_OPS(resolver)",
                 "arena[HARNET_MODEL_ARENA_BYTES]", "HARNET_FLAG_BACKLOG_OVERFLOW | droppedBoot", "if (!BLE.connected()) labelsOn = false;", "static_assert(HARNET_WINDOW_SAMPLES == HARNET_MODEL_WINDOW_SAMPLES", "(ticks - 1) * 1000) / 30"):
        assert call in sketch


def _device_labels(count, first_sequence=0, boot=True):
    return [od.LabelPacket((first_sequence + i) & 0xFFFF, (i + 1) * 10000 - 34, i % 2, 200,
                           od.FLAG_FIRST_AFTER_BOOT if boot and i == 0 else 0) for i in range(count)]


def test_a_reboot_whose_boot_label_left_the_backlog_is_still_seen_by_the_host():
    """The host heard sequence ~500; the wearable rebooted and made 100 labels unheard, so its
    backlog dropped the first one (the boot flag). The kept labels must still reach the sinks."""
    from collections import deque

    protocol = od.OnDeviceProtocol()
    protocol.model = od.OnDeviceModel(("sit", "walk"), 30, 300)
    for packet in _device_labels(500):
        assert protocol.decode(packet.encode()) is not None
    backlog = deque()
    dropped = sum(od.push_to_backlog(backlog, packet) for packet in _device_labels(100))
    assert dropped == 100 - od.BACKLOG_LABELS and len(backlog) == od.BACKLOG_LABELS
    assert backlog[0].flags == od.FLAG_FIRST_AFTER_BOOT | od.FLAG_BACKLOG_OVERFLOW
    decoded = [protocol.decode(packet.encode()) for packet in backlog]
    assert all(d is not None for d in decoded)
    assert "device_restarted" in decoded[0].flags and decoded[0].end == pytest.approx(369.966)
    assert decoded[0].lost_before == 36 and "labels_lost:36" in decoded[0].flags and protocol.lost == 36
    assert [d.end for d in decoded] == sorted(d.end for d in decoded)


def test_label_sequence_wraps_past_65535_without_loss_or_duplicates():
    """More than 65,536 windows (7.6 days at one label per 10 s): the u16 sequence wraps."""
    protocol = od.OnDeviceProtocol()
    protocol.model = od.OnDeviceModel(("sit", "walk"), 30, 300)
    packets = _device_labels(70000, first_sequence=0)
    decoded = [protocol.decode(p.encode()) for p in packets]
    assert all(d is not None for d in decoded) and protocol.lost == 0 and protocol.malformed == 0
    assert decoded[-1].end == pytest.approx(70000 * 10 - 0.034)
    assert protocol.decode(packets[-1].encode()) is None              # a duplicate after the wrap


@pytest.mark.parametrize("info, words", [
    ({"classes": "sitwalk", "sample_rate_hz": 30, "window_samples": 300}, "list of names"),
    ({"classes": {"sit": 0}, "sample_rate_hz": 30, "window_samples": 300}, "list of names"),
    ({"classes": [1, 2], "sample_rate_hz": 30, "window_samples": 300}, "list of names"),
    ({"classes": [f"c{i}" for i in range(255)], "sample_rate_hz": 30, "window_samples": 300}, "at most 512"),
    ({"classes": ["sit"], "sample_rate_hz": 50, "window_samples": 500}, "30 Hz"),
    ({"classes": ["sit"], "sample_rate_hz": float("nan"), "window_samples": 300}, "30 Hz"),
    ({"classes": ["sit"], "sample_rate_hz": 30, "window_samples": 0}, "window_samples 0"),
    ({"classes": ["sit"], "sample_rate_hz": 30, "window_samples": 300.7}, "window_samples 300.7"),
    ({"classes": ["sit"], "sample_rate_hz": 30, "window_samples": 10 ** 9}, "window_samples"),
    (["sit"], "unreadable"),
])
def test_hostile_model_info_is_refused_with_a_reason(info, words):
    with pytest.raises(ProtocolError, match=words):
        od.OnDeviceModel.decode(json.dumps(info).encode())


def test_model_info_longer_than_a_gatt_value_is_refused():
    info = {"classes": ["x" * 40] * 20, "sample_rate_hz": 30, "window_samples": 300}
    with pytest.raises(ProtocolError, match="at most 512"):
        od.OnDeviceModel.decode(json.dumps(info).encode())
    good = od.OnDeviceModel.decode(json.dumps({"classes": ["sit", "walk"], "sample_rate_hz": 30,
                                               "window_samples": 300, "variant": "ds-tiny"}).encode())
    assert good.classes == ("sit", "walk") and good.window_samples == 300


@pytest.mark.ble
@pytest.mark.parametrize("faults", ["disconnect", "reboot"])
def test_labels_survive_link_loss_in_order_and_reboots_are_flagged(datasets_root, tmp_path, faults):
    """The twin drops the link (or power-cycles) every 20 s of labelling: labels made while the host
    reconnects wait in the backlog and arrive later, in order, each once; none are notified to nobody."""
    from harnet_edge.firmware_bridge.bumble_transport import BumbleTransport, SoftwareRadio
    from harnet_edge.firmware_bridge.on_device_twin import OnDeviceWearable
    from harnet_edge.firmware_bridge.session import DeviceSession
    from harnet_edge.firmware_bridge.wearable import Faults
    from harnet_edge.runtime import open_engine
    from harnet_edge.runtime.defaults import DEFAULT_DIR, DEFAULT_STEM
    from harnet_edge.runtime.pipeline import StreamRuntime
    from harnet_edge.runtime.sinks import JsonlSink

    signal, _ = _selfback_clip(datasets_root)
    engine = open_engine(DEFAULT_DIR / f"{DEFAULT_STEM}_int8.onnx")
    fault = Faults(disconnect_every_s=20) if faults == "disconnect" else Faults(reboot_every_s=15)

    async def main():
        radio = SoftwareRadio()
        twin = OnDeviceWearable(radio, "HE-Faulty", signal, DEFAULT_DIR / f"{DEFAULT_STEM}_int8.tflite", rate_hz=100,
                                speed=40, loop_signal=False, faults=fault)
        runtime = StreamRuntime(engine, [JsonlSink(tmp_path / "w.jsonl")])
        wearable = asyncio.create_task(twin.run(duration_s=len(signal) / 100))
        session = DeviceSession("HE-Faulty", BumbleTransport(radio.new_device("central"), "HE-Faulty"),
                                od.OnDeviceProtocol(), data_timeout_s=0.05)
        host = asyncio.create_task(session.run(runtime))
        await wearable
        for _ in range(200):                    # the backlog drains after the last reconnect (backoff ~3 s)
            if not twin.backlog:
                break
            await asyncio.sleep(0.05)
        host.cancel()
        return twin

    twin = asyncio.run(main())
    labels = [json.loads(line) for line in (tmp_path / "w.jsonl").read_text().splitlines()]
    labels = [r for r in labels if r.get("origin") == "on-device"]
    assert twin.disconnects >= 1 and not twin.backlog
    assert len(labels) == twin.labels_sent
    assert all(not f.startswith("labels_lost") for r in labels for f in r["flags"])
    if faults == "disconnect":
        assert twin.labels_made == twin.labels_sent == 8
        assert [r["window_end"] for r in labels] == sorted({r["window_end"] for r in labels})
    else:
        assert twin.reboots >= 1 and sum("device_restarted" in r["flags"] for r in labels) == twin.reboots + 1


@pytest.mark.parametrize("window, output_dtype", [(300, "int8"), (300, "int16"), (250, "int8")])
def test_sketch_type_checks_against_the_arduino_and_tflm_apis(tmp_path, window, output_dtype):
    """g++ type-checks the .ino (raw and on-device modes) against declarations of ArduinoBLE, the
    LSM6DS3 driver and current TFLM (MicroInterpreter without an ErrorReporter), with a generated
    model header for int8 or int16 logits; a model whose window differs from harnet_on_device.c's
    must not compile."""
    from harnet_edge.export.tflm import c_sources, operator_names
    from harnet_edge.runtime.defaults import DEFAULT_DIR, DEFAULT_STEM

    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed")
    model = (DEFAULT_DIR / f"{DEFAULT_STEM}_int8.tflite").read_bytes()
    quant = {"input_shape": [1, 3, window], "output_shape": [1, 2], "input_scale": 0.03, "input_zero_point": -3,
             "output_scale": 0.06, "output_zero_point": 7, "output_dtype": output_dtype}
    header, _ = c_sources(model, {"classes": ["sit", "walk"], "sample_rate_hz": 30, "window_samples": window},
                          28000, quant, operator_names(model), "harnet_model")
    (tmp_path / "harnet_model.h").write_text(header)
    results = [subprocess.run(["g++", "-std=gnu++11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-x", "c++",
                               f"-DHARNET_ON_DEVICE={mode}", "-I", str(tmp_path), "-I", str(REPO / "tests/firmware_bridge/sketch_stubs"),
                               "-I", str(FIRMWARE), str(FIRMWARE / "harnet_wearable.ino")], capture_output=True, text=True)
               for mode in (0, 1)]
    assert results[0].returncode == 0, results[0].stderr
    if window == 300:
        assert results[1].returncode == 0, results[1].stderr
    else:
        assert results[1].returncode != 0 and "HARNET_WINDOW_SAMPLES" in results[1].stderr
