"""The LSL sink through a real liblsl outlet and inlet, confined to this machine (loopback only)."""
import json
import subprocess
import sys
import uuid

import pytest

# liblsl reads this file on first use: resolve on this machine only, listen on 127.0.0.1, no IPv6.
LSL_CONFIG = """[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
[lab]
KnownPeers = {127.0.0.1}
SessionID = %s
"""

CONSUMER = r"""
import json, sys
import pylsl
from harnet_edge.runtime.samples import Classification
from harnet_edge.runtime.sinks import LslSink

name, classes = sys.argv[1], ["walk", "sit", "stand"]
sink = LslSink(classes, name=name)
found = pylsl.resolve_byprop("name", name, timeout=10)
assert found, "outlet not found on this machine"
inlet = pylsl.StreamInlet(found[0])
info = inlet.info(timeout=10)
channels, ch = [], info.desc().child("channels").child("channel")
while not ch.empty():
    channels.append(ch.child_value("label"))
    ch = ch.next_sibling()
inlet.open_stream(timeout=10)
sink.emit(Classification("wrist", 0.0, 10.0, "sit", {"walk": 0.1, "sit": 0.7, "stand": 0.2}, 1.0, []))
sink.emit(Classification("wrist", 10.0, 20.0, None, {}, 1.0, ["gravity_missing", "not_classified"]))
sink.emit(Classification("wrist", 20.0, 30.0, "walk", {"stand": 0.05, "walk": 0.9, "sit": 0.05}, 1.0, []))
samples = []
for _ in range(3):
    sample, stamp = inlet.pull_sample(timeout=5)
    if sample is not None:
        samples.append(sample)
print(json.dumps({"type": info.type(), "channel_count": info.channel_count(), "channels": channels,
                  "samples": samples}))
"""


def test_lsl_outlet_carries_class_probabilities_to_an_inlet(tmp_path):
    probe = subprocess.run([sys.executable, "-c", "import pylsl; pylsl.library_version()"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        pytest.skip(f"liblsl cannot load here: {(probe.stderr.strip().splitlines() or ['?'])[-1]}")
    config = tmp_path / "lsl_api.cfg"
    config.write_text(LSL_CONFIG % uuid.uuid4().hex)
    name = f"harnet-edge-test-{uuid.uuid4().hex[:8]}"
    result = subprocess.run([sys.executable, "-c", CONSUMER, name], capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "LSLAPICFG": str(config)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["type"] == "Classification" and got["channel_count"] == 3
    assert got["channels"] == ["walk", "sit", "stand"]
    # in class order; the flagged, unclassified window sends nothing
    assert got["samples"] == [pytest.approx([0.1, 0.7, 0.2]), pytest.approx([0.9, 0.05, 0.05])]
