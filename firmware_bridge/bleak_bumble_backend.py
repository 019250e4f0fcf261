"""A bleak backend over the software Bluetooth stack (bumble): BleakScanner and BleakClient accept
``backend=`` classes, and these drive a bumble host instead of BlueZ / CoreBluetooth / WinRT.

``BleakTransport`` -- the class that runs on every laptop and Raspberry Pi -- then runs unchanged
against software wearables: real advertising reports, connection, MTU exchange, GATT discovery,
notifications, indications and link loss all cross the bumble HCI/LL/L2CAP/ATT stack. The host side
is a ``SoftwareAdapter``: a bumble device on an in-process link, or behind an HCI transport such as
``tcp-client:127.0.0.1:PORT`` (see ``hci_server`` for the other end). This module holds the
adapter and the scanner; ``bleak_bumble_client`` the client.

Behaviour follows bleak's documented backend contract: the disconnect callback fires on
unsolicited link loss only; GATT errors become ``BleakGATTProtocolError``; a connect that does not
complete in time raises ``TimeoutError``; a device not seen in a scan raises
``BleakDeviceNotFoundError``.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

from .bleak_bumble_client import SoftwareBleakClient, address_str, uuid_str

__all__ = ["SoftwareAdapter", "SoftwareBleakClient", "SoftwareBleakScanner", "hci_spec_problem"]
log = logging.getLogger(__name__)

# bumble's transport schemes (bumble.transport.open_transport); those taking HOST:PORT are checked fully.
_HCI_SCHEMES = ("serial", "udp", "tcp-client", "tcp-server", "ws-client", "ws-server", "pty", "file", "vhci",
                "hci-socket", "usb", "pyusb", "android-emulator", "android-netsim", "unix", "unix-client",
                "unix-server")
_HOST_PORT_SCHEMES = ("tcp-client", "tcp-server", "ws-client", "ws-server")


def hci_spec_problem(spec: str) -> str | None:
    """Why ``spec`` cannot name an HCI transport (a typo is not worth retrying), or None if it may."""
    example = "e.g. tcp-client:127.0.0.1:7531 (see harnet-edge simulate --hci-port) or usb:0"
    scheme, _, rest = spec.partition(":")
    if scheme not in _HCI_SCHEMES:
        return f"--hci {spec!r}: unknown transport {scheme!r}; {example}"
    if scheme in _HOST_PORT_SCHEMES:
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) <= 65535:
            return f"--hci {spec!r}: {scheme} needs HOST:PORT with a port 1..65535; {example}"
    elif scheme in ("usb", "pyusb", "serial", "file", "unix", "unix-client", "unix-server") and not rest:
        return f"--hci {spec!r}: {scheme} needs a device after the colon; {example}"
    return None


def advertisement_data(advertisement) -> tuple[str | None, AdvertisementData]:
    """bumble advertisement -> (local name, bleak AdvertisementData), field by field from the AD structures."""
    from bumble.core import UUID, AdvertisingData

    name, services, manufacturer, service_data, tx_power = None, [], {}, {}, None
    uuid_sizes = {AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
                  AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
                  AdvertisingData.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
                  AdvertisingData.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
                  AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
                  AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16}
    data_sizes = {AdvertisingData.SERVICE_DATA_16_BIT_UUID: 2, AdvertisingData.SERVICE_DATA_32_BIT_UUID: 4,
                  AdvertisingData.SERVICE_DATA_128_BIT_UUID: 16}
    for ad_type, value in advertisement.data.ad_structures:
        value = bytes(value)
        if ad_type == AdvertisingData.COMPLETE_LOCAL_NAME or (ad_type == AdvertisingData.SHORTENED_LOCAL_NAME
                                                               and name is None):
            name = value.decode("utf-8", errors="replace")
        elif ad_type in uuid_sizes:
            size = uuid_sizes[ad_type]
            services += [uuid_str(UUID.from_bytes(value[i:i + size])) for i in range(0, len(value) - size + 1, size)]
        elif ad_type in data_sizes and len(value) >= data_sizes[ad_type]:
            size = data_sizes[ad_type]
            service_data[uuid_str(UUID.from_bytes(value[:size]))] = value[size:]
        elif ad_type == AdvertisingData.MANUFACTURER_SPECIFIC_DATA and len(value) >= 2:
            manufacturer[int.from_bytes(value[:2], "little")] = value[2:]
        elif ad_type == AdvertisingData.TX_POWER_LEVEL and value:
            tx_power = int.from_bytes(value[:1], "little", signed=True)
    return name, AdvertisementData(name, manufacturer, service_data, services, tx_power, advertisement.rssi,
                                   (advertisement,))


class SoftwareAdapter:
    """A bumble host device playing the computer's Bluetooth adapter for bleak.

    ``scanner_backend`` and ``client_backend`` are the classes to pass as bleak's ``backend=``; they
    are bound to this adapter because bleak instantiates backends itself.
    """

    def __init__(self, device=None, hci: str | None = None, name: str = "harnet-edge-host"):
        if device is None and hci is None:
            raise ValueError("a SoftwareAdapter needs a bumble device or an HCI transport spec")
        self.device, self.hci, self.name = device, hci, name
        self.hci_transport = None
        self._powered = asyncio.Lock()
        self._on = False
        self._scanners: set = set()
        self.clients: set = set()          # connected SoftwareBleakClients
        self.scanner_backend = type("SoftwareBleakScanner", (SoftwareBleakScanner,), {"adapter": self})
        self.client_backend = type("SoftwareBleakClient", (SoftwareBleakClient,), {"adapter": self})

    def __str__(self) -> str:
        return f"software Bluetooth adapter at {self.hci}" if self.hci else "in-process software Bluetooth adapter"

    async def power_on(self) -> None:
        """Open the HCI transport (first use only) and bring the host up, as BlueZ does at boot."""
        async with self._powered:
            if self._on:
                return
            if self.device is None:
                from bumble.device import Device
                from bumble.hci import Address
                from bumble.transport import open_transport

                try:
                    self.hci_transport = await open_transport(self.hci)
                except Exception as exc:       # USB and serial errors are not OSErrors: name the adapter
                    from .connect import NO_ADAPTER, ConnectFailure

                    raise ConnectFailure(f"no Bluetooth adapter: cannot open {self.hci} ({exc or type(exc).__name__})"
                                         + ("; is 'harnet-edge simulate --hci-port PORT' running?"
                                            if self.hci.startswith("tcp-client:") else ""), NO_ADAPTER) from None
                self.device = Device.with_hci(self.name, Address("F0:F1:F2:F3:F4:F5"),
                                              self.hci_transport.source, self.hci_transport.sink)
                self.hci_transport.source.terminated.add_done_callback(lambda _: self._transport_lost())
            ignore_answers_to_cancelled_commands(self.device.host)
            await self.device.power_on()
            self._on = True

    def _transport_lost(self) -> None:
        # The controller went away (simulator stopped, dongle unplugged). Its links are gone, as BlueZ
        # reports when an adapter disappears; the next scan or connect reopens the transport.
        log.info("%s: HCI transport lost", self)
        self._on, self.device, self.hci_transport = False, None, None
        self._scanners.clear()
        for client in list(self.clients):
            client.link_lost()

    async def close(self) -> None:
        if self.hci_transport is not None:
            await self.hci_transport.close()
            self.hci_transport = None

    # Several bleak scanners may share the adapter (as on BlueZ): the radio scans while any is active.
    async def start_scan(self, scanner) -> None:
        await self.power_on()
        first = not self._scanners
        self._scanners.add(scanner)
        if first:
            self.device.on("advertisement", self._on_advertisement)
            await self.device.start_scanning(legacy=True, active=True, filter_duplicates=False)

    async def stop_scan(self, scanner) -> None:
        if scanner not in self._scanners:
            return
        self._scanners.discard(scanner)
        if not self._scanners and self._on:
            self.device.remove_listener("advertisement", self._on_advertisement)
            await self.device.stop_scanning(legacy=True)

    def _on_advertisement(self, advertisement) -> None:
        for scanner in list(self._scanners):
            scanner.on_advertisement(advertisement)


def ignore_answers_to_cancelled_commands(host) -> None:
    """Drop a controller's answer to an HCI command whose caller was cancelled (Ctrl-C mid-scan or
    mid-connect). bumble's host sets the answer on the cancelled future and prints an
    InvalidStateError traceback; BlueZ likewise drops answers nobody waits for."""
    if getattr(host, "_harnet_guarded", False):
        return
    answer = host.on_command_processed

    def on_command_processed(event):
        if host.pending_response is not None and host.pending_response.done():
            log.debug("answer to a cancelled HCI command dropped: %s", event)
            return
        answer(event)

    host.on_command_processed, host._harnet_guarded = on_command_processed, True


class SoftwareBleakScanner(BaseBleakScanner):
    adapter: SoftwareAdapter

    def __init__(self, detection_callback=None, service_uuids=None, scanning_mode: str = "active", **kwargs: Any):
        super().__init__(detection_callback, service_uuids)

    async def start(self) -> None:
        self.seen_devices = {}
        await self.adapter.start_scan(self)

    async def stop(self) -> None:
        await self.adapter.stop_scan(self)

    def on_advertisement(self, advertisement) -> None:
        name, adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = address_str(advertisement.address)
        previous = self.seen_devices.get(address)
        if name is None and previous is not None:
            name = previous[0].name          # a scan response without the name keeps the name seen before
        device = self.create_or_update_device(address, address, name, {"address": advertisement.address}, adv)
        self.call_detection_callbacks(device, adv)
