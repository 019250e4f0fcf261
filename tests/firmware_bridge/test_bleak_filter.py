"""The bleak side cannot meet a radio here; its device filter is plain logic and is tested as such."""
from types import SimpleNamespace

from harnet_edge.firmware_bridge import polar_pmd, reference_profile
from harnet_edge.firmware_bridge.bleak_transport import _matches
from harnet_edge.firmware_bridge.protocols import PolarPmdProtocol, ReferenceProtocol, protocol_for


def device(address, name, uuids=()):
    return SimpleNamespace(address=address, name=name), SimpleNamespace(local_name=name, service_uuids=list(uuids))


def test_only_the_named_device_matches_never_the_first_found():
    polar = device("A0:9E:1A:00:00:01", "Polar Sense 1A2B3C4D", [polar_pmd.SERVICE_UUID])
    other = device("11:22:33:44:55:66", "Polar Sense 99999999", [polar_pmd.SERVICE_UUID])
    assert _matches(*polar, "Polar Sense 1A2B3C4D", polar_pmd.SERVICE_UUID)
    assert not _matches(*other, "Polar Sense 1A2B3C4D", polar_pmd.SERVICE_UUID)
    assert _matches(*polar, "a0:9e:1a:00:00:01", None)                 # address, any case
    assert not _matches(*polar, "Polar Sense 1A2B3C4D", reference_profile.SERVICE_UUID)  # wrong service


def test_protocol_is_chosen_from_the_offered_services():
    assert isinstance(protocol_for("auto", {polar_pmd.SERVICE_UUID}), PolarPmdProtocol)
    assert isinstance(protocol_for("auto", {reference_profile.SERVICE_UUID}), ReferenceProtocol)
    try:
        protocol_for("auto", {"0000180d-0000-1000-8000-00805f9b34fb"})
    except Exception as exc:
        assert "none of the known services" in str(exc)
    else:
        raise AssertionError("an unknown device must be refused")
