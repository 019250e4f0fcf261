"""Movesense GSP: decoder facts, and the software Movesense streaming through the host over bumble."""
import struct

import numpy as np
import pytest

from harnet_edge.firmware_bridge import movesense as ms
from harnet_edge.firmware_bridge.twin_movesense import MovesenseTwin

from .family_harness import motion, run_twin


def test_subscribe_command_and_acc_notification_layout():
    assert ms.subscribe_command(99, "/Meas/Acc/52") == bytes([1, 99]) + b"/Meas/Acc/52"
    packet = ms.encode_acc_data(99, 1234, np.array([[0, 0, 9.80665], [1, 2, 3]]))
    assert packet[:2] == bytes([2, 99]) and struct.unpack_from("<I", packet, 2)[0] == 1234
    assert struct.unpack_from("<3f", packet, 6) == pytest.approx((0, 0, 9.80665))
    decoded = ms.MovesenseAccDecoder(99, 52).decode(packet)
    assert decoded.xyz[0] == pytest.approx([0, 0, 1.0], abs=1e-6)          # m/s^2 -> g
    assert decoded.t[1] - decoded.t[0] == pytest.approx(1 / 52)


def test_lost_notification_counted_from_timestamps_not_stretched():
    decoder = ms.MovesenseAccDecoder(7, 52)
    period_ms = 1000 / 52
    times = [0, 4 * period_ms, 12 * period_ms]              # the packet at 8 periods never came
    out = [decoder.decode(ms.encode_acc_data(7, int(t), np.zeros((4, 3)))) for t in times]
    assert [d.lost_packets for d in out] == [0, 0, 1] and decoder.lost == 1
    assert np.diff(out[2].t) == pytest.approx(1 / 52)
    assert decoder.decode(bytes([2, 8]) + bytes(16)) is None and decoder.malformed == 1   # other reference


@pytest.mark.parametrize("rate", [13, 50, 60])
def test_host_refuses_rates_movesense_lacks_or_below_26_hz(rate):
    with pytest.raises(ms.MovesenseRefused, match="Movesense"):
        ms.choose_rate(rate)


@pytest.mark.ble
def test_software_movesense_streams_52_hz_through_the_host():
    twin, session, rec, error = run_twin(
        lambda radio: MovesenseTwin(radio, "Movesense 223430000001", motion(), 100.0, speed=10, clock_ppm=300,
                                    drop_probability=0.1, seed=2),
        ms.MovesenseProtocol(), seconds=3)
    assert error is None and session.connects == 1 and rec.nominal == 52
    assert twin.commands[0] == ms.subscribe_command(ms.MovesenseProtocol.reference, "/Meas/Acc/52")
    t, xyz = rec.samples
    assert len(t) > 52 * 10 and session.protocol.counters["malformed"] == 0
    # No sequence numbers: every dropped notification is found from the timestamps and reported.
    assert twin.dropped > 3 and session.protocol.counters["lost"] == twin.dropped_between(t[0], t[-1])
    assert sum(n for _, n in rec.losses) == session.protocol.counters["lost"]
    inside = np.concatenate([np.diff(batch) for batch in rec.t])      # spacing inside each notification
    assert np.max(np.abs(inside * 52 - 1)) < 0.01                      # never stretched over a hole
    assert np.median(np.diff(t)) == pytest.approx(1 / 52, rel=0.01)
    assert np.median(np.linalg.norm(xyz, axis=1)) == pytest.approx(1.0, abs=0.2)     # g, not m/s^2
    assert twin.largest_notification <= 244


@pytest.mark.ble
def test_software_movesense_refuses_a_rate_it_lacks_and_host_reports_it():
    # The host's own rate table is bypassed to prove the twin (like the sensor) refuses by itself.
    protocol = ms.MovesenseProtocol()
    original = ms.choose_rate
    ms.choose_rate = lambda requested: 50
    try:
        twin, session, rec, error = run_twin(
            lambda radio: MovesenseTwin(radio, "Movesense 2", motion(), 100.0, speed=10), protocol, seconds=5)
    finally:
        ms.choose_rate = original
    assert isinstance(error, ms.MovesenseRefused) and "/Meas/Acc/50: status 404" in str(error)
    assert "\n" not in str(error) and twin.sent == 0


@pytest.mark.ble
def test_software_movesense_at_the_default_mtu_sends_one_sample_per_notification():
    twin, session, rec, error = run_twin(
        lambda radio: MovesenseTwin(radio, "Movesense 3", motion(), 100.0, speed=10), ms.MovesenseProtocol(),
        seconds=2, mtu=None)
    assert error is None and twin.largest_notification <= 20
    assert len(rec.samples[0]) > 52 and session.protocol.counters["malformed"] == 0


@pytest.mark.ble
def test_software_movesense_forgets_the_subscription_on_disconnect_and_the_host_resubscribes():
    import asyncio

    class Watched(MovesenseTwin):
        streaming_when_subscribed = []

        def _on_command(self, connection, value):
            if value[:1] == bytes([ms.CMD_SUBSCRIBE]):
                self.streaming_when_subscribed.append(self.streaming)
            super()._on_command(connection, value)

    def make(radio):
        twin = Watched(radio, "Movesense 4", motion(), 100.0, speed=10)
        loop = asyncio.get_event_loop()

        async def link_lost():                 # not the twin's own doing: the link just goes
            for connection in list(twin.device.connections.values()):
                await connection.disconnect()
        loop.call_later(1.5, lambda: loop.create_task(link_lost()))
        return twin
    twin, session, rec, error = run_twin(make, ms.MovesenseProtocol(), seconds=4, max_attempts=5)
    assert error is None and session.connects == 2
    subscribes = [c for c in twin.commands if c[0] == ms.CMD_SUBSCRIBE]
    assert len(subscribes) == 2 and "reconnected" in rec.statuses
    assert Watched.streaming_when_subscribed == [False, False]      # the link drop ended the subscription
    t, _ = rec.samples
    assert t[-1] > 3.0 and np.all(np.diff(t) > 0)       # data after the reconnect, on one clock


def test_sensor_rebooted_between_connections_is_a_new_segment():
    # A Movesense that reboots drops the link; its ms clock restarts near 0. Without a new segment
    # the runtime would drop every sample until device time caught up with the old one.
    decoder = ms.MovesenseAccDecoder(7, 52)
    first = decoder.decode(ms.encode_acc_data(7, 3_600_000, np.zeros((4, 3))))
    assert not first.new_segment
    decoder.reset_link()
    after = decoder.decode(ms.encode_acc_data(7, 1_500, np.zeros((4, 3))))
    assert after.new_segment and after.lost_packets == 0 and after.t[0] == pytest.approx(1.5)
    assert not decoder.decode(ms.encode_acc_data(7, 1_500 + 77, np.zeros((4, 3)))).new_segment
