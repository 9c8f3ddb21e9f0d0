"""BITV 2.0 / WCAG 2.1 AA and no third-party requests, proven on every page (issue 18).

* axe-core (npm, pinned in :data:`geo.render.assets.TEST_ASSETS`, injected from the local file) on every page, at
  390 × 844 and 1280 × 900, in German and Arabic, in the page and inside the map frame: any violation of
  impact "serious" or "critical" fails; the others are printed. Results go to ``artifacts/axe-results.json``
  (the table in docs/accessibility.md is made from it).
* The same run records the host of every request: only the app's own.
* Keyboard only (Tab, Enter, Escape): reach an offer on the map, open its details, toggle a layer.
* Third-party tiles: no tile request before the visitor agrees, afterwards only to the configured host.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from geo.i18n import t

from .conftest import (
    FIRST_LOAD_MS,
    MAP_IFRAME,
    PageLog,
    map_frame,
    record_host,
    snap,
    wait_for_app,
    wait_for_map,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
RESULTS = ROOT / "artifacts" / "axe-results.json"
PAGES = ("/", "/angebote", "/luecken", "/stadtteile", "/massnahmen", "/drucken", "/datenquellen", "/impressum",
         "/datenschutz", "/barrierefreiheit")
MAP_PAGES = ("/", "/luecken")
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
BLOCKING = ("serious", "critical")


def new_page(browser, viewport: dict, **context_args):
    context = browser.new_context(viewport=viewport, locale="de-DE", **context_args)
    context.set_default_timeout(FIRST_LOAD_MS)
    page = context.new_page()
    page.log = PageLog()
    page.on("pageerror", lambda exc: page.log.page_errors.append(str(exc)))
    page.on("request", lambda req: record_host(page.log, req.url))
    return page


def run_axe(locator) -> list[dict]:
    """axe-core's violations in the document of ``locator`` (page body or map-frame body)."""
    if locator.evaluate("() => typeof window.axe") == "undefined":
        locator.evaluate("(body, src) => { const s = document.createElement('script'); s.textContent = src;"
                         " document.head.appendChild(s); }", AXE_JS.read_text(encoding="utf-8"))
    return locator.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))""")


def wait_for_page(page, path: str) -> None:
    wait_for_app(page)
    if path in MAP_PAGES:
        wait_until(lambda: page.locator(MAP_IFRAME).count() == 1, timeout_s=30, message="one map frame")
        wait_for_map(page)
    page.wait_for_timeout(500)  # fades (Streamlit, Leaflet) end before contrast is measured


@pytest.fixture(scope="module")
def results():
    collected: list[dict] = []
    yield collected
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(collected, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.parametrize("lang", ["de", "ar"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_axe_finds_no_serious_violation_on_any_page(browser, streamlit_server, results, device, lang):
    if not AXE_JS.is_file():
        pytest.skip(f"{AXE_JS.relative_to(ROOT)} missing: run scripts/install.sh --test")
    page = new_page(browser, VIEWPORTS[device], is_mobile=device == "phone", has_touch=device == "phone")
    blocking = []
    try:
        for path in PAGES:
            page.goto(streamlit_server + path + ("" if lang == "de" else f"?lang={lang}"))
            wait_for_page(page, path)
            for where, locator in [("Seite", page.locator("body"))] + (
                    [("Karte", map_frame(page).locator("body"))] if path in MAP_PAGES else []):
                violations = run_axe(locator)
                results.append({"seite": path, "teil": where, "geraet": device, "sprache": lang,
                                "verstoesse": violations})
                for v in violations:
                    line = f"{path} [{where}, {device}, {lang}] {v['impact']}: {v['id']} – {v['help']} {v['nodes']}"
                    print(line)
                    if v["impact"] in BLOCKING:
                        blocking.append(line)
            if lang == "ar":
                assert page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
        snap(page, f"axe_{device}_{lang}")
        assert blocking == [], "\n".join(blocking)
        assert page.log.page_errors == []
        # nothing from any host but the app's own, on every page
        assert page.log.hosts == {urlparse(streamlit_server).netloc}, page.log.hosts
    finally:
        page.context.close()


def test_legal_pages_are_linked_from_every_page(page, streamlit_server):
    for path in ("/", "/stadtteile", "/impressum"):
        page.goto(streamlit_server + path)
        wait_for_app(page)
        nav = page.locator("nav.qk-fusslinks")
        nav.wait_for(timeout=20_000)
        assert [a.inner_text() for a in nav.locator("a").all()] == ["Impressum", "Datenschutz", "Barrierefreiheit"]
    page.locator("nav.qk-fusslinks a", has_text="Datenschutz").click()
    wait_until(lambda: page.evaluate("() => location.pathname").endswith("/datenschutz"), message="Datenschutz page")
    wait_for_app(page)
    assert page.get_by_role("heading", name="Datenschutzerklärung").is_visible()
    assert page.get_by_text("_streamlit_xsrf").first.is_visible()


def test_keyboard_only_reaches_an_offer_opens_it_and_toggles_a_layer(page, streamlit_server):
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)
    frame = map_frame(page)
    # From the page into the map with Tab only: count the stops until focus is inside the map frame.
    in_map = lambda: page.evaluate("() => document.activeElement && document.activeElement.tagName") == "IFRAME"  # noqa: E731
    for _presses in range(1, 120):
        page.keyboard.press("Tab")
        if in_map():
            break
    else:
        pytest.fail("Tab never reached the map")
    active_class = lambda: frame.locator("body").evaluate("() => document.activeElement.className || ''")  # noqa: E731
    for _ in range(60):
        if "qk-marker" in active_class() or "qk-cluster" in active_class():
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached an offer marker")
    # Enter on clusters until a single offer has focus, then Enter opens its details
    for _ in range(8):
        if "qk-marker" in active_class():
            break
        page.keyboard.press("Enter")
        page.wait_for_timeout(900)
    assert "qk-marker" in active_class(), active_class()
    page.keyboard.press("Enter")
    frame.locator(".leaflet-popup .qk-popup-title").wait_for(state="visible", timeout=5000)
    page.keyboard.press("Escape")
    wait_until(lambda: frame.locator(".leaflet-popup").count() == 0, timeout_s=5, message="Escape closes the details")
    # Layer control: Tab to its button, Enter opens the list, Tab to a Handlungsfeld, Enter toggles it
    for _ in range(80):
        if "leaflet-control-layers-toggle" in active_class():
            break
        page.keyboard.press("Shift+Tab")
    else:
        pytest.fail("Shift+Tab never reached the layer button")
    page.keyboard.press("Enter")
    wait_until(lambda: frame.locator(".leaflet-control-layers-expanded").count() == 1, timeout_s=5,
               message="Enter opens the layer list")
    name = t("handlungsfeld.wohnen")
    box = frame.locator(".leaflet-control-layers-overlays label", has_text=name).locator("input")
    for _ in range(20):
        page.keyboard.press("Tab")
        if box.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail(f"Tab never reached the {name} layer")
    assert box.is_checked()
    page.keyboard.press("Enter")
    wait_until(lambda: not box.is_checked(), timeout_s=5, message="Enter toggles the layer off")
    page.keyboard.press("Enter")
    wait_until(lambda: box.is_checked(), timeout_s=5, message="Enter toggles it back on")
    snap(page, "keyboard_only")


PNG_1X1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2214bbc0000000049454e44ae426082")


class _Tiles(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 – http.server API
        _Tiles.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG_1X1)))
        self.end_headers()
        self.wfile.write(PNG_1X1)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def tile_host():
    """A stand-in third-party tile server on another loopback address (127.0.0.2 is another host to the browser)."""
    server = ThreadingHTTPServer(("127.0.0.2", 0), _Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.2:{server.server_address[1]}"
    server.shutdown()


def test_third_party_tiles_load_only_after_consent(browser, server_factory, tile_host):
    server = server_factory({"QK_TILE_URL": f"http://{tile_host}/{{z}}/{{x}}/{{y}}.png",
                             "QK_TILE_ATTRIBUTION": "Test-Kacheln"}, name="e2e-tiles")
    page = new_page(browser, VIEWPORTS["desktop"])
    try:
        page.goto(server.base_url + "/")
        wait_for_app(page)
        wait_for_map(page)
        frame = map_frame(page)
        button = frame.get_by_role("button", name=t("karte.tiles_laden"))
        button.wait_for(timeout=10_000)
        assert tile_host.split(":")[0] in frame.locator(".qk-tiles").inner_text()
        page.wait_for_timeout(1500)
        assert tile_host not in page.log.hosts, "a tile was requested before the visitor agreed"
        assert _Tiles.requests == []
        button.click()
        wait_until(lambda: frame.locator(".leaflet-tile-loaded").count() > 0, timeout_s=15, message="tiles loaded")
        assert page.log.hosts == {urlparse(server.base_url).netloc, tile_host}, page.log.hosts
        assert _Tiles.requests and all(p.endswith(".png") for p in _Tiles.requests)
        # remembered for the session: after a reload the tiles come without asking again
        page.reload()
        wait_for_app(page)
        wait_for_map(page)
        wait_until(lambda: map_frame(page).locator(".leaflet-tile-loaded").count() > 0, timeout_s=15,
                   message="tiles after reload")
        assert map_frame(page).locator(".qk-tiles").count() == 0
    finally:
        page.context.close()
