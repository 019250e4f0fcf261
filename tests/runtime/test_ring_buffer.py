import numpy as np
import pytest

from harnet_edge.runtime.ring_buffer import RingBuffer


def test_bursts_wrap_and_latest_returns_the_newest_in_order():
    ring = RingBuffer(10)
    for start in range(0, 37, 4):          # bursts of 4, wrapping many times
        t = np.arange(start, start + 4, dtype=float)
        ring.extend(t, np.stack([t] * 3, axis=1))
    t, x = ring.latest(10)
    assert t.tolist() == list(range(30, 40)) and np.array_equal(x[:, 0], t)
    assert len(ring) == 10 and ring.total == 40


def test_latest_is_a_view_when_contiguous():
    ring = RingBuffer(8)
    ring.extend(np.arange(6.0), np.zeros((6, 3)))
    t, _ = ring.latest(4)
    assert np.shares_memory(t, ring.t)


def test_since_skips_overwritten_samples_and_reports_position():
    ring = RingBuffer(5)
    ring.extend(np.arange(12.0), np.zeros((12, 3)))
    t, _, _, end = ring.since(3)
    assert t.tolist() == [7, 8, 9, 10, 11] and end == 12


def test_memory_is_fixed():
    ring = RingBuffer(100)
    before = (ring.t.nbytes, ring.x.nbytes)
    for _ in range(1000):
        ring.extend(np.zeros(7), np.zeros((7, 3)))
    assert (ring.t.nbytes, ring.x.nbytes) == before


def test_asking_for_more_than_held_is_an_error():
    with pytest.raises(ValueError):
        RingBuffer(4).latest(5)
