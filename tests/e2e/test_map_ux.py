"""The map on a phone and with the keyboard (issue 12, defects 4 and 8): each test failed before the fix."""
from __future__ import annotations

import pytest

from .conftest import MAP_IFRAME, map_frame, snap, wait_for_app, wait_for_map, wait_until
from .test_browser import assert_clean

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, request):
    """A phone-sized page (390 × 844, touch) with the same request log as ``page``."""
    from .conftest import PageLog
    from urllib.parse import urlparse

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="de-DE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    log = PageLog()
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on("request", lambda req: log.hosts.add(urlparse(req.url).netloc))
    page.log = log
    yield page
    snap(page, request.node.name)
    context.close()


def open_phone_map(page, base_url: str) -> None:
    page.goto(base_url + "/")
    wait_for_app(page)
    wait_for_map(page)
    # centred: Streamlit's sticky header covers the top 60 px of the page
    page.locator(MAP_IFRAME).evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(500)


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_phone_first_screen_shows_offers_and_collapsed_notes(phone, streamlit_server):
    open_phone_map(phone, streamlit_server)
    frame = map_frame(phone)
    container = frame.locator(".leaflet-container").bounding_box()
    visible = [b for b in (m.bounding_box() for m in frame.locator(".qk-marker, .qk-cluster").all()) if b]
    inside = [b for b in visible if boxes_overlap(b, container)]
    assert inside, "no offer marker on the first screen of the map"
    # the notes (and a legend) are collapsed: together far less than a third of the map's height
    controls = [c.bounding_box() for c in frame.locator(".qk-control").all()]
    assert sum(c["height"] for c in controls) < container["height"] / 6, controls
    assert frame.locator(".qk-control details[open]").count() == 0


def test_phone_popup_clear_of_controls_and_closable(phone, streamlit_server):
    open_phone_map(phone, streamlit_server)
    frame = map_frame(phone)
    singles = frame.locator(".leaflet-marker-pane .qk-marker")
    for _ in range(8):  # tap clusters (zoom or spiderfy) until a single offer marker shows
        if singles.count():
            break
        frame.locator(".leaflet-marker-pane .qk-cluster").first.tap()
        phone.wait_for_timeout(800)
    container = frame.locator(".leaflet-container").bounding_box()
    marker = next(m for m in singles.all() if (b := m.bounding_box()) and boxes_overlap(b, container)
                  and b["y"] > container["y"] + 90)
    marker.tap()
    title = frame.locator(".leaflet-popup .qk-popup-title")
    title.wait_for(state="visible", timeout=5000)
    phone.wait_for_timeout(600)  # autopan
    close = frame.locator(".leaflet-popup-close-button").bounding_box()
    layers = frame.locator(".leaflet-control-layers").bounding_box()
    zoom = frame.locator(".leaflet-control-zoom").bounding_box()
    assert not boxes_overlap(close, layers), (close, layers)
    assert not boxes_overlap(title.bounding_box(), zoom), (title.bounding_box(), zoom)
    frame.locator(".leaflet-popup-close-button").tap()
    wait_until(lambda: frame.locator(".leaflet-popup").count() == 0, timeout_s=5, message="popup closed by its ×")
    assert frame.locator(".leaflet-control-layers-expanded").count() == 0, "the tap opened the layer list"


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


def test_pinch_zoom_allowed_and_frame_language(page, streamlit_server):
    page.goto(streamlit_server + "/?lang=en")
    wait_for_app(page)
    wait_for_map(page)
    frame = map_frame(page)
    body = frame.locator("body")
    meta = body.evaluate("() => document.querySelector('meta[name=viewport]').getAttribute('content')")
    assert "user-scalable=no" not in meta and "maximum-scale" not in meta
    assert body.evaluate("() => document.documentElement.lang") == "en"


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
    for label in clusters.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))"):
        assert label and label.endswith("Angebote an dieser Stelle – vergrößern"), label


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
