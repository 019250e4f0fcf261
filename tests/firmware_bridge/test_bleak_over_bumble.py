"""BleakTransport -- the class a Raspberry Pi runs -- over the software Bluetooth stack, only bleak's
backend swapped: scans, connects, MTU exchange, notifications, indications, link loss, retries,
the data watchdog and the stop-on-exit hook, all through real HCI/LL/ATT traffic with software twins."""
import asyncio
import sys

import pytest

from harnet_edge.firmware_bridge import connect, reference_profile as ref
from harnet_edge.firmware_bridge.bleak_bumble_backend import SoftwareAdapter
from harnet_edge.firmware_bridge.bleak_transport import BleakTransport
from harnet_edge.firmware_bridge.bumble_transport import SoftwareRadio
from harnet_edge.firmware_bridge.connect import ConnectFailure
from harnet_edge.firmware_bridge.protocols import PolarPmdProtocol, ReferenceProtocol
from harnet_edge.firmware_bridge.session import DeviceSession
from harnet_edge.firmware_bridge.wearable import Faults, SoftwareWearable, generated_motion

pytestmark = pytest.mark.ble


class Tally:
    """The runtime interface a session feeds, counting what arrives."""

    def __init__(self):
        self.samples, self.batches, self.statuses = 0, [], []

    def add_device(self, *a, **k): pass
    def note_loss(self, *a, **k): pass
    def notify(self): pass
    def status(self, device, text, **k): self.statuses.append(text)

    def ingest(self, batch):
        self.samples += len(batch.t)
        self.batches.append(batch)


async def cancel(*tasks):
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def wearables(radio, names, profile="reference", rate=50, **kw):
    # 152.5 ms: the advertising interval Apple's accessory guidelines recommend after the first 30 s
    # (bumble's default 1 s would make each reconnect scan here wait up to a second).
    return [SoftwareWearable(radio, n, generated_motion(rate, 120, seed=i), rate, profile,
                             advertising_interval_ms=152.5, **kw)
            for i, n in enumerate(names)]


def test_scan_by_name_and_address_connect_mtu_notify_and_link_loss():
    async def main():
        radio = SoftwareRadio()
        a, b = wearables(radio, ["HE-A", "HE-B"], max_mtu=100)
        tasks = [asyncio.create_task(w.run(60)) for w in (a, b)]
        adapter = SoftwareAdapter(radio.new_device("host"))
        try:
            by_name = BleakTransport("HE-B", ref.SERVICE_UUID, scan_timeout=5, adapter=adapter)
            lost = asyncio.Event()
            by_name.on_disconnect(lost.set)
            await by_name.connect()
            assert b.device.connections and not a.device.connections          # only the device asked for
            assert by_name.client.backend_id == "SoftwareBleakClient"      # bleak's BleakClient, our backend
            # MTU from the exchange: the twin accepts 100 of the 517 asked for; payload = MTU - 3.
            assert by_name.client.mtu_size == 100 and by_name.payload_bytes == 97
            info = ref.StreamInfo.decode(await by_name.read(ref.INFO_UUID))
            got = []
            await by_name.subscribe(ref.DATA_UUID, got.append)
            await by_name.write(ref.CONTROL_UUID, ref.control_start())
            await asyncio.sleep(1.0)
            assert got and all(len(p) == ref.HEADER.size + 6 * ref.samples_per_packet(97) for p in got)
            assert ref.ReferenceDecoder(info).decode(got[0]) is not None
            # Link loss from the device side reaches bleak's disconnected callback.
            await b.force_disconnect()
            await asyncio.wait_for(lost.wait(), 5)

            address = str(a.device.public_address).split("/")[0]
            by_address = BleakTransport(address.lower(), scan_timeout=5, adapter=adapter)
            quiet = asyncio.Event()
            by_address.on_disconnect(quiet.set)
            await by_address.connect()
            assert a.device.connections
            await by_address.disconnect()                  # solicited: no callback, as bleak documents
            await asyncio.sleep(0.3)
            assert not quiet.is_set() and not a.device.connections
            # BleakClient given only an address string scans for it first, as bleak's own backends do.
            from bleak import BleakClient

            plain = BleakClient(address, timeout=5, backend=adapter.client_backend)
            await plain.connect()
            assert plain.is_connected and a.device.connections
            await plain.disconnect()
        finally:
            await cancel(*tasks)

    asyncio.run(main())


def test_indications_carry_the_polar_control_responses():
    async def main():
        radio = SoftwareRadio()
        (polar,) = wearables(radio, ["Polar Sense TWIN"], profile="polar", rate=52)
        task = asyncio.create_task(polar.run(60))
        transport = BleakTransport("Polar Sense TWIN", scan_timeout=5, adapter=SoftwareAdapter(radio.new_device("h")))
        try:
            await transport.connect()
            protocol = PolarPmdProtocol()
            rate = await protocol.start(transport)   # the control point answers by indication only
            # settings query + start, each answered (status 0) by an indication through bleak
            assert len(protocol.responses) >= 2 and all(r.status == 0 for r in protocol.responses)
            assert rate == 52 and polar.streaming
        finally:
            await transport.disconnect()
            await cancel(task)

    asyncio.run(main())


def test_session_streams_through_forced_disconnects_and_stops_the_device_on_exit():
    """120 s of device time at 10x speed with a forced disconnect every 20 s of streaming."""
    async def main():
        radio = SoftwareRadio()
        (w,) = wearables(radio, ["HE-S"], speed=10, faults=Faults(disconnect_every_s=20, seed=3))
        commands = []                  # what the twin's control point received, in order
        on_control = w.twin.on_control
        w.twin.on_control = lambda value: commands.append(bytes(value)) or on_control(value)
        task = asyncio.create_task(w.run(120))
        transport = BleakTransport("HE-S", ref.SERVICE_UUID, scan_timeout=5, adapter=SoftwareAdapter(radio.new_device("h")))
        session = DeviceSession("HE-S", transport, ReferenceProtocol(), backoff_s=0.1, max_attempts=3)
        runtime = Tally()
        run = asyncio.create_task(session.run(runtime))
        try:
            for _ in range(200):
                if session.connects >= 3:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
        finally:
            await cancel(run)
        await cancel(task)
        return w, session, runtime, commands

    w, session, runtime, commands = asyncio.run(main())
    assert w.disconnects >= 2 and session.connects >= 3 and session.disconnects >= 2
    assert "reconnected" in runtime.statuses
    assert runtime.samples > 500
    starts = [float(b.t[0]) for b in runtime.batches]
    assert starts == sorted(starts)                   # one device clock, never rewound by a reconnect
    # Ctrl-C / end of stream: the twin received the protocol's stop as the last command of the stream.
    assert commands[-1] == ref.control_stop() and commands.count(ref.control_stop()) == 1
    assert session.stops_sent == 1


def test_watchdog_reconnects_a_silent_device_then_gives_up_naming_the_cause():
    """A twin that connects and accepts the start command but never notifies (every packet dropped)."""
    async def main():
        radio = SoftwareRadio()
        (w,) = wearables(radio, ["HE-Mute"], faults=Faults(drop_probability=1.0))
        task = asyncio.create_task(w.run(60))
        transport = BleakTransport("HE-Mute", scan_timeout=3, adapter=SoftwareAdapter(radio.new_device("h")))
        session = DeviceSession("HE-Mute", transport, ReferenceProtocol(), backoff_s=0.1, max_attempts=2,
                                data_timeout_s=0.8)
        try:
            with pytest.raises(ConnectFailure) as failure:
                await asyncio.wait_for(session.run(Tally()), 20)
        finally:
            await cancel(task)
        return session, failure.value

    session, failure = asyncio.run(main())
    assert failure.cause == connect.NO_DATA and "sent no data" in str(failure) and "gave up after 2" in str(failure)
    assert session.connects == 2 and session.watchdog_reconnects == 2


def test_watchdog_reconnects_when_a_stream_goes_silent():
    async def main():
        radio = SoftwareRadio()
        (w,) = wearables(radio, ["HE-Stall"], speed=10)
        task = asyncio.create_task(w.run(120))
        transport = BleakTransport("HE-Stall", scan_timeout=3, adapter=SoftwareAdapter(radio.new_device("h")))
        session = DeviceSession("HE-Stall", transport, ReferenceProtocol(), backoff_s=0.1, data_timeout_s=0.6)
        run = asyncio.create_task(session.run(Tally()))
        try:
            await asyncio.wait_for(session.connected.wait(), 5)
            await asyncio.sleep(0.5)
            w.faults.drop_probability = 1.0          # the link stays up but nothing arrives
            await asyncio.sleep(1.2)
            w.faults.drop_probability = 0.0
            for _ in range(100):
                if session.connects >= 2:
                    break
                await asyncio.sleep(0.05)
        finally:
            await cancel(run, task)
        return session

    session = asyncio.run(main())
    assert session.watchdog_reconnects >= 1 and session.connects >= 2


def test_connect_failures_name_their_cause():
    async def main():
        radio = SoftwareRadio()
        (w,) = wearables(radio, ["HE-Locked"])
        for attribute in w.device.gatt_server.attributes:     # stream info readable only when encrypted
            if str(getattr(attribute, "uuid", "")).lower() == ref.INFO_UUID:
                attribute.permissions = attribute.READ_REQUIRES_ENCRYPTION
        task = asyncio.create_task(w.run(60))
        adapter = SoftwareAdapter(radio.new_device("h"))
        try:
            with pytest.raises(ConnectFailure) as missing:
                await BleakTransport("HE-Nowhere", scan_timeout=0.5, adapter=adapter).connect()
            locked = BleakTransport("HE-Locked", scan_timeout=3, adapter=adapter)
            with pytest.raises(ConnectFailure) as refused:
                await DeviceSession("HE-Locked", locked, ReferenceProtocol(), backoff_s=0.05, max_attempts=1).run(Tally())
            with pytest.raises(ConnectFailure) as no_adapter:       # nothing listens on loopback port 1
                await BleakTransport("HE-A", scan_timeout=1, adapter=SoftwareAdapter(hci="tcp-client:127.0.0.1:1")).connect()
        finally:
            await cancel(task)
        return missing.value, refused.value, no_adapter.value

    missing, refused, no_adapter = asyncio.run(main())
    assert missing.cause == connect.NOT_ADVERTISING and "not advertising" in str(missing)
    assert refused.cause == connect.REFUSED and "refused" in str(refused) and "ENCRYPTION" in str(refused).upper()
    assert no_adapter.cause == connect.NO_ADAPTER and "127.0.0.1:1" in str(no_adapter)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="BlueZ over D-Bus is the Linux backend")
def test_bluetooth_service_down_is_named(monkeypatch):
    """bleak's own BlueZ backend (no backend injected) with the system D-Bus unreachable."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/harnet-edge-test/bus")
    with pytest.raises(ConnectFailure) as failure:
        asyncio.run(BleakTransport("NONEXISTENT", scan_timeout=1).connect())
    assert failure.value.cause == connect.SERVICE_DOWN and "Bluetooth service not running" in str(failure.value)


def test_backoff_is_exponential_capped_and_bounded():
    policy = connect.RetryPolicy(attempts=4, first_backoff_s=1, max_backoff_s=5)
    assert [policy.wait_s(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert not policy.exhausted(3) and policy.exhausted(4)
    assert not connect.RetryPolicy(attempts=0).exhausted(10 ** 6)      # 0: keep trying


def test_connect_timeout_is_honoured_when_a_seen_device_stops_answering():
    """Found in a scan, then gone (walked away, or taken by a phone): bleak's connect gives up in time."""
    async def main():
        from bleak import BleakClient, BleakScanner

        radio = SoftwareRadio()
        (w,) = wearables(radio, ["HE-Gone"])
        task = asyncio.create_task(w.run(60))
        adapter = SoftwareAdapter(radio.new_device("h"))
        try:
            device = await BleakScanner.find_device_by_name("HE-Gone", timeout=5, backend=adapter.scanner_backend)
            await w.device.stop_advertising()
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(asyncio.TimeoutError) as timeout:
                await BleakClient(device, timeout=0.5, backend=adapter.client_backend).connect()
            took = loop.time() - started
            await w.device.start_advertising(auto_restart=True)      # back in range: the next try works
            again = BleakClient(device, timeout=5, backend=adapter.client_backend)
            await again.connect()
            assert again.is_connected
            await again.disconnect()
            return took, connect.explain(timeout.value, "HE-Gone", "connect")
        finally:
            await cancel(task)

    took, failure = asyncio.run(main())
    assert 0.4 < took < 3 and failure.cause == connect.TIMEOUT and "did not complete a connection" in str(failure)


def test_hci_over_loopback_and_losing_the_adapter():
    """The host stack behind tcp-client HCI (as in the two-process demo); when the controller goes
    away the link is reported lost and the next attempt names a missing adapter."""
    async def main():
        from harnet_edge.firmware_bridge.hci_server import HciServer

        radio = SoftwareRadio()
        (w,) = wearables(radio, ["HE-Far"])
        task = asyncio.create_task(w.run(60))
        server = await HciServer(radio.link, 0).start()
        adapter = SoftwareAdapter(hci=server.spec)
        transport = BleakTransport("HE-Far", scan_timeout=5, adapter=adapter)
        lost = asyncio.Event()
        transport.on_disconnect(lost.set)
        try:
            assert server.spec.startswith("tcp-client:127.0.0.1:")
            await transport.connect()
            assert ref.StreamInfo.decode(await transport.read(ref.INFO_UUID)).rate_hz == 50
            await server.close()                            # the simulator stops
            await asyncio.wait_for(lost.wait(), 5)
            with pytest.raises(ConnectFailure) as failure:
                await transport.connect()
            return failure.value
        finally:
            await cancel(task)

    failure = asyncio.run(main())
    assert failure.cause == connect.NO_ADAPTER and "simulate --hci-port" in str(failure)
