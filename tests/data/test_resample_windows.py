import numpy as np

from harnet_edge.data import Recording, make_windows, resample_to_rate, resize_window, split_at_gaps


def tone(rate, freq, seconds=20.0, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    xyz = np.zeros((len(t), 3))
    xyz[:, 0] = amplitude * np.sin(2 * np.pi * freq * t)
    xyz[:, 2] = 1.0
    return t, xyz


def test_resample_keeps_in_band_motion():
    t, xyz = tone(100, 2.0)
    grid, out = resample_to_rate(t, xyz)
    assert np.allclose(np.diff(grid), 1 / 30)
    expected = 0.5 * np.sin(2 * np.pi * 2.0 * grid)
    core = slice(60, -60)
    assert np.max(np.abs(out[core, 0] - expected[core])) < 0.03
    assert np.allclose(out[core, 2], 1.0, atol=1e-3)


def test_resample_removes_aliasing_tone():
    """A 40 Hz tone sampled at 100 Hz would fold to 10 Hz at 30 Hz without a low-pass."""
    t, xyz = tone(100, 40.0)
    _, out = resample_to_rate(t, xyz)
    naive = xyz[np.round(np.arange(0, len(t), 100 / 30)).astype(int)[:-1], 0]
    assert np.std(naive) > 0.2
    assert np.std(out[60:-60, 0]) < 0.02


def test_paper_resize_is_linear_and_exact_length():
    w = np.stack([np.linspace(0, 1, 320)] * 3, axis=1)
    out = resize_window(w, 300)
    assert out.shape == (300, 3) and np.allclose(out[:, 0], np.linspace(0, 1, 300))


def test_windows_never_span_a_gap():
    t, xyz = tone(50, 1.0, seconds=60)
    keep = (t < 25) | (t > 31)  # a 6 s hole
    rec = Recording(t[keep], xyz[keep], "s1", "walk")
    assert len(split_at_gaps(rec.t, 0.1)) == 2
    windows = make_windows([rec], window_s=10, hop_s=5)
    starts = windows.start_s
    assert all((s + 10 <= 25 + 1e-6) or (s >= 31 - 1e-6) for s in starts)
    assert windows.stats["windows_dropped_for_gaps"] > 0
    assert len(windows) == 8  # starts 0, 5, 10, 15 before the hole and 31, 36, 41, 46 after
