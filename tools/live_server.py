"""Serve the built book with a Jupyter server, so calculator pages compute live.

Usage (``python3 tasks.py serve --live [--port P]`` runs this with the project's venv)::

    python tools/live_server.py [--port 8000] [--site _build/html]
                                [--jupyter-port P+1] [--jupyter-url URL]

* The site is served on ``http://127.0.0.1:PORT/`` (the standard library's http.server).
* A Jupyter server (``jupyter server``) is started on ``127.0.0.1:JUPYTER_PORT`` with a fresh
  random token, CORS open to the site's origin only (``127.0.0.1`` or ``localhost`` on PORT),
  terminals disabled, idle kernels shut down after 10 minutes, its root at the repository
  (so the kernel runs in each page's folder and imports this checkout's ``mltk``).
* ``/_static/mltk-live.json`` is answered by this server, not from the built file: it hands
  the pages the Jupyter server's address and token. The token lives only in this process and
  in the pages it served; it is never written to the repository or the built site. When the
  Jupyter server does not answer, the file says so (``reachable: false`` and a reason in
  plain words) and the pages show that reason instead of trying to connect.
* ``--jupyter-url URL`` (or ``MLTK_LIVE_JUPYTER_URL``) points the pages at a team's Jupyter
  server or JupyterHub user server instead of starting one; its token is read from the
  ``MLTK_LIVE_TOKEN`` environment variable (or typed by the reader on the page).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_PATH = "/_static/mltk-live.json"
HOST = "127.0.0.1"


class LiveState:
    """What the pages are told about the kernel source; checked on every request."""

    def __init__(self, jupyter_url: str, token: str, source: str,
                 process: subprocess.Popen | None = None) -> None:
        self.jupyter_url = jupyter_url.rstrip("/") + "/"
        self.token = token
        self.source = source
        self.process = process

    def reachable(self) -> tuple[bool, str]:
        if self.process is not None and self.process.poll() is not None:
            return False, ("The Jupyter server that `python3 tasks.py serve --live` started has "
                           f"stopped (exit code {self.process.returncode}). Restart "
                           "`python3 tasks.py serve --live` and reload this page.")
        if self.source != "local":
            return True, ""  # a team server: the browser connects to it directly
        try:
            req = urllib.request.Request(self.jupyter_url + "api/status",
                                         headers={"Authorization": f"token {self.token}"})
            with urllib.request.urlopen(req, timeout=1.0) as resp:
                resp.read()
            return True, ""
        except (OSError, urllib.error.URLError):
            return False, (f"The Jupyter server at {self.jupyter_url} does not answer: it has "
                           "stopped or is still starting. Restart `python3 tasks.py serve "
                           "--live` and reload this page.")

    def settings(self) -> dict[str, Any]:
        ok, reason = self.reachable()
        return {"jupyterUrl": self.jupyter_url, "token": self.token, "source": self.source,
                "binder": None, "reachable": ok, "reason": reason}


class LiveHandler(SimpleHTTPRequestHandler):
    state: LiveState

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != SETTINGS_PATH:
            super().do_GET()
            return
        body = json.dumps(self.state.settings()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # browser hung up early
        pass


def start_jupyter(port: int, site_port: int, token: str) -> subprocess.Popen:
    """A Jupyter server for the pages: 127.0.0.1 only, token, site origin only, no terminals."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    origin = rf"^http://(127\.0\.0\.1|localhost):{site_port}$"
    cmd = [sys.executable, "-m", "jupyter_server",
           f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           "--ServerApp.open_browser=False", f"--IdentityProvider.token={token}",
           f"--ServerApp.allow_origin_pat={origin}", "--ServerApp.terminals_enabled=False",
           f"--ServerApp.root_dir={ROOT}", "--ServerApp.log_level=WARN",
           # A reader who leaves a live page leaves its kernel behind: shut down kernels
           # that have had no connection and no activity for 10 minutes.
           "--MappingKernelManager.cull_idle_timeout=600",
           "--MappingKernelManager.cull_interval=60"]
    if os.name != "nt" and hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


def wait_until_up(state: LiveState, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ok, _ = state.reachable()
        if ok:
            return True
        if state.process is not None and state.process.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def serve(site: Path, port: int, jupyter_port: int | None, jupyter_url: str | None,
          ready: threading.Event | None = None) -> None:
    if not (site / "index.html").exists():
        raise SystemExit(f"no built book in {site}: run `python3 tasks.py book` first")
    if jupyter_url:
        state = LiveState(jupyter_url, os.environ.get("MLTK_LIVE_TOKEN", ""), "team")
    else:
        jport = jupyter_port or port + 1
        token = secrets.token_hex(24)
        state = LiveState(f"http://{HOST}:{jport}/", token, "local",
                          start_jupyter(jport, port, token))
    handler = type("Handler", (LiveHandler,), {"state": state})
    httpd = QuietServer((HOST, port), functools.partial(handler, directory=str(site)))

    def shutdown(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    try:
        if state.process is not None:
            print(f"Starting a Jupyter server on {state.jupyter_url} (token required, "
                  "this site's origin only, terminals disabled)...", flush=True)
            if not wait_until_up(state):
                print("The Jupyter server did not start: pages will say so and stay frozen.",
                      flush=True)
        print(f"Serving the book live at http://{HOST}:{port}/ (calculator pages: press "
              "'Compute live'). Ctrl+C stops both servers.", flush=True)
        if ready is not None:
            ready.set()
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        if state.process is not None and state.process.poll() is None:
            state.process.terminate()
            try:
                state.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                state.process.kill()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="port of the site (8000)")
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html",
                        help="built HTML folder (_build/html)")
    parser.add_argument("--jupyter-port", type=int, default=None,
                        help="port of the local Jupyter server (site port + 1)")
    parser.add_argument("--jupyter-url", default=os.environ.get("MLTK_LIVE_JUPYTER_URL", ""),
                        help="a team's Jupyter server instead of a local one "
                             "(token from MLTK_LIVE_TOKEN)")
    args = parser.parse_args(argv)
    serve(args.site, args.port, args.jupyter_port, args.jupyter_url or None)


if __name__ == "__main__":
    main()
