"""The small interface a GATT link offers the stream logic; backends: bleak (radios), bumble (software)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

from harnet_edge.errors import HarnetEdgeError


class TransportError(HarnetEdgeError):
    """Could not find, connect to, or talk to the device."""


class Transport(ABC):
    """A GATT client link to one named device: connect / read / write / subscribe / disconnect.

    Contract for backends (one module each, e.g. bleak_transport, bumble_transport):
    - ``connect()`` finds only the device asked for (exact address or advertised name), connects,
      discovers its services, then sets ``services`` (lower-case UUID strings) and ``payload_bytes``
      (ATT MTU - 3); failures raise ``TransportError`` with one line, never another exception type.
      It may be called again after a disconnect (the session reconnects with the same object).
    - ``read`` / ``write`` (with response) / ``subscribe`` (notifications or indications; the callback
      gets each value as ``bytes``, on the event loop) act on a characteristic UUID of the connected
      device; an unknown characteristic is a ``TransportError``.
    - when the link drops, for any reason, the backend calls ``_disconnected()`` once, which runs the
      callback registered with ``on_disconnect``. ``disconnect()`` never raises.
    """

    name: str = "transport"
    # An immutable default: connect() sets the instance's own set; nothing shared can be mutated.
    services: frozenset[str] | set[str] = frozenset()
    payload_bytes: int = 20        # ATT MTU - 3
    _disconnect_callback: Callable[[], None] | None = None

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def disconnect(self) -> None: ...

    @abstractmethod
    async def read(self, uuid: str) -> bytes: ...

    @abstractmethod
    async def write(self, uuid: str, data: bytes) -> None: ...

    @abstractmethod
    async def subscribe(self, uuid: str, callback: Callable[[bytes], None]) -> None: ...

    def on_disconnect(self, callback: Callable[[], None]) -> None:
        self._disconnect_callback = callback

    def _disconnected(self) -> None:
        if self._disconnect_callback:
            self._disconnect_callback()
