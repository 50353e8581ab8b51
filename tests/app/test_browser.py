"""The page in a real browser: `streamlit run app.py` on loopback, driven by Debian's Chromium.

Skipped, with the reason, where /usr/bin/chromium or Playwright is missing. No browser is
downloaded. The screenshot goes to test-artifacts/app.png.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium package to run the browser test)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit at {url} was not healthy after {timeout} s")


@pytest.fixture(scope="module")
def server_url():
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def metric_values(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_page_renders_and_updates(server_url):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 3600})
            page.goto(server_url, wait_until="domcontentloaded")

            # Two recipes, eight cards each, once the default comparison has rendered.
            page.locator('[data-testid="stMetricValue"]').nth(15).wait_for(timeout=90_000)
            before = metric_values(page)
            assert before[0].endswith("M")  # gpt2-small's parameter count, e.g. "124.44 M"
            assert any(ch.isdigit() for ch in before[8])
            page.locator(".stPlotlyChart").first.wait_for(timeout=30_000)
            # The quick numbers come first; the page then redraws with measure()'s fvcore count.
            page.get_by_text("FLOPs counted by fvcore").first.wait_for(timeout=120_000)
            page.wait_for_timeout(1500)  # let the charts finish drawing before the screenshot
            page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)

            # MHA instead of GQA in recipe 2: its parameter count must change.
            kv_heads = page.locator(".st-key-r1-n_kv_head input")
            kv_heads.fill("12")
            kv_heads.press("Enter")
            page.wait_for_function(
                "old => document.querySelectorAll('[data-testid=\"stMetricValue\"]')[8]?.innerText !== old",
                arg=before[8], timeout=60_000)
            after = metric_values(page)
            assert after[8] != before[8]
            assert after[0] == before[0]  # recipe 1 is untouched
        finally:
            browser.close()
