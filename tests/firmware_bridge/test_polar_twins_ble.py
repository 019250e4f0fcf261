"""Polar twins over the software Bluetooth stack (real GATT via bumble) into the real runtime:
the host chooses each model's rate, refusals reach the user in one line, 20 % frame loss is
counted and flagged without stretching time, and reboots start a new segment that loses nothing."""
import asyncio

import numpy as np
import pytest

from harnet_edge.firmware_bridge.polar_control import DeviceRefused
from harnet_edge.firmware_bridge.sources import SimulatedFleet
from harnet_edge.firmware_bridge.twins.polar import POLAR_MODELS
from harnet_edge.firmware_bridge.wearable import Faults
from harnet_edge.runtime import open_engine
from harnet_edge.runtime.defaults import default_model
from harnet_edge.runtime.pipeline import StreamRuntime
from harnet_edge.runtime.sources import run_sources
from tests.conftest import run_cli

pytestmark = pytest.mark.ble
WINDOW_S = 10.0


class Recorder:
    """A sink that keeps windows and status lines, and the batches the host ingested."""

    def __init__(self):
        self.records, self.statuses, self.batches = [], [], []

    def emit(self, result):
        self.records.append(result)

    def status(self, text):
        self.statuses.append(text)

    def close(self):
        pass


def stream(fleets, wall_s: float = 60.0):
    sink = Recorder()
    runtime = StreamRuntime(open_engine(default_model()), [sink])
    ingest = runtime.ingest
    runtime.ingest = lambda batch: (sink.batches.append(batch), ingest(batch))

    async def main():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(wall_s, stop.set)
        return await run_sources(runtime, fleets, stop)

    return asyncio.run(main()), sink, runtime


def test_every_model_streams_at_a_rate_the_host_chose():
    fleets = [SimulatedFleet(1, "polar", speed=20, rate_hz=50, duration_s=60, polar_model=key)
              for key in POLAR_MODELS]
    summary, sink, runtime = stream(fleets)
    for fleet in fleets:
        twin, session = fleet.wearables[0].twin, fleet.sessions[0]
        chosen = session.protocol.choice.rate_hz
        assert chosen in twin.rates and chosen == {"verity-sense": 52}.get(twin.model.key, 50)
        assert twin.clock.nominal_hz == chosen and twin.refusals == []
        assert session.protocol.counters["malformed"] == 0 and session.protocol.counters["lost"] == 0
        measured = runtime.devices[session.name].resampler.rate_hz          # device clock runs 1.5 % fast
        assert measured == pytest.approx(twin.clock.true_hz, rel=0.002)
    per_device = {r.device for r in sink.records if r.label}
    assert per_device == {f.sessions[0].name for f in fleets}               # each one classified
    assert not [f for r in sink.records for f in r.flags if f in ("out_of_range", "gravity_missing")]
    assert summary["dropped_backwards"] == 0 and summary["gaps"] == 0


def test_a_rate_the_twin_lacks_is_refused_and_reported_in_one_line():
    fleet = SimulatedFleet(1, "polar", speed=20, rate_hz=50, duration_s=120, polar_model="h10", host_rate_hz=52)
    with pytest.raises(DeviceRefused):
        stream([fleet])
    assert fleet.wearables[0].twin.refusals == [8]
    result = run_cli("stream", "--simulate", "1", "--profile", "polar", "--rate", "100", "--speed", "20x",
                     "--duration", "20", "--quiet", timeout=120)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "refused ACC at 100 Hz" in lines[0] and "invalid sample rate (status 8); it offers 52 Hz" in lines[0]


def test_stream_plays_the_polar_model_named_and_refuses_what_it_lacks_in_one_line():
    """`stream --simulate` reaches every twin the README lists: the H10 lacks 52 Hz (the twin refuses),
    and offers 25 Hz, which the host refuses itself (HARNet needs >= 30 Hz)."""
    for rate, expected in [("52", "refused ACC at 52 Hz, +-8 g, 16 bit: invalid sample rate (status 8); "
                                  "it offers 25, 50, 100, 200 Hz"),
                           ("25", "--rate 25 Hz is below the 30 Hz HARNet needs; Polar H10 1A2B3C00 offers "
                                  "25, 50, 100, 200 Hz")]:
        result = run_cli("stream", "--simulate", "1", "--profile", "polar", "--polar-model", "h10", "--rate", rate,
                         "--speed", "20x", "--duration", "20", "--quiet", timeout=120)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and expected in lines[0], result.stderr


def test_simulate_self_check_says_what_the_host_chose_and_fails_when_the_host_got_nothing():
    played = run_cli("simulate", "--profile", "polar", "--polar-model", "h10", "--duration", "8", "--speed", "2",
                     timeout=120)
    assert played.returncode == 0, played.stderr
    assert '"host_rate_hz": 50' in played.stdout and '"host_samples": 0' not in played.stdout
    # At 100x the 5 s of device time are over before the host has connected: say so, exit 2.
    rushed = run_cli("simulate", "--profile", "polar", "--duration", "5", "--speed", "100", timeout=120)
    lines = rushed.stderr.strip().splitlines()
    assert rushed.returncode == 2 and len(lines) == 1 and "host received no samples" in lines[0], rushed.stderr


def test_20_percent_frame_loss_is_counted_flagged_and_never_stretched():
    fleet = SimulatedFleet(1, "polar", speed=20, rate_hz=52, duration_s=150,
                           faults=Faults(drop_probability=0.2, seed=4), polar_model="verity-sense")
    summary, sink, runtime = stream([fleet])
    wearable, protocol = fleet.wearables[0], fleet.sessions[0].protocol
    # A loss shows only between two frames the host received: count the drops between its first and last.
    received = (sink.batches[0].t[0], sink.batches[-1].t[-1])
    inferable = [t for t in wearable.dropped_times if received[0] < t < received[1]]
    assert len(inferable) > 20
    assert protocol.counters["lost"] == summary["packets_lost"] == len(inferable)
    true_hz = wearable.clock.true_hz
    for batch in sink.batches:    # a batch holds one frame (a few at the start): holes only between frames
        spacing = np.diff(batch.t) * true_hz
        assert np.all((np.abs(spacing - 1) < 0.01) | (spacing > 1.5))
    covered = 0
    for record in sink.records:
        lost_inside = [t for t in wearable.dropped_times if record.start <= t < record.end]
        covered += len(lost_inside)
        if lost_inside:
            assert any(f.startswith("packets_lost") for f in record.flags), (record.start, lost_inside)
    # A single lost frame is bridged and flagged, not a gap that throws the window away.
    print(f"{covered} of {wearable.dropped} lost frames fall in emitted windows")
    assert covered >= 0.5 * len(inferable)
    assert summary["dropped_backwards"] == 0


@pytest.mark.parametrize("profile", ["polar", "reference"])
def test_a_reboot_mid_stream_starts_a_new_segment_and_loses_nothing(profile):
    """H10 twin (its clock restarts at 2000-01-01) or the reference firmware (u32 us since power-on,
    sequence from 0, after 20 min of uptime): reboot after 25 s of streaming, then reconnect."""
    fleet = SimulatedFleet(1, profile, speed=20, rate_hz=50, duration_s=110,
                           faults=Faults(reboot_every_s=25, seed=1), polar_model="h10")
    summary, sink, runtime = stream([fleet])
    wearable = fleet.wearables[0]
    assert wearable.reboots == 1
    assert summary["dropped_backwards"] == 0 and summary["clock_resets"] == 1
    assert sum(1 for s in sink.statuses if "device clock restarted" in s) == 1
    pipeline = runtime.devices[fleet.sessions[0].name]
    assert pipeline.samples_overwritten == 0
    assert sum(len(b.t) for b in sink.batches) == pipeline.raw.total == pipeline.read_index   # all processed
    # The new segment: where ingested device time goes back. Windows resume within one window length.
    starts = [b.t[0] for prev, b in zip(sink.batches, sink.batches[1:]) if b.t[0] < prev.t[-1]]
    assert len(starts) == 1
    first = next(k for k in range(1, len(sink.records)) if sink.records[k].start < sink.records[k - 1].start)
    assert sink.records[first].end <= starts[0] + WINDOW_S + 0.1 and "after_gap" in sink.records[first].flags
    assert sink.records[first].label is not None
