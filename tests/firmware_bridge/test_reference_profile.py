import numpy as np
import pytest

from harnet_edge.firmware_bridge import reference_profile as ref


def test_byte_layout_matches_the_written_spec():
    """PROFILE.md: (version<<5)|count, u16 sequence, u32 microseconds, then int16 x/y/z, little-endian."""
    packet = ref.encode_packet(0x1234, 0x0A0B0C0D, np.array([[1, -2, 4096], [-32768, 32767, 0]]))
    assert packet.hex() == "22" "3412" "0d0c0b0a" "0100" "feff" "0010" "0080" "ff7f" "0000"
    assert len(packet) == 19 <= 20          # fits the default ATT payload with two samples


def test_samples_per_packet_grows_after_mtu_exchange():
    assert ref.samples_per_packet(20) == 2
    assert ref.samples_per_packet(244) == 31
    assert ref.samples_per_packet(100) == 15


def test_round_trip_in_g_with_timestamps():
    info = ref.StreamInfo(50.0, 4096, 8)
    dec = ref.ReferenceDecoder(ref.StreamInfo.decode(info.encode()))
    xyz = np.array([[0.5, -1.0, 0.25], [0.0, 0.0, 1.0]])
    out = dec.decode(ref.encode_packet(7, 2_000_000, ref.g_to_counts(xyz, 4096)))
    assert np.allclose(out.xyz, xyz) and np.allclose(out.t, [2.0, 2.02]) and out.lost_before == 0


def test_sequence_wrap_is_not_loss_and_gaps_across_wrap_are_counted():
    dec = ref.ReferenceDecoder(ref.StreamInfo(30.0, 4096, 8))
    one = np.zeros((1, 3))
    for k, (seq, expected_lost) in enumerate(((65534, 0), (65535, 0), (0, 0), (3, 2))):
        assert dec.decode(ref.encode_packet(seq, 10**6 + k * 33_333, one)).lost_before == expected_lost
    assert dec.lost == 2 and dec.clock_resets == 0


def test_time_wraps_after_71_minutes():
    dec = ref.ReferenceDecoder(ref.StreamInfo(30.0, 4096, 8))
    a = dec.decode(ref.encode_packet(0, 0xFFFFFF00, np.zeros((1, 3))))
    b = dec.decode(ref.encode_packet(1, 0x00000100, np.zeros((1, 3))))
    assert b.t[0] - a.t[0] == pytest.approx(512e-6)


def test_reboot_restarts_time_and_sequence_a_new_segment_not_loss():
    """PROFILE.md: time is microseconds since power-on, the sequence counts packets made. After 20 min
    of uptime the device reboots: time and sequence start again."""
    dec = ref.ReferenceDecoder(ref.StreamInfo(50.0, 4096, 8))
    two = np.zeros((2, 3))
    assert not dec.decode(ref.encode_packet(900, 1_200_000_000, two)).new_segment
    dec.reset_link()                                   # the reboot dropped the link
    after = dec.decode(ref.encode_packet(0, 3_000_000, two))
    assert after.new_segment and after.lost_before == 0 and after.t[0] == pytest.approx(3.0)
    assert dec.clock_resets == 1 and dec.lost == 0 and dec.time_wraps == 0


@pytest.mark.parametrize("uptime_us", [1_200_000_000, 3_000_000_000])     # 20 min; 50 min (back < 2^31 us)
def test_reboot_told_from_a_wrap_by_time_where_the_sequence_cannot_tell(uptime_us):
    """Sequence 60000 -> 0 looks like 5536 packets later; the time elapsed for a u32 wrap disagrees."""
    dec = ref.ReferenceDecoder(ref.StreamInfo(50.0, 4096, 8))
    two = np.zeros((2, 3))
    dec.decode(ref.encode_packet(60000, uptime_us, two))
    dec.reset_link()
    assert dec.decode(ref.encode_packet(0, 3_000_000, two)).new_segment and dec.time_wraps == 0


def test_reboot_after_a_short_uptime_shows_in_the_sequence():
    dec = ref.ReferenceDecoder(ref.StreamInfo(50.0, 4096, 8))
    two = np.zeros((2, 3))
    dec.decode(ref.encode_packet(40, 2_000_000, two))
    dec.reset_link()
    assert dec.decode(ref.encode_packet(0, 4_000_000, two)).new_segment      # time forward, sequence back


def test_wrap_during_a_short_disconnect_is_a_wrap():
    dec = ref.ReferenceDecoder(ref.StreamInfo(50.0, 4096, 8))
    two = np.zeros((2, 3))
    a = dec.decode(ref.encode_packet(500, 0xFFFF0000, two))
    dec.reset_link()
    b = dec.decode(ref.encode_packet(501, 0x00010000, two))                  # 131 ms later, one packet on
    assert not b.new_segment and b.t[0] - a.t[0] == pytest.approx(0x20000 / 1e6)


def test_unknown_profile_version_is_refused_clearly():
    info = bytearray(ref.StreamInfo(30.0, 4096, 8).encode())
    info[0] = 2
    with pytest.raises(ref.ProtocolError, match="v2; this host knows v1"):
        ref.StreamInfo.decode(bytes(info))
    dec = ref.ReferenceDecoder(ref.StreamInfo(30.0, 4096, 8))
    packet = bytearray(ref.encode_packet(0, 0, np.zeros((1, 3))))
    packet[0] = (2 << 5) | 1
    assert dec.decode(bytes(packet)) is None and dec.malformed == 1


@pytest.mark.parametrize("packet", [b"", b"\x21\x00", bytes([0x22]) + bytes(6) + bytes(6), bytes([0x20]) + bytes(6)])
def test_malformed_packets_are_counted_not_raised(packet):
    dec = ref.ReferenceDecoder(ref.StreamInfo(30.0, 4096, 8))
    assert dec.decode(packet) is None and dec.malformed == 1


def test_fuzzed_packets_never_crash_the_decoder():
    rng = np.random.default_rng(0)
    dec = ref.ReferenceDecoder(ref.StreamInfo(30.0, 4096, 8))
    good = ref.encode_packet(1, 10, np.ones((2, 3), np.int16))
    for i in range(20000):
        if i % 2:
            data = rng.integers(0, 256, rng.integers(0, 40)).astype(np.uint8).tobytes()
        else:
            data = bytearray(good)
            data[rng.integers(0, len(data))] = rng.integers(0, 256)
            data = bytes(data[: rng.integers(0, len(data) + 1)])
        out = dec.decode(data)
        assert out is None or (np.isfinite(out.xyz).all() and len(out.t) == len(out.xyz))
    assert dec.malformed + dec.packets == 20000 and dec.malformed > 10000


def test_reference_firmware_matches_the_spec():
    """The Arduino sketch cannot be built here; check its constants against the Python profile."""
    from tests.conftest import REPO

    sketch = (REPO / "firmware_bridge/firmware/harnet_wearable/harnet_wearable.ino").read_text()
    for uuid in (ref.SERVICE_UUID, ref.DATA_UUID, ref.INFO_UUID, ref.CONTROL_UUID):
        assert f'"{uuid}"' in sketch
    assert f"PROFILE_VERSION = {ref.PROFILE_VERSION};" in sketch
    assert f"MAX_SAMPLES = {ref.MAX_SAMPLES};" in sketch
    assert "packet[0] = (PROFILE_VERSION << 5) | count;" in sketch
    assert "put16(packet + 1, sequence++);" in sketch and "put32(packet + 3, firstSampleMicros);" in sketch
    assert "7 + 6 * count" in sketch and ref.HEADER.size == 7
