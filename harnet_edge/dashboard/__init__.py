"""The live dashboard: a page served by the process itself (stdlib asyncio HTTP, server-sent events),
with its assets shipped in the package. No third-party dependency, no CDN."""
