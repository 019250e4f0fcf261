"""PineTime / InfiniTime: recognised by its motion service and refused in one line, never classified."""
import pytest

from harnet_edge.firmware_bridge import pinetime as pt
from harnet_edge.firmware_bridge.twin_pinetime import PineTimeTwin

from .family_harness import motion, run_twin


@pytest.mark.ble
def test_pinetime_is_detected_from_its_services_and_refused_before_any_sample():
    twin, session, rec, error = run_twin(lambda radio: PineTimeTwin(radio, "InfiniTime", motion(), 100.0, speed=10),
                                         None, seconds=5)
    assert session.protocol.name == "pinetime"                       # chosen from the services offered
    assert isinstance(error, pt.PineTimeRefused) and str(error) == pt.REFUSAL and "\n" not in str(error)
    assert "10 Hz" in str(error) and not rec.t and rec.nominal is None


@pytest.mark.ble
def test_stream_command_refuses_a_pinetime_in_one_line_with_status_2():
    from tests.conftest import run_cli

    result = run_cli("stream", "--simulate", "1", "--profile", "pinetime", "--speed", "10x", "--duration", "15",
                     timeout=60)
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        f"harnet-edge stream: error: {pt.REFUSAL}"]
    assert "InfiniTime-1 " not in result.stdout                   # no window was classified
