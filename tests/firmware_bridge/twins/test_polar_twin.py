"""The Polar twins against the host's PMD protocol, over an in-memory control point (no radio):
settings as each model documents them, refusals with the device's codes, frames within the MTU."""
import asyncio

import numpy as np
import pytest

from harnet_edge.firmware_bridge import polar_control as ctl, polar_pmd as pmd
from harnet_edge.firmware_bridge.protocols import PolarPmdProtocol
from harnet_edge.firmware_bridge.transport import Transport
from harnet_edge.firmware_bridge.twins.polar import POLAR_MODELS, PolarModel, PolarTwin


class ControlLink(Transport):
    """Writes reach the twin's control point; its answers come back as indications."""

    def __init__(self, twin: PolarTwin, name: str = "Polar twin"):
        self.twin, self.name = twin, name
        self.services = {pmd.SERVICE_UUID}
        self.indicate = None

    async def subscribe(self, uuid, callback):
        self.indicate = callback

    async def write(self, uuid, data):
        answer = self.twin.on_control(data)
        asyncio.get_running_loop().call_soon(self.indicate, answer)

    async def connect(self):            # already "connected": the twin is in memory
        pass

    async def disconnect(self):
        pass

    async def read(self, uuid):
        raise NotImplementedError("the PMD protocol only writes and subscribes")


def start(twin: PolarTwin, rate_hz=None) -> PolarPmdProtocol:
    protocol = PolarPmdProtocol()
    asyncio.run(protocol.start(ControlLink(twin), rate_hz))
    return protocol


@pytest.mark.parametrize("key, rate", [("verity-sense", 52), ("h10", 50), ("oh1", 50), ("polar-360", 50)])
def test_host_starts_each_model_at_a_rate_it_offers(key, rate):
    twin = PolarTwin(POLAR_MODELS[key])
    protocol = start(twin)
    assert protocol.choice.rate_hz == rate and twin.streaming and twin.clock.nominal_hz == rate
    assert protocol.choice.range_g == 8 and protocol.choice.resolution_bits == 16
    assert protocol.offered[ctl.SETTING_RATE] == list(POLAR_MODELS[key].rates_hz)
    assert protocol.decoder.factor == pytest.approx(POLAR_MODELS[key].factor)


def test_sdk_mode_tables_and_an_explicit_rate():
    assert start(PolarTwin(POLAR_MODELS["verity-sense"], sdk_mode=True)).choice.rate_hz == 52
    assert start(PolarTwin(POLAR_MODELS["polar-360"], sdk_mode=True)).choice.rate_hz == 50
    assert start(PolarTwin(POLAR_MODELS["h10"]), rate_hz=100).choice.rate_hz == 100


def test_a_rate_the_model_lacks_is_refused_by_the_twin_and_reported_in_one_line():
    twin = PolarTwin(POLAR_MODELS["h10"])
    with pytest.raises(ctl.DeviceRefused) as refused:
        start(twin, rate_hz=52)
    assert twin.refusals == [ctl.ERROR_INVALID_SAMPLE_RATE] and not twin.streaming
    assert str(refused.value) == ("Polar twin refused ACC at 52 Hz, +-8 g, 16 bit: invalid sample rate (status 8); "
                                  "it offers 25, 50, 100, 200 Hz")


def test_a_device_slower_than_30_hz_is_refused_by_the_host():
    slow = PolarModel("slow", "Slow", (10, 25), (8,), 0x01)
    with pytest.raises(ctl.DeviceRefused, match="offers ACC at 10, 25 Hz; HARNet needs >= 30 Hz"):
        start(PolarTwin(slow))


def test_twin_refusal_codes():
    twin = PolarTwin(POLAR_MODELS["h10"])
    answer = lambda command: ctl.ControlResponse.decode(twin.on_control(command)).status
    assert answer(ctl.start_acc_command(50, 16, 16)) == ctl.ERROR_INVALID_RANGE
    assert answer(ctl.start_acc_command(50, 14, 8)) == ctl.ERROR_INVALID_RESOLUTION
    assert answer(bytes([ctl.OP_START, 0x00]) + ctl.start_acc_command(50)[2:]) == ctl.ERROR_INVALID_MEASUREMENT_TYPE
    assert answer(bytes([0x07, ctl.MEASUREMENT_ACC])) == ctl.ERROR_INVALID_OP_CODE
    assert answer(ctl.stop_acc_command()) == ctl.ERROR_ALREADY_IN_STATE
    assert answer(ctl.start_acc_command(50)[:5]) == ctl.ERROR_INVALID_LENGTH
    assert answer(ctl.start_acc_command(50)) == 0
    assert answer(ctl.start_acc_command(50)) == ctl.ERROR_ALREADY_IN_STATE


@pytest.mark.parametrize("key", list(POLAR_MODELS))
@pytest.mark.parametrize("limit", [20, 244])
def test_frames_fit_the_mtu_and_decode_to_the_signal(key, limit):
    twin = PolarTwin(POLAR_MODELS[key])
    protocol = start(twin)
    rng = np.random.default_rng(0)
    signal = np.cumsum(rng.normal(0, 0.05, (4000, 3)), axis=0).clip(-7, 7) + [0, 0, -1]
    sent, got, position = 0, [], 0
    for _ in range(30):
        n, frame = twin.next_frame(lambda k: signal[position:position + k], limit)
        position += n
        assert len(frame) <= limit and 1 <= n <= POLAR_MODELS[key].max_frame_samples
        decoded = protocol.decode(frame)
        got += [decoded.xyz] if decoded else []
    got = np.concatenate(got + [protocol.decoder.flush().xyz] if protocol.decoder._held else got)
    unit = POLAR_MODELS[key].factor if POLAR_MODELS[key].frame_type == 0x80 else 0.001
    assert np.abs(got - signal[:len(got)]).max() <= unit * 0.51 + 1e-6


def test_a_sensor_still_streaming_for_an_earlier_host_is_stopped_and_restarted():
    twin = PolarTwin(POLAR_MODELS["h10"])
    twin.on_control(ctl.start_acc_command(100))          # an earlier session left it streaming at 100 Hz
    protocol = start(twin)
    assert twin.refusals == [ctl.ERROR_ALREADY_IN_STATE] and twin.streaming and twin.clock.nominal_hz == 50
    assert protocol.choice.rate_hz == 50


def test_a_named_rate_below_30_hz_is_refused_by_the_host_even_if_the_device_offers_it():
    """H10 offers 25 Hz and would stream it; HARNet would then classify upsampled guesswork."""
    twin = PolarTwin(POLAR_MODELS["h10"])
    with pytest.raises(ctl.DeviceRefused, match=r"--rate 25 Hz is below the 30 Hz HARNet needs; "
                                                 r"Polar twin offers 25, 50, 100, 200 Hz"):
        start(twin, rate_hz=25)
    assert not twin.streaming


@pytest.mark.parametrize("rate", [70000, float("inf"), float("nan")])
def test_a_named_rate_that_no_pmd_command_can_carry_is_one_line_not_a_traceback(rate):
    with pytest.raises(ctl.DeviceRefused, match="is not a rate a Polar sensor can be asked for"):
        start(PolarTwin(POLAR_MODELS["h10"]), rate_hz=rate)


@pytest.mark.parametrize("factor", [0.0, float("nan"), float("inf"), -0.5])
def test_a_start_response_with_an_unusable_factor_is_refused_in_one_line(factor):
    """The factor scales every sample: 0 or NaN would stream zeros or NaN as if they were motion."""
    twin = PolarTwin(PolarModel("odd", "Odd", (50,), (8,), 0x80, factor=factor))
    with pytest.raises(ctl.DeviceRefused, match="unusable ACC scale factor"):
        start(twin)
    assert not twin.streaming           # and the stream it had started is stopped again


class AnswersWith(PolarTwin):
    """An H10 twin whose answer to one op code is replaced by the given bytes."""

    def __init__(self, op: int, answer: bytes):
        super().__init__(POLAR_MODELS["h10"])
        self.op, self.answer = op, answer

    def on_control(self, command: bytes) -> bytes:
        return self.answer if command[0] == self.op else super().on_control(command)


@pytest.mark.parametrize("op, answer", [
    (ctl.OP_GET_SETTINGS, bytes([0xF0, 1, 2, 0, 0, 7, 1, 0])),        # setting type 7 does not exist
    (ctl.OP_GET_SETTINGS, bytes([0xF0, 1, 2, 0, 0, 0, 2, 0x32])),     # two rates announced, half of one sent
    (ctl.OP_START, bytes([0xF0, 2, 2, 0, 0, 9, 9])),                  # success with unreadable parameters
])
def test_an_unreadable_answer_is_a_one_line_refusal_not_a_traceback(op, answer):
    with pytest.raises(ctl.DeviceRefused, match="unreadable answer"):
        start(AnswersWith(op, answer))
