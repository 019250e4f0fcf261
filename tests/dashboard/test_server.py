"""The dashboard's own HTTP server over loopback: assets from the package, a snapshot, pushed events."""
import asyncio
import json

import pytest

from harnet_edge.dashboard.server import DashboardServer, parse_address
from harnet_edge.dashboard.state import FleetState
from harnet_edge.errors import HarnetEdgeError


async def get(port, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode(), body


async def test_page_assets_snapshot_and_pushed_updates():
    state = FleetState("test fleet")
    server = await DashboardServer(state, "127.0.0.1", 0).start()
    try:
        status, head, body = await get(server.port, "/")
        assert status == 200 and b'src="/app.js"' in body and "text/html" in head
        assert b"http" not in body.replace(b"http-equiv", b"")        # no CDN: nothing fetched from elsewhere
        status, _, body = await get(server.port, "/app.js")
        assert status == 200 and b"EventSource" in body
        assert (await get(server.port, "/../pyproject.toml"))[0] == 404

        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /events HTTP/1.1\r\n\r\n")
        snapshot = await asyncio.wait_for(reader.readuntil(b"event: snapshot\ndata: "), 5)
        assert b"text/event-stream" in snapshot
        assert json.loads(await reader.readline())["title"] == "test fleet"
        state.window({"gateway": "gw", "device": "d", "window_start": 0, "window_end": 10, "label": "walk",
                      "confidence": 0.7, "latency_ms": 3.0, "flags": [], "wall_time": 100.0})
        await asyncio.wait_for(reader.readuntil(b"event: device\ndata: "), 5)
        pushed = json.loads(await reader.readline())
        assert (pushed["label"], pushed["confidence"], pushed["band"]) == ("walk", 0.7, [90.0, 100.0, "walk"])
        writer.close()
        status, _, body = await get(server.port, "/api/state")
        assert json.loads(body)["devices"][0]["windows"] == 1
    finally:
        await server.close()


def test_dashboard_address_errors_are_one_line():
    assert parse_address("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_address("[::1]:0") == ("::1", 0)
    for bad in ("8080", "localhost", "127.0.0.1:http", "127.0.0.1:70000"):
        with pytest.raises(HarnetEdgeError):
            parse_address(bad)
