"""Polar sensors advertise "Polar <model> <id>" and Polar's company id (0x006B), not the PMD service
(polar-ble-sdk: BleAdvertisementContent.kt name prefix "Polar", BDScanCallback.kt manufacturer
filter 0x006b). The host matches them that way, and confirms PMD only after connecting."""
import asyncio
from types import SimpleNamespace

import pytest

from harnet_edge.firmware_bridge import polar_pmd
from harnet_edge.firmware_bridge.polar_control import DeviceRefused
from harnet_edge.firmware_bridge.protocols import PolarPmdProtocol
from harnet_edge.firmware_bridge.sources import BleDeviceSource


def advertisement(name=None, manufacturer=None, services=()):
    return SimpleNamespace(local_name=name, manufacturer_data=manufacturer or {}, service_uuids=list(services))


@pytest.mark.parametrize("adv, expected", [
    (advertisement("Polar Sense 1A2B3C4D"), True),
    (advertisement("Polar H10 8C4E2A11"), True),
    (advertisement(None, {0x006B: b"\x3f\x00"}), True),             # name not in this advertisement
    (advertisement("HE-Wearable-1", services=[polar_pmd.SERVICE_UUID]), False),
    (advertisement("Polarity"), False),
    (advertisement(None, {0x0059: b""}), False),
])
def test_polar_matching_rule(adv, expected):
    assert PolarPmdProtocol.matches(adv) is expected


def test_the_scan_for_a_polar_sensor_does_not_filter_on_the_pmd_service():
    assert BleDeviceSource("Polar Sense 1A2B3C4D", "polar").transport.service_uuid is None
    assert BleDeviceSource("HE-Wearable-1", "reference").transport.service_uuid is not None


def test_pmd_is_confirmed_after_connecting():
    class NoPmd:
        name, services = "Polar H10 8C4E2A11", {"0000180d-0000-1000-8000-00805f9b34fb"}

    with pytest.raises(DeviceRefused, match="has no Polar PMD service"):
        asyncio.run(PolarPmdProtocol().start(NoPmd()))
