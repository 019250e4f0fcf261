"""Is this a time axis HARNet can use? Checked before any window is made, offline and live.

HARNet sees 30 Hz windows of wrist movement, most of it below 10 Hz: input slower than 20 Hz
cannot carry that band, and a wrist accelerometer faster than 1600 Hz (the top output data rate
of common MEMS parts, e.g. LIS3DH/ADXL345 class) is not one. A rate far outside that range is
nearly always a unit mistake: epoch milliseconds read as seconds make a 50 Hz recording look like
0.05 Hz, and resampling it to 30 Hz would invent 600 samples per real one (and, in microseconds,
600,000: tens of gigabytes). So the rate is refused, with the unit that would fit.
"""
from __future__ import annotations

import numpy as np

from .recording import DataError

MIN_RATE_HZ = 20.0
MAX_RATE_HZ = 1600.0
# Column names that declare the unit of the time column, and seconds per unit.
TIME_COLUMNS = {"time": 1.0, "time_s": 1.0, "time_ms": 1e-3, "time_us": 1e-6, "time_ns": 1e-9}
UNIT_HINTS = (("milliseconds", 1e3, "time_ms"), ("microseconds", 1e6, "time_us"), ("nanoseconds", 1e9, "time_ns"),
              ("minutes", 1 / 60, None))
EPOCH_2000, EPOCH_2100 = 946_684_800, 4_102_444_800     # seconds since 1970


def rate_problem(rate_hz: float, step: float | None = None, column_hint: bool = True,
                 first_time: float | None = None) -> str | None:
    """None when HARNet can use ``rate_hz``; otherwise the reason, one line, with a unit hint
    (``column_hint``: how to declare the unit in a CSV header). ``first_time``, the first raw
    timestamp, settles the unit when it is an epoch time (seconds since 1970 are about 1.7e9, in
    milliseconds 1.7e12): then the hint names that unit instead of guessing from the rate alone."""
    if MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        return None
    step = step if step is not None else 1.0 / rate_hz
    need = f"HARNet needs {MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz"
    epoch = _epoch_unit(first_time)
    if epoch is not None:
        unit, factor, column, date = epoch
        rate = rate_hz * factor
        if factor == 1:
            return f"timestamps look like epoch seconds ({date}), so the data are {rate:.4g} Hz; {need}"
        fits = MIN_RATE_HZ <= rate <= MAX_RATE_HZ
        return (f"timestamps look like epoch {unit} ({date}); as {unit} they would be {rate:.4g} Hz"
                + (f" (name the column {column})" if fits and column_hint else f"; {need}" if not fits else ""))
    text = f"timestamps step by {step:.4g} (median), i.e. {rate_hz:.4g} Hz if they are seconds; {need}"
    if rate_hz > MAX_RATE_HZ:
        text += f" (downsample to {MAX_RATE_HZ:g} Hz or less)"
    for unit, factor, column in UNIT_HINTS:
        if MIN_RATE_HZ <= rate_hz * factor <= MAX_RATE_HZ:
            fix = f" (name the column {column})" if column and column_hint else ""
            return f"{text}; as {unit} they would be {rate_hz * factor:.4g} Hz{fix}"
    return text


def _epoch_unit(first_time: float | None):
    """(unit, units per second, column, date) when ``first_time`` reads as a date in 2000-2100."""
    if first_time is None or not np.isfinite(first_time):
        return None
    for unit, factor, column in (("seconds", 1.0, "time"), *UNIT_HINTS[:3]):
        seconds = first_time / factor
        if EPOCH_2000 <= seconds <= EPOCH_2100:
            return unit, factor, column, str(np.datetime64(int(seconds), "s").astype("datetime64[D]"))
    return None


def check_rate(t: np.ndarray, source: str, first_time: float | None = None) -> float:
    """The sample rate of ``t`` (seconds), or DataError when no unit makes it usable;
    ``first_time``: the file's first timestamp as written (see ``rate_problem``)."""
    dt = np.diff(np.asarray(t, dtype=np.float64))
    dt = dt[dt > 0]
    if len(dt) == 0:
        raise DataError(f"{source}: fewer than two distinct timestamps")
    step = float(np.median(dt))
    rate = 1.0 / step
    problem = rate_problem(rate, step, first_time=first_time)
    if problem:
        raise DataError(f"{source}: {problem}")
    return rate
