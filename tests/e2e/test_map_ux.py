"""The map on a phone and with the keyboard (issue 12, defects 4 and 8): each test failed before its fix.

Phone = 390 × 844 with touch, desktop = 1366 × 900. ``axe-core`` (``scripts/install.sh --test``, pinned in
:data:`geo.render.assets.TEST_ASSETS`) is injected into the map frame from the local file, never from a CDN.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from geo.i18n import t

from .conftest import (
    LIVE_MAP_IFRAME,
    MAP_IFRAME,
    PageLog,
    map_frame,
    record_host,
    snap,
    wait_for_app,
    wait_for_map,
    wait_until,
)
from .test_browser import assert_clean

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CLUSTER_GROUP_JS = "Object.values(window.map._layers).find(l => l.qkOfferClusters)"
"""The map's one cluster layer of offers (``static/qk/qk-cluster.js``; ``window.map`` is set by the map document,
``app.widgets.mapframe``)."""


def logged_page(browser, viewport: dict, mobile: bool):
    """A page in a fresh context with the request log that :func:`assert_clean` reads."""
    context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="de-DE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    log = PageLog()
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on("requestfailed", lambda req: log.failed_requests.append(f"{req.url} ({req.failure})"))
    page.on("request", lambda req: record_host(log, req.url))
    page.log = log
    return page


@pytest.fixture
def phone(browser, request):
    """A phone-sized page (390 × 844, touch)."""
    page = logged_page(browser, PHONE, mobile=True)
    yield page
    snap(page, request.node.name)
    page.context.close()


@pytest.fixture
def desktop(browser, request):
    """A laptop-sized page (1366 × 900, mouse)."""
    page = logged_page(browser, DESKTOP, mobile=False)
    yield page
    snap(page, request.node.name)
    page.context.close()


@pytest.fixture(params=["phone", "desktop"])
def device(request):
    """The same test on the phone and on the desktop page; ``device.is_phone`` tells which."""
    page = request.getfixturevalue(request.param)
    page.is_phone = request.param == "phone"
    return page


def open_map(page, base_url: str, path: str = "/") -> None:
    page.goto(base_url + path)
    wait_for_app(page)
    wait_for_map(page)
    # centred: Streamlit's sticky header covers the top 60 px of the page
    page.locator(LIVE_MAP_IFRAME).evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(500)


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def frame_eval(page, script: str):
    """Evaluate ``script`` (a function without arguments) inside the map frame."""
    return map_frame(page).locator("body").evaluate(f"(body) => ({script})()")


def choose_indicator(page, key: str) -> None:
    """Colour the districts by an indicator through the sidebar (on a phone: open it with », then close it)."""
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    phone = expand.is_visible()
    if phone:
        expand.click()
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text=t("filter.indikator"))
    # it is at the end of a long sidebar: a click that has to scroll the sidebar first only focuses the box
    box.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box.click()
    option = page.get_by_role("option", name=t(f"indikator.{key}"))
    if not option.count():
        box.click()
    option.click()
    if phone:
        page.locator('[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarCollapseButton"]').first.click()
    wait_for_app(page)
    # the new map replaces the old frame; for a moment both are in the page
    wait_until(lambda: page.locator(MAP_IFRAME).count() == 1
               and map_frame(page).locator(".qk-legend").count() == 1, timeout_s=30, message="map with legend")
    wait_for_map(page)


# --- phone layout -----------------------------------------------------------------------------------------

def test_phone_first_screen_shows_offers_and_collapsed_notes(phone, streamlit_server):
    open_map(phone, streamlit_server)
    frame = map_frame(phone)
    container = frame.locator(".leaflet-container").bounding_box()
    visible = [b for b in (m.bounding_box() for m in frame.locator(".qk-marker, .qk-cluster").all()) if b]
    inside = [b for b in visible if boxes_overlap(b, container)]
    assert inside, "no offer marker on the first screen of the map"
    # the notes (and a legend) are collapsed: together far less than a third of the map's height
    controls = [c.bounding_box() for c in frame.locator(".qk-control").all()]
    assert sum(c["height"] for c in controls) < container["height"] / 6, controls
    assert frame.locator(".qk-control details[open]").count() == 0


def test_first_view_is_fitted_to_the_offers(device, streamlit_server):
    open_map(device, streamlit_server)
    view = frame_eval(device, f"""() => {{
        const group = {CLUSTER_GROUP_JS};
        const points = group.getLayers().map(m => m.getLatLng());
        const bounds = window.map.getBounds();
        return {{n: points.length, outside: points.filter(p => !bounds.contains(p)).length,
                 zoom: window.map.getZoom(),
                 fitted: window.map.getBoundsZoom(L.latLngBounds(points), false, L.point(48, 48))}};
    }}""")
    # 43 offers with a place in data/angebote.csv, none of them ended (README, "Daten")
    assert view["n"] == 43
    assert view["outside"] == 0, view
    # the view is the offers' bounds (padding 24 px), not the whole city
    assert view["zoom"] == pytest.approx(view["fitted"]), view


def test_phone_popup_clear_of_controls_and_closable(device, streamlit_server):
    page = device
    open_map(page, streamlit_server)
    frame = map_frame(page)
    press = (lambda loc: loc.tap()) if page.is_phone else (lambda loc: loc.click())
    singles = frame.locator(".leaflet-marker-pane .qk-marker")
    container = frame.locator(".leaflet-container").bounding_box()

    def single_in_view():
        return next((m for m in singles.all() if (b := m.bounding_box()) and boxes_overlap(b, container)
                     and b["y"] > container["y"] + 90), None)

    for _ in range(8):  # tap clusters (zoom or spiderfy) until a single offer marker shows
        if single_in_view():
            break
        press(frame.locator(".leaflet-marker-pane .qk-cluster").first)
        page.wait_for_timeout(800)
    press(single_in_view())
    title = frame.locator(".leaflet-popup .qk-popup-title")
    title.wait_for(state="visible", timeout=5000)
    page.wait_for_timeout(600)  # autopan
    snap(page, f"popup_open_{'phone' if page.is_phone else 'desktop'}")
    close = frame.locator(".leaflet-popup-close-button").bounding_box()
    layers = frame.locator(".leaflet-control-layers").bounding_box()
    zoom = frame.locator(".leaflet-control-zoom").bounding_box()
    assert not boxes_overlap(close, layers), (close, layers)
    assert not boxes_overlap(title.bounding_box(), zoom), (title.bounding_box(), zoom)
    press(frame.locator(".leaflet-popup-close-button"))
    wait_until(lambda: frame.locator(".leaflet-popup").count() == 0, timeout_s=5, message="popup closed by its ×")
    assert frame.locator(".leaflet-control-layers-expanded").count() == 0, "the tap opened the layer list"


def test_legend_collapsed_on_phone_open_on_desktop_and_keyboard_toggles_it(device, streamlit_server):
    page = device
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)
    choose_indicator(page, "kinderarmut")
    page.locator(LIVE_MAP_IFRAME).evaluate("e => e.scrollIntoView({block: 'center'})")
    frame = map_frame(page)
    legend = frame.locator(".qk-legend details")
    container = frame.locator(".leaflet-container").bounding_box()
    is_open = lambda: legend.evaluate("d => d.open")  # noqa: E731
    assert is_open() is (not page.is_phone)
    if page.is_phone:
        # collapsed: one line, not the lower third of the map
        assert frame.locator(".qk-legend").bounding_box()["height"] < container["height"] / 10
    summary = legend.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    wait_until(lambda: is_open() is page.is_phone, timeout_s=5, message="Enter on the summary toggles the legend")
    page.keyboard.press("Enter")
    wait_until(lambda: is_open() is (not page.is_phone), timeout_s=5, message="Enter toggles it back")
    if not page.is_phone:
        snap(page, "legend_desktop")


def test_intro_text_says_where_the_filters_are_on_a_phone(phone, desktop, streamlit_server):
    intro = t("karte.einleitung")
    # before: "Wählen Sie links …" – on a phone there is nothing on the left but the » button
    assert "»" in intro and "Wählen Sie links" not in intro
    for page in (phone, desktop):
        page.goto(streamlit_server + "/")
        wait_for_app(page)
        assert page.get_by_text(intro[:60]).is_visible()
    expand = phone.locator('[data-testid="stExpandSidebarButton"]')
    box = expand.bounding_box()
    assert box and box["x"] < 100 and box["y"] < 100, box  # "oben links"
    def on_screen(page) -> bool:  # a collapsed sidebar is hidden, so its heading is not even in the page's tree
        heading = page.get_by_role("heading", name=t("filter.titel"))
        box = heading.bounding_box() if heading.count() and heading.is_visible() else None
        return box is not None and box["x"] >= 0 and box["width"] > 0
    assert not on_screen(phone)
    expand.click()
    wait_until(lambda: on_screen(phone), timeout_s=5, message="» opens the sidebar with the filters")
    # on the desktop the sidebar with the filters is open from the start
    assert on_screen(desktop)


def test_district_labels_lie_below_clusters(page, streamlit_server):
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)
    frame = map_frame(page)
    z = frame.locator(".leaflet-container").evaluate("""el => {
        const labels = el.querySelector('.leaflet-qk-labels-pane');
        const markers = el.querySelector('.leaflet-marker-pane');
        return [labels && Number(getComputedStyle(labels).zIndex), Number(getComputedStyle(markers).zIndex),
                el.querySelectorAll('.leaflet-qk-labels-pane .qk-label').length];
    }""")
    assert z[0] is not None and z[0] < z[1] and z[2] == 19, z


# --- frame document ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "lang"), [("/", "de"), ("/?lang=en", "en")])
def test_pinch_zoom_allowed_and_frame_language(page, streamlit_server, path, lang):
    page.goto(streamlit_server + path)
    wait_for_app(page)
    wait_for_map(page)
    frame = map_frame(page)
    body = frame.locator("body")
    # folium writes a viewport tag with user-scalable=no; qk-map.js rewrites every viewport tag
    metas = body.evaluate("() => [...document.querySelectorAll('meta[name=viewport]')].map(m => m.content)")
    assert metas and not [m for m in metas if "user-scalable=no" in m or "maximum-scale" in m], metas
    # the map document says lang="en" by itself
    assert body.evaluate("() => document.documentElement.lang") == lang


def test_offers_inside_clusters_get_popup_and_tooltip_when_shown(page, streamlit_server):
    """Binding a popup and a tooltip to every offer up front held a map of 10,000 offers back (bench/README.md):
    they are bound when a marker is first shown on its own. Markers inside clusters have none yet; zoomed in, the
    same markers have both, and the tooltip shows the offer's name."""
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)
    counts = frame_eval(page, f"""() => {{
        const markers = {CLUSTER_GROUP_JS}.getLayers();
        const bound = m => Boolean(m.getPopup() && m.getTooltip());
        const clustered = markers.filter(m => !m._icon);
        return {{clustered: clustered.length, clustered_bound: clustered.filter(bound).length,
                 shown: markers.length - clustered.length, shown_bound: markers.filter(m => m._icon && bound(m)).length}};
    }}""")
    assert counts["clustered"] > 0 and counts["clustered_bound"] == 0, counts
    assert counts["shown_bound"] == counts["shown"], counts
    name = frame_eval(page, f"""() => {{
        const marker = {CLUSTER_GROUP_JS}.getLayers().find(m => !m._icon);
        {CLUSTER_GROUP_JS}.zoomToShowLayer(marker, () => {{}});
        window.qkProbe = marker;
        return marker.options.qkRow[2];
    }}""")
    frame = map_frame(page)
    wait_until(lambda: frame_eval(page, "() => Boolean(window.qkProbe._icon && window.qkProbe.getPopup())"),
               message="the marker shown on its own, with its popup")
    frame_eval(page, "() => window.qkProbe.openTooltip()")
    assert frame.locator(".leaflet-tooltip").last.text_content() == name


@pytest.mark.parametrize("lang", ["de", "en"])
def test_map_controls_are_named_in_the_ui_language(page, streamlit_server, lang):
    page.goto(streamlit_server + f"/?lang={lang}")
    wait_for_app(page)
    wait_for_map(page)
    map_frame(page)
    names = frame_eval(page, f"""() => {{
        const name = sel => {{ const e = document.querySelector(sel); return e && [e.getAttribute('aria-label'), e.title]; }};
        const marker = {CLUSTER_GROUP_JS}.getLayers()[0];  // shares its place with 3 others: spread, then opened
        {CLUSTER_GROUP_JS}.zoomToShowLayer(marker, () => marker.openPopup());
        const container = document.querySelector('.leaflet-container');
        return {{zoom_in: name('.leaflet-control-zoom-in'), zoom_out: name('.leaflet-control-zoom-out'),
                 layers: name('.leaflet-control-layers-toggle'),
                 close: name('.leaflet-popup-close-button'),
                 region: [container.getAttribute('role'), container.getAttribute('aria-label')]}};
    }}""")
    # before: "Zoom in", "Zoom out", "Layers", "Close popup dialog" (Leaflet's English) in a German page
    assert names["zoom_in"] == [t("karte.zoom_rein", lang)] * 2
    assert names["zoom_out"] == [t("karte.zoom_raus", lang)] * 2
    assert names["layers"] == [t("karte.ebenen", lang)] * 2
    assert names["close"][0] == t("karte.popup_schliessen", lang)
    assert names["region"] == ["region", t("karte.kartenbereich", lang)]


# --- keyboard ---------------------------------------------------------------------------------------------

def tab_until_marker(page, frame, limit: int = 60) -> int:
    """Tabs from the map container until focus is on an offer marker or cluster (-1 if never)."""
    frame.locator(".leaflet-container").focus()
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        on_marker = frame.locator("body").evaluate(
            "() => !!document.activeElement && document.activeElement.matches('.qk-marker, .qk-cluster')")
        if on_marker:
            return presses
    return -1


def test_keyboard_reaches_offers_quickly_and_clusters_have_names(page, streamlit_server):
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)
    frame = map_frame(page)
    presses = tab_until_marker(page, frame)
    # before: 35 Tabs through 19 unnamed district shapes
    assert 0 < presses <= 8, presses
    assert frame.locator("path.leaflet-interactive[tabindex='0']").count() == 0
    clusters = frame.locator(".leaflet-marker-pane .qk-cluster")
    assert clusters.count() > 0
    for role, label in clusters.evaluate_all("els => els.map(e => [e.getAttribute('role'), e.getAttribute('aria-label')])"):
        assert role == "button" and label and label.endswith("Angebote an dieser Stelle – vergrößern"), label


def test_enter_on_cluster_keeps_focus_in_the_map_and_escape_closes_popup(page, streamlit_server):
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)
    frame = map_frame(page)
    active = lambda: frame.locator("body").evaluate(  # noqa: E731
        "() => document.activeElement ? document.activeElement.className : ''")
    page.wait_for_timeout(2000)  # the first view settles (fit to the offers); clusters ignore clicks while zooming
    frame.locator(".leaflet-marker-pane .qk-cluster").first.focus()
    for _ in range(6):  # Enter on the focused cluster until focus lands on a single offer
        page.keyboard.press("Enter")
        page.wait_for_timeout(900)  # zoom or spider animation, then the focus move
        wait_until(lambda: "qk-marker" in active() or "qk-cluster" in active(), timeout_s=5,
                   message="focus on a marker or cluster after Enter on a cluster (before: back to the page start)")
        if "qk-marker" in active():
            break
    wait_until(lambda: "qk-marker" in active(), timeout_s=5, message="focus on a single marker")
    page.keyboard.press("Enter")
    frame.locator(".leaflet-popup .qk-popup-title").wait_for(state="visible", timeout=5000)
    page.keyboard.press("Escape")
    wait_until(lambda: frame.locator(".leaflet-popup").count() == 0, timeout_s=5, message="Escape closes the popup")
    assert "qk-marker" in active(), "focus returns to the marker"
    assert_clean(page, streamlit_server)


# --- axe-core ---------------------------------------------------------------------------------------------

def axe_violations(page) -> list[dict]:
    """axe-core's violations in the map frame: ``[{id, impact, nodes: [html, ...]}]``."""
    if not AXE_JS.is_file():
        pytest.skip(f"{AXE_JS.relative_to(ROOT)} missing: run scripts/install.sh --test")
    body = map_frame(page).locator("body")
    if body.evaluate("() => typeof window.axe") == "undefined":
        body.evaluate("(body, src) => { const s = document.createElement('script'); s.textContent = src;"
                      " document.head.appendChild(s); }", AXE_JS.read_text(encoding="utf-8"))
    return body.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map(v => ({id: v.id, impact: v.impact,
                     nodes: v.nodes.map(n => n.html.slice(0, 120) + ' → ' + (n.failureSummary || '').slice(0, 240))}))""")


def serious(violations: list[dict]) -> list[dict]:
    # meta-viewport is only "moderate" in axe, but blocking zoom is defect 11
    return [v for v in violations if v["impact"] in ("serious", "critical") or v["id"] == "meta-viewport"]


def test_axe_finds_no_serious_problem_in_the_map_frame(device, streamlit_server):
    page = device
    open_map(page, streamlit_server)
    assert serious(axe_violations(page)) == []
    # with the legend (open on the desktop, collapsed on the phone) and a popup open (close button, links)
    choose_indicator(page, "kinderarmut")
    frame_eval(page, f"() => {{ const m = {CLUSTER_GROUP_JS}.getLayers()[0];"
               f" {CLUSTER_GROUP_JS}.zoomToShowLayer(m, () => m.openPopup()); }}")
    popup = map_frame(page).locator(".leaflet-popup")
    popup.locator(".qk-popup-title").wait_for(state="visible", timeout=5000)
    # Leaflet fades popups in: measured halfway, text and background are blended with the map below
    wait_until(lambda: popup.evaluate("e => getComputedStyle(e).opacity") == "1", timeout_s=5, message="popup faded in")
    assert serious(axe_violations(page)) == []


def test_panning_and_zooming_never_rerun_the_page(page, streamlit_server):
    """Only a tap comes back from the map: zooming and panning send nothing to the server (no script run), and
    the frame stays the same document with the view she chose."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)
    page.locator(LIVE_MAP_IFRAME).last.evaluate("e => { e.dataset.probe = 'same'; e.scrollIntoView({block: 'center'}); }")
    page.wait_for_timeout(1000)
    before = len(sent)
    assert before > 0, "the page's own messages (the first script run) are seen"
    frame = map_frame(page)
    zoom = frame_eval(page, "() => window.map.getZoom()")
    frame.locator(".leaflet-control-zoom-in").click()
    center = frame_eval(page, "() => window.map.getCenter()")
    # pan with the keyboard, as Leaflet offers it: focus on the map, arrow keys
    frame.locator(".leaflet-container").focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowDown"):
        page.keyboard.press(key)
        page.wait_for_timeout(300)
    page.wait_for_timeout(1500)
    assert frame_eval(page, "() => window.map.getZoom()") == zoom + 1
    moved = frame_eval(page, "() => window.map.getCenter()")
    assert moved["lng"] > center["lng"] and moved["lat"] < center["lat"], (center, moved)
    assert len(sent) == before, "the map sent something to the server on pan or zoom"
    assert page.locator('[data-testid="stStatusWidget"]').count() == 0
    assert page.locator(LIVE_MAP_IFRAME).last.get_attribute("data-probe") == "same"


# --- the cluster layer (static/qk/qk-cluster.js) on a large map -------------------------------------------

def test_a_map_of_2048_offers_stands_for_every_offer_and_a_layer_switch_takes_out_one_handlungsfeld(page, tmp_path):
    """The map document alone (no Streamlit): 2,048 synthetic offers, the first view fitted to them. Pins and
    cluster counts together stand for every offer; switching Wohnen off in the layer list takes out exactly its
    offers, switching it on brings them back; zoomed in, the clusters split and still add up.

    2,048 because the synthetic offers take the Handlungsfelder in turn: Wohnen has 512, a multiple of 32, and
    then Supercluster's cluster ids (32 × position + zoom + 1 + number of points) of the index without Wohnen
    repeat ids of the index before, for other clusters. A cluster marker kept by its old id would show an old count."""
    from bench.frame_only import map_documents, serve, write_document
    from bench.load import MAP_STATE_JS

    (html,) = map_documents(["2048"]).values()
    server, base = serve(tmp_path)
    try:
        page.goto(write_document(tmp_path, "karte.html", html, base))
        page.locator(".qk-cluster").first.wait_for(state="visible", timeout=30_000)
        state = lambda: page.evaluate(f"({MAP_STATE_JS})")  # noqa: E731
        layers = {entry["name"]: entry["count"] for entry in state()["layers"].values()}
        assert sum(layers.values()) == 2048, layers
        assert state()["represented"] == 2048
        wohnen = t("handlungsfeld.wohnen")
        page.locator(".leaflet-control-layers").hover()
        box = page.locator(".leaflet-control-layers-overlays label", has_text=wohnen).locator("input")
        box.set_checked(False)
        wait_until(lambda: state()["represented"] == 2048 - layers[wohnen], message="Wohnen taken out")
        box.set_checked(True)
        wait_until(lambda: state()["represented"] == 2048, message="Wohnen back")
        clusters_before = state()["clusters"]
        page.evaluate("() => window.map.setZoom(window.map.getZoom() + 2, {animate: false})")
        # fewer offers per cluster; those that left the view are not drawn, so compare the splitting only
        wait_until(lambda: state()["pins"] > 0 and state()["clusters"] != clusters_before, message="clusters split")
    finally:
        server.shutdown()
