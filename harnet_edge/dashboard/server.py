"""A small HTTP server on the process's own event loop: the page, its assets, a JSON snapshot and a
server-sent-events stream (``/events``) that pushes every change. Browsers reconnect an event
stream by themselves and get a fresh snapshot first, so a page left open survives restarts."""
from __future__ import annotations

import asyncio
import json
from importlib import resources

from ..errors import HarnetEdgeError
from .state import FleetState

ASSETS = {"/": ("index.html", "text/html; charset=utf-8"),
          "/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/style.css": ("style.css", "text/css; charset=utf-8")}
CLIENT_QUEUE = 2000     # a page that falls this far behind is dropped; it reconnects to a snapshot
KEEPALIVE_S = 15.0


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6); one clear error for anything else."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise HarnetEdgeError(f"--dashboard must look like 127.0.0.1:8080; got {text!r}")
    return host, int(port)


def asset(name: str) -> bytes:
    return resources.files("harnet_edge.dashboard").joinpath("static", name).read_bytes()


class DashboardServer:
    def __init__(self, state: FleetState, host: str, port: int):
        self.state, self.host, self.port = state, host, port
        self.clients: set[asyncio.Queue] = set()
        self.server: asyncio.AbstractServer | None = None
        state.listeners.append(self._broadcast)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self) -> "DashboardServer":
        try:
            self.server = await asyncio.start_server(self._serve, self.host, self.port)
        except OSError as exc:
            raise HarnetEdgeError(f"--dashboard cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        self.port = self.server.sockets[0].getsockname()[1]    # port 0 -> the one the OS chose
        return self

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            for queue in list(self.clients):
                queue.put_nowait(None)
            await asyncio.sleep(0)

    def _broadcast(self, kind: str, data: dict) -> None:
        for queue in list(self.clients):
            try:
                queue.put_nowait((kind, data))
            except asyncio.QueueFull:
                self.clients.discard(queue)
                queue.get_nowait()
                queue.put_nowait(None)     # ends that stream; the browser reconnects

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            method, target, *_ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            path = target.split("?", 1)[0]
            if method != "GET":
                await self._reply(writer, 405, "text/plain", b"GET only\n")
            elif path in ASSETS:
                name, kind = ASSETS[path]
                await self._reply(writer, 200, kind, asset(name))
            elif path == "/api/state":
                await self._reply(writer, 200, "application/json", json.dumps(self.state.snapshot()).encode())
            elif path == "/events":
                await self._events(writer)
            else:
                await self._reply(writer, 404, "text/plain", b"not found\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError,
                ConnectionError):
            pass
        finally:
            writer.close()

    async def _reply(self, writer, status: int, kind: str, body: bytes) -> None:
        reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}[status]
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                     "Cache-Control: no-store\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()

    async def _events(self, writer) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                     b"Connection: keep-alive\r\n\r\nretry: 1000\n\n")
        queue: asyncio.Queue = asyncio.Queue(CLIENT_QUEUE)
        self.clients.add(queue)
        try:
            writer.write(sse("snapshot", self.state.snapshot()))
            await writer.drain()
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except asyncio.TimeoutError:
                    writer.write(b": keepalive\n\n")      # also how a closed page is noticed
                    await writer.drain()
                    continue
                if item is None:
                    return
                writer.write(sse(*item))
                await writer.drain()
        finally:
            self.clients.discard(queue)


def sse(kind: str, data: dict) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()
