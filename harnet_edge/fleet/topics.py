"""The broker address (``mqtt://host:1883/prefix``) and the topic layout, in one place.

Topics (every payload is one JSON object, published with QoS 1):

    <prefix>/<gateway>/status              gateway online/offline (retained; the offline one is also
                                           the gateway's last will, sent by the broker if it vanishes)
    <prefix>/<gateway>/<device>/windows    one classified window: the JSONL record + gateway, run_id
    <prefix>/<gateway>/<device>/status     a device status change: connected, reconnected,
                                           disconnected, gap, battery, ...
"""
from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import HarnetEdgeError

DEFAULT_PREFIX = "harnet-edge"


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    prefix: str

    def __str__(self) -> str:
        return f"mqtt://{self.host}:{self.port}/{self.prefix}"


def parse_broker_url(text: str) -> BrokerUrl:
    """``mqtt://host[:port][/prefix]``; one clear error for anything else."""
    try:
        parts = urlsplit(text.strip())
        hostname, port = parts.hostname, parts.port
    except ValueError:          # a port past 65535, an unclosed '[' of an IPv6 address
        raise HarnetEdgeError(f"--mqtt has a bad host or port: {text!r}") from None
    if parts.scheme != "mqtt" or not hostname:
        raise HarnetEdgeError(f"--mqtt must look like mqtt://host:1883/prefix; got {text!r}")
    if port == 0:
        raise HarnetEdgeError(f"--mqtt has a bad port: {text!r}")
    if parts.username is not None or parts.password is not None:
        raise HarnetEdgeError("--mqtt: a user name or password in the URL is not supported "
                              "(the broker must accept anonymous clients)")
    port = port or 1883
    prefix = parts.path.strip("/") or DEFAULT_PREFIX
    if "#" in text or "+" in prefix or "//" in prefix or parts.query:
        raise HarnetEdgeError(f"--mqtt topic prefix may not contain '+', '#' or empty levels: {prefix!r}")
    return BrokerUrl(hostname, port, prefix)


def topic_level(name: str) -> str:
    """A device or gateway name as one topic level: MQTT's separators and wildcards become '_'."""
    cleaned = re.sub(r"[/+#\x00]", "_", name).strip()
    return cleaned or "_"


def default_gateway_name() -> str:
    return topic_level(socket.gethostname())


def window_topic(prefix: str, gateway: str, device: str) -> str:
    return f"{prefix}/{topic_level(gateway)}/{topic_level(device)}/windows"


def device_status_topic(prefix: str, gateway: str, device: str) -> str:
    return f"{prefix}/{topic_level(gateway)}/{topic_level(device)}/status"


def gateway_status_topic(prefix: str, gateway: str) -> str:
    return f"{prefix}/{topic_level(gateway)}/status"


def subscriptions(prefix: str) -> list[str]:
    """What the collector subscribes to: every gateway's windows and statuses."""
    return [f"{prefix}/+/+/windows", f"{prefix}/+/+/status", f"{prefix}/+/status"]


def split_topic(prefix: str, topic: str) -> tuple[str, str | None, str] | None:
    """(gateway, device or None, kind) of a topic under ``prefix``; None for anything else."""
    if not topic.startswith(prefix + "/"):
        return None
    levels = topic[len(prefix) + 1:].split("/")
    if len(levels) == 2 and levels[1] == "status":
        return levels[0], None, "status"
    if len(levels) == 3 and levels[2] in ("windows", "status"):
        return levels[0], levels[1], levels[2]
    return None
