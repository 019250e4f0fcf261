"""Why a connection failed, in one line a user can act on, and how long to wait before the next try.

Bluetooth stacks report failures in their own vocabulary (a missing D-Bus socket, a D-Bus error name,
an HCI status, a scan that simply finds nothing). ``explain`` turns them into one of a few causes
that name what to check; ``backoff_s`` spaces retries as production BLE software does
(exponential, capped), and the session gives up after a bounded number of attempts.

bleak-retry-connector was considered and not used: its ``establish_connection`` retries only the
connect step with a fixed 20 s per-attempt timeout (which would override ``--connect-timeout``),
its advice strings are written for Home Assistant's ESPHome proxies, and its BlueZ helpers need a
D-Bus that tests here cannot provide. Scan, connect and protocol start are retried together instead.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .transport import TransportError

NO_ADAPTER = "no-adapter"
SERVICE_DOWN = "bluetooth-service-down"
NOT_ADVERTISING = "not-advertising"
REFUSED = "refused"
TIMEOUT = "timeout"
NO_DATA = "no-data"

# D-Bus error names BlueZ and the bus itself use (org.bluez / org.freedesktop.DBus error domains).
_SERVICE_DOWN_DBUS = ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NoServer",
                      "org.freedesktop.DBus.Error.NameHasNoOwner", "org.freedesktop.DBus.Error.Spawn")
_NO_ADAPTER_TEXT = ("no bluetooth adapters found", "not ready", "org.bluez.error.notready",
                    "adapter", "powered off")


class ConnectFailure(TransportError):
    """A failed connection attempt with its likely cause (one of the constants above)."""

    def __init__(self, message: str, cause: str):
        super().__init__(message)
        self.cause = cause


def backoff_s(failures: int, first_s: float = 1.0, cap_s: float = 30.0) -> float:
    """Wait before retry number ``failures`` (1, 2, 4 ... seconds, capped)."""
    return min(cap_s, first_s * 2 ** max(0, failures - 1))


def explain(exc: BaseException, target: str, stage: str, adapter=None) -> ConnectFailure:
    """Classify an exception raised while ``stage`` ("scan", "connect" or "request") for ``target``."""
    from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError, BleakDeviceNotFoundError, BleakError

    detail = str(exc) or type(exc).__name__
    if isinstance(exc, ConnectFailure):
        return exc
    if type(exc).__name__ in ("CommandTimeoutError", "TransportLostError"):     # bumble host errors
        return ConnectFailure(f"no Bluetooth adapter: {adapter or 'the controller'} stopped answering "
                              f"({type(exc).__name__})", NO_ADAPTER)
    if adapter is not None and isinstance(exc, OSError):
        # The software stack's adapter is a TCP (or USB) HCI transport that could not be opened.
        return ConnectFailure(f"no Bluetooth adapter: cannot open {adapter} ({detail}); "
                              "is 'harnet-edge simulate --hci-port PORT' running?", NO_ADAPTER)
    if isinstance(exc, BleakDBusError) and exc.dbus_error in _SERVICE_DOWN_DBUS or \
            isinstance(exc, (FileNotFoundError, ConnectionRefusedError, EOFError, BrokenPipeError)):
        # bleak on Linux reaches BlueZ over the system D-Bus; a missing socket or owner means
        # bluetoothd (or D-Bus itself) is not running, e.g. in a container without the host's bus.
        return ConnectFailure(f"Bluetooth service not running: BlueZ is unreachable over D-Bus ({detail}); "
                              "start it with 'sudo systemctl start bluetooth' (in a container, share the "
                              "host's /run/dbus)", SERVICE_DOWN)
    if isinstance(exc, BleakBluetoothNotAvailableError) or \
            (isinstance(exc, BleakError) and any(t in detail.lower() for t in _NO_ADAPTER_TEXT)):
        return ConnectFailure(f"no Bluetooth adapter available ({detail}); check 'bluetoothctl show' "
                              "and that the adapter is powered on", NO_ADAPTER)
    if isinstance(exc, BleakDeviceNotFoundError):
        return not_advertising(target, None)
    if isinstance(exc, asyncio.TimeoutError):
        return ConnectFailure(f"{target} was seen but did not complete a connection in time ({detail}): "
                              "out of range, or busy with another host", TIMEOUT)
    if stage == "connect":
        return ConnectFailure(f"{target} refused the connection: {detail}", REFUSED)
    if stage == "request":
        return ConnectFailure(f"{target} refused a GATT request: {detail}", REFUSED)
    return ConnectFailure(f"{stage} for {target} failed: {detail}", REFUSED)


def not_advertising(target: str, scan_s: float | None) -> ConnectFailure:
    within = f" in a {scan_s:g} s scan" if scan_s else ""
    return ConnectFailure(f"{target} not found{within}: it is not advertising (off, out of range, or already "
                          "connected to a phone or another program); see 'harnet-edge devices'", NOT_ADVERTISING)


@dataclass
class RetryPolicy:
    """Bounded retries: ``attempts`` connection tries in a row (0 = keep trying), spaced by ``backoff_s``."""
    attempts: int = 5
    first_backoff_s: float = 1.0
    max_backoff_s: float = 30.0

    def wait_s(self, failures: int) -> float:
        return backoff_s(failures, self.first_backoff_s, self.max_backoff_s)

    def exhausted(self, failures: int) -> bool:
        return bool(self.attempts) and failures >= self.attempts
