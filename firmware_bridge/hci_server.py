"""Software Bluetooth controllers served as HCI over loopback TCP, so another process can be the host.

``harnet-edge simulate --hci-port PORT`` puts its software wearables on an in-process link and
serves this: every TCP client (``harnet-edge stream --hci tcp-client:127.0.0.1:PORT``, or any bumble
app) gets a fresh controller on that link, speaking H4-framed HCI exactly as a USB or UART
controller does. The host process runs the whole stack above HCI (bumble host, bleak backend,
BleakTransport), so the path it exercises is the one a real adapter uses.

When a client goes away its controller's links are terminated (the wearable sees a disconnect and
advertises again, as when a phone walks out of range) and the controller leaves the air.
"""
from __future__ import annotations

import asyncio
import itertools
import logging

log = logging.getLogger(__name__)
LOOPBACK = "127.0.0.1"     # never any other interface: the simulator is a local test bench


class _ControllerSession:
    """asyncio protocol for one TCP client: bytes in -> HCI packets to a controller, and back."""

    def __init__(self, server: "HciServer"):
        from bumble.transport.common import StreamPacketSource

        self.server = server
        self.source = StreamPacketSource()
        self.controller = None
        self.transport = None

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        from .software_controller import controller_class

        self.transport = transport
        n = next(self.server._numbers)
        address = f"C0:FF:EE:00:{(n >> 8) & 0xFF:02X}:{n & 0xFF:02X}"
        self.controller = controller_class()(f"hci-client-{n}", host_source=self.source, host_sink=self,
                                     link=self.server.link, public_address=address)
        self.server.clients.add(self)
        log.info("HCI client %d connected (controller %s)", n, address)

    def data_received(self, data: bytes) -> None:
        self.source.data_received(data)

    def eof_received(self):
        return False

    def connection_lost(self, exc) -> None:
        self.transport = None
        self.server.clients.discard(self)
        if self.controller is not None:
            release(self.controller)
            self.controller = None

    # bumble TransportSink: controller -> host
    def on_packet(self, packet: bytes) -> None:
        if self.transport is not None:
            self.transport.write(packet)

    def pause_writing(self):
        pass

    def resume_writing(self):
        pass


def release(controller) -> None:
    """Terminate a controller's LE links (reason 0x13, remote user terminated) and take it off the air."""
    from bumble import hci, ll

    controller.host = None
    for connection in list(controller.le_connections.values()):
        try:
            connection.send_ll_control_pdu(ll.TerminateInd(hci.HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR))
            controller.on_le_disconnected(connection, hci.HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR)
        except Exception as exc:      # the peer may already be gone
            log.debug("releasing %s: %s", controller.name, exc)
    if controller in controller.link.controllers:
        controller.link.remove_controller(controller)


class HciServer:
    """Serves controllers on ``link`` at 127.0.0.1:``port`` (0 picks a free port; see ``port``)."""

    def __init__(self, link, port: int = 0):
        self.link, self.requested_port = link, port
        self.clients: set[_ControllerSession] = set()
        self._numbers = itertools.count(1)
        self._server = None

    async def start(self) -> "HciServer":
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ControllerSession(self), LOOPBACK, self.requested_port)
        return self

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    @property
    def spec(self) -> str:
        """The bumble transport a host opens to reach this server."""
        return f"tcp-client:{LOOPBACK}:{self.port}"

    async def close(self) -> None:
        for client in list(self.clients):
            if client.transport is not None:
                client.transport.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
