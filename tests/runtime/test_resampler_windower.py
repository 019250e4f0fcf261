import numpy as np
import pytest

from harnet_edge.data.antialias import group_delay_s
from harnet_edge.runtime.resampler import Resampler30Hz
from harnet_edge.runtime.windower import Windower


def stream(rate, seconds=40.0, jitter=0.002, drift=1.0002, seed=0, freq=1.5):
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.sort(np.arange(n) / rate * drift + rng.normal(0, jitter, n))
    x = np.zeros((n, 3))
    x[:, 0] = 0.5 * np.sin(2 * np.pi * freq * t)
    x[:, 2] = 1.0
    return t, x


def push_in_bursts(resampler, t, x, burst=7):
    outs = [resampler.push(t[a:a + burst], x[a:a + burst]) for a in range(0, len(t), burst)]
    return (np.concatenate([o.t for o in outs]), np.concatenate([o.x for o in outs]),
            [g for o in outs for g in o.gaps])


@pytest.mark.parametrize("rate", [25, 26, 50, 52, 100])
def test_any_rate_with_jitter_and_drift_becomes_exact_30hz(rate):
    t, x = stream(rate)
    r = Resampler30Hz()
    gt, gx, gaps = push_in_bursts(r, t, x)
    assert np.allclose(np.diff(gt), 1 / 30) and not gaps
    assert abs(r.rate_hz - rate) / rate < 0.01
    # The grid starts at the first sample and ends one filter delay before the last (still in the filter).
    assert abs(len(gt) - (40 - group_delay_s(rate)) * 30) < 5
    truth = 0.5 * np.sin(2 * np.pi * 1.5 * gt)
    assert np.abs(gx[30:, 0] - truth[30:]).max() < 0.05       # causal filter, delay compensated
    assert np.allclose(gx[30:, 2], 1.0, atol=1e-3)


def test_causal_antialiasing_removes_fold_over():
    t, x = stream(100, freq=40.0, jitter=0.0)
    _, gx, _ = push_in_bursts(Resampler30Hz(), t, x)
    assert np.std(gx[60:, 0]) < 0.03          # 40 Hz would alias to 10 Hz at amplitude ~0.5


def test_gap_restarts_the_grid_and_is_reported():
    t, x = stream(50, seconds=60)
    keep = (t < 20) | (t > 23)
    gt, _, gaps = push_in_bursts(Resampler30Hz(), t[keep], x[keep])
    assert len(gaps) == 1 and 2.9 < gaps[0][1] - gaps[0][0] < 3.1
    assert not np.any((gt > 20.05) & (gt < 22.9))     # nothing invented inside the hole


def test_backwards_and_non_finite_samples_are_dropped_and_counted():
    t, x = stream(50, seconds=10)
    t[100] = t[50]
    x[200, 1] = np.nan
    r = Resampler30Hz()
    gt, gx, _ = push_in_bursts(r, t, x)
    assert r.counters["dropped_backwards"] == 1 and r.counters["dropped_non_finite"] == 1
    assert np.isfinite(gx).all() and np.all(np.diff(gt) > 0)


def test_windower_emits_on_hop_and_never_across_gaps():
    w = Windower("d", 300, 150)
    t = np.arange(900) / 30
    x = np.zeros((900, 3), np.float32)
    x[:, 2] = 1
    out = w.push(t[:450], x[:450], np.zeros(450))
    assert [round(o.start, 2) for o in out] == [0.0, 5.0]
    w.gap()
    out = w.push(t[450:700], x[450:700], np.zeros(250))
    assert out == []                                    # 250 samples after the gap: not yet a window
    out = w.push(t[700:], x[700:], np.zeros(200))
    assert [round(o.start, 2) for o in out] == [15.0, 20.0]   # first window starts right after the gap
    assert "after_gap" in out[0].flags and "after_gap" not in out[1].flags
    assert out[0].x.shape == (3, 300)


def test_windows_in_ms2_are_flagged():
    w = Windower("d", 300)
    x = np.zeros((300, 3), np.float32)
    x[:, 2] = 9.81
    [win] = w.push(np.arange(300) / 30, x, np.zeros(300))
    assert "units_look_like_m/s^2" in win.flags
