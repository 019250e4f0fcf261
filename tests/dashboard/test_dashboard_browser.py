"""The live page in a real browser (headless Chromium from Debian, driven by selenium): labels from a
simulated stream appear and change, pushed without reloading; the page fits a phone screen.

HARNET_EDGE_DASHBOARD_PNG=docs/results/dashboard.png also writes the README's screenshot."""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium / chromium-driver are not installed (Debian: apt-get install chromium "
                    "chromium-driver; .ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # Headless, and nothing that would try to reach the network (updates, sync, QUIC probes).
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}",
                 "--window-size=1100,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def wait_for(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def test_labels_appear_and_change_live_in_headless_chromium(browser, tmp_path):
    stream = subprocess.Popen([sys.executable, "-m", "harnet_edge.cli", "stream", "--simulate", "2", "--speed", "20x",
                               "--duration", "90", "--quiet", "--gateway", "gateway-1",
                               "--dashboard", "127.0.0.1:0"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        url = re.match(r"dashboard: (http://127\.0\.0\.1:\d+/)", stream.stdout.readline()).group(1)
        browser.get(url + "?span=60")

        def texts(selector, attribute="textContent"):
            # One script call: the page redraws its timelines every second, so elements found in one
            # call may be gone by the next.
            return browser.execute_script(
                f"return [...document.querySelectorAll('{selector}')].map(e => e.{attribute})")

        def labels():
            return [t for t in texts(".card .label") if t not in ("", "–")]

        first = wait_for(lambda: len(labels()) == 2 and labels(), 40, "two devices with a label")
        seen = set(first)
        wait_for(lambda: seen.update(labels()) or len(seen) >= 2 and set(labels()) != set(first) or
                 len(seen) >= 3, 40, f"a label to change (first {first})")
        bands = texts(".card .timeline div", "title")
        assert len(bands) >= 2 and len(set(bands)) >= 2
        assert all(t.endswith(" %") for t in texts(".card .conf"))
        assert texts("#link") == ["live"]
        assert texts("#gateways .pill") == ["gateway-1: online"]
        shot = tmp_path / "dashboard.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get("HARNET_EDGE_DASHBOARD_PNG"):
            shutil.copy(shot, REPO / os.environ["HARNET_EDGE_DASHBOARD_PNG"])

        browser.set_window_size(390, 844)            # a phone: cards stack, nothing scrolls sideways
        time.sleep(0.5)
        width, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner
        browser.save_screenshot(str(tmp_path / "dashboard-phone.png"))
    finally:
        stream.terminate()
        stream.wait(timeout=30)
