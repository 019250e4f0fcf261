"""Ctrl-C that lands as a connect completes: Python 3.11's asyncio.wait_for then returns the connection
and drops the cancellation. The session must still stop (and tell the device), not stream on forever."""
import asyncio

from harnet_edge.firmware_bridge.session import DeviceSession
from harnet_edge.firmware_bridge.transport import Transport


class SwallowingTransport(Transport):
    """connect() behaves like wait_for(connect) on 3.11 when the cancel and the connection coincide."""

    def __init__(self):
        super().__init__()
        self.services, self.writes, self.connecting = {"svc"}, [], asyncio.Event()

    async def connect(self):
        self.connecting.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass                               # the connection completed in the same step: result wins

    async def disconnect(self): pass
    async def read(self, uuid): return b""
    async def write(self, uuid, data): pass
    async def subscribe(self, uuid, callback): pass


class Protocol:
    data_uuid = "data"

    async def start(self, transport, rate_hz):
        await transport.connecting.wait()
        return 50.0

    async def stop(self, transport):
        transport.writes.append("stop")


class Runtime:
    def status(self, *a, **k): pass
    def add_device(self, *a, **k): pass


def test_a_cancellation_swallowed_by_connect_still_ends_the_session():
    async def main():
        transport = SwallowingTransport()
        session = DeviceSession("HE-X", transport, Protocol(), data_timeout_s=30)
        task = asyncio.create_task(session.run(Runtime()))
        await transport.connecting.wait()
        task.cancel()                          # Ctrl-C during connect
        done, _ = await asyncio.wait([task], timeout=5)
        return bool(done), session

    finished, session = asyncio.run(main())
    assert finished, "the session kept running after Ctrl-C"
    assert session.connects == 0


class SilentTransport(SwallowingTransport):
    async def connect(self):
        self.connecting.set()


def test_a_data_timeout_shorter_than_the_notification_interval_is_named():
    """--data-timeout 0.2 against a device that notifies every 0.8 s was blamed on 'another app'."""
    from harnet_edge.firmware_bridge.connect import NO_DATA, ConnectFailure

    async def main():
        session = DeviceSession("HE-X", SilentTransport(), Protocol(), data_timeout_s=0.05, max_attempts=1)
        try:
            await asyncio.wait_for(session.run(Runtime()), 10)
        except ConnectFailure as failure:
            return failure

    failure = asyncio.run(main())
    assert failure.cause == NO_DATA and "raise --data-timeout" in str(failure)
