"""A wearable's own sample clock: its oscillator is never exactly nominal, and it restarts at power-on.

Device time is what the device stamps on its samples. The sensor samples at ``true_hz``
(nominal x (1 + rate_error)), so in device time consecutive samples are 1 / true_hz apart, not
1 / nominal: a host that assumes the nominal rate drifts, one that measures the spacing does not.
A reboot restarts the clock at ``boot_time_s`` (e.g. 0 for "microseconds since power-on", or the
date a device falls back to when nobody set its time), so device time jumps backwards.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DeviceClock:
    nominal_hz: float
    rate_error: float = 0.0          # +0.01: the oscillator runs 1 % fast
    time_at_power_on_s: float = 0.0  # device time of sample 0 of the first boot
    boot_time_s: float = 0.0         # device time of sample 0 after a reboot
    samples: int = field(default=0, init=False)    # sample index since this power-on
    elapsed: int = field(default=0, init=False)    # samples since the twin started (never restarts)
    boots: int = field(default=1, init=False)

    def __post_init__(self) -> None:
        self._origin_s = self.time_at_power_on_s

    @property
    def true_hz(self) -> float:
        return self.nominal_hz * (1.0 + self.rate_error)

    def set_rate(self, nominal_hz: float) -> None:
        """A new sampling rate from now on: device time stays continuous."""
        self._origin_s = self.time_s(self.samples) - self.samples / (nominal_hz * (1.0 + self.rate_error))
        self.nominal_hz = nominal_hz

    def time_s(self, index: int | None = None) -> float:
        """Device time of sample ``index`` of this boot (default: the next sample)."""
        return self._origin_s + (self.samples if index is None else index) / self.true_hz

    def advance(self, n: int) -> None:
        self.samples += n
        self.elapsed += n

    def wall_s(self, speed: float = 1.0) -> float:
        """Seconds since the twin started, in real time (divided by ``speed`` when played faster)."""
        return self.elapsed / self.true_hz / speed

    def restart(self) -> None:
        """Power cycle: the sample index and device time start again from ``boot_time_s``."""
        self.samples = 0
        self._origin_s = self.boot_time_s
        self.boots += 1
