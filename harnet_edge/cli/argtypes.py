"""argparse ``type=`` checkers: a bad value is refused while parsing, as one line, exit 2.

Each returns a function that converts the text or raises ``argparse.ArgumentTypeError`` with the
reason; argparse prefixes the option's name. Nothing is coerced silently (``--hop 0`` is an error,
not "use the default").
"""
from __future__ import annotations

import argparse
import math
import os
from pathlib import Path


def _number(text: str, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                         f"got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def number(kind=float, minimum=None, maximum=None, above=None, unit: str = ""):
    """``minimum``/``maximum`` are inclusive bounds, ``above`` an exclusive lower bound."""
    def check(text: str):
        value = _number(text, kind)
        if above is not None and not value > above:
            raise argparse.ArgumentTypeError(f"must be > {above}{unit}, got {text}")
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}{unit}, got {text}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be <= {maximum}{unit}, got {text}")
        return value
    check.__name__ = kind.__name__     # argparse names the type in its messages
    return check


positive_seconds = number(float, above=0, unit=" s")
non_negative_seconds = number(float, minimum=0, unit=" s")
probability = number(float, minimum=0, maximum=1)


def speed(text: str) -> float:
    """Replay/simulation speed: ``1x``, ``10``, ``0.5x``, or ``max`` (0.0: as fast as possible)."""
    cleaned = text.strip().lower()
    if cleaned in ("max", "inf"):
        return 0.0
    value = _number(cleaned[:-1] if cleaned.endswith("x") else cleaned, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0 (or 'max'), got {text!r}")
    return value


def smoothing(text: str) -> str:
    """none, hmm, majority or majority:K with K >= 1."""
    kind, _, k = text.partition(":")
    if text in ("none", "hmm", "majority"):
        return text
    if kind == "majority" and k.isdigit() and int(k) >= 1:
        return text
    raise argparse.ArgumentTypeError(f"expected none, hmm, majority or majority:K (K >= 1), got {text!r}")


def output_file(text: str) -> Path:
    """A file we can append to: not a directory, inside a folder we may create and write."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory, expected a file")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise argparse.ArgumentTypeError(f"{text} is not writable")
        return path
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot create {text}: {folder} is not a writable folder")
    return path


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: {'is a directory' if path.is_dir() else 'file not found'}")
    return path


def advertised_name(text: str) -> str:
    """A BLE local name that fits a legacy scan response (31 bytes less the 2-byte AD header)."""
    size = len(text.encode())
    if not 1 <= size <= 29:
        raise argparse.ArgumentTypeError(f"must be 1-29 bytes in UTF-8 to fit a legacy scan response, "
                                         f"got {size}")
    return text
