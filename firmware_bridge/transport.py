"""The small interface a GATT link offers the stream logic; backends: bleak (radios), bumble (software)."""
from __future__ import annotations

from typing import Callable

from harnet_edge.errors import HarnetEdgeError


class TransportError(HarnetEdgeError):
    """Could not find, connect to, or talk to the device."""


class Transport:
    """connect / read / write / subscribe / disconnect, plus a disconnect callback."""

    name: str = "transport"
    services: set[str] = set()
    payload_bytes: int = 20        # ATT MTU - 3

    async def connect(self) -> None:
        raise NotImplementedError

    async def disconnect(self) -> None:
        raise NotImplementedError

    async def read(self, uuid: str) -> bytes:
        raise NotImplementedError

    async def write(self, uuid: str, data: bytes) -> None:
        raise NotImplementedError

    async def subscribe(self, uuid: str, callback: Callable[[bytes], None]) -> None:
        raise NotImplementedError

    def on_disconnect(self, callback: Callable[[], None]) -> None:
        self._disconnect_callback = callback

    def _disconnected(self) -> None:
        callback = getattr(self, "_disconnect_callback", None)
        if callback:
            callback()
