"""Time the Streamlit page as a user sees it, and watch the server's memory over 20 changes.

Starts `streamlit run app.py` on a free loopback port, drives it with Debian's Chromium through
Playwright, and prints a Markdown table. For each change it reports two times, both measured in
the browser from the key press or option click:

- "numbers": until the changed recipe's cards show new values (explorer's closed forms and
  parameter count; every card and chart except the activation peak);
- "full": until the page has redrawn with measure()'s fvcore count and activation peak.

The server's resident memory (VmRSS from /proc) is read after the first full render and after
each of 20 size changes, each of which makes a new recipe and new cache entries.

Usage: .venv/bin/python bench/bench_app.py
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import explorer and model from this checkout
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CARDS = '[data-testid="stMetricValue"]'
FULL = "FLOPs counted by fvcore"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise OSError(f"no VmRSS for process {pid}")


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(180):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return server, url
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise TimeoutError("streamlit did not start")


def first_card(page) -> str:
    return page.locator(CARDS).nth(0).inner_text()


def wait_full(page) -> None:
    """Wait until the page shows measure()'s counts and Streamlit has finished the run."""
    page.get_by_text(FULL).first.wait_for(timeout=120_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


def timed_change(page, act, card_index: int = 0) -> tuple[float, float]:
    """Run ``act`` and return seconds until recipe 1's cards change and until the full redraw."""
    before = page.locator(CARDS).all_inner_texts()[:8]
    start = time.perf_counter()
    act()
    page.wait_for_function(
        "before => { const cards = [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')].slice(0, 8)"
        ".map(e => e.innerText); return cards.length === 8 && cards.join('|') !== before.join('|'); }",
        arg=before, timeout=120_000)
    numbers = time.perf_counter() - start
    wait_full(page)
    return numbers, time.perf_counter() - start


def set_number(page, key: str, value: int):
    def act():
        box = page.locator(f".st-key-{key} input")
        box.fill(str(value))
        box.press("Enter")
    return act


def pick(page, key: str, option: str):
    def act():
        page.locator(f".st-key-{key}").click()
        page.get_by_role("option", name=option, exact=True).click()
    return act


def script_times() -> list[tuple[str, float]]:
    """Time the page's script alone (AppTest, no browser) for component changes, quick phase only."""
    from streamlit.testing.v1 import AppTest

    from explorer.ui import results

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    full = results.finish_entries
    results.finish_entries = lambda entries, choice: False  # stop after the quick numbers are drawn
    times = []
    try:
        for key, kind in [("r0.position.kind", "rope"), ("r0.position.kind", "alibi"), ("r0.feed_forward.kind", "swiglu"),
                          ("r0.norm.kind", "rmsnorm"), ("r0.feed_forward.kind", "relu")]:
            at.selectbox(key=key).set_value(kind)
            start = time.perf_counter()
            at.run()
            times.append((f"{key.split('.')[1]} -> {kind}", time.perf_counter() - start))
    finally:
        results.finish_entries = full
    return times


def main() -> None:
    in_process = script_times()
    server, url = start_server()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 3000})
            start = time.perf_counter()
            page.goto(url)
            page.locator(CARDS).nth(15).wait_for(timeout=180_000)
            wait_full(page)
            first_load = time.perf_counter() - start
            rss = [rss_mib(server.pid)]

            # Component changes of recipe 1 (gpt2-small's size), each a recipe not seen before.
            changes = [("position", "r0-position-kind", "RoPE"), ("position", "r0-position-kind", "ALiBi"),
                       ("feed-forward", "r0-feed_forward-kind", "SwiGLU"), ("norm", "r0-norm-kind", "RMSNorm"),
                       ("feed-forward", "r0-feed_forward-kind", "ReLU MLP"), ("position", "r0-position-kind", "sinusoidal")]
            component_times = [(name, option, *timed_change(page, pick(page, key, option))) for name, key, option in changes]
            kv_times = [timed_change(page, set_number(page, "r0-n_kv_head", n)) for n in (4, 1, 6)]

            # Twenty size changes: layers 1..21 without 12, each a new recipe and new cache entries.
            layers = [n for n in range(1, 22) if n != 12][:20]
            page.locator("summary", has_text="Size").first.click()  # recipe 1's size widgets sit in an expander
            size_times = []
            for n in layers:
                size_times.append(timed_change(page, set_number(page, "r0-n_layer", n)))
                rss.append(rss_mib(server.pid))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)

    print("script rerun in process (AppTest), quick phase: "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in in_process))
    print(f"first load to full render: {first_load:.1f} s")
    print("| change of recipe 1 | new numbers on screen | full redraw |\n|---|---|---|")
    for name, option, numbers, full in component_times:
        print(f"| {name} -> {option} | {numbers:.2f} s | {full:.2f} s |")
    for n, (numbers, full) in zip((4, 1, 6), kv_times):
        print(f"| KV heads -> {n} | {numbers:.2f} s | {full:.2f} s |")
    all_numbers = [t[2] for t in component_times] + [t[0] for t in kv_times] + [t[0] for t in size_times]
    all_full = [t[3] for t in component_times] + [t[1] for t in kv_times] + [t[1] for t in size_times]
    print(f"median over {len(all_numbers)} changes (incl. 20 layer changes): numbers {statistics.median(all_numbers):.2f} s "
          f"(max {max(all_numbers):.2f} s), full {statistics.median(all_full):.2f} s (max {max(all_full):.2f} s)")
    print(f"server RSS MiB after first render: {rss[0]:.0f}; after layer changes 1, 5, 10, 15, 20: "
          + ", ".join(f"{rss[i]:.0f}" for i in (1, 5, 10, 15, 20)))


if __name__ == "__main__":
    main()
