"""bumble's software controller, completed where hosts depend on the specification.

LE Create Connection Cancel (Bluetooth Core Vol 4, Part E, 7.8.13): the controller answers Command
Complete and then, if a connection was being created, an LE Connection Complete event with status
Unknown Connection Identifier (0x02), and stops initiating. bumble 0.0.236's controller returns
success but keeps the pending connection, so a host whose connect timed out never learns that the
attempt ended (it waits forever) and every later connect is refused as Command Disallowed. Real
controllers do not behave like that, and a connect timeout must be testable, so this one does not.
"""
from __future__ import annotations

import asyncio


def controller_class():
    from bumble import hci
    from bumble.controller import Controller

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

    return SoftwareController
