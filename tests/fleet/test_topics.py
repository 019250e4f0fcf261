import pytest

from harnet_edge.errors import HarnetEdgeError
from harnet_edge.fleet.topics import parse_broker_url, split_topic, topic_level, window_topic


def test_broker_url_defaults_and_errors():
    assert str(parse_broker_url("mqtt://broker.local")) == "mqtt://broker.local:1883/harnet-edge"
    assert parse_broker_url("mqtt://127.0.0.1:1884/site/a").prefix == "site/a"
    for bad in ("http://x", "mqtt://", "mqtt://h:99999/p", "mqtt://h/a/#", "127.0.0.1:1883"):
        with pytest.raises(HarnetEdgeError):
            parse_broker_url(bad)


def test_names_never_add_topic_levels_or_wildcards():
    assert topic_level("Polar Sense 1A/2B+#") == "Polar Sense 1A_2B__"
    topic = window_topic("p/q", "gw/1", "dev#")
    assert topic == "p/q/gw_1/dev_/windows"
    assert split_topic("p/q", topic) == ("gw_1", "dev_", "windows")
    assert split_topic("p/q", "p/q/gw_1/status") == ("gw_1", None, "status")
    assert split_topic("p/q", "p/q/gw/dev/other") is None


def test_broker_url_mistakes_are_one_line_errors_not_silent_or_tracebacks():
    # port 0 became 1883 silently, '[::1' raised ValueError, credentials were silently dropped
    for bad in ("mqtt://127.0.0.1:0/x", "mqtt://[::1/x", "mqtt://user:pw@127.0.0.1:1883/x", "mqtt://u@h/x"):
        with pytest.raises(HarnetEdgeError):
            parse_broker_url(bad)
    assert parse_broker_url("mqtt://[::1]:1884/x").host == "::1"
