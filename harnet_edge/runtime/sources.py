"""Sources that feed the runtime, and the asyncio loop that runs several at once.

A source is anything with ``async def run(runtime)`` (the ``Source`` protocol below); BLE devices
come from ``firmware_bridge``, replayed files from here.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Protocol, runtime_checkable


from .samples import SampleBatch


@runtime_checkable
class Source(Protocol):
    """Where samples come from: a BLE device, a software wearable fleet, a replayed file.

    Contract: ``await run(runtime)`` registers each device it feeds (``runtime.add_device(name,
    nominal_rate)``), passes its samples as ``runtime.ingest(SampleBatch)`` (t in seconds, strictly the
    device's own clock; x/y/z in g) followed by ``runtime.notify()``, reports what happens to it with
    ``runtime.status(device, text)`` and lost packets with ``runtime.note_loss``; it returns when the
    source is exhausted and stops promptly, without losing what it already ingested, when its task is
    cancelled (Ctrl-C). It never blocks the event loop.
    """

    async def run(self, runtime) -> None: ...


class ReplaySource:
    """A recorded CSV (time,x,y,z[,label,subject]) played at real or accelerated speed.

    The file is read a chunk at a time (a week at 100 Hz replays in bounded memory); its header,
    first chunk and time axis are checked when the source is made, so a unit mistake is refused
    before any window is classified.
    """

    def __init__(self, path, device: str | None = None, speed: float = 1.0, burst: int = 8,
                 chunk_bytes: int = 1 << 20):
        from ..data.csv_chunks import iter_csv_chunks

        self.path = Path(path)
        self.device = device or self.path.name.split(".")[0]
        self.chunks = iter_csv_chunks(self.path, chunk_bytes)
        self.first = next(self.chunks)
        self.speed = speed
        self.burst = burst

    def _chunks(self):
        yield self.first
        yield from self.chunks

    async def run(self, runtime) -> None:
        pipeline = runtime.add_device(self.device)
        start_wall, start_t = time.monotonic(), self.first.t[0]
        # As fast as possible, a file can wait: bursts of a quarter of the device's ring buffer, and
        # never more than half of it unread, so no sample is overwritten before it is processed.
        burst = self.burst if self.speed > 0 else max(self.burst, pipeline.raw.capacity // 4)
        for chunk in self._chunks():
            for a in range(0, len(chunk.t), burst):
                t, xyz = chunk.t[a:a + burst], chunk.xyz[a:a + burst]
                if self.speed > 0:
                    due = start_wall + (t[-1] - start_t) / self.speed
                    delay = due - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                else:
                    while pipeline.unread > pipeline.raw.capacity // 2:
                        runtime.notify()
                        await asyncio.sleep(0)
                runtime.ingest(SampleBatch(self.device, t, xyz))
                runtime.notify()
            await asyncio.sleep(0)     # reading the next chunk blocks: let the others run first
        pipeline.end_of_stream()
        runtime.notify()
        runtime.status(self.device, "replay finished")


async def run_sources(runtime, sources, stop: asyncio.Event | None = None, tick_s: float = 0.05) -> dict:
    """Run sources concurrently; classify as windows become ready; stop when all end or on ``stop``.

    The model runs in one worker thread, so notifications keep arriving (and are time-stamped on
    arrival) while it computes; one batch is in flight at a time."""
    from concurrent.futures import ThreadPoolExecutor

    stop = stop or asyncio.Event()
    wake = asyncio.Event()
    runtime.notify = wake.set
    inference = ThreadPoolExecutor(1, thread_name_prefix="inference")
    tasks = [asyncio.create_task(source.run(runtime)) for source in sources]
    try:
        while not stop.is_set() and not all(t.done() for t in tasks):
            try:
                await asyncio.wait_for(wake.wait(), tick_s)
            except asyncio.TimeoutError:
                pass
            wake.clear()
            await runtime.step_off_loop(inference)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await runtime.step_off_loop(inference)   # windows completed by the last samples
        finally:
            inference.shutdown(wait=True)
    for t in tasks:
        if t.done() and not t.cancelled() and t.exception() is not None:
            raise t.exception()
    return runtime.summary()
