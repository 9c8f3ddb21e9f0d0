"""Concurrent browser sessions against the map page: time to first map, time to re-render after a filter change.

    python -m bench.load [--sessions 25] [--timeout 120] [--base-url URL]

Without ``--base-url`` a Streamlit server is started on a free loopback port and
stopped at the end. One headless Chromium (Debian's ``/usr/bin/chromium``), one
browser context per session, all sessions at once (Playwright async API).
Every session: load ``/``, wait until offer markers are visible in the
st_folium iframe, deselect one Handlungsfeld in the sidebar multiselect, wait
until the map shows again without that Handlungsfeld. Prints p50/p95 of both
times and the error count; exit status 1 on any error. The whole run is
bounded by ``--timeout`` seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
MARKERS = ".qk-marker, .qk-cluster"
DESELECT_FIELD = "Wohnen"
WOHNEN_COLOUR = "#6A3D9A"


# --- server -----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def python_executable() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@dataclass
class Server:
    base_url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def start_server(env: dict[str, str] | None = None, *, startup_timeout: float = 60.0, name: str = "server") -> Server:
    """Start ``streamlit run streamlit_app.py`` on a free loopback port; return once /_stcore/health says ok."""
    port = free_port()
    full_env = dict(os.environ)
    full_env.update(env or {})
    log_dir = ROOT / "artifacts" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    cmd = [python_executable(), "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", port, process, log_path)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Streamlit exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200 and resp.read().decode().strip() == "ok":
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.3)
    stop_server(server)
    raise RuntimeError(f"Streamlit did not answer /_stcore/health within {startup_timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(5)


@contextlib.contextmanager
def running_server(env: dict[str, str] | None = None, **kwargs):
    server = start_server(env, **kwargs)
    try:
        yield server
    finally:
        stop_server(server)


# --- load -------------------------------------------------------------------------------------------------

@dataclass
class SessionResult:
    index: int
    first_render_s: float | None = None
    rerender_s: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def rendered(self) -> bool:
        return self.first_render_s is not None and self.rerender_s is not None


@dataclass
class LoadResult:
    sessions: list[SessionResult]
    wall_s: float
    errors: list[str] = field(default_factory=list)
    """Errors outside single sessions (browser start, overall timeout)."""

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(len(s.errors) for s in self.sessions)

    @property
    def all_rendered(self) -> bool:
        return bool(self.sessions) and all(s.rendered for s in self.sessions)

    def summary(self) -> str:
        def stats(values: list[float]) -> str:
            if not values:
                return "n=0"
            return f"n={len(values)} p50={percentile(values, 50):.2f}s p95={percentile(values, 95):.2f}s max={max(values):.2f}s"
        lines = [f"sessions: {len(self.sessions)}, wall time {self.wall_s:.1f}s",
                 f"first map render: {stats([s.first_render_s for s in self.sessions if s.first_render_s is not None])}",
                 f"re-render after filter: {stats([s.rerender_s for s in self.sessions if s.rerender_s is not None])}",
                 f"errors: {self.error_count}"]
        for err in self.errors:
            lines.append(f"  run: {err}")
        for s in self.sessions:
            for err in s.errors:
                lines.append(f"  session {s.index}: {err}")
        return "\n".join(lines)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank-interpolated percentile (``statistics.quantiles`` needs two values)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def hex_to_rgb(colour: str) -> str:
    c = colour.lstrip("#")
    return f"rgb({int(c[0:2], 16)}, {int(c[2:4], 16)}, {int(c[4:6], 16)})"


COUNT_COLOURS_JS = """() => {
    const out = {};
    for (const el of document.querySelectorAll('.qk-marker .qk-pin, .qk-cluster .qk-cluster-inner')) {
        const c = el.style.backgroundColor;
        out[c] = (out[c] || 0) + 1;
    }
    return out;
}"""


async def _session(browser, base_url: str, index: int, deadline: float) -> SessionResult:
    result = SessionResult(index)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    host = urlparse(base_url).netloc
    page.on("pageerror", lambda exc: result.errors.append(f"pageerror: {exc}"))
    page.on("requestfailed", lambda req: result.errors.append(f"requestfailed: {req.url} {req.failure}"))

    def on_request(req):
        parsed = urlparse(req.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != host:
            result.errors.append(f"third-party request: {req.url}")
    page.on("request", on_request)

    def remaining_ms() -> float:
        return max(1.0, (deadline - time.monotonic()) * 1000)

    try:
        frame = page.frame_locator(MAP_IFRAME)
        t0 = time.monotonic()
        await page.goto(base_url + "/", timeout=remaining_ms())
        await frame.locator(MARKERS).first.wait_for(state="visible", timeout=remaining_ms())
        result.first_render_s = time.monotonic() - t0

        # Deselect one Handlungsfeld: the chip's remove button in the sidebar multiselect.
        sidebar = page.locator('[data-testid="stSidebar"]')
        chip = sidebar.locator('[data-testid="stMultiSelect"] [data-baseweb="tag"]', has_text=DESELECT_FIELD)
        wohnen = hex_to_rgb(WOHNEN_COLOUR)
        t1 = time.monotonic()
        await chip.locator('[role="presentation"]').click(timeout=remaining_ms())
        # The map shows again (new iframe content) with markers, none of them Wohnen.
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("map did not re-render after the filter change")
            try:
                counts = await frame.locator(".leaflet-container").evaluate(
                    "(el) => (" + COUNT_COLOURS_JS + ")()", timeout=2000)
            except Exception:  # noqa: BLE001 – iframe is being replaced
                counts = {}
            if counts and wohnen not in counts:
                break
            await asyncio.sleep(0.1)
        result.rerender_s = time.monotonic() - t1
        exceptions = await page.locator('[data-testid="stException"]').count()
        if exceptions:
            result.errors.append(f"{exceptions} Streamlit exception box(es) on the page")
    except Exception as exc:  # noqa: BLE001 – recorded per session
        result.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    finally:
        with contextlib.suppress(Exception):
            await context.close()
    return result


async def _run(base_url: str, sessions: int, timeout: float) -> LoadResult:
    from playwright.async_api import async_playwright

    started = time.monotonic()
    deadline = started + timeout
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            tasks = [asyncio.create_task(_session(browser, base_url, i, deadline)) for i in range(sessions)]
            done, pending = await asyncio.wait(tasks, timeout=timeout + 15)
            for task in pending:
                task.cancel()
            results = [t.result() if t in done and not t.cancelled() else SessionResult(i, errors=["overall timeout"])
                       for i, t in enumerate(tasks)]
        finally:
            with contextlib.suppress(Exception):
                await browser.close()
    return LoadResult(results, time.monotonic() - started)


def run_load(base_url: str | None = None, sessions: int = 25, timeout: float = 120.0) -> LoadResult:
    """Run ``sessions`` concurrent browser sessions; start (and stop) an own server if ``base_url`` is None.

    The asyncio loop runs in a worker thread, so this also works from code that
    already uses Playwright's sync API (e.g. a pytest session).
    """
    host = urlparse(base_url).hostname if base_url else None
    if host is not None and host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"loopback only: {base_url}")
    with contextlib.ExitStack() as stack:
        if base_url is None:
            base_url = stack.enter_context(running_server(name="bench")).base_url
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            future = pool.submit(asyncio.run, _run(base_url.rstrip("/"), sessions, timeout))
            return future.result(timeout=timeout + 60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--timeout", type=float, default=120.0, help="hard limit for the whole run, seconds")
    parser.add_argument("--base-url", default=None, help="running app on loopback (default: start one)")
    args = parser.parse_args(argv)
    result = run_load(args.base_url, args.sessions, args.timeout)
    print(result.summary())
    return 1 if result.error_count or not result.all_rendered else 0


if __name__ == "__main__":
    sys.exit(main())
