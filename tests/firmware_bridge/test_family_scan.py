"""How each device family is recognised: services offered, scan advertisements, scan filters."""
from types import SimpleNamespace

import pytest

from harnet_edge.firmware_bridge import pinetime as pt
from harnet_edge.firmware_bridge.protocols import protocol_for


def test_every_family_is_chosen_from_its_advertised_service():
    from harnet_edge.firmware_bridge import banglejs, metamotion, movesense
    for module, name in [(movesense, "movesense"), (metamotion, "metamotion"), (banglejs, "banglejs"),
                         (pt, "pinetime")]:
        assert protocol_for("auto", {"00001800-0000-1000-8000-00805f9b34fb", module.SERVICE_UUID}).name == name


def test_scan_matching_and_missing_service_refusals():
    import asyncio
    from types import SimpleNamespace as Adv

    from harnet_edge.firmware_bridge import banglejs, metamotion, movesense
    from harnet_edge.firmware_bridge.protocols import PROTOCOLS

    def claims(adv):
        return [name for name, cls in PROTOCOLS.items() if hasattr(cls, "matches") and cls.matches(adv)]
    assert "movesense" in claims(Adv(name="Movesense 223430000123", service_uuids=()))
    assert "metamotion" in claims(Adv(name="MetaWear", service_uuids=()))
    assert "banglejs" in claims(Adv(name="Bangle.js 1a2b", service_uuids=(banglejs.SERVICE_UUID,)))
    assert "banglejs" not in claims(Adv(name="Bangle.js 1a2b", service_uuids=()))     # without the app
    assert "pinetime" in claims(Adv(name="InfiniTime", service_uuids=()))
    assert claims(Adv(name="Some Watch", service_uuids=())) == []

    other = SimpleNamespace(name="Watch", services={"0000180f-0000-1000-8000-00805f9b34fb"})
    for protocol, error in [(movesense.MovesenseProtocol(), movesense.MovesenseRefused),
                            (metamotion.MetaMotionProtocol(), metamotion.MetaMotionRefused),
                            (banglejs.BangleProtocol(), banglejs.BangleRefused)]:
        with pytest.raises(error):
            asyncio.run(protocol.start(other))


@pytest.mark.parametrize("profile, advertised", [("movesense", None), ("metamotion", None), ("pinetime", None),
                                                 ("banglejs", "4a1e0001-2b3c-4d5e-8f70-1b2c3d4e5f60")])
def test_scanning_by_name_filters_on_a_service_only_where_the_device_advertises_it(profile, advertised):
    from harnet_edge.firmware_bridge.bleak_transport import _matches
    from harnet_edge.firmware_bridge.sources import BleDeviceSource

    source = BleDeviceSource("Movesense 223430000123", profile)
    assert source.transport.service_uuid == advertised
    device = SimpleNamespace(address="AA:BB:CC:DD:EE:FF", name="Movesense 223430000123")
    adv = SimpleNamespace(local_name="Movesense 223430000123", service_uuids=["0000180f-0000-1000-8000-00805f9b34fb"])
    assert _matches(device, adv, source.target, source.transport.service_uuid) == (advertised is None)


@pytest.mark.ble
@pytest.mark.parametrize("profile, rate", [("movesense", 52), ("metamotion", 50), ("banglejs", 25)])
def test_simulate_self_check_plays_each_family(profile, rate):
    import json

    from tests.conftest import run_cli

    result = run_cli("simulate", "--profile", profile, "--speed", "10", "--duration", "40", timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout[result.stdout.index("{"):])     # after the "# self-check" line
    assert report["host_rate_hz"] == rate and report["host_samples"] > rate * 10
    assert report["decoder"]["malformed"] == 0 and report["reboots"] == 0
