"""BLE sources for ``harnet-edge stream``: real devices through bleak, or software wearables."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .protocols import PROTOCOLS, protocol_for
from .session import DeviceSession


@dataclass
class ConnectOptions:
    """How hard to try: ``harnet-edge stream --scan-timeout/--connect-timeout/--connect-attempts/--data-timeout``."""
    scan_timeout_s: float = 10.0
    connect_timeout_s: float = 20.0
    attempts: int = 5                 # failed attempts in a row before giving up (0 = never give up)
    first_backoff_s: float = 1.0
    data_timeout_s: float = 5.0



class BleDeviceSource:
    """A named device over bleak. The protocol is chosen by --profile, or from its services.

    ``adapter`` is None for the operating system's Bluetooth, or a software adapter
    (``bleak_bumble_backend.SoftwareAdapter``) for the software stack; the transport is the same.
    The scan accepts the named device when the profile's ``matches`` rule claims its advertisement
    (Polar sensors advertise their name and company id, not PMD).
    """

    def __init__(self, target: str, profile: str = "auto", rate_hz: float | None = None, adapter=None,
                 connect: ConnectOptions | None = None):
        from .bleak_transport import BleakTransport

        connect = connect or ConnectOptions()
        self.target, self.profile, self.rate_hz, self.connect = target, profile, rate_hz, connect
        protocol_class = PROTOCOLS.get(profile)
        # Filter the scan on a service only where the device advertises it (Polar sensors do not).
        service = protocol_class.scan_service_uuid if protocol_class else None
        self.transport = BleakTransport(target, service, scan_timeout=connect.scan_timeout_s,
                                        connect_timeout=connect.connect_timeout_s, adapter=adapter,
                                        protocol=protocol_class)
        self.session = None

    async def run(self, runtime) -> None:
        # With --profile auto the session picks the protocol from the services of its first connection.
        protocol = protocol_for(self.profile) if self.profile != "auto" else None
        self.session = DeviceSession(self.target, self.transport, protocol, rate_hz=self.rate_hz,
                                     max_attempts=self.connect.attempts, backoff_s=self.connect.first_backoff_s,
                                     data_timeout_s=self.connect.data_timeout_s)
        await self.session.run(runtime)


# Vendor twins the fleet can play: profile -> (module, class, advertised name stem).
FAMILY_TWINS = {"movesense": ("twin_movesense", "MovesenseTwin", "Movesense"),
                "metamotion": ("twin_metamotion", "MetaMotionTwin", "MetaWear"),
                "banglejs": ("twin_banglejs", "BangleTwin", "Bangle.js"),
                "pinetime": ("twin_pinetime", "PineTimeTwin", "InfiniTime")}


def family_faults(profile: str, faults) -> dict:
    """The --drop / --disconnect-every a family twin models; the faults it does not model are refused
    (silently ignoring --reboot-every would let a user believe reboots had been exercised)."""
    if faults is None:
        return {}
    for option, value in (("--reboot-every", faults.reboot_every_s), ("--jitter-us", faults.jitter_us)):
        if value:
            from harnet_edge.errors import HarnetEdgeError

            raise HarnetEdgeError(f"{option} is not modelled by the {profile} twin (it models --drop and "
                                "--disconnect-every); use --profile reference or polar for it")
    return {"drop_probability": faults.drop_probability, "disconnect_every_s": faults.disconnect_every_s}


class SimulatedFleet:
    """N software wearables and one software central each, on one in-process Bluetooth link.

    Without ``signals`` they play the real selfBACK wrist clip shipped in the package (wearable i
    plays subject i mod 2) and tell the runtime the true activity of every window."""

    def __init__(self, n: int, profile: str = "reference", speed: float = 1.0, rate_hz: float = 50.0,
                 faults=None, duration_s: float | None = None, signals=None, polar_model: str = "verity-sense",
                 host_rate_hz: float | None = None, rate_error: float | None = None):
        self.n, self.profile = n, "reference" if profile == "auto" else profile
        self.speed, self.rate_hz, self.faults, self.duration_s = speed or 50.0, rate_hz, faults, duration_s
        self.signals = signals
        self.polar_model, self.host_rate_hz, self.rate_error = polar_model, host_rate_hz, rate_error
        self.truths: dict[str, object] = {}

    def _name(self, i: int) -> str:
        if self.profile in FAMILY_TWINS:
            return f"{FAMILY_TWINS[self.profile][2]}-{i + 1}"
        if self.profile != "polar":
            return f"HE-Wearable-{i + 1}"
        from .twins.polar import POLAR_MODELS

        return f"Polar {POLAR_MODELS[self.polar_model].advertised} {0x1A2B3C00 + i:08X}"

    def _motions(self):
        """(signal, its rate, labels or None) per wearable."""
        if self.signals:
            return [(self.signals[i], self.rate_hz, None) for i in range(self.n)]
        from harnet_edge.data.demo_clip import load_demo_clips

        clips = load_demo_clips()
        return [(clips[i % len(clips)].xyz, clips[i % len(clips)].rate_hz, clips[i % len(clips)].labels)
                for i in range(self.n)]

    def _protocol(self):
        if self.profile == "metamotion":          # its samples are stamped on the host clock: run it at --speed
            from .metamotion import MetaMotionProtocol

            return MetaMotionProtocol(clock=self.host_clock)
        return PROTOCOLS[self.profile]()

    def host_clock(self, at: float | None = None) -> float:
        """The host's clock as the simulation sees it: monotonic time, sped up by ``speed``."""
        import time

        now = time.monotonic() if at is None else at
        return self.origin + (now - self.origin) * self.speed

    def _host_clock_truth(self, wearable, truth):
        """Truth for windows stamped on the host clock: shift by where the twin's clock started."""
        def on_host_clock(start_s: float, end_s: float):
            if wearable.started_at is None:
                return None
            offset = self.host_clock(wearable.started_at)
            return truth(start_s - offset, end_s - offset)
        return on_host_clock

    @staticmethod
    def _shifted(truth, offset_s: float):
        """Truth for a twin whose device clock read ``offset_s`` when it started playing the clip."""
        return lambda start_s, end_s: truth(start_s - offset_s, end_s - offset_s)

    def _wearable(self, i: int, signal, signal_hz: float):
        import importlib

        from .family_twin import resample_signal
        from .wearable import SoftwareWearable

        if self.profile == "on-device":         # the reference firmware classifying on the wrist (TFLite Micro)
            from harnet_edge.runtime.defaults import DEFAULT_DIR, DEFAULT_STEM

            from .on_device_twin import OnDeviceWearable

            return OnDeviceWearable(self.radio, self._name(i), resample_signal(signal, signal_hz, self.rate_hz),
                                    DEFAULT_DIR / f"{DEFAULT_STEM}_int8.tflite", self.rate_hz, speed=self.speed,
                                    faults=self.faults, rate_error=self.rate_error)
        if self.profile in FAMILY_TWINS:
            module, cls, _stem = FAMILY_TWINS[self.profile]
            twin = getattr(importlib.import_module(f".{module}", __package__), cls)
            ppm = self.rate_error * 1e6 if self.rate_error is not None else (-1) ** i * 150
            return twin(self.radio, self._name(i), signal, signal_hz, speed=self.speed, clock_ppm=ppm, seed=i,
                        **family_faults(self.profile, self.faults))
        return SoftwareWearable(self.radio, self._name(i), resample_signal(signal, signal_hz, self.rate_hz),
                                self.rate_hz, self.profile, speed=self.speed, faults=self.faults,
                                polar_model=self.polar_model, rate_error=self.rate_error)

    def build(self) -> None:
        """Controllers need a running event loop, so the fleet is made inside ``run``."""
        import time

        from harnet_edge.data.demo_clip import WindowTruth

        from .bumble_transport import BumbleTransport, SoftwareRadio

        self.origin = time.monotonic()
        self.radio = SoftwareRadio()
        self.wearables = []
        for i, (signal, signal_hz, labels) in enumerate(self._motions()):
            wearable = self._wearable(i, signal, signal_hz)
            if labels is not None and self.profile != "on-device":     # its labels bypass the host's engine
                truth = WindowTruth(labels, signal_hz)
                if self.profile == "metamotion":
                    truth = self._host_clock_truth(wearable, truth)
                elif self.profile not in FAMILY_TWINS:      # device time starts at the twin's uptime
                    truth = self._shifted(truth, wearable.clock.time_at_power_on_s)
                self.truths[wearable.name] = truth          # (until a reboot restarts the clock)
            self.wearables.append(wearable)
        self.sessions = [DeviceSession(w.name, BumbleTransport(self.radio.new_device(f"central-{i}"), w.name),
                                       self._protocol(), rate_hz=self.host_rate_hz, backoff_s=0.2)
                         for i, w in enumerate(self.wearables)]

    async def run(self, runtime) -> None:
        self.build()
        for name, truth in self.truths.items():
            if hasattr(runtime, "set_truth"):
                runtime.set_truth(name, truth)
        peripherals = [asyncio.create_task(w.run(self.duration_s)) for w in self.wearables]
        centrals = [asyncio.create_task(s.run(runtime)) for s in self.sessions]
        failed = []
        try:
            running = set(peripherals)
            while running and not failed:      # until the wearables finish, or a host session gives up
                done, _ = await asyncio.wait(running | set(centrals), return_when=asyncio.FIRST_COMPLETED)
                failed = [t for t in done if t in centrals and not t.cancelled() and t.exception()]
                running -= done
            if not failed:
                await asyncio.sleep(0.2)       # let the last notifications arrive
        finally:
            for task in centrals + peripherals:
                task.cancel()
            await asyncio.gather(*centrals, *peripherals, return_exceptions=True)
        if failed:
            raise failed[0].exception()


def ble_sources(devices: list[str], profile: str, simulate: int, speed: float = 1.0, duration_s: float | None = None,
                rate_hz: float | None = None, polar_model: str = "verity-sense", hci: str | None = None,
                connect: ConnectOptions | None = None):
    """``hci``: a bumble HCI transport (e.g. tcp-client:127.0.0.1:7531 from ``harnet-edge simulate
    --hci-port``) to use instead of the operating system's Bluetooth; all devices share it."""
    adapter = None
    if hci and devices:
        from .bleak_bumble_backend import SoftwareAdapter

        adapter = SoftwareAdapter(hci=hci)
    sources = [BleDeviceSource(d, profile, rate_hz, adapter, connect) for d in devices]
    if simulate:
        sources.append(SimulatedFleet(simulate, profile, speed=speed, duration_s=duration_s, host_rate_hz=rate_hz,
                                      polar_model=polar_model))
    return sources
