"""CPU cost of publishing (issue 15: <= 5 % per gateway at 8 devices): one gateway streaming 8
software wearables in real time, with and without --mqtt, run side by side (each pair at the same
time, so both see the same machine load; the start order alternates), CPU time of each process from
the kernel (user + sys, os.wait4). A real Mosquitto and a real collector take the messages.
The steady state is also reported on its own, start-up (imports, model load, connect) left out:
CPU time read from /proc/<pid>/stat 25 s after launch and again 2 s before the run ends.

    nice -n 10 python scripts/bench_mqtt_cpu.py [--pairs 3] [--seconds 60]

Writes docs/results/mqtt_cpu.json and mqtt_cpu.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from readme_results import write_result

REPO = Path(__file__).resolve().parents[1]


def cpu_seconds(proc: subprocess.Popen) -> float:
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench_mqtt_cpu: a gateway failed: {proc.stderr.read()[-400:]}")
    return usage.ru_utime + usage.ru_stime


def proc_cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")     # utime + stime


def main() -> int:
    sys.path.insert(0, str(REPO))
    from harnet_edge.fleet.local_broker import LocalMosquitto

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=6)
    p.add_argument("--seconds", type=float, default=120.0, help="streaming time per run (at least 40)")
    p.add_argument("--wearables", type=int, default=8)
    p.add_argument("--results-dir", type=Path, default=REPO / "docs" / "results")
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mqtt-cpu-"))
    broker = LocalMosquitto(work / "broker").start()
    url = f"{broker.url}/bench"
    collector = subprocess.Popen([sys.executable, "-m", "harnet_edge.cli", "collect", "--mqtt", url, "--out",
                                  work / "collected"], cwd=REPO, stdout=subprocess.DEVNULL)
    def run_pair(k: int, seconds: float) -> tuple[dict, int]:
        base = [sys.executable, "-m", "harnet_edge.cli", "stream", "--simulate", str(args.wearables), "--speed", "1x",
                "--duration", str(seconds), "--quiet"]
        commands = {"without": base, "with": base + ["--mqtt", url, "--gateway", f"gw{k}",
                                                     "--mqtt-queue", str(work / f"gw{k}.sqlite")]}
        order = ["without", "with"] if k % 2 == 0 else ["with", "without"]
        launched = time.monotonic()
        procs = {name: subprocess.Popen(commands[name], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True) for name in order}
        time.sleep(25)
        early = {name: proc_cpu_seconds(proc.pid) for name, proc in procs.items()}
        time.sleep(max(0.0, launched + seconds - 2 - time.monotonic()))
        late = {name: proc_cpu_seconds(proc.pid) for name, proc in procs.items()}
        cpu = {name: cpu_seconds(proc) for name, proc in procs.items()}
        steady = {name: late[name] - early[name] for name in procs}
        return cpu, steady, json.loads(procs["with"].stdout.read().strip().splitlines()[-1])["summary"]["mqtt"]["sent"]

    pairs = []
    try:
        for k in range(args.pairs):
            cpu, steady, sent = run_pair(k, args.seconds)
            pairs.append({"cpu_s_without": round(cpu["without"], 3), "cpu_s_with": round(cpu["with"], 3),
                          "ratio": round(cpu["with"] / cpu["without"], 4), "messages_sent": sent,
                          "steady_cpu_s_without": round(steady["without"], 3),
                          "steady_cpu_s_with": round(steady["with"], 3)})
            print(pairs[-1], flush=True)
    finally:
        collector.terminate()
        collector.wait(timeout=30)
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)

    without = sum(p["cpu_s_without"] for p in pairs)
    with_mqtt = sum(p["cpu_s_with"] for p in pairs)
    steady_without = sum(p["steady_cpu_s_without"] for p in pairs)
    steady_with = sum(p["steady_cpu_s_with"] for p in pairs)
    result = {
        "command": f"nice -n 10 python scripts/bench_mqtt_cpu.py --pairs {args.pairs} --seconds {args.seconds:g}",
        "wearables": args.wearables, "speed": "1x", "seconds_per_run": args.seconds, "pairs": pairs,
        "cpu_s_without": round(without, 3), "cpu_s_with": round(with_mqtt, 3),
        "ratio_with_to_without": round(with_mqtt / without, 4),
        "added_percent": round(100 * (with_mqtt / without - 1), 2),
        "added_percent_of_one_core": round(100 * (with_mqtt - without) / (args.pairs * args.seconds), 3),
        "steady_state_cpu_s_without": round(steady_without, 3), "steady_state_cpu_s_with": round(steady_with, 3),
        "steady_state_added_percent": round(100 * (steady_with / steady_without - 1), 2),
        "goal_percent": 5.0,
    }
    result["within_goal"] = max(result["added_percent"], result["steady_state_added_percent"]) <= result["goal_percent"]
    write_result("mqtt_cpu", result, (
        f"Publishing cost: one gateway with {args.wearables} software wearables in real time, {args.pairs} pairs of "
        f"{args.seconds:g} s runs side by side with and without `--mqtt` (real Mosquitto + collector): CPU time "
        f"{result['cpu_s_with']} s with vs {result['cpu_s_without']} s without, ratio "
        f"{result['ratio_with_to_without']} (**{result['added_percent']:+.1f} %**, goal <= 5 %; "
        f"{result['added_percent_of_one_core']:.2f} % of one core); steady state (from 25 s after launch to 2 s before the end): "
        f"{result['steady_state_cpu_s_with']} s vs {result['steady_state_cpu_s_without']} s, "
        f"**{result['steady_state_added_percent']:+.1f} %** (`{result['command']}`)."), args.results_dir)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
