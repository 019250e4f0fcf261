import pytest

from harnet_edge.firmware_bridge.twins.clock import DeviceClock
from harnet_edge.firmware_bridge.twins.mtu import largest_frame


def test_drifting_clock_spaces_samples_at_its_true_rate():
    clock = DeviceClock(52.0, rate_error=0.01, time_at_power_on_s=1000.0)
    assert clock.true_hz == pytest.approx(52.52)
    assert clock.time_s(52) - clock.time_s(0) == pytest.approx(52 / 52.52)
    clock.advance(520)
    assert clock.wall_s(speed=10) == pytest.approx(520 / 52.52 / 10)


def test_restart_sends_device_time_back_but_not_the_wall_clock():
    clock = DeviceClock(50.0, time_at_power_on_s=5000.0, boot_time_s=0.0)
    clock.advance(500)
    before = clock.time_s()
    clock.restart()
    assert clock.time_s() == 0.0 < before and clock.samples == 0
    assert clock.elapsed == 500 and clock.boots == 2


def test_rate_change_keeps_device_time_continuous():
    clock = DeviceClock(25.0)
    clock.advance(25)
    clock.set_rate(100.0)
    assert clock.time_s() == pytest.approx(1.0)
    assert clock.time_s(clock.samples + 100) == pytest.approx(2.0)


def test_largest_frame_fits_the_payload_exactly():
    encode = lambda n: bytes(10 + 6 * n)        # 10-byte header, 6 bytes a sample
    n, frame = largest_frame(encode, 100, 244)
    assert (n, len(frame)) == (39, 244)
    assert largest_frame(encode, 5, 244)[0] == 5
    with pytest.raises(ValueError):
        largest_frame(encode, 5, 12)
