"""The one anti-aliasing low-pass used before resampling to 30 Hz, offline (training, benchmarks)
and live (the streaming runtime): the same taps for the same input rate, so what the model was
trained on is what it sees in use (no train/serve skew). Numpy only.

Design: Kaiser-windowed sinc, linear phase. At 30 Hz everything above 15 Hz folds back into the
band, so the stop band starts just below 15 Hz and is at least ``STOP_DB`` down; wrist activity
lives below ~10 Hz, which stays in the flat pass band. The transition is fixed in hertz, so the
filter spans a fixed time whatever the input rate: its group delay is about 0.29 s at every rate
(see ``group_delay_s``), which the live path takes off the timestamps.
"""
from __future__ import annotations

import numpy as np

TARGET_HZ = 30.0
PASS_EDGE_FRACTION = 1 / 3       # 10 Hz at 30 Hz: the activity band kept flat
STOP_EDGE_FRACTION = 0.4833      # 14.5 Hz at 30 Hz: margin below 15 Hz for a re-estimated rate
STOP_DB = 50.0                   # design attenuation; >= 40 dB at 15 Hz is the requirement
# At or below this many times the target rate there is (almost) nothing above 15 Hz to remove.
NO_FILTER_BELOW_RATIO = 1.05


def antialias_taps(rate_hz: float, target_hz: float = TARGET_HZ) -> np.ndarray:
    """Linear-phase FIR taps (odd length, unit DC gain) for input at ``rate_hz``; [1.0] when none is needed."""
    if rate_hz <= target_hz * NO_FILTER_BELOW_RATIO:
        return np.ones(1)
    pass_hz, stop_hz = PASS_EDGE_FRACTION * target_hz, STOP_EDGE_FRACTION * target_hz
    transition = 2 * np.pi * (stop_hz - pass_hz) / rate_hz            # radians per sample
    n_taps = int(np.ceil((STOP_DB - 7.95) / (2.285 * transition))) + 1   # Kaiser's length estimate
    n_taps |= 1                                                       # odd: delay is whole samples
    beta = 0.1102 * (STOP_DB - 8.7)                                   # Kaiser's beta for > 50 dB
    cutoff = (pass_hz + stop_hz) / 2 / rate_hz                        # cycles per sample
    n = np.arange(n_taps) - (n_taps - 1) / 2
    taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(n_taps, beta)
    return taps / taps.sum()


def group_delay_s(rate_hz: float, target_hz: float = TARGET_HZ) -> float:
    return (len(antialias_taps(rate_hz, target_hz)) - 1) / 2 / rate_hz


def response_db(taps: np.ndarray, rate_hz: float, freqs_hz) -> np.ndarray:
    """Magnitude response in dB at ``freqs_hz`` (for tests and the filter report)."""
    n = np.arange(len(taps))
    freqs = np.atleast_1d(np.asarray(freqs_hz, dtype=np.float64))
    h = np.abs(np.exp(-2j * np.pi * np.outer(freqs / rate_hz, n)) @ taps)
    return 20 * np.log10(np.maximum(h, 1e-12))
