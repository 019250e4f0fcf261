"""Bangle.js 2: the Espruino app run in a JavaScript engine against the spec, the decoder, and the
software watch streaming through the host over bumble."""
import json
from pathlib import Path

import numpy as np
import pytest

from harnet_edge.firmware_bridge import banglejs as bj
from harnet_edge.firmware_bridge.twin_banglejs import BangleTwin

from .family_harness import motion, run_twin

APP = Path(bj.__file__).parent / "firmware" / "banglejs" / "harnetacc.app.js"

# Just enough of Espruino's Bangle.js 2 API for the app to run; every call is recorded.
ESPRUINO = """
var log = {accelWr: [], poll: [], updates: [], services: null, options: null};
var handlers = {}, nrfHandlers = {}, now = 1000.0;
function getTime() { return now; }
function setInterval(f, ms) {} function setWatch(f, pin, opts) {} function load() {}
var BTN1 = 1;
var g = {clear: function () { return g; }, setFont: function () { return g; }, setFontAlign: function () { return g; },
         drawString: function () { return g; }, clearRect: function () { return g; },
         getWidth: function () { return 176; }, getHeight: function () { return 176; }};
var Bangle = {accelWr: function (r, v) { log.accelWr.push([r, v]); }, setPollInterval: function (ms) { log.poll.push(ms); },
              setOptions: function (o) { log.options = o; }, on: function (e, f) { handlers[e] = f; },
              removeListener: function () {}};
var NRF = {setServices: function (s, o) { log.services = [s, o]; }, on: function (e, f) { nrfHandlers[e] = f; },
           updateServices: function (s) { for (var k in s) for (var c in s[k])
             log.updates.push(Array.prototype.slice.call(new Uint8Array(s[k][c].value.slice(0)))); }};
"""


def run_app(samples_g, connected=True):
    quickjs = pytest.importorskip("quickjs")
    js = quickjs.Context()
    js.eval(ESPRUINO)
    js.eval(APP.read_text())
    if connected:
        js.eval("nrfHandlers.connect()")
    for i, (x, y, z) in enumerate(samples_g):
        js.eval(f"now = 1000.0 + {i} * 0.04; handlers.accel({{x: {x}, y: {y}, z: {z}}})")
    return js


def test_espruino_app_streams_the_documented_format_at_25_hz():
    rng = np.random.default_rng(0)
    samples = np.round(rng.uniform(-3.9, 3.9, (10, 3)) * 4096) / 4096
    js = run_app(samples)
    assert js.eval("JSON.stringify(log.accelWr)") == "[[24,108],[27,65],[24,236]]"   # KX022 ODCNTL: 25 Hz, ODR/2
    assert js.eval("log.poll[0]") == 40
    services = js.eval("JSON.stringify(Object.keys(log.services[0][SERVICE]))")
    assert bj.DATA_UUID in services and bj.INFO_UUID in services
    assert js.eval("JSON.stringify(log.services[1].advertise)") == f'["{bj.SERVICE_UUID}"]'
    info = bytes(json.loads(js.eval("JSON.stringify(log.services[0][SERVICE][INFO].value)")))
    assert bj.INFO.unpack(info) == (bj.FORMAT_VERSION, 25, 4096, 4)
    packets = [bytes(p) for p in _updates(js)]
    assert len(packets) == 5 and all(len(p) == 18 for p in packets)
    decoder = bj.BangleDecoder(25, 4096)
    decoded = [decoder.decode(p) for p in packets]
    assert decoder.malformed == 0 and decoder.lost == 0
    np.testing.assert_allclose(np.concatenate([d.xyz for d in decoded]), samples, atol=1 / 4096)
    t = np.concatenate([d.t for d in decoded])
    np.testing.assert_allclose(np.diff(t), 0.04, atol=0.0011)


def test_espruino_app_is_silent_until_a_host_connects_and_saturates_at_its_range():
    assert _updates(run_app([[0, 0, 1]] * 4, connected=False)) == []
    packets = _updates(run_app([[9.0, -9.0, 1.0]] * 2))
    counts = np.frombuffer(bytes(packets[0]), "<i2", offset=6)
    assert counts.tolist() == [32767, -32768, 4096, 32767, -32768, 4096]


def _updates(js):
    return json.loads(js.eval("JSON.stringify(log.updates)"))


def test_decoder_counts_lost_notifications_by_sequence():
    decoder = bj.BangleDecoder(25, 4096)
    packet = lambda seq: bj.encode_packet(seq, seq * 80, np.zeros((2, 3)))   # noqa: E731
    assert [decoder.decode(packet(s)).lost_packets for s in (0, 1, 4)] == [0, 0, 2]
    assert decoder.decode(b"\x00" * 9) is None and decoder.malformed == 1


@pytest.mark.ble
def test_software_bangle_streams_25_hz_through_the_host_in_20_byte_notifications():
    twin, session, rec, error = run_twin(
        lambda radio: BangleTwin(radio, "Bangle.js 1a2b", motion(), 100.0, speed=10, clock_ppm=500,
                                 drop_probability=0.1, seed=1),
        bj.BangleProtocol(), seconds=3, mtu=None)
    assert error is None and rec.nominal == 25
    t, xyz = rec.samples
    assert len(t) > 25 * 10 and session.protocol.counters["malformed"] == 0
    # Every notification dropped between the first and the last that arrived, found by sequence number.
    assert twin.dropped > 3 and session.protocol.counters["lost"] == twin.dropped_between(t[0], t[-1])
    assert np.median(np.diff(t)) == pytest.approx(0.04, rel=0.01)
    assert twin.largest_notification == 18


@pytest.mark.ble
@pytest.mark.parametrize("twin_kw, message", [({"rate_hz": 12}, "streams 12 Hz"),
                                              ({"format_version": 2}, "format v2")])
def test_host_refuses_a_slow_or_unknown_bangle_app(twin_kw, message):
    twin, session, rec, error = run_twin(
        lambda radio: BangleTwin(radio, "Bangle.js 1a2b", motion(), 100.0, speed=10, **twin_kw),
        bj.BangleProtocol(), seconds=5)
    assert isinstance(error, bj.BangleRefused) and message in str(error) and not rec.t


def test_watch_clock_set_back_mid_stream_is_a_new_segment_not_dropped_data():
    # Gadgetbridge or the App Loader sets the watch's clock (getTime()) while the app streams:
    # device time jumps back with the sequence running on. The runtime drops samples that go back
    # in time unless the decoder says "new segment", so say it, and keep decoding.
    decoder = bj.BangleDecoder(25, 4096)
    packet = lambda seq, ms: bj.encode_packet(seq, ms, np.zeros((2, 3)))   # noqa: E731
    assert not decoder.decode(packet(0, 600_000)).new_segment
    decoder.decode(packet(1, 600_080))
    after = decoder.decode(packet(2, 60_000))                              # clock set 9 minutes back
    assert after is not None and after.new_segment and after.lost_packets == 0
    later = decoder.decode(packet(3, 60_080))
    assert not later.new_segment and later.t[0] == pytest.approx(60.08)


def test_duplicate_packet_is_dropped_but_an_app_restart_is_followed():
    decoder = bj.BangleDecoder(25, 4096)
    packet = lambda seq, ms: bj.encode_packet(seq, ms, np.zeros((2, 3)))   # noqa: E731
    for seq in range(500):
        decoder.decode(packet(seq, 1_000_000 + 80 * seq))
    assert decoder.decode(packet(499, 1_000_000 + 80 * 499)) is None        # a duplicate
    # The app was reloaded without the link dropping: the sequence restarts at 0, time runs on.
    # Every later packet used to be dropped as "sequence 0 after 499" until the counter caught up.
    restarted = [decoder.decode(packet(seq, 1_100_000 + 80 * seq)) for seq in range(5)]
    assert all(d is not None for d in restarted) and restarted[0].new_segment
    assert decoder.lost == 0
