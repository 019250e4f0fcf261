"""One wearable kept streaming into the runtime: connect, start, decode, reconnect with backoff.

Disconnects are expected on a wrist: the session marks them, waits, and resumes. The runtime sees
the hole in the device timestamps and never stitches across it; packets lost on a live link are
reported so the windows they fall in are flagged.

Connection attempts are bounded (``RetryPolicy``): after that many failures in a row the session
raises a ``ConnectFailure`` naming the likely cause. A data watchdog treats a link that carries no
notification for ``data_timeout_s`` as lost; a device that connects but never sends counts as a
failed attempt. On exit (end of stream, Ctrl-C) the device is told to stop streaming.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

from harnet_edge.runtime.samples import SampleBatch

from .connect import NO_DATA, ConnectFailure, RetryPolicy, explain
from .polar_control import DeviceRefused
from .protocols import protocol_for
from .transport import TransportError

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 2.0


def _raise_if_cancelled() -> None:
    """Honour a cancellation (Ctrl-C) that an inner await swallowed. On Python 3.11 asyncio.wait_for
    returns the result when the awaited connect completes in the same step as the cancel, so the
    session would go on streaming and the stop would wait for it forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class DeviceSession:
    def __init__(self, name: str, transport, protocol=None, rate_hz: float | None = None,
                 backoff_s: float = 1.0, max_backoff_s: float = 30.0, max_attempts: int | None = None,
                 data_timeout_s: float = 5.0):
        self.name, self.transport, self.protocol, self.rate_hz = name, transport, protocol, rate_hz
        self.retry = RetryPolicy(max_attempts or 0, backoff_s, max_backoff_s)
        self.data_timeout_s = data_timeout_s
        self.connects = 0
        self.disconnects = 0
        self.watchdog_reconnects = 0
        self.stops_sent = 0
        self.samples = 0
        self.connected = asyncio.Event()
        self.labels = self.labels_at_start = 0      # labels made on the wearable (on-device protocol)
        self._last_data = 0.0
        self.samples_at_start = 0
        self._streaming = False

    async def run(self, runtime) -> None:
        failures = 0
        try:
            while True:
                lost_link = asyncio.Event()
                self.transport.on_disconnect(lost_link.set)
                try:
                    await self._start(runtime)
                except DeviceRefused as exc:       # asking again cannot help: one line, then stop
                    runtime.status(self.name, str(exc))
                    raise
                except (TransportError, OSError, asyncio.TimeoutError) as exc:
                    failure = explain(exc, self.name, "connect")
                    failures += 1
                    await self._give_up_or_wait(runtime, failure, failures)
                    continue
                _raise_if_cancelled()
                self.connects += 1
                self.connected.set()
                runtime.status(self.name, "connected" if self.connects == 1 else "reconnected",
                               reconnect=self.connects > 1)
                delivered = await self._stream_until_lost(lost_link)
                self.connected.clear()
                self._streaming = False          # the link is gone (or was dropped by the watchdog)
                if delivered:
                    failures = 0
                    self.disconnects += 1
                    runtime.status(self.name, "disconnected; reconnecting")
                    await asyncio.sleep(min(self.retry.first_backoff_s, self.retry.max_backoff_s))
                else:
                    failures += 1
                    await self._give_up_or_wait(runtime, ConnectFailure(
                        f"{self.name} connected but sent no data for {self.data_timeout_s:g} s after the start "
                        "command (another app may own the sensor, the device refused the settings, or it notifies less "
                        "often than that: raise --data-timeout)", NO_DATA),
                        failures)
        finally:
            await self._stop_device()

    async def _start(self, runtime) -> None:
        await self.transport.connect()
        _raise_if_cancelled()          # Ctrl-C as the link came up: do not start the device
        if self.protocol is None:      # chosen once, from what the device offers
            self.protocol = protocol_for("auto", self.transport.services)
        nominal = await self.protocol.start(self.transport, self.rate_hz)
        self._streaming = True         # from here on, leaving means telling the device to stop
        runtime.add_device(self.name, nominal, max_gap_s=getattr(self.protocol, "max_gap_s", None))
        self._last_data = asyncio.get_running_loop().time()
        self.samples_at_start, self.labels_at_start = self.samples, self.labels
        if getattr(self.protocol, "owns_data_subscription", False):
            # Replies and data share one characteristic, which start() subscribed to.
            self.protocol.deliver = self._on_data(runtime)
        else:
            await self.transport.subscribe(self.protocol.data_uuid, self._on_data(runtime))

    async def _stream_until_lost(self, lost_link: asyncio.Event) -> bool:
        """Wait for link loss or a silent link; True if this connection delivered any samples."""
        loop = asyncio.get_running_loop()
        # A protocol that notifies rarely (one label per 10 s window) says how long silence is normal.
        timeout = max(self.data_timeout_s, getattr(self.protocol, "max_silence_s", 0.0))
        while not lost_link.is_set():
            _raise_if_cancelled()
            silent_for = loop.time() - self._last_data
            if silent_for >= timeout:
                self.watchdog_reconnects += 1
                log.info("%s: no notification for %.1f s; reconnecting", self.name, silent_for)
                await self._disconnect_quietly()
                break
            try:
                await asyncio.wait_for(lost_link.wait(), timeout - silent_for)
            except asyncio.TimeoutError:
                pass
        return self.samples > self.samples_at_start or self.labels > self.labels_at_start

    async def _give_up_or_wait(self, runtime, failure: ConnectFailure, failures: int) -> None:
        await self._disconnect_quietly()
        if self.retry.exhausted(failures):
            raise ConnectFailure(f"{self.name}: gave up after {failures} attempts: {failure}", failure.cause) \
                from None
        wait = self.retry.wait_s(failures)
        limit = f"/{self.retry.attempts}" if self.retry.attempts else ""
        runtime.status(self.name, f"connect failed ({failure}); retry {failures}{limit} in {wait:g} s")
        await asyncio.sleep(wait)

    async def _disconnect_quietly(self) -> None:
        self._streaming = False
        try:
            await asyncio.wait_for(self.transport.disconnect(), STOP_TIMEOUT_S)
        except Exception as exc:       # the link may already be gone
            log.debug("%s: disconnect: %s", self.name, exc)

    async def _stop_device(self) -> None:
        """Tell the device to stop streaming, then disconnect; bounded, and safe during cancellation."""
        if self._streaming and self.protocol is not None and hasattr(self.protocol, "stop"):
            try:
                await asyncio.wait_for(self.protocol.stop(self.transport), STOP_TIMEOUT_S)
                self.stops_sent += 1
            except Exception as exc:
                log.info("%s: could not stop the stream: %s", self.name, exc)
        await self._disconnect_quietly()

    def _on_data(self, runtime) -> Callable[[bytes], None]:
        def handle(data: bytes) -> None:
            self._last_data = asyncio.get_running_loop().time()
            decoded = self.protocol.decode(data)
            if decoded is None:
                return                      # counted and logged by the decoder
            if not hasattr(decoded, "xyz"):  # a label the wearable computed itself (on_device.DecodedLabel)
                runtime.on_device_label(self.name, decoded)
                self.labels += 1
                return
            if decoded.new_segment:
                runtime.status(self.name, "device clock restarted (reboot?): new segment", clock_reset=True)
            if decoded.losses:
                for hole_start, hole_end, packets in decoded.losses:
                    runtime.note_loss(self.name, hole_end, packets, hole_start)
            elif decoded.lost_packets:
                runtime.note_loss(self.name, float(decoded.t[0]), decoded.lost_packets)
            runtime.ingest(SampleBatch(self.name, decoded.t, decoded.xyz))
            runtime.notify()
            self.samples += len(decoded.t)
        return handle
