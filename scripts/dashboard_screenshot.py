"""The README's dashboard picture: the fleet page of `harnet-edge collect --dashboard`, fed by 3
gateways x 3 software wearables (10x) through a real Mosquitto, photographed by headless Chromium.

    python scripts/dashboard_screenshot.py [--out docs/results/dashboard.png]
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    sys.path.insert(0, str(REPO))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from harnet_edge.fleet.local_broker import LocalMosquitto

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "docs" / "results" / "dashboard.png")
    p.add_argument("--seconds", type=float, default=45.0, help="streaming before the picture")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dashboard-shot-"))
    broker = LocalMosquitto(work / "broker").start()
    url = f"{broker.url}/site-a"
    cli = [sys.executable, "-m", "harnet_edge.cli"]
    collector = subprocess.Popen(cli + ["collect", "--mqtt", url, "--out", str(work / "out"), "--dashboard",
                                        "127.0.0.1:0"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    page = re.match(r"dashboard: (\S+)", collector.stdout.readline()).group(1)
    gateways = [subprocess.Popen(cli + ["stream", "--simulate", "3", "--speed", "10x", "--quiet",
                                        "--duration", str(args.seconds + 30), "--mqtt", url, "--gateway", name,
                                        "--mqtt-queue", str(work / f"{name}.sqlite")], cwd=REPO,
                                 stdout=subprocess.DEVNULL)
                for name in ("ward-3", "ward-4", "lab")]
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={work / 'profile'}", "--window-size=1200,1000"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        time.sleep(args.seconds)
        browser.get(page + "?span=60")
        time.sleep(5)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(args.out))
        print(f"screenshot: {args.out}")
    finally:
        browser.quit()
        for proc in gateways + [collector]:
            proc.terminate()
            proc.wait(timeout=60)
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
