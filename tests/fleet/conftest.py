"""A real Mosquitto on a free loopback port (generated config, persistence in the test's tmp dir)."""
import json
import time

import pytest

from harnet_edge.fleet.local_broker import LocalMosquitto, mosquitto_binary


@pytest.fixture
def mosquitto(tmp_path):
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed (Debian: apt-get install mosquitto; .ci/run installs it)")
    broker = LocalMosquitto(tmp_path / "broker").start()
    yield broker
    broker.stop()


class Subscriber:
    """A plain paho client that records every message under a topic filter."""

    def __init__(self, port: int, topic: str):
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, dict, bool]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, json.loads(m.payload), m.retain))
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def wait_for(self, predicate, timeout_s: float = 15.0):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [m for m in self.messages if predicate(m)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no matching message within {timeout_s} s; got {self.messages[-5:]}")

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def subscriber_factory():
    made = []

    def make(port, topic):
        made.append(Subscriber(port, topic))
        return made[-1]

    yield make
    for s in made:
        s.close()
