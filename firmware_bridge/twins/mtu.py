"""Frames sized by the negotiated MTU: a notification carries at most ATT_MTU - 3 bytes."""
from __future__ import annotations

from typing import Callable

DEFAULT_ATT_MTU = 23


def payload_limit(device) -> int:
    """The largest notification payload on the device's (first) connection: ATT MTU - 3 bytes."""
    for connection in device.connections.values():
        return connection.att_mtu - 3
    return DEFAULT_ATT_MTU - 3


def largest_frame(encode: Callable[[int], bytes], most: int, limit: int) -> tuple[int, bytes]:
    """The most samples (1..``most``) whose encoded frame fits ``limit`` bytes, and that frame.

    ``encode(n)`` builds the frame of the next n samples; variable-size encodings (delta
    compression) are handled by searching, so a frame never exceeds the payload a device may send."""
    lo, hi = 1, max(1, most)
    best = encode(1)
    if len(best) > limit:
        raise ValueError(f"even a 1-sample frame ({len(best)} bytes) exceeds the {limit}-byte payload")
    while lo < hi:                       # frame size grows with n: binary search the largest fit
        mid = (lo + hi + 1) // 2
        frame = encode(mid)
        if len(frame) <= limit:
            lo, best = mid, frame
        else:
            hi = mid - 1
    return lo, best
