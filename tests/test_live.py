"""Live mode: calculator pages compute on the website itself (``tasks.py serve --live``).

``tools/live_server.py`` (what ``python3 tasks.py serve --live`` runs) serves the built book
and starts a Jupyter server; headless Chromium opens the Project Estimator page, presses
"Compute live", changes the number of devices and reads the wall-clock time the live
calculator shows, which must be what ``mltk.estimate_training`` gives for the new inputs.
A second server whose Jupyter server has stopped shows why the page cannot go live, with
no console error, and keeps the frozen values. Every request stays on 127.0.0.1.

Quick iteration: ``MLTK_SITE_HTML=/tmp/me/_build/html pytest tests/test_live.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from test_browser import _new_context, browser, site  # noqa: F401 - shared fixtures

import mltk

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ESTIMATOR = "book/deep-learning/estimator.html"
LIVE_TIMEOUT_MS = 120_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """Stop a server this test started (its own process, by id), killing it if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def settings(server: str) -> dict:
    with urllib.request.urlopen(urljoin(server, "_static/mltk-live.json"), timeout=5) as r:
        return json.load(r)


def start_live_server(html: Path, *options: str,
                      port: int | None = None) -> tuple[subprocess.Popen, str]:
    """``tools/live_server.py`` on free ports; returns once the site answers."""
    port = port or free_port()
    options = options or ("--jupyter-port", str(free_port()))
    proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "live_server.py"),
                             "--site", str(html), "--port", str(port), *options],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"live server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if settings(server).get("reachable"):
                return proc, server
        except OSError:
            pass
        time.sleep(0.3)
    proc.terminate()
    pytest.fail("the live server's Jupyter server did not come up within 90 s")


@pytest.fixture(scope="module")
def live_server(site: Path) -> Iterator[tuple[subprocess.Popen, str]]:  # noqa: F811
    proc, server = start_live_server(site)
    yield proc, server
    stop(proc)


def _watch(page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))


def go_live(page, server: str) -> None:
    page.goto(urljoin(server, ESTIMATOR), wait_until="load")
    button = page.locator(".mltk-live-button")
    button.wait_for()
    page.wait_for_function("() => !!window.mltkLive")
    # Wait for the settings to be read (the status names the kernel source).
    page.wait_for_function(
        "() => /Jupyter server/.test(document.querySelector('.mltk-live-status').textContent)")
    button.click()
    page.wait_for_function("() => ['live', 'failed'].includes(window.mltkLive.state)",
                           timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.mltkLive.state") == "live", page.evaluate("window.mltkLive.message")


ROW_JS = r"""(label) => {
  const tds = Array.from(document.querySelectorAll('.mltk-live-output td'));
  const i = tds.findIndex(t => t.textContent.trim() === label);
  return i >= 0 && i + 1 < tds.length ? tds[i + 1].textContent.replace(/\s+/g, ' ').trim() : null;
}"""


def live_row(page, label: str) -> str | None:
    """The text of a results-table row in the live calculator, e.g. 'wall-clock time'."""
    return page.evaluate(ROW_JS, label)


def wait_row_change(page, label: str, before: str | None, timeout_ms: float = 30_000) -> None:
    page.wait_for_function(f"([label, before]) => {{ const v = ({ROW_JS})(label); "
                           "return v !== null && v !== before; }",
                           arg=[label, before], timeout=timeout_ms)


def set_field(page, description: str, value: str) -> None:
    """Type into the live calculator's text field labelled ``description`` and commit."""
    box = page.locator(".mltk-live-output .widget-text").filter(
        has=page.locator(f"label:text-is('{description}')")).locator("input")
    box.fill(value)
    box.press("Enter")


def expected_time(devices: int) -> str:
    """The estimator's defaults (the page's calculator) with ``devices`` devices."""
    from mltk.widgets import ProjectEstimator

    calc = ProjectEstimator()
    values = {k: float(f.text.value) for k, f in calc.fields.items()}
    choices = {k: d.value for k, d in calc.choices.items()}
    est = mltk.estimate_training(
        values["params"], values["dataset_size"], values["epochs"],
        accelerator=choices["accelerator"], devices=devices, precision=choices["precision"],
        utilization=mltk.Range(values["u_low"], values["u_mid"], values["u_high"]),
        price_usd_per_hour=values["price_usd_per_hour"], pue=values["pue"],
        electricity_usd_per_kwh=values["electricity_usd_per_kwh"])
    d = mltk.format_duration
    return f"{d(est.seconds.mid)} (low {d(est.seconds.low)} – high {d(est.seconds.high)})"


def test_estimator_computes_live(browser, live_server) -> None:  # noqa: F811
    _, server = live_server
    external: list[str] = []
    errors: list[str] = []
    context = _new_context(browser, server, external)
    # The Jupyter server is on another 127.0.0.1 port: let it through, nothing else.
    jupyter = urlsplit(settings(server)["jupyterUrl"]).netloc
    context.route(f"http://{jupyter}/**", lambda r: r.continue_())
    try:
        page = context.new_page()
        _watch(page, errors)
        go_live(page, server)
        assert page.locator(".mltk-live-output .widget-text").count() > 5
        assert page.locator(".cell_output:not(.mltk-live-output):visible").count() == 0, \
            "the frozen calculator is hidden once the live one shows"
        assert live_row(page, "wall-clock time") == expected_time(256)
        for devices in (512, 64):
            before = live_row(page, "wall-clock time")
            set_field(page, "devices", str(devices))
            wait_row_change(page, "wall-clock time", before)
            assert live_row(page, "wall-clock time") == expected_time(devices)
        assert errors == []
    finally:
        context.close()
    assert [u for u in external if urlsplit(u).hostname != "127.0.0.1"] == []


def test_every_calculator_page_goes_live(browser, live_server, site: Path) -> None:  # noqa: F811
    """Each page with calculators runs its cells on the kernel and shows live widgets."""
    _, server = live_server
    pages = sorted(f.relative_to(site).as_posix() for f in (site / "book").rglob("*.html")
                   if 'id="mltk-live-cells"' in f.read_text(encoding="utf-8"))
    assert ESTIMATOR in pages
    jupyter = urlsplit(settings(server)["jupyterUrl"]).netloc
    failed: dict[str, str] = {}
    external: list[str] = []
    context = _new_context(browser, server, external)
    context.route(f"http://{jupyter}/**", lambda r: r.continue_())
    try:
        for rel in pages:
            errors: list[str] = []
            page = context.new_page()
            _watch(page, errors)
            page.goto(urljoin(server, rel), wait_until="load")
            page.wait_for_function("() => window.mltkLive && /Jupyter server/.test("
                                   "document.querySelector('.mltk-live-status').textContent)")
            page.locator(".mltk-live-button").click()
            page.wait_for_function("() => ['live', 'failed'].includes(window.mltkLive.state)",
                                   timeout=LIVE_TIMEOUT_MS)
            state = page.evaluate("[window.mltkLive.state, window.mltkLive.message]")
            widgets = page.locator(".mltk-live-output .widget-subarea, "
                                   ".mltk-live-output .jupyter-widgets").count()
            if state[0] != "live" or not widgets or errors:
                failed[rel] = f"{state}, {widgets} live widgets, errors {errors}"
            page.close()
    finally:
        context.close()
    assert failed == {}
    assert [u for u in external if urlsplit(u).hostname != "127.0.0.1"] == []
    # Each page load has a kernel of its own, running in the page's folder.
    info = settings(server)
    req = urllib.request.Request(info["jupyterUrl"] + "api/sessions",
                                 headers={"Authorization": f"token {info['token']}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        sessions = json.load(r)
    dirs = sorted(s["path"].rsplit("/", 1)[0] for s in sessions if ".live-" in s["path"])
    assert len({s["kernel"]["id"] for s in sessions}) == len(sessions)
    assert set(dirs) >= {Path(rel).parent.as_posix() for rel in pages}


def _status(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers)


def test_live_jupyter_server_is_locked_down(live_server) -> None:
    """127.0.0.1 only, token required, the site's origin only, no terminals."""
    _, server = live_server
    info = settings(server)
    base = info["jupyterUrl"]
    assert urlsplit(base).hostname == "127.0.0.1" and len(info["token"]) >= 32
    auth = {"Authorization": f"token {info['token']}"}
    assert _status(base + "api/kernels")[0] == 403, "no token, no access"
    assert _status(base + "api/kernels", auth)[0] == 200
    assert _status(base + "api/terminals", auth)[0] == 404, "terminals are disabled"
    site_origin = server.rstrip("/")
    code, headers = _status(base + "api/kernels", {**auth, "Origin": site_origin})
    assert code == 200 and headers.get("Access-Control-Allow-Origin") == site_origin
    # Another origin gets no CORS grant, so a page there cannot read the server's answers
    # (the server skips its own origin check only for requests that carry the token).
    code, headers = _status(base + "api/kernels", {**auth, "Origin": "http://127.0.0.1:1"})
    assert "Access-Control-Allow-Origin" not in headers
    assert _status(base + "api/kernels", {"Origin": "http://127.0.0.1:1"})[0] >= 400
    assert info["token"] not in (ROOT / "_config.yml").read_text()


def test_unreachable_kernel_is_explained(browser, site: Path) -> None:  # noqa: F811
    proc, server = start_live_server(site)
    try:
        jupyter = urlsplit(settings(server)["jupyterUrl"])
        # Stop the Jupyter server only: the live server's one child process, by its id.
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                  text=True, check=True).stdout.split()
        assert len(children) == 1, children
        os.kill(int(children[0]), signal.SIGTERM)
        deadline = time.monotonic() + 30
        while settings(server)["reachable"] and time.monotonic() < deadline:
            time.sleep(0.3)
        info = settings(server)
        assert info["reachable"] is False and "does not answer" in info["reason"] \
            or "stopped" in info["reason"]
        external: list[str] = []
        errors: list[str] = []
        context = _new_context(browser, server, external)
        try:
            page = context.new_page()
            _watch(page, errors)
            page.goto(urljoin(server, ESTIMATOR), wait_until="load")
            frozen = page.locator(".cell_output").first.inner_text()
            page.wait_for_function(
                "() => /Restart/.test(document.querySelector('.mltk-live-status').textContent)")
            page.locator(".mltk-live-button").click()
            page.wait_for_function("() => window.mltkLive.state === 'failed'")
            status = page.locator(".mltk-live-status").inner_text()
            assert "does not answer" in status or "stopped" in status
            assert "python3 tasks.py serve --live" in status
            assert "default inputs" in status
            assert page.locator(".cell_output").first.inner_text() == frozen
            assert page.locator(".mltk-live-output").count() == 0
        finally:
            context.close()
        assert errors == []
        assert external == [], "no request was made to the stopped server"
        assert jupyter.hostname == "127.0.0.1"
    finally:
        stop(proc)


def test_team_server_with_a_token_typed_by_the_reader(browser, site: Path) -> None:  # noqa: F811
    """``--jupyter-url`` (a team's server) and no token handed over: the reader types it."""
    sys.path.insert(0, str(ROOT / "tools"))
    import live_server

    port, jport, token = free_port(), free_port(), secrets.token_hex(24)
    team = live_server.start_jupyter(jport, port, token)  # stands in for the team's server
    proc = None
    try:
        team_url = f"http://127.0.0.1:{jport}/"
        deadline = time.monotonic() + 90
        while True:
            try:
                if _status(team_url + "api/status", {"Authorization": f"token {token}"})[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and team.poll() is None, "team server did not start"
            time.sleep(0.3)
        proc, server = start_live_server(site, "--jupyter-url", team_url, port=port)
        info = settings(server)
        assert info["source"] == "team" and info["token"] == ""
        external: list[str] = []
        errors: list[str] = []
        context = _new_context(browser, server, external)
        context.route(f"{team_url}**", lambda r: r.continue_())
        try:
            page = context.new_page()
            _watch(page, errors)
            page.goto(urljoin(server, ESTIMATOR), wait_until="load")
            page.wait_for_function("() => /team's Jupyter server/.test("
                                   "document.querySelector('.mltk-live-status').textContent)")
            page.locator(".mltk-live-token").fill(token)
            page.locator(".mltk-live-token").press("Enter")
            page.wait_for_function("() => ['live', 'failed'].includes(window.mltkLive.state)",
                                   timeout=LIVE_TIMEOUT_MS)
            assert page.evaluate("window.mltkLive.state") == "live", \
                page.evaluate("window.mltkLive.message")
            assert live_row(page, "wall-clock time") == expected_time(256)
        finally:
            context.close()
        assert errors == []
        assert [u for u in external if urlsplit(u).hostname != "127.0.0.1"] == []
    finally:
        if proc is not None:
            stop(proc)
        stop(team)


# --------------------------------------------------------------------------- JupyterLab


@pytest.mark.parametrize("uid", [0, 1000])
def test_lab_options_allow_root_only_for_root(uid: int, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT))
    import tasks

    monkeypatch.setattr(tasks.os, "geteuid", lambda: uid, raising=False)
    args, env = tasks.lab_options()
    assert ("--allow-root" in args) == (uid == 0)
    assert env["JUPYTER_CONFIG_DIR"] == str(ROOT / ".jupyter")
    assert (ROOT / ".jupyter" / "custom" / "custom.css").is_file()


@pytest.fixture(scope="module")
def jupyterlab() -> Iterator[str]:
    """JupyterLab started as ``python3 tasks.py lab`` starts it (lab_options), on a free port."""
    sys.path.insert(0, str(ROOT))
    import tasks

    args, env = tasks.lab_options()
    env["PYTHONPATH"] = str(ROOT)
    port, token = free_port(), "mltk-test-token"
    state = tempfile.mkdtemp(prefix="mltk-lab-")  # no workspace or settings from earlier runs
    proc = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser",
                             f"--port={port}", "--ServerApp.port_retries=0",
                             f"--IdentityProvider.token={token}", *args,
                             f"--LabApp.workspaces_dir={state}/workspaces",
                             f"--LabApp.user_settings_dir={state}/settings"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode} (as root without --allow-root?)")
        try:
            urllib.request.urlopen(f"{base}api/status?token={token}", timeout=2).read()
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("JupyterLab did not start within 90 s")
    yield f"{base}lab/tree/book/deep-learning/estimator.md?token={token}"
    stop(proc)
    shutil.rmtree(state, ignore_errors=True)


def test_lab_renders_myst(browser, jupyterlab: str) -> None:  # noqa: F811
    """In JupyterLab a chapter's MyST renders: no raw note, glue role, label or citation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(jupyterlab, wait_until="load")
        page.wait_for_selector(".jp-MarkdownCell .myst p", timeout=60_000)
        page.wait_for_function("""() => Array.from(document.querySelectorAll('.jp-MarkdownCell p'))
                                   .some(p => p.textContent.includes('At its defaults'))""")
        # Markdown cells render one after another: wait for the note to be rendered (a raw
        # ":::{note}" left after 60 s fails the test).
        try:
            page.wait_for_function("""() => document.querySelector(
                    '.jp-MarkdownCell aside.myst-admonition-note')
                && !document.querySelector('.jp-Notebook').innerText.includes(':::{note}')""",
                                   timeout=60_000)
        except Exception:  # playwright TimeoutError: report what shows instead
            pass
        text = page.locator(".jp-Notebook").inner_text()
        for raw in (":::{note}", "{glue:text}", "(est-reading)=", "{cite}", "{ref}"):
            assert raw not in text, raw
        assert page.locator(".jp-MarkdownCell aside.myst-admonition-note").count() == 1
        # A glued number reads as a placeholder chip: "value: est_flops".
        chip = page.locator(".jp-MarkdownCell .myst p span", has_text="est_flops").first
        before = chip.evaluate("e => getComputedStyle(e, '::before').content")
        assert before == '"value: "'
    finally:
        context.close()
