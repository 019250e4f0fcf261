"""``harnet-edge devices`` logic over the bleak backend on the software stack: what is listed, with
which protocol, and what is left out."""
import asyncio

import pytest

from harnet_edge.firmware_bridge import polar_pmd, reference_profile as ref
from harnet_edge.firmware_bridge.advertisement import Advertisement
from harnet_edge.firmware_bridge.bleak_bumble_backend import SoftwareAdapter
from harnet_edge.firmware_bridge.bumble_transport import SoftwareRadio
from harnet_edge.firmware_bridge.discovery import scan
from harnet_edge.firmware_bridge.protocols import PolarPmdProtocol, ReferenceProtocol, protocol_for_advertisement
from harnet_edge.firmware_bridge.wearable import SoftwareWearable, generated_motion

pytestmark = pytest.mark.ble


def test_scan_lists_supported_wearables_with_their_protocol():
    async def main():
        from bumble.core import AdvertisingData

        radio = SoftwareRadio()
        fast = {"advertising_interval_ms": 152.5}      # every device heard within the 1 s scan
        twins = [SoftwareWearable(radio, "HE-Ref", generated_motion(50, 30), 50, **fast),
                 SoftwareWearable(radio, "Polar Sense TWIN", generated_motion(52, 30), 52, profile="polar", **fast)]
        tasks = [asyncio.create_task(t.run(30)) for t in twins]
        stranger = radio.new_device("Kettle")          # advertises a name and nothing we know
        stranger.advertising_data = bytes(AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, b"Kettle")]))
        stranger.advertising_interval_min = stranger.advertising_interval_max = 152.5
        await stranger.power_on()
        await stranger.start_advertising(auto_restart=True)
        adapter = SoftwareAdapter(radio.new_device("host"))
        try:
            supported = await scan(1.0, adapter)
            everything = await scan(1.0, adapter, include_unsupported=True)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return twins, supported, everything

    twins, supported, everything = asyncio.run(main())
    assert {(d.name, d.protocol) for d in supported} == {("HE-Ref", "reference"), ("Polar Sense TWIN", "polar")}
    addresses = {str(t.device.public_address).split("/")[0] for t in twins}
    assert {d.address for d in supported} == addresses and all(isinstance(d.rssi, int) for d in supported)
    assert ("Kettle", None) in {(d.name, d.protocol) for d in everything} and len(everything) == 3


def test_protocols_claim_advertisements_by_their_rules():
    reference = Advertisement("C0:FE:00:00:00:01", "HE-1", (ref.SERVICE_UUID,))
    assert ReferenceProtocol.matches(reference) and protocol_for_advertisement(reference) is ReferenceProtocol
    polar = Advertisement("A0:9E:1A:00:00:01", "Polar Sense 1", (polar_pmd.SERVICE_UUID,))
    assert PolarPmdProtocol.matches(polar) and not ReferenceProtocol.matches(polar)
    assert protocol_for_advertisement(Advertisement("11:22:33:44:55:66", "Kettle")) is None
