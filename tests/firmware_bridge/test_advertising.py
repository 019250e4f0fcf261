"""The software wearable's advertising fits legacy advertising (31 bytes, Core spec Vol 6 Part B
2.3.1.1) and is still found by name: the name travels in the scan response (issue 14)."""
import asyncio
import json

import numpy as np
import pytest

from tests.conftest import run_cli

pytest.importorskip("bumble")


def ad_structures(payload: bytes) -> list[tuple[int, bytes]]:
    """Parse AD structures (length, type, data) as a scanner does; the lengths must add up exactly."""
    out, i = [], 0
    while i < len(payload):
        length = payload[i]
        assert length > 0 and i + 1 + length <= len(payload), payload.hex()
        out.append((payload[i + 1], payload[i + 2:i + 1 + length]))
        i += 1 + length
    return out


async def built(profile: str, name: str):
    from harnet_edge.firmware_bridge.bumble_transport import SoftwareRadio
    from harnet_edge.firmware_bridge.wearable import SoftwareWearable

    return SoftwareWearable(SoftwareRadio(), name, np.zeros((10, 3)), 50.0, profile).device


@pytest.mark.parametrize("profile", ["reference", "polar"])
@pytest.mark.parametrize("name", ["HE-Wearable-1", "Polar Sense 1A2B3C4D", "x" * 29])
def test_advertising_and_scan_response_fit_31_bytes(profile, name):
    device = asyncio.run(built(profile, name))
    adv, rsp = bytes(device.advertising_data), bytes(device.scan_response_data)
    assert len(adv) <= 31 and len(rsp) <= 31, (len(adv), len(rsp))
    adv_types, rsp_types = dict(ad_structures(adv)), dict(ad_structures(rsp))
    assert adv_types[0x01] == b"\x06"                                   # flags: LE general discoverable
    assert (adv_types.get(0x09) or rsp_types.get(0x09)) == name.encode()  # complete local name, somewhere
    if profile == "reference":
        assert len(adv_types[0x07]) == 16 and rsp_types[0x09] == name.encode()   # the UUID leaves no room
    else:
        assert 0xFF in adv_types                                          # Polar: company id, not the UUID


def test_the_reference_wearable_of_the_issue_no_longer_advertises_33_bytes():
    device = asyncio.run(built("reference", "HE-Wearable-1"))
    naive = 2 + len("HE-Wearable-1") + 2 + 16                  # name + 128-bit UUID in one payload: 33
    assert naive == 33 and len(bytes(device.advertising_data)) == 21


def test_a_name_that_cannot_fit_is_refused():
    with pytest.raises(ValueError, match="scan response is 32 bytes"):
        asyncio.run(built("reference", "x" * 30))


def test_simulate_is_found_by_name_and_delivers():
    """The central scans for the advertised name, which now only exists in the scan response."""
    result = run_cli("simulate", "--duration", "30", "--speed", "10", timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert report["host_connects"] >= 1 and report["notifications_sent"] > 0 and report["host_samples"] > 0
