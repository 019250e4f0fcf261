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
    """Hours of bursts leave nothing behind: the same arrays are reused (no reallocation) and no
    memory is retained beyond them, whatever the burst size (also bursts larger than the ring)."""
    import tracemalloc

    ring = RingBuffer(100)
    arrays = (ring.t, ring.x, ring.arrival)
    bursts = [(np.arange(n, dtype=float), np.ones((n, 3))) for n in (1, 7, 64, 250)]
    tracemalloc.start()
    try:
        for t, x in bursts * 5:                      # warm-up: any one-off allocation happens here
            ring.extend(t, x)
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(500):
            for t, x in bursts:
                ring.extend(t, x)
        retained = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert all(a is b for a, b in zip((ring.t, ring.x, ring.arrival), arrays))
    assert retained < 4096, f"{retained} bytes retained after 2,000 bursts"
    assert ring.latest(100)[0].tolist() == list(range(150, 250))   # a burst larger than the ring: its newest


def test_asking_for_more_than_held_is_an_error():
    with pytest.raises(ValueError):
        RingBuffer(4).latest(5)
