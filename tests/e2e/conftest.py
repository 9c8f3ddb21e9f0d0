"""Browser tests against a real Streamlit server and Debian's headless Chromium.

* ``streamlit_server`` (session): ``streamlit run streamlit_app.py`` on a free loopback port, base URL;
  ``server_factory`` starts more servers (other environment, e.g. ``QK_ANGEBOTE``), stopped at the end.
* ``browser`` (session): one Chromium via Playwright (``/usr/bin/chromium``; Playwright's own download
  does not work offline).
* ``page`` (per test): a fresh browser context; ``page.log`` records page errors, failed requests, HTTP
  errors, console errors, the host of every request and every dialog (dismissed). A full-page screenshot
  of the page as the test left it goes to ``artifacts/screenshots/<test>.png``; ``snap(page, name)`` saves
  one of any other page visited.

The whole package is skipped when ``/usr/bin/chromium`` is missing (``apt-get install chromium``).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bench.load import CHROMIUM, CHROMIUM_ARGS, MAP_IFRAME, MAP_STATE_JS, Server, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
E2E_DIR = Path(__file__).resolve().parent
FIRST_LOAD_MS = 30_000
"""The first map after server start takes 6–12 s; a generous limit for every map wait."""


def pytest_collection_modifyitems(config, items):
    e2e_items = [item for item in items if E2E_DIR in Path(str(item.path)).resolve().parents]
    for item in e2e_items:
        item.add_marker(pytest.mark.slow)  # a real server and browser: not in the quick `-m "not slow"` loop
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"browser tests need {CHROMIUM} (Debian package 'chromium'; scripts/install.sh --test installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "browser tests need the 'playwright' Python package (requirements-test.txt)"
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in e2e_items:
        item.add_marker(skip)


# --- servers ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def server_factory():
    """``start(env=None, name=...) -> Server``; every server started is stopped at the end of the session."""
    servers: list[Server] = []

    def start(env: dict[str, str] | None = None, name: str = "e2e") -> Server:
        server = start_server(env, startup_timeout=60, name=name)
        servers.append(server)
        return server

    yield start
    for server in servers:
        stop_server(server)


@pytest.fixture(scope="session")
def app_server(server_factory) -> Server:
    return server_factory(name="e2e-main")


@pytest.fixture(scope="session")
def streamlit_server(app_server) -> str:
    """Base URL of the app with the shipped data, e.g. ``http://127.0.0.1:40123``."""
    return app_server.base_url


# --- browser ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class PageLog:
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)
    """``host:port`` of every http(s)/ws(s) request; other network schemes as ``scheme:`` (:func:`record_host`)."""
    dialogs: list[str] = field(default_factory=list)

    def problems(self) -> dict[str, list[str]]:
        return {k: v for k, v in {"pageerror": self.page_errors, "requestfailed": self.failed_requests,
                                  "http error": self.http_errors, "console error": self.console_errors,
                                  "dialog": self.dialogs}.items() if v}


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


def snap(page, name: str) -> Path:
    """Full-page screenshot to ``artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{safe_name(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


IN_PAGE_SCHEMES = ("blob", "data")
"""URLs the page makes itself and that never leave the browser (Streamlit imports the map frame's component code
from a blob: URL); they are not hosts."""


def record_host(log: PageLog, url: str) -> None:
    """Add the ``host:port`` of a request to ``log.hosts``; other network schemes as ``scheme:``."""
    parsed = urlparse(url)
    if parsed.scheme in IN_PAGE_SCHEMES:
        return
    log.hosts.add(parsed.netloc if parsed.scheme in ("http", "https", "ws", "wss") else f"{parsed.scheme}:")


def recorded_page(browser, viewport: dict[str, int]):
    """A page in a fresh browser context whose ``page.log`` (:class:`PageLog`) records page errors, failed
    requests, HTTP errors, console errors, every request's host and every dialog (dismissed)."""
    context = browser.new_context(viewport=viewport, locale="de-DE")
    context.set_default_timeout(FIRST_LOAD_MS)
    page = context.new_page()
    log = PageLog()

    page.on("request", lambda req: record_host(log, req.url))

    def on_dialog(dialog):
        log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on("requestfailed", lambda req: log.failed_requests.append(f"{req.url} ({req.failure})"))
    page.on("response", lambda resp: log.http_errors.append(f"{resp.status} {resp.url}") if resp.status >= 400 else None)
    page.on("console", lambda msg: log.console_errors.append(f"{msg.text} [{msg.location.get('url', '')}]")
            if msg.type == "error" else None)
    page.on("dialog", on_dialog)
    page.log = log
    return page


def _close(page, shot_name: str) -> None:
    try:
        snap(page, shot_name)
    except Exception:  # noqa: BLE001 – a screenshot must not hide the test result
        pass
    page.context.close()


@pytest.fixture
def page(browser, request):
    page = recorded_page(browser, {"width": 1280, "height": 900})
    yield page
    _close(page, request.node.name)


@pytest.fixture
def open_context(browser, request):
    """``open_context(name) -> page`` in a browser context of its own (its own Streamlit session, 1366 × 900),
    recorded like the ``page`` fixture's; each page's last state is saved as ``<test>_<name>.png``."""
    pages = []

    def make(name: str):
        page = recorded_page(browser, {"width": 1366, "height": 900})
        pages.append((name, page))
        return page

    yield make
    for name, page in pages:
        _close(page, f"{request.node.name}_{name}")


# --- helpers for the tests --------------------------------------------------------------------------------

def write_offer_rows(path: Path, rows: list[dict]) -> None:
    """An offers CSV with the shipped file's header; each row fills the columns it names, the rest stay empty."""
    import csv

    with open(ROOT / "data" / "angebote.csv", encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows({**dict.fromkeys(header, ""), **row} for row in rows)


def log_in(page, base_url: str, name: str, password: str) -> None:
    """Open the Redaktion, log in as ``name`` and wait until the page says so and has settled."""
    from geo.i18n import t

    page.goto(base_url + "/redaktion")
    wait_for_app(page)
    page.get_by_label(t("redaktion.name"), exact=True).fill(name)
    page.get_by_label(t("redaktion.passwort"), exact=True).fill(password)
    page.get_by_role("button", name=t("redaktion.anmelden"), exact=True).click()
    page.get_by_text(f"Angemeldet als {name}").wait_for(state="visible")
    wait_for_app(page)


SETTLED_JS = f"""() => window.qkSidebarCloses === true
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')
    && document.querySelectorAll({MAP_IFRAME!r}).length <= 1"""
"""True when the page has settled: the app's own page script has run (``static/qk/qk-app.js`` sets
``qkSidebarCloses``; Streamlit mounts it only once its lazily loaded code has arrived, which on a loaded machine can be
seconds after the script run ended), no script run in progress, no stale element left over from the previous run,
and at most one map frame (during a rerun the old and the new map frame can exist side by side)."""

LIVE_MAP_IFRAME = f'[data-testid="stElementContainer"]:not([data-stale="true"]) {MAP_IFRAME}'
"""The map frame of the current run, never a stale one that the rerun is about to remove."""


def wait_for_app(page, timeout_ms: int = FIRST_LOAD_MS) -> None:
    """Wait until the Streamlit script run has finished and the page has settled (:data:`SETTLED_JS` true on
    two checks in a row, 150 ms apart), so that a test never acts on elements of a run being replaced."""
    page.locator('[data-testid="stMain"] h1').first.wait_for(state="visible", timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    settled_before = False
    while time.monotonic() < deadline:
        settled = page.evaluate(SETTLED_JS)
        if settled and settled_before:
            return
        settled_before = settled
        time.sleep(0.15)
    pytest.fail(f"page did not settle within {timeout_ms / 1000:.0f} s")


def choose_option(page, box, typed: str, option: str) -> None:
    """Choose ``option`` (its exact accessible name) in the Streamlit selectbox or multiselect ``box``, as a person
    does: click the box, replace its text with ``typed``, click the option; then wait for the rerun.

    On a loaded machine the rerun of an earlier action can arrive after the page looked settled and re-render the
    widget, which closes the open list and drops the typed text; then the list is opened again (three tries)."""
    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        box.click()
        page.keyboard.press("ControlOrMeta+a")  # a selectbox shows its current value as text: type over it
        page.keyboard.type(typed, delay=30)
        try:
            choice.wait_for(state="visible", timeout=8000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            wait_for_app(page)
    choice.click()
    wait_for_app(page)


def map_frame(page):
    """The map frame of the current run. ``.last`` instead of a strict locator: mid-rerun a second frame can
    exist for a moment, and a strict locator fails at once where this one waits for the page to settle."""
    return page.locator(LIVE_MAP_IFRAME).last.content_frame


def wait_for_map(page, timeout_ms: int = FIRST_LOAD_MS) -> None:
    """Wait until the map frame shows the Leaflet map with at least one offer marker or cluster."""
    frame = map_frame(page)
    frame.locator(".leaflet-container").wait_for(state="visible", timeout=timeout_ms)
    frame.locator(".qk-marker, .qk-cluster").first.wait_for(state="visible", timeout=timeout_ms)
    # The component adds leaflet.css as a <link> after the markers may already be drawn; until it applies,
    # panes have no z-index and controls no layout, so a test would measure an unstyled map.
    container = frame.locator(".leaflet-container")
    wait_until(lambda: container.evaluate(
        "el => getComputedStyle(el.querySelector('.leaflet-marker-pane')).zIndex !== 'auto'"),
        timeout_s=timeout_ms / 1000, message="leaflet.css applied in the map frame")


def center_map(page) -> None:
    """Scroll the page so that the whole map iframe is in view.

    Needed before mouse clicks on the map: Leaflet focuses the map container on mousedown, and when the
    iframe is partly below the fold the browser then scrolls the Streamlit page, so that the mouseup lands
    elsewhere and the click is lost (see ``test_mouse_click_on_a_marker_with_the_map_partly_below_the_fold``).
    """
    page.locator(LIVE_MAP_IFRAME).evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)


def map_state(page) -> dict:
    """See :data:`bench.load.MAP_STATE_JS`."""
    return map_frame(page).locator(".leaflet-container").evaluate(f"(el) => ({MAP_STATE_JS})()")


def wait_until(predicate, timeout_s: float = 15.0, interval_s: float = 0.1, message: str = "condition"):
    """Poll ``predicate()`` until it returns a truthy value (which is returned); fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        try:
            last = predicate()
        except Exception as exc:  # noqa: BLE001 – e.g. the iframe is being replaced
            last = exc
        if last and not isinstance(last, Exception):
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {message}; last value: {last!r}")
        time.sleep(interval_s)
