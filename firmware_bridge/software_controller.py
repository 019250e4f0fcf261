"""bumble's software controller, completed where hosts depend on the specification.

LE Create Connection Cancel (Bluetooth Core Vol 4, Part E, 7.8.13): the controller answers Command
Complete and then, if a connection was being created, an LE Connection Complete event with status
Unknown Connection Identifier (0x02), and stops initiating. bumble 0.0.236's controller returns
success but keeps the pending connection, so a host whose connect timed out never learns that the
attempt ended (it waits forever) and every later connect is refused as Command Disallowed. Real
controllers do not behave like that, and a connect timeout must be testable, so this one does not.

Scan responses (Core Vol 6, Part B, 4.4.2.9): an active scanner receives the advertiser's scan
response data. bumble 0.0.236's controller sends the advertising data again instead, so a wearable
that keeps its name in the scan response (to stay within 31 bytes of advertising) would never be
found by name. This one sends the advertiser's scan response data, as hardware does.
"""
from __future__ import annotations

import asyncio


def controller_class():
    import dataclasses

    from bumble import hci
    from bumble.controller import Controller

    legacy, extended = hci.HCI_LE_Advertising_Report_Event, hci.HCI_LE_Extended_Advertising_Report_Event

    class SoftwareController(Controller):
        def on_hci_le_create_connection_cancel_command(self, command):
            pending, self.pending_le_connection = self.pending_le_connection, None
            if pending is not None:
                failed = hci.HCI_LE_Connection_Complete_Event(
                    status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR, connection_handle=0,
                    role=hci.Role.CENTRAL, peer_address_type=pending.peer_address.address_type,
                    peer_address=pending.peer_address, connection_interval=0, peripheral_latency=0,
                    supervision_timeout=0, central_clock_accuracy=0)
                # After this command's Command Complete, which the caller sends once we return.
                asyncio.get_running_loop().call_soon(self.send_hci_packet, failed)
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

        def _scan_response_of(self, address) -> bytes | None:
            advertiser = self.link.find_le_controller(address) if self.link else None
            if advertiser is None:
                return None
            sets = [bytes(a.scan_response_data) for a in getattr(advertiser, "advertising_sets", {}).values()]
            return bytes(advertiser.le_legacy_advertiser.scan_response_data) or next((d for d in sets if d), b"")

        def send_hci_packet(self, packet) -> None:
            if isinstance(packet, (legacy, extended)):
                is_response = (lambda r: r.event_type == legacy.EventType.SCAN_RSP) if isinstance(packet, legacy) \
                    else (lambda r: bool(r.event_type & extended.EventType.SCAN_RESPONSE))
                reports = []
                for report in packet.reports:
                    data = self._scan_response_of(report.address) if is_response(report) else None
                    reports.append(report if data is None else dataclasses.replace(report, data=data))
                packet = type(packet)(reports)
            super().send_hci_packet(packet)

    return SoftwareController
