"""One anti-aliasing design, offline and live: >= 40 dB down at 15 Hz and above for 50-100 Hz
input, the activity band (< 10 Hz) kept, and both paths giving the same 30 Hz samples."""
import numpy as np
import pytest

from harnet_edge.data import resample_to_rate
from harnet_edge.data.antialias import antialias_taps, group_delay_s, response_db
from harnet_edge.runtime.resampler import Resampler30Hz


def tone(rate, freq, seconds=30.0, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    xyz = np.zeros((len(t), 3))
    xyz[:, 0] = amplitude * np.sin(2 * np.pi * freq * t + 0.3)
    xyz[:, 2] = 1.0
    return t, xyz


def live(t, xyz, burst=9):
    r = Resampler30Hz()
    outs = [r.push(t[a:a + burst], xyz[a:a + burst]) for a in range(0, len(t), burst)]
    return np.concatenate([o.t for o in outs]), np.concatenate([o.x for o in outs])


def offline(t, xyz):
    return resample_to_rate(t, xyz)


def gain_db(out_x, amplitude=0.5):
    core = out_x[60:-60, 0]                        # away from the start-up and the edges
    return 20 * np.log10(np.sqrt(2) * np.std(core) / amplitude)


@pytest.mark.parametrize("rate", [50, 52, 100])
def test_design_is_40_db_down_from_15_hz_and_flat_below_10_hz(rate):
    taps = antialias_taps(rate)
    assert response_db(taps, rate, [15.0, 16.0, 20.0, 25.0]).max() < -40
    assert np.abs(response_db(taps, rate, [0.5, 2.0, 5.0, 8.0, 10.0])).max() < 0.1
    assert 0.25 < group_delay_s(rate) < 0.4        # the live latency it adds, the same at every rate


@pytest.mark.parametrize("path", [live, offline])
@pytest.mark.parametrize("rate", [50, 52, 100])
@pytest.mark.parametrize("freq", [16.0, 18.0, 20.0])
def test_tones_between_16_and_20_hz_do_not_fold_into_the_30_hz_stream(path, rate, freq):
    """Without the filter a 16-20 Hz tone lands at 10-14 Hz with its full amplitude."""
    t, xyz = tone(rate, freq)
    _, out = path(t, xyz)
    assert gain_db(out) < -40


@pytest.mark.parametrize("path", [live, offline])
@pytest.mark.parametrize("freq", [1.0, 3.0, 8.0])
def test_activity_band_passes(path, freq):
    t, xyz = tone(100, freq)
    _, out = path(t, xyz)
    # 8 Hz at 30 Hz loses a little to the final linear interpolation, not to the low-pass.
    assert gain_db(out) > -1.0
    assert np.allclose(out[60:-60, 2], 1.0, atol=1e-3)


def test_live_and_offline_paths_give_the_same_samples():
    """No train/serve skew: the causal live filter with its delay taken off equals the offline one."""
    rng = np.random.default_rng(0)
    t = np.arange(100 * 40) / 100.0
    walk = np.stack([0.4 * np.sin(2 * np.pi * 1.9 * t), 0.2 * np.sin(2 * np.pi * 3.7 * t + 1),
                     -0.9 + 0.1 * np.sin(2 * np.pi * 0.7 * t)], axis=1)
    xyz = walk + 0.05 * rng.normal(size=walk.shape)          # broadband noise up to 50 Hz
    live_t, live_x = live(t, xyz)
    off_t, off_x = offline(t, xyz)
    core = (live_t > 2) & (live_t < 38)
    # The grids are offset by the filter delay, so read the offline stream at the live times.
    off_at_live = np.stack([np.interp(live_t[core], off_t, off_x[:, a]) for a in range(3)], axis=1)
    assert np.abs(live_x[core] - off_at_live).max() < 0.02
