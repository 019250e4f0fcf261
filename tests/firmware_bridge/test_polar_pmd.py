"""Test vectors written by hand from Polar's public PMD documentation (polar-ble-sdk,
technical_documentation/Polar_Measurement_Data_Specification.pdf and the SDK's documented ACC
parser behaviour): 10-byte header (type, u64 ns time of the last sample, frame type), raw frames of
signed mG values, delta frames of a reference sample plus LSB-first packed signed deltas."""
import numpy as np
import pytest

from harnet_edge.firmware_bridge import polar_pmd as pmd

TS = 599_000_000_000_000_000   # ns since 2000-01-01, about 19 years in


def header(frame_type: int, ts: int = TS) -> bytes:
    return bytes([0x02]) + ts.to_bytes(8, "little") + bytes([frame_type])


def test_start_command_bytes():
    # op 0x02 start, type 0x02 ACC, [0x00 rate, 1, 52], [0x01 resolution, 1, 16], [0x02 range, 1, 8]
    assert pmd.start_acc_command(52, 16, 8).hex() == "0202" "00013400" "01011000" "02010800"


def test_raw_type1_frame_in_millig():
    payload = bytes.fromhex("e803" "0cfe" "0000" "ffff" "0100" "1027")   # (1000,-500,0), (-1,1,10000)
    frame = pmd.PolarAccDecoder(52).decode(header(0x01) + payload)
    assert np.allclose(frame.xyz, [[1.0, -0.5, 0.0], [-0.001, 0.001, 10.0]])
    assert frame.t[-1] == pytest.approx(TS / 1e9) and frame.t[1] - frame.t[0] == pytest.approx(1 / 52, abs=1e-6)


def test_raw_type0_and_type2_frames():
    frame0 = pmd.PolarAccDecoder().decode(header(0x00) + bytes([0x7F, 0x80, 0x01]))
    assert np.allclose(frame0.xyz, [[0.127, -0.128, 0.001]])
    frame2 = pmd.PolarAccDecoder().decode(header(0x02) + bytes.fromhex("ffffff" "000080" "102700"))
    assert np.allclose(frame2.xyz, [[-0.001, -8388.608, 10.0]])


def test_delta_compressed_frame_hand_packed():
    # reference (1000, -500, 0); block: 4-bit deltas, 2 samples: (+1,-1,+2), (-3,0,+7)
    # nibbles LSB first: 0x1|0xF<<4 = F1, 0x2|0xD<<4 = D2, 0x0|0x7<<4 = 70
    payload = bytes.fromhex("e803" "0cfe" "0000" "04" "02" "f1d270")
    frame = pmd.PolarAccDecoder(52).decode(header(0x81) + payload)
    assert frame.compressed and frame.frame_type == 1
    assert np.allclose(frame.xyz * 1000, [[1000, -500, 0], [1001, -501, 2], [998, -501, 9]])


def test_compressed_type0_is_scaled_by_factor_times_1000():
    payload = bytes.fromhex("0100" "feff" "0000")
    frame = pmd.PolarAccDecoder(52, factor=0.5).decode(header(0x80) + payload)
    assert np.allclose(frame.xyz, [[0.5, -1.0, 0.0]])


def test_timestamps_follow_the_previous_frame():
    dec = pmd.PolarAccDecoder(52)
    dec.decode(header(0x01, TS) + bytes(6 * 2))
    frame = dec.decode(header(0x01, TS + 40_000_000) + bytes(6 * 4))   # 4 samples in 40 ms
    assert np.allclose(np.diff(frame.t), 0.01) and frame.t[0] == pytest.approx(TS / 1e9 + 0.01)


def test_encoder_round_trip_with_large_deltas():
    rng = np.random.default_rng(0)
    mg = np.cumsum(rng.integers(-300, 300, (36, 3)), axis=0)
    frame = pmd.PolarAccDecoder().decode(pmd.encode_acc_frame(TS, mg))
    assert np.allclose(frame.xyz * 1000, mg)


@pytest.mark.parametrize("data", [b"", header(0x01)[:9], header(0x01) + b"\x01", header(0x85) + bytes(6),
                                  header(0x81) + bytes.fromhex("e8030cfe0000" "04"),
                                  header(0x81) + bytes.fromhex("e8030cfe0000" "0402f1"),
                                  bytes([0x01]) + bytes(9)])
def test_malformed_frames_are_counted(data):
    dec = pmd.PolarAccDecoder()
    assert dec.decode(data) is None and dec.malformed == 1


def test_control_response_and_settings():
    resp = pmd.parse_control_response(bytes.fromhex("f00202000000013400"))
    assert resp["status"] == 0 and resp["op"] == 2
    assert pmd.parse_settings(bytes.fromhex("000234006800" "01011000")) == {0: [52, 104], 1: [16]}
