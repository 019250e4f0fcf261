"""Test vectors written by hand from Polar's public PMD documentation (polar-ble-sdk,
technical_documentation/Polar_Measurement_Data_Specification.pdf and the SDK's documented ACC
parser behaviour): 10-byte header (type, u64 ns time of the last sample, frame type), raw frames of
signed mG values, delta frames of a reference sample plus LSB-first packed signed deltas."""
import numpy as np
import pytest

from harnet_edge.firmware_bridge import polar_control as ctl, polar_pmd as pmd

TS = 599_000_000_000_000_000   # ns since 2000-01-01, about 19 years in


def decode_one(decoder, data):
    assert decoder.decode(data) is None        # a stream's first frame waits for the second
    return decoder.flush()


def header(frame_type: int, ts: int = TS) -> bytes:
    return bytes([0x02]) + ts.to_bytes(8, "little") + bytes([frame_type])


def test_start_command_bytes():
    # op 0x02 start, type 0x02 ACC, [0x00 rate, 1, 52], [0x01 resolution, 1, 16], [0x02 range, 1, 8]
    assert ctl.start_acc_command(52, 16, 8).hex() == "0202" "00013400" "01011000" "02010800"


def test_raw_type1_frame_in_millig():
    payload = bytes.fromhex("e803" "0cfe" "0000" "ffff" "0100" "1027")   # (1000,-500,0), (-1,1,10000)
    frame = decode_one(pmd.PolarAccDecoder(52), header(0x01) + payload)
    assert np.allclose(frame.xyz, [[1.0, -0.5, 0.0], [-0.001, 0.001, 10.0]])
    assert frame.t[-1] == pytest.approx(TS / 1e9) and frame.t[1] - frame.t[0] == pytest.approx(1 / 52, abs=1e-6)


def test_raw_type0_and_type2_frames():
    frame0 = decode_one(pmd.PolarAccDecoder(), header(0x00) + bytes([0x7F, 0x80, 0x01]))
    assert np.allclose(frame0.xyz, [[0.127, -0.128, 0.001]])
    frame2 = decode_one(pmd.PolarAccDecoder(), header(0x02) + bytes.fromhex("ffffff" "000080" "102700"))
    assert np.allclose(frame2.xyz, [[-0.001, -8388.608, 10.0]])


def test_delta_compressed_frame_hand_packed():
    # reference (1000, -500, 0); block: 4-bit deltas, 2 samples: (+1,-1,+2), (-3,0,+7)
    # nibbles LSB first: 0x1|0xF<<4 = F1, 0x2|0xD<<4 = D2, 0x0|0x7<<4 = 70
    payload = bytes.fromhex("e803" "0cfe" "0000" "04" "02" "f1d270")
    frame = decode_one(pmd.PolarAccDecoder(52), header(0x81) + payload)
    assert frame.compressed and frame.frame_type == 1
    assert np.allclose(frame.xyz * 1000, [[1000, -500, 0], [1001, -501, 2], [998, -501, 9]])


def test_compressed_type0_is_scaled_by_factor_times_1000():
    payload = bytes.fromhex("0100" "feff" "0000")
    frame = decode_one(pmd.PolarAccDecoder(52, factor=0.5), header(0x80) + payload)
    assert np.allclose(frame.xyz, [[0.5, -1.0, 0.0]])


def test_timestamps_follow_the_previous_frame():
    dec = pmd.PolarAccDecoder(100)
    assert dec.decode(header(0x01, TS) + bytes(6 * 4)) is None
    frame = dec.decode(header(0x01, TS + 40_400_000) + bytes(6 * 4))   # 4 samples in 40.4 ms: a slow clock
    assert len(frame.t) == 8 and frame.lost_frames == 0               # the held first frame comes along
    assert np.allclose(np.diff(frame.t), 0.0101, atol=1e-6) and frame.t[-4] == pytest.approx(TS / 1e9 + 0.0101)


def test_encoder_round_trip_with_large_deltas():
    rng = np.random.default_rng(0)
    mg = np.cumsum(rng.integers(-300, 300, (36, 3)), axis=0)
    frame = decode_one(pmd.PolarAccDecoder(), pmd.encode_acc_frame(TS, mg))
    assert np.allclose(frame.xyz * 1000, mg)


@pytest.mark.parametrize("data", [b"", header(0x01)[:9], header(0x01) + b"\x01", header(0x85) + bytes(6),
                                  header(0x81) + bytes.fromhex("e8030cfe0000" "04"),
                                  header(0x81) + bytes.fromhex("e8030cfe0000" "0402f1"),
                                  bytes([0x01]) + bytes(9)])
def test_malformed_frames_are_counted(data):
    dec = pmd.PolarAccDecoder()
    assert dec.decode(data) is None and dec.malformed == 1


def test_control_response_and_settings():
    resp = ctl.ControlResponse.decode(bytes.fromhex("f00202000005010000803f"))
    assert resp.status == 0 and resp.op == 2
    assert ctl.parse_settings(resp.params) == {ctl.SETTING_FACTOR: [1.0]}
    assert ctl.parse_settings(bytes.fromhex("000234006800" "01011000")) == {0: [52, 104], 1: [16]}
    with pytest.raises(ctl.MalformedResponse):
        ctl.parse_settings(bytes.fromhex("00023400"))


def frames(true_hz: float, n_frames: int, per_frame: int = 36, start_ns: int = TS):
    """Consecutive raw frames from a device whose clock runs at ``true_hz``; the true sample times."""
    out, times = [], []
    for k in range(n_frames):
        idx = np.arange(k * per_frame, (k + 1) * per_frame)
        t_ns = start_ns + idx * 1e9 / true_hz
        out.append(pmd.encode_acc_frame(int(round(t_ns[-1])), np.tile(idx[:, None], 3), compressed=False))
        times.append(t_ns / 1e9)
    return out, times


def test_lost_frames_are_counted_and_never_stretched_over():
    """20 % of frames from a clock 1.5 % fast never arrive: each is counted, and every frame's samples
    keep the device's spacing (the SDK's (t - t_prev) / n rule would double it after a hole)."""
    true_hz = 52 * 1.015
    sent, truth = frames(true_hz, 400)
    rng = np.random.default_rng(3)
    keep = rng.random(len(sent)) >= 0.2
    keep[:2] = keep[-1] = True
    dec = pmd.PolarAccDecoder(52)
    lost, held = 0, []
    for frame, times, kept in zip(sent, truth, keep):
        if not kept:
            continue
        got = dec.decode(frame)
        held.append(times)
        if got is None:
            continue
        times, held = np.concatenate(held), []
        lost += got.lost_frames
        spacing = np.diff(got.t) * true_hz          # one interval inside frames; holes only between them
        assert np.all((np.abs(spacing - 1) < 0.01) | (spacing > 1.5))
        assert np.abs(got.t - times).max() < 0.002
    assert lost == dec.lost_frames == int((~keep).sum()) > 50


def test_a_clock_that_restarts_starts_a_new_segment():
    dec = pmd.PolarAccDecoder(52)
    before, _ = frames(52, 3)
    after, _ = frames(52, 2, start_ns=10**9)         # rebooted: device time back near 2000-01-01
    decoded = [dec.decode(f) for f in before + after]
    assert decoded[0] is None and [f.new_segment for f in decoded[1:]] == [False, False, True, False]
    assert dec.clock_resets == 1 and dec.lost_frames == 0
    assert np.allclose(np.diff(decoded[3].t), 1 / 52)     # no stretch across the restart either
    assert decoded[3].t[0] < decoded[2].t[-1]


def test_a_clock_set_forward_is_a_gap_not_a_million_lost_frames():
    dec = pmd.PolarAccDecoder(52)
    sent, _ = frames(52, 3)
    later, _ = frames(52, 1, start_ns=TS + 3600 * 10**9)        # the time was set one hour ahead
    decoded = [dec.decode(f) for f in sent + later]
    assert decoded[-1].lost_frames == 0 and dec.lost_frames == 0


def test_a_frame_delivered_twice_is_dropped_not_a_reboot():
    """A host stack that delivers one notification twice (BlueZ with two subscribers does) must not
    see a clock restart: that would cut the window being filled and stream the samples twice."""
    sent, _ = frames(52, 6)
    dec = pmd.PolarAccDecoder(52)
    decoded = [dec.decode(f) for f in sent[:4] + [sent[3]] + sent[4:]]
    decoded.append(dec.flush())
    got = [f for f in decoded if f is not None]
    assert dec.clock_resets == 0 and not any(f.new_segment for f in got)
    assert dec.duplicates == 1 and dec.lost_frames == 0
    t = np.concatenate([f.t for f in got])
    assert len(t) == 6 * 36 and np.all(np.diff(t) > 0)


def test_every_other_frame_lost_from_the_start_still_measures_the_device_interval():
    """With no loss-free pair of frames the interval was never measured: samples spaced at the
    nominal rate (1.5 % off on this clock) and held back eight frames at a time."""
    true_hz = 52 * 1.015
    sent, truth = frames(true_hz, 40)
    dec = pmd.PolarAccDecoder(52)
    got = [dec.decode(f) for f in sent[::2]]
    assert dec.lost_frames == 19
    assert sum(f is None for f in got) <= 2                      # held only until the interval is known
    out = [f for f in got if f is not None]
    spacing = np.concatenate([np.diff(f.t) for f in out]) * true_hz
    assert np.all(np.abs(spacing[spacing < 1.5] - 1) < 0.01)
    assert np.abs(out[-1].t - truth[-2]).max() < 0.002
