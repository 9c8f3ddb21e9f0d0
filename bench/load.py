"""Concurrent browser sessions against the map page: time to first map, time to re-render after a filter change.

    python -m bench.load [--sessions 25] [--timeout 120] [--base-url URL]

Without ``--base-url`` a Streamlit server is started on a free loopback port and
stopped at the end. One headless Chromium (Debian's ``/usr/bin/chromium``), one
browser context per session, all sessions at once (Playwright async API).
Every session: load ``/``, wait until offer markers are visible in the
map frame, deselect one Handlungsfeld in the sidebar multiselect, wait
until the map shows again without that Handlungsfeld (its layer label says
"(0)" and the pins and clusters stand for exactly the other offers). Prints
p50/p95 of both times and the error count; exit status 1 on any error or any
session that did not finish. An uncounted warm-up session (at most 60 s) runs
first, so that imports and the data cache of a fresh server are not measured
(``--no-warmup`` measures them too); the concurrent sessions are then bounded
by ``--timeout`` seconds.

On a 2-core machine the 25 Chromium renderers need most of the CPU: the
numbers describe server and test browser together, not the server alone.
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

from geo.config import HANDLUNGSFELD_BY_NAME
from geo.i18n import t

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAP_IFRAME = 'iframe.qk-map-frame'
MARKERS = ".qk-marker, .qk-cluster"
DESELECT_FIELD = "Wohnen"
WOHNEN_COLOUR = HANDLUNGSFELD_BY_NAME[DESELECT_FIELD].color


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


def start_server(env: dict[str, str] | None = None, *, startup_timeout: float = 60.0, name: str = "server",
                 root: Path | None = None) -> Server:
    """Start ``streamlit run streamlit_app.py`` on a free loopback port; return once /_stcore/health says ok.

    ``root``: another checkout of the app to run (with this checkout's Python), e.g. an older commit to compare."""
    port = free_port()
    full_env = dict(os.environ)
    # no "File change – rerun?" banner when files are saved while a measurement or browser test runs
    full_env["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    full_env.update(env or {})
    log_dir = ROOT / "artifacts" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    cmd = [python_executable(), "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=root or ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
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
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds since the session started at which it reached each step (for diagnosing timeouts)."""

    @property
    def rendered(self) -> bool:
        return self.first_render_s is not None and self.rerender_s is not None


@dataclass
class LoadResult:
    sessions: list[SessionResult]
    wall_s: float
    errors: list[str] = field(default_factory=list)
    """Errors outside single sessions (warm-up, browser start)."""
    warmup_s: float | None = None
    """First map render of the uncounted warm-up session."""

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
        warm = f", warm-up first render {self.warmup_s:.1f}s" if self.warmup_s is not None else ""
        lines = [f"sessions: {len(self.sessions)}, wall time {self.wall_s:.1f}s{warm}",
                 f"first map render: {stats([s.first_render_s for s in self.sessions if s.first_render_s is not None])}",
                 f"re-render after filter: {stats([s.rerender_s for s in self.sessions if s.rerender_s is not None])}",
                 f"errors: {self.error_count}"]
        names = list(dict.fromkeys(k for s in self.sessions for k in s.phases))
        if names:
            lines.insert(3, "steps (p50 s since start): " + ", ".join(
                f"{k} {percentile([s.phases[k] for s in self.sessions if k in s.phases], 50):.1f}" for k in names))
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
    """``#6A3D9A`` → ``rgb(106, 61, 154)``, the form in which the browser reports inline colours."""
    c = colour.lstrip("#")
    return f"rgb({int(c[0:2], 16)}, {int(c[2:4], 16)}, {int(c[4:6], 16)})"


MAP_STATE_JS = """() => {
    // What the map inside the map frame shows right now.
    const colours = {};
    let represented = 0, pins = 0, clusters = 0;
    for (const e of document.querySelectorAll('.leaflet-marker-pane .qk-marker .qk-pin')) {
        const c = e.style.backgroundColor;
        colours[c] = (colours[c] || 0) + 1;
        represented += 1; pins += 1;
    }
    for (const e of document.querySelectorAll('.leaflet-marker-pane .qk-cluster .qk-cluster-inner')) {
        const c = e.classList.contains('qk-cluster-mixed') ? 'mixed' : e.style.backgroundColor;
        colours[c] = (colours[c] || 0) + 1;
        represented += parseInt(e.textContent, 10) || 0; clusters += 1;
    }
    const layers = {};
    for (const label of document.querySelectorAll('.leaflet-control-layers-overlays label')) {
        const sym = label.querySelector('.qk-layer-symbol');
        if (!sym) { continue; }
        const text = (sym.nextSibling ? sym.nextSibling.textContent : '').trim();
        const m = text.match(/^(.*) \\((\\d+)\\)$/);
        layers[sym.style.backgroundColor] = {name: m ? m[1] : text, count: m ? parseInt(m[2], 10) : null,
                                             checked: label.querySelector('input').checked};
    }
    return {colours, represented, pins, clusters, layers,
            container: document.querySelectorAll('.leaflet-container').length};
}"""
"""Counts per inline colour (``rgb(...)``; ``mixed`` for clusters of several Handlungsfelder), the number of
offers the visible pins and clusters stand for, and the Handlungsfeld layers of the layer control by colour."""


async def _session(browser, base_url: str, index: int, deadline: float) -> SessionResult:
    result = SessionResult(index)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    host = urlparse(base_url).netloc
    page.on("pageerror", lambda exc: result.errors.append(f"pageerror: {exc}"))
    page.on("requestfailed", lambda req: result.errors.append(f"requestfailed: {req.url} {req.failure}"))
    page.on("response", lambda resp: result.errors.append(f"HTTP {resp.status}: {resp.url}")
            if resp.status >= 400 else None)

    def on_request(req):
        parsed = urlparse(req.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != host:
            result.errors.append(f"third-party request: {req.url}")
    page.on("request", on_request)

    def remaining_ms() -> float:
        return max(1.0, (deadline - time.monotonic()) * 1000)

    frame = page.frame_locator(MAP_IFRAME)

    async def map_state() -> dict | None:
        try:
            return await frame.locator(".leaflet-container").evaluate(f"(el) => ({MAP_STATE_JS})()", timeout=5000)
        except Exception:  # noqa: BLE001 – iframe not there yet or being replaced
            return None

    wohnen = hex_to_rgb(WOHNEN_COLOUR)
    t0 = time.monotonic()

    def phase(name: str) -> None:
        result.phases[name] = round(time.monotonic() - t0, 2)

    try:
        await page.goto(base_url + "/", timeout=remaining_ms())
        phase("loaded")
        await page.locator(MAP_IFRAME).wait_for(state="attached", timeout=remaining_ms())
        phase("iframe")
        await frame.locator(".leaflet-container").wait_for(state="attached", timeout=remaining_ms())
        phase("leaflet")
        await frame.locator(MARKERS).first.wait_for(state="visible", timeout=remaining_ms())
        phase("markers")
        result.first_render_s = time.monotonic() - t0
        before = await map_state()
        while not before or not before["layers"]:  # the iframe can be slow to answer under load
            if time.monotonic() > deadline:
                raise TimeoutError("map state not readable after the first render")
            await asyncio.sleep(0.2)
            before = await map_state()
        if before["layers"].get(wohnen, {}).get("count") in (None, 0):
            raise AssertionError(f"map has no {DESELECT_FIELD} offers before the filter change: {before}")
        # From the layer counts, not from the markers shown at first paint: right after the first view is
        # fitted, the map may still show a few old cluster icons beside the new ones.
        expected = sum(layer["count"] for layer in before["layers"].values()) - before["layers"][wohnen]["count"]

        # Deselect one Handlungsfeld with the remove button of its chip in the sidebar multiselect;
        # the map has re-rendered when its Wohnen layer is empty and the markers stand for the rest.
        # named in the page's language by static/qk/qk-ui-texts.js, in English for a moment before
        remove = page.locator(f'[data-testid="stSidebar"] [data-testid="stMultiSelect"] '
                              f'button[aria-label="{t("streamlit.entfernen", x=DESELECT_FIELD)}"], '
                              f'[data-testid="stSidebar"] [data-testid="stMultiSelect"] '
                              f'button[aria-label="Remove {DESELECT_FIELD}"]').first
        t1 = time.monotonic()
        await remove.click(timeout=remaining_ms())
        while True:
            state = await map_state()
            if (state and state["layers"].get(wohnen, {}).get("count") == 0 and state["represented"] == expected
                    and wohnen not in state["colours"]):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"map did not re-render after the filter change (last state: {state})")
            await asyncio.sleep(0.05)
        result.rerender_s = time.monotonic() - t1
        exceptions = await page.locator('[data-testid="stException"]').count()
        if exceptions:
            result.errors.append(f"{exceptions} Streamlit exception box(es) on the page")
    except Exception as exc:  # noqa: BLE001 – recorded per session
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        result.errors.append(f"{type(exc).__name__}: {first_line} (reached: {result.phases or 'nothing'})")
    finally:
        with contextlib.suppress(Exception):
            await context.close()
    return result


async def _run(base_url: str, sessions: int, timeout: float, warmup: bool) -> LoadResult:
    from playwright.async_api import async_playwright

    started = time.monotonic()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            warmup_s = None
            if warmup:
                # One session first (not counted): imports, data cache and the first script run of a fresh server.
                warm = await _session(browser, base_url, -1, time.monotonic() + min(60.0, timeout / 2))
                warmup_s = warm.first_render_s
                if warm.errors:
                    return LoadResult([], time.monotonic() - started, [f"warm-up: {e}" for e in warm.errors])
            started = time.monotonic()
            deadline = started + timeout
            tasks = [asyncio.create_task(_session(browser, base_url, i, deadline)) for i in range(sessions)]
            done, pending = await asyncio.wait(tasks, timeout=timeout + 15)
            for task in pending:
                task.cancel()
            results = [t.result() if t in done and not t.cancelled() else SessionResult(i, errors=["overall timeout"])
                       for i, t in enumerate(tasks)]
        finally:
            with contextlib.suppress(Exception):
                await browser.close()
    return LoadResult(results, time.monotonic() - started, warmup_s=warmup_s)


def run_load(base_url: str | None = None, sessions: int = 25, timeout: float = 120.0,
             warmup: bool = True) -> LoadResult:
    """Run ``sessions`` concurrent browser sessions; start (and stop) an own server if ``base_url`` is None.

    ``timeout`` bounds the concurrent sessions; an uncounted warm-up session (at most 60 s) comes first
    unless ``warmup`` is false.

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
            future = pool.submit(asyncio.run, _run(base_url.rstrip("/"), sessions, timeout, warmup))
            return future.result(timeout=timeout + 150)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--timeout", type=float, default=120.0, help="hard limit for the whole run, seconds")
    parser.add_argument("--base-url", default=None, help="running app on loopback (default: start one)")
    parser.add_argument("--no-warmup", action="store_true", help="measure the cold start too")
    parser.add_argument("--prozesse", type=int, nargs="+", metavar="N",
                        help="through nginx (deploy/nginx/quartierskarte-proxy.conf) in front of N app processes, "
                             "once per N given, reported side by side (e.g. --prozesse 1 2)")
    args = parser.parse_args(argv)
    if args.prozesse:
        results = compare_processes(args.prozesse, args.sessions, args.timeout)
        print(processes_table(results, args.sessions))
        return 1 if any(r.error_count or not r.all_rendered for r in results.values()) else 0
    result = run_load(args.base_url, args.sessions, args.timeout, warmup=not args.no_warmup)
    print(result.summary())
    return 1 if result.error_count or not result.all_rendered else 0


def compare_processes(counts: list[int], sessions: int, timeout: float) -> dict[int, LoadResult]:
    """The same load through nginx in front of 1, 2, … app processes. Every process is warmed up directly
    first (a warm-up through the proxy would reach only the process its cookie picks)."""
    from bench.proxy import running_city

    results = {}
    for count in counts:
        with running_city(count) as (proxy, servers):
            for server in servers:
                run_load(server.base_url, sessions=1, timeout=60, warmup=False)
            results[count] = run_load(proxy.base_url, sessions, timeout, warmup=False)
            print(f"[{count} Prozess(e)]\n{results[count].summary()}", file=sys.stderr)
    return results


def processes_table(results: dict[int, LoadResult], sessions: int) -> str:
    """A Markdown table, one row per number of processes (times in seconds)."""
    def col(result: LoadResult, attr: str, p: float) -> str:
        values = [getattr(s, attr) for s in result.sessions if getattr(s, attr) is not None]
        return f"{percentile(values, p):.2f}" if values else "–"

    lines = [f"{sessions} gleichzeitige Sitzungen über nginx",
             "| Prozesse | Wandzeit | erste Karte p50 | erste Karte p95 | nach Filter p50 | nach Filter p95 | Fehler |",
             "|---|---|---|---|---|---|---|"]
    for count, result in results.items():
        lines.append(f"| {count} | {result.wall_s:.1f} | {col(result, 'first_render_s', 50)} | "
                     f"{col(result, 'first_render_s', 95)} | {col(result, 'rerender_s', 50)} | "
                     f"{col(result, 'rerender_s', 95)} | {result.error_count} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
