import subprocess
import sys


def test_fleet_and_dashboard_never_load_torch():
    code = ("import sys, harnet_edge.fleet.publisher, harnet_edge.fleet.collector, harnet_edge.fleet.stream_options,"
            " harnet_edge.dashboard.server, harnet_edge.dashboard.sink, harnet_edge.cli.collect_cmd;"
            " print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'harnet_edge') and"
            " m.split('.')[:2] in (['torch'], ['harnet_edge', 'export'], ['harnet_edge', 'train'])))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
