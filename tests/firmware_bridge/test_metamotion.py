"""MetaMotion (MetaWear): command bytes from MbientLab's SDK facts, and the software board streaming
through the host over bumble."""
import numpy as np
import pytest

from harnet_edge.firmware_bridge import metamotion as mm
from harnet_edge.firmware_bridge.twin_metamotion import MetaMotionTwin

from .family_harness import motion, run_twin


def test_config_and_start_bytes():
    # 50 Hz is ODR code 7, normal filter 0x20; +-8 g is 0x8 on the BMI160 and 0x2 on the BMI270.
    assert mm.config_command(mm.IMPL_BMI160, 50, 8) == bytes([0x03, 0x03, 0x27, 0x08])
    assert mm.config_command(mm.IMPL_BMI270, 100, 8) == bytes([0x03, 0x03, 0x28, 0x02])
    assert mm.start_commands(mm.IMPL_BMI160) == [bytes([3, 0x1C, 1]), bytes([3, 2, 1, 0]), bytes([3, 1, 1])]
    with pytest.raises(mm.MetaMotionRefused, match="25, 50, 100"):
        mm.choose_rate(52)
    with pytest.raises(mm.MetaMotionRefused):
        mm.choose_rate(12.5)


def test_packed_decoder_scales_by_range_and_counts_a_hole_on_the_host_clock():
    now = [100.0]
    decoder = mm.PackedAccDecoder(0x1C, 50, 4096, clock=lambda: now[0])
    packet = bytes([3, 0x1C]) + np.array([[0, 0, 4096]] * 3, "<i2").tobytes()
    first = decoder.decode(packet)
    assert first.xyz[0] == pytest.approx([0, 0, 1]) and np.diff(first.t) == pytest.approx(0.02)
    now[0] += 0.06
    second = decoder.decode(packet)
    assert second.t[0] == pytest.approx(first.t[-1] + 0.02) and second.lost_packets == 0
    now[0] += 3.0                                  # 50 packets' worth of silence
    third = decoder.decode(packet)
    assert third.lost_packets == pytest.approx(49, abs=1) and third.t[0] > second.t[-1] + 2.5
    assert decoder.decode(bytes([3, 0x1C, 0])) is None and decoder.malformed == 1


@pytest.mark.ble
@pytest.mark.parametrize("implementation", [mm.IMPL_BMI160, mm.IMPL_BMI270])
def test_software_metamotion_streams_50_hz_through_the_host(implementation):
    speed = 10
    clock = _scaled_clock(speed)
    twin, session, rec, error = run_twin(
        lambda radio: MetaMotionTwin(radio, "MetaWear", motion(), 100.0, implementation=implementation,
                                     speed=speed, clock_ppm=-200),
        mm.MetaMotionProtocol(clock=clock), seconds=3, mtu=None)
    assert error is None and rec.nominal == 50 and twin.rate_hz == 50
    assert twin.config == bytes([0x27, mm.RANGE_CODES[implementation][8]])        # what the host configured
    t, xyz = rec.samples
    assert len(t) > 50 * 10 and session.protocol.counters["malformed"] == 0
    assert np.median(np.diff(t)) == pytest.approx(0.02, rel=0.01)
    assert np.median(np.linalg.norm(xyz, axis=1)) == pytest.approx(1.0, abs=0.2)
    assert twin.largest_notification == 20


@pytest.mark.ble
def test_software_metamotion_refuses_a_rate_code_it_lacks_and_host_reports_it():
    original = mm.config_command
    mm.config_command = lambda impl, rate, range_g: bytes([3, 3, 0x0F | mm.FILTER_NORMAL, 0x08])   # ODR code 15
    try:
        twin, session, rec, error = run_twin(lambda radio: MetaMotionTwin(radio, "MetaWear", motion(), 100.0),
                                             mm.MetaMotionProtocol(), seconds=5)
    finally:
        mm.config_command = original
    assert isinstance(error, mm.MetaMotionRefused) and "did not apply 50 Hz" in str(error)
    assert twin.sent == 0 and not twin.streaming


def _scaled_clock(speed):
    import time
    origin = time.monotonic()
    return lambda: origin + (time.monotonic() - origin) * speed
