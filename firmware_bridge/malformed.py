"""One rule for reporting packets a decoder drops: count every one, log only some."""
from __future__ import annotations

import logging


def log_dropped(log: logging.Logger, family: str, count: int, why: str) -> None:
    """Warn about the ``count``-th dropped packet: the first ten, then every thousandth (a broken link
    or a hostile peer can send millions, and the log must not grow with them)."""
    if count <= 10 or count % 1000 == 0:
        log.warning("%s: dropped malformed packet #%d: %s", family, count, why)
