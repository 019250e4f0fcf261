"""--hci given the way users get it wrong: a typo fails at once with the accepted forms (no retries), and
an adapter that cannot be opened for a non-socket reason (USB, serial) is still named as the cause."""
import asyncio

import pytest

from harnet_edge.firmware_bridge.bleak_bumble_backend import SoftwareAdapter, hci_spec_problem
from harnet_edge.firmware_bridge.connect import NO_ADAPTER, ConnectFailure, explain
from tests.conftest import run_cli


@pytest.mark.parametrize("spec", ["garbage", "tcp-client:nohost", "tcp-client:127.0.0.1:99999",
                                  "tcp-client:127.0.0.1:0", "tcp-client:127.0.0.1:port", "usb:", "tcp:127.0.0.1:7531"])
def test_malformed_hci_specs_are_named(spec):
    assert spec in hci_spec_problem(spec) and "tcp-client:127.0.0.1:7531" in hci_spec_problem(spec)


@pytest.mark.parametrize("spec", ["tcp-client:127.0.0.1:7531", "usb:0", "usb:2fe3:000b", "serial:/dev/ttyACM0,1000000",
                                  "tcp-client:[::1]:7531", "hci-socket:0"])
def test_well_formed_hci_specs_pass(spec):
    assert hci_spec_problem(spec) is None


@pytest.mark.parametrize("command", [("stream", "--device", "X", "--quiet"), ("devices",)])
def test_cli_refuses_a_malformed_hci_at_once(command):
    result = run_cli(*command, "--hci", "tcp-client:nohost", timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "--hci 'tcp-client:nohost'" in lines[0] and "retry" not in result.stdout + result.stderr


def test_an_adapter_that_fails_to_open_outside_oserror_is_reported_as_no_adapter(monkeypatch):
    class USBError(Exception):           # what libusb raises for usb:0 with no dongle: not an OSError
        pass

    async def refuse(spec):
        raise USBError("LIBUSB_ERROR_OTHER [-99]")

    import bumble.transport
    monkeypatch.setattr(bumble.transport, "open_transport", refuse)
    adapter = SoftwareAdapter(hci="usb:0")
    with pytest.raises(Exception) as caught:
        asyncio.run(adapter.power_on())
    failure = explain(caught.value, "X", "scan", adapter)
    assert isinstance(failure, ConnectFailure) and failure.cause == NO_ADAPTER
    assert "no Bluetooth adapter" in str(failure) and "usb:0" in str(failure) and "LIBUSB" in str(failure)


def test_ctrl_c_mid_hci_command_does_not_print_a_traceback():
    """Ctrl-C while a scan or connect waits for the controller's answer: the answer then arrives for a
    cancelled command. bumble 0.0.236 raised InvalidStateError there (printed as a traceback on exit)."""
    from types import SimpleNamespace

    from bumble import hci

    from harnet_edge.firmware_bridge.bumble_transport import SoftwareRadio

    async def main():
        adapter = SoftwareAdapter(SoftwareRadio().new_device("host"))
        await adapter.power_on()
        host = adapter.device.host
        task = asyncio.create_task(host.send_command(hci.HCI_Read_BD_ADDR_Command()))
        while host.pending_response is None:
            await asyncio.sleep(0)
        assert not host.pending_response.done()       # the command waits for the controller
        task.cancel()                                  # Ctrl-C
        # the controller's answer arrives before the cancelled caller resumes
        host.on_command_processed(SimpleNamespace(command_opcode=hci.HCI_READ_BD_ADDR_COMMAND,
                                                  num_hci_command_packets=1))
        await asyncio.gather(task, return_exceptions=True)
        await adapter.device.host.send_command(hci.HCI_Read_BD_ADDR_Command())   # the host still works
        return task.cancelled()

    assert asyncio.run(main())
