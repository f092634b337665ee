"""Benchmark: live calculator pages in Chromium (goal: input change to new numbers, median < 200 ms).

Starts ``tools/live_server.py`` (what ``python3 tasks.py serve --live`` runs) on the built
book, opens the Project Estimator page in headless Chromium and measures

* time to make the page live: from pressing "Compute live" to the live calculator showing
  (runtime loaded, kernel started, the page's cells run), on fresh page loads;
* latency: from committing a new number of devices in the live calculator (the change event
  that Enter fires) to the
  new wall-clock time shown in the page, measured in the page (performance.now and a
  MutationObserver), alternating between device counts.

Run: .venv/bin/python bench/bench_live.py [--site _build/html] [--changes 30] [--loads 3]
Needs Debian's chromium (/usr/bin/chromium) and a built book (python3 tasks.py book).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PAGE = "book/deep-learning/estimator.html"

# One change in the page: type a device count, commit it, wait for the wall-clock
# time row of the live calculator to change; returns the elapsed milliseconds.
CHANGE_JS = r"""async ([devices]) => {
  const rowText = () => {
    const tds = Array.from(document.querySelectorAll('.mltk-live-output td'));
    const i = tds.findIndex(t => t.textContent.trim() === 'wall-clock time');
    return i >= 0 ? tds[i + 1].textContent : null;
  };
  const box = Array.from(document.querySelectorAll('.mltk-live-output .widget-text'))
    .find(w => (w.querySelector('label') || {}).textContent === 'devices').querySelector('input');
  const before = rowText();
  const out = document.querySelector('.mltk-live-output');
  const done = new Promise((resolve, reject) => {
    const obs = new MutationObserver(() => {
      if (rowText() !== before) { obs.disconnect(); resolve(performance.now()); }
    });
    obs.observe(out, { subtree: true, childList: true, characterData: true });
    setTimeout(() => { obs.disconnect(); reject(new Error('no update within 10 s')); }, 10000);
  });
  const t0 = performance.now();
  box.value = String(devices);
  box.dispatchEvent(new Event('input', { bubbles: true }));
  box.dispatchEvent(new Event('change', { bubbles: true }));  // what Enter or leaving the box fires
  return (await done) - t0;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(site: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "live_server.py"),
                             "--site", str(site), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server + "_static/mltk-live.json", timeout=2) as r:
                if json.load(r).get("reachable"):
                    return proc, server
        except OSError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the live server did not come up within 90 s")


def make_live(page, server: str) -> tuple[float, dict]:
    page.goto(server + PAGE, wait_until="load")
    page.wait_for_function("() => window.mltkLive && /Jupyter server/.test("
                           "document.querySelector('.mltk-live-status').textContent)")
    t0 = time.perf_counter()
    page.locator(".mltk-live-button").click()
    page.wait_for_function("() => ['live', 'failed'].includes(window.mltkLive.state)",
                           timeout=180_000)
    wall = time.perf_counter() - t0
    if page.evaluate("window.mltkLive.state") != "live":
        raise SystemExit(f"the page did not go live: {page.evaluate('window.mltkLive.message')}")
    return wall, page.evaluate("window.mltkLive.timings")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    proc, server = start_server(args.site)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            live_s, parts = [], []
            for _ in range(args.loads):
                page = browser.new_page()
                wall, timings = make_live(page, server)
                live_s.append(wall)
                parts.append(timings)
                page.close()
            page = browser.new_page()
            make_live(page, server)
            for devices in (128, 512, 1024):  # warm up (fonts, first plot)
                page.evaluate(CHANGE_JS, [devices])
            values = [64, 128, 256, 512, 1024, 2048]
            ms = [page.evaluate(CHANGE_JS, [values[i % len(values)]]) for i in range(args.changes)]
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    med = statistics.median(ms)
    p90 = sorted(ms)[int(0.9 * len(ms))]
    runtime = statistics.median(p["runtimeMs"] for p in parts) / 1e3
    kernel = statistics.median(p["kernelMs"] for p in parts) / 1e3
    print(f"make live (click -> live calculator), {args.loads} fresh loads: median "
          f"{statistics.median(live_s):.2f} s (runtime loaded after {runtime:.2f} s, "
          f"kernel started after {kernel:.2f} s)")
    print(f"input change -> updated numbers, {len(ms)} changes: median {med:.0f} ms, "
          f"p90 {p90:.0f} ms, max {max(ms):.0f} ms (goal: median < 200 ms)")
    if med >= 200:
        sys.exit(1)


if __name__ == "__main__":
    main()
