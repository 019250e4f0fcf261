"""The Raspberry Pi unit and logrotate rule (issue 14): the instance name documented in the README
(systemd-escape --template) gives the device name back exactly through %I, the log file named with %i
stays directly in /var/lib/harnet-edge, and the logrotate glob matches that file.

systemd's own tool does the escaping and the %I unescaping (``systemd-escape --unescape`` is the same
unit-name unescaping as %I); %i is the instance as written."""
import fnmatch
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO

UNIT = REPO / "scripts" / "pi" / "harnet-edge@.service"
LOGROTATE = REPO / "scripts" / "pi" / "harnet-edge.logrotate"
NAMES = ["HE-Wearable-1", "Polar Sense 1A2B3C4D", "A0:9E:1A:12:34:56", "Bangle.js 3f2c", "my-wrist-left",
         "wrist/left 2"]

pytestmark = pytest.mark.skipif(shutil.which("systemd-escape") is None, reason="needs systemd-escape")


def systemd_escape(*args) -> str:
    return subprocess.run(["systemd-escape", *args], check=True, capture_output=True, text=True).stdout.strip()


def exec_start() -> str:
    text = UNIT.read_text()
    return re.search(r"^ExecStart=(.*?)(?<!\\)$", text.replace("\\\n", " "), re.M).group(1)


def expand(template: str, instance: str) -> str:
    unescaped = systemd_escape("--unescape", instance)
    return template.replace("%I", unescaped).replace("%i", instance)


def argument(command: str, option: str) -> str:
    return re.search(rf'{option} "([^"]*)"', command).group(1)


@pytest.mark.parametrize("name", NAMES)
def test_escaped_instance_gives_the_device_and_a_rotated_log(name):
    unit = systemd_escape("--template", "harnet-edge@.service", name)
    instance = unit[len("harnet-edge@"):-len(".service")]
    command = expand(exec_start(), instance)
    assert argument(command, "--device") == name
    log = argument(command, "--jsonl")
    assert log.startswith("/var/lib/harnet-edge/") and "/" not in log[len("/var/lib/harnet-edge/"):]
    globs = [line.split()[0] for line in LOGROTATE.read_text().splitlines() if line.strip().endswith("{")]
    assert any(fnmatch.fnmatchcase(log, g) and "/" not in log[len(g.rsplit("/", 1)[0]) + 1:] for g in globs)


def test_readme_installs_the_unit_with_systemd_escape():
    readme = (REPO / "README.md").read_text()
    assert "systemd-escape --template harnet-edge@.service" in readme
    assert "enable --now 'harnet-edge@" not in readme      # the unescaped form turns '-' into '/'


def test_the_unescaped_form_would_break_a_name_with_a_dash():
    """Why the escaping matters: written by hand, HE-Wearable-1 reaches the stream as HE/Wearable/1."""
    assert expand(argument(exec_start(), "--device"), "HE-Wearable-1") == "HE/Wearable/1"


def test_the_unit_states_its_fsync_policy():
    command = exec_start()
    assert "--fsync-every" in command and "fsync" in UNIT.read_text().split("[Service]")[1]
