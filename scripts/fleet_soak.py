"""Fleet soak (issue 15): N gateways x M software wearables publish through one real Mosquitto to
`harnet-edge collect`; the broker is stopped mid-run and started again. Every gateway also writes
its own JSONL, which is the truth: the collector must end with each of those windows exactly once.

    nice -n 10 python scripts/fleet_soak.py                    # 20 gateways x 8 wearables, broker down 60 s
    python scripts/fleet_soak.py --gateways 2 --wearables 2 --speed 20x --outage-at 1 --outage 3 \\
        --after 3 --work /tmp/soak --results-dir /tmp/soak         # the small scale the test runs

Writes <results-dir>/fleet_soak.json and fleet_soak.md (default docs/results).
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from readme_results import write_result

REPO = Path(__file__).resolve().parents[1]


def read_jsonl(path: Path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if "window_start" in record:
            out.append(record)
    return out


def wait_until(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"fleet_soak: timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "harnet_edge.cli", *map(str, args)]


def main() -> int:
    sys.path.insert(0, str(REPO))
    from harnet_edge.fleet.local_broker import LocalMosquitto

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gateways", type=int, default=20)
    p.add_argument("--wearables", type=int, default=8, help="software wearables per gateway")
    p.add_argument("--speed", default="1x", help="wearable speed (1x = real time)")
    p.add_argument("--outage-at", type=float, default=40.0, help="seconds after every gateway's first window")
    p.add_argument("--outage", type=float, default=60.0, help="seconds the broker stays down")
    p.add_argument("--after", type=float, default=40.0,
                   help="seconds the gateways keep streaming after the broker is back; then Ctrl-C (SIGINT)")
    p.add_argument("--work", type=Path, default=REPO / "runs" / "fleet_soak")
    p.add_argument("--results-dir", type=Path, default=REPO / "docs" / "results")
    args = p.parse_args()

    work = args.work
    subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    broker = LocalMosquitto(work / "broker").start()
    url = f"{broker.url}/fleet"
    started = time.monotonic()
    collector_log = open(work / "collect.out", "w")
    collector = subprocess.Popen(cli("collect", "--mqtt", url, "--out", work / "collected"), cwd=REPO,
                                 stdout=collector_log, stderr=subprocess.STDOUT, text=True)
    wait_until(lambda: "subscribed" in (work / "collect.out").read_text(), 60, "the collector's subscription")

    names = [f"gw{i:02d}" for i in range(args.gateways)]
    gateways: dict[str, subprocess.Popen] = {}
    try:
        for name in names:
            gateways[name] = subprocess.Popen(
                cli("stream", "--simulate", args.wearables, "--speed", args.speed, "--quiet", "--jsonl", work / f"{name}.jsonl", "--mqtt", url, "--gateway", name,
                    "--mqtt-queue", work / f"{name}.sqlite"),
                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        print(f"{len(names)} gateways x {args.wearables} wearables started; waiting for first windows", flush=True)
        wait_until(lambda: all((work / f"{n}.jsonl").exists() and read_jsonl(work / f"{n}.jsonl") for n in names),
                   600, "a first window from every gateway")
        time.sleep(args.outage_at)
        broker.stop()
        down_wall = time.time()
        print(f"broker stopped for {args.outage:.0f} s", flush=True)
        time.sleep(args.outage)
        broker.start()
        up_wall = time.time()
        print(f"broker started again; gateways stop in {args.after:.0f} s", flush=True)
        time.sleep(args.after)
        for proc in gateways.values():
            proc.send_signal(signal.SIGINT)      # as a user stops a gateway: it drains its queue and exits
        reports = {}
        for name, proc in gateways.items():
            out, err = proc.communicate(timeout=300)
            if proc.returncode != 0:
                raise SystemExit(f"fleet_soak: gateway {name} failed: {err.strip()[-400:]}")
            reports[name] = json.loads(out.strip().splitlines()[-1])["summary"]
    finally:
        for proc in gateways.values():      # on any failure: nothing of ours is left running
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if any(proc.returncode != 0 for proc in gateways.values()) or len(gateways) < len(names):
            collector.kill()
            broker.stop()

    truth = {(n, r["device"], r["window_start"]) for n in names for r in read_jsonl(work / f"{n}.jsonl")}
    collected_files = sorted((work / "collected").glob("gw*/*.jsonl"))

    def collected_records() -> list[tuple]:
        return [(f.parent.name, r["device"], r["window_start"], r.get("wall_time"))
                for f in collected_files if f.name != "status.jsonl" for r in read_jsonl(f)]

    def collected_count() -> int:
        nonlocal collected_files
        collected_files = sorted((work / "collected").glob("gw*/*.jsonl"))
        return len(collected_records())

    try:
        wait_until(lambda: collected_count() >= len(truth), 120, "the collector to catch up")
    except SystemExit as exc:
        print(exc, flush=True)
    time.sleep(2)                                     # anything late or repeated would land now
    collector.send_signal(signal.SIGINT)
    collector.wait(timeout=30)
    collector_log.close()
    broker.stop()
    collector_summary = json.loads((work / "collect.out").read_text().strip().splitlines()[-1])["summary"]

    rows = collected_records()
    got = Counter(row[:3] for row in rows)
    result = {
        "command": "nice -n 10 python " + " ".join([Path(sys.argv[0]).relative_to(REPO).as_posix()
                                                      if Path(sys.argv[0]).is_absolute() else sys.argv[0],
                                                      *sys.argv[1:]]),
        "gateways": args.gateways, "wearables_per_gateway": args.wearables, "speed": args.speed,
        "broker_down_seconds": round(up_wall - down_wall, 1),
        "windows_classified_by_gateways": len(truth),
        "windows_classified_while_broker_down": sum(1 for r in rows if r[3] and down_wall <= r[3] <= up_wall),
        "windows_collected": len(got),
        "lost": len(truth - set(got)),
        "duplicated_in_output": sum(n - 1 for n in got.values()),
        "unexpected": len(set(got) - truth),
        "redeliveries_dropped_by_collector": collector_summary["duplicates"],
        "gateway_mqtt": {k: sum(r["mqtt"][k] for r in reports.values()) for k in ("published", "sent", "queued", "dropped")},
        "gateway_reconnects_to_broker": sum(r["mqtt"]["connects"] - 1 for r in reports.values()),
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    result["exactly_once"] = result["lost"] == 0 and result["duplicated_in_output"] == 0 and result["unexpected"] == 0
    g = result["gateway_mqtt"]
    write_result("fleet_soak", result, (
        f"Fleet soak: {args.gateways} gateways x {args.wearables} software wearables ({args.speed}) through one "
        f"Mosquitto to `harnet-edge collect`, broker stopped for {result['broker_down_seconds']} s mid-run: "
        f"{result['windows_classified_by_gateways']} windows classified "
        f"({result['windows_classified_while_broker_down']} while the broker was down), "
        f"{result['windows_collected']} collected, **{result['lost']} lost, {result['duplicated_in_output']} "
        f"duplicated**; gateways published {g['published']} messages, {g['sent']} acknowledged, {g['queued']} left "
        f"queued, {g['dropped']} dropped; {result['redeliveries_dropped_by_collector']} redeliveries removed by the "
        f"collector (`{result['command']}`, {result['wall_seconds']} s)."), args.results_dir)
    print(json.dumps(result, indent=2))
    return 0 if result["exactly_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
