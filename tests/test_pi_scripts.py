"""scripts/pi: the emulation script names no mirror host; it takes the machine's own apt source."""
import re
import subprocess
import sys

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "pi" / "emulate_pi.sh"


def mirror_from(apt_etc) -> subprocess.CompletedProcess:
    function = re.search(r"^debian_mirror\(\) \{.*?^\}", SCRIPT.read_text(), re.M | re.S).group(0)
    return subprocess.run(["bash", "-c", f"{function}\ndebian_mirror"], capture_output=True, text=True,
                          env={"APT_ETC": str(apt_etc), "PATH": "/usr/bin:/bin"})


def test_no_host_name_is_written_into_the_script():
    assert not re.findall(r"https?://[A-Za-z0-9-]+\.[A-Za-z0-9.-]+", SCRIPT.read_text())


def test_mirror_comes_from_deb822_or_one_line_apt_sources(tmp_path):
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "nodesource.sources").write_text("Types: deb\nURIs: https://deb.example-node.test/node_20.x\n")
    (d / "debian.sources").write_text("Types: deb\nURIs: http://mirror.example.test/debian\nSuites: bookworm\n")
    assert mirror_from(tmp_path).stdout.strip() == "http://mirror.example.test/debian"
    (d / "debian.sources").unlink()
    (tmp_path / "sources.list").write_text("deb [arch=amd64 signed-by=/k.gpg] http://other.example.test/debian bookworm main\n")
    assert mirror_from(tmp_path).stdout.strip() == "http://other.example.test/debian"
    (tmp_path / "sources.list").unlink()
    assert mirror_from(tmp_path).stdout.strip() == ""       # the script then asks for DEBIAN_MIRROR


def test_the_emulation_runs_the_models_that_ship():
    """The run compares the built-in int8 files by name: names typed into the scripts outlived the
    model they named (ds-small_int8.*) when the built-in model changed."""
    from harnet_edge.runtime.defaults import DEFAULT_DIR

    names = subprocess.run([sys.executable, str(REPO / "scripts" / "pi" / "compare_runs.py"), "--models"],
                           capture_output=True, text=True, check=True).stdout.split()
    assert names and all((DEFAULT_DIR / name).is_file() for name in names), names
    assert not re.findall(r"[\w.-]+_(?:int8|fp32)\.(?:onnx|tflite)", SCRIPT.read_text())
