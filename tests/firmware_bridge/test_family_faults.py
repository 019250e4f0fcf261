"""simulate's fault options on the vendor family twins: applied, or refused in one line (never
silently ignored, which let a user believe reconnects had been exercised)."""
import json

import pytest

from harnet_edge.cli import main


@pytest.mark.ble
@pytest.mark.parametrize("profile", ["movesense", "banglejs"])
def test_disconnect_every_forces_disconnects_on_a_family_twin_and_the_host_reconnects(profile, capsys):
    code = main(["simulate", "--profile", profile, "--disconnect-every", "2", "--duration", "24", "--speed", "4"])
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{"):])
    assert code == 0
    assert report["forced_disconnects"] >= 2 and report["host_connects"] >= report["forced_disconnects"]
    assert report["decoder"]["lost"] == 0 and report["host_samples"] > 0


@pytest.mark.parametrize("option", [["--reboot-every", "5"], ["--jitter-us", "300"]])
def test_fault_a_family_twin_does_not_model_is_refused_in_one_line(option, capsys):
    assert main(["simulate", "--profile", "metamotion", "--duration", "1", *option]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and option[0] in err[0] and "metamotion" in err[0]
