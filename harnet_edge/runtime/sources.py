"""Sources that feed the runtime, and the asyncio loop that runs several at once.

A source is anything with ``async def run(runtime)`` that calls ``runtime.ingest(SampleBatch)`` and
``runtime.status(...)``; BLE devices come from ``firmware_bridge``, replayed files from here.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np

from .samples import SampleBatch


class ReplaySource:
    """A recorded CSV (time,x,y,z[,label,subject]) played at real or accelerated speed."""

    def __init__(self, path, device: str | None = None, speed: float = 1.0, burst: int = 8):
        from ..data.csv_file import read_csv

        self.path = Path(path)
        self.device = device or self.path.name.split(".")[0]
        recordings = read_csv(self.path)
        self.t = np.concatenate([r.t for r in recordings])
        self.xyz = np.concatenate([r.xyz for r in recordings])
        self.speed = speed
        self.burst = burst

    async def run(self, runtime) -> None:
        pipeline = runtime.add_device(self.device)
        start_wall, start_t = time.monotonic(), self.t[0]
        for a in range(0, len(self.t), self.burst):
            t, xyz = self.t[a:a + self.burst], self.xyz[a:a + self.burst]
            if self.speed > 0:
                due = start_wall + (t[-1] - start_t) / self.speed
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                # As fast as possible, but a file can wait: never run ahead of the runtime by more
                # than half the device's ring buffer, so no sample is overwritten unread.
                while pipeline.unread > pipeline.raw.capacity // 2:
                    runtime.notify()
                    await asyncio.sleep(0.001)
            runtime.ingest(SampleBatch(self.device, t, xyz))
            runtime.notify()
        runtime.status(self.device, "replay finished")


async def run_sources(runtime, sources, stop: asyncio.Event | None = None, tick_s: float = 0.05) -> dict:
    """Run sources concurrently; classify as windows become ready; stop when all end or on ``stop``."""
    stop = stop or asyncio.Event()
    wake = asyncio.Event()
    runtime.notify = wake.set
    tasks = [asyncio.create_task(source.run(runtime)) for source in sources]
    try:
        while not stop.is_set() and not all(t.done() for t in tasks):
            try:
                await asyncio.wait_for(wake.wait(), tick_s)
            except asyncio.TimeoutError:
                pass
            wake.clear()
            runtime.step()
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        runtime.step()
    for t in tasks:
        if t.done() and not t.cancelled() and t.exception() is not None:
            raise t.exception()
    return runtime.summary()
