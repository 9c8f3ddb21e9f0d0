"""The app in a real browser: offline map, layers, keyboard, pages, hostile offer text, filters."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bench.load import hex_to_rgb
from geo.config import HANDLUNGSFELDER
from geo.i18n import t

from .conftest import (
    FIRST_LOAD_MS,
    center_map,
    map_frame,
    map_state,
    snap,
    wait_for_app,
    wait_for_map,
    wait_until,
    write_offer_rows,
)

ROOT = Path(__file__).resolve().parents[2]
COLOURS = {hf.name: hex_to_rgb(hf.color) for hf in HANDLUNGSFELDER}
EXCEPTION_BOX = '[data-testid="stException"]'
HOSTILE_NAMES = ('<img src=x onerror="window.__xss=1">', "<script>window.__xss2=1</script>")


def host_of(base_url: str) -> str:
    return urlparse(base_url).netloc


def open_map(page, base_url: str, path: str = "/") -> None:
    page.goto(base_url + path)
    wait_for_app(page)
    wait_for_map(page)


def assert_clean(page, base_url: str, allowed_console: tuple[str, ...] = ()) -> None:
    """No exception box, no browser-side error, and nothing requested from any other host."""
    assert page.locator(EXCEPTION_BOX).count() == 0, page.locator(EXCEPTION_BOX).first.inner_text()
    log = page.log
    assert log.page_errors == []
    # net::ERR_ABORTED is the browser cancelling a request itself: a map frame replaced by the next rerun while
    # it still loads (quick successive filter clicks). A request that really fails (refused, DNS, blocked) has
    # another error, and every host is checked below anyway.
    assert [r for r in log.failed_requests if not r.endswith("(net::ERR_ABORTED)")] == []
    # Opened at a page URL (/angebote), Streamlit's frontend first probes <path>/_stcore/health and
    # host-config to find its base path and gets a 404 there; that is Streamlit's own, not the app's.
    probes = re.compile(r"^404 " + re.escape(base_url) + r"/[^?]+/_stcore/(health|host-config)$")
    assert [e for e in log.http_errors if not probes.match(e)] == []
    assert [e for e in log.console_errors if not re.search(r"/_stcore/(health|host-config)]$", e)
            and not e.startswith(allowed_console)] == []
    assert log.dialogs == []
    assert log.hosts == {host_of(base_url)}


def set_layer(page, hf_name: str, checked: bool) -> None:
    """Tick or untick a Handlungsfeld in the (collapsed) Leaflet layer control."""
    frame = map_frame(page)
    frame.locator(".leaflet-control-layers").hover()
    label = frame.locator(".leaflet-control-layers-overlays label", has_text=hf_name)
    label.locator("input[type=checkbox]").set_checked(checked)


def hf_layers(state: dict) -> dict[str, dict]:
    """Layer-control entries by Handlungsfeld name (keyed by colour in the state)."""
    by_colour = state["layers"]
    return {name: by_colour[colour] for name, colour in COLOURS.items() if colour in by_colour}


# --- the map page -----------------------------------------------------------------------------------------

def test_map_page_loads_offline_with_every_offer_on_the_map(page, streamlit_server):
    open_map(page, streamlit_server)
    frame = map_frame(page)
    assert frame.locator(".leaflet-container").count() == 1
    state = map_state(page)
    layers = hf_layers(state)
    assert set(layers) == set(COLOURS), f"a layer per Handlungsfeld in the layer control: {state['layers']}"
    located = sum(layer["count"] for layer in layers.values())
    # Every located offer is on the map, as a pin or inside a cluster, and only in the Handlungsfeld colours.
    # For about 0.2 s after the first markers appear, the clusters of the first zoom fade out while those of
    # the fitted view fade in (both counted): wait for the settled map.
    state = wait_until(lambda: (lambda s: s if s["represented"] == located else None)(map_state(page)),
                       timeout_s=10, message=f"{located} offers represented on the settled map")
    assert set(state["colours"]) <= set(COLOURS.values()) | {"mixed"}, state["colours"]
    assert_clean(page, streamlit_server)


def test_every_handlungsfeld_has_markers_in_its_colour(page, streamlit_server):
    open_map(page, streamlit_server)
    counts = {}
    for name in COLOURS:
        # Only this Handlungsfeld's layer on: then every pin and cluster belongs to it.
        for other in COLOURS:
            set_layer(page, other, other == name)
        colour = COLOURS[name]

        def only_this_layer():
            state = map_state(page)
            layer = hf_layers(state)[name]
            ok = layer["count"] > 0 and state["represented"] == layer["count"] and set(state["colours"]) == {colour}
            return state if ok else None

        state = wait_until(only_this_layer, message=f"only {name} markers on the map")
        counts[name] = state["colours"][colour]
    assert all(n >= 1 for n in counts.values()), counts
    for name in COLOURS:
        set_layer(page, name, True)
    wait_until(lambda: map_state(page)["represented"] == sum(layer["count"] for layer in hf_layers(map_state(page)).values()),
               message="all layers back")
    assert_clean(page, streamlit_server)


def test_layer_toggle_removes_and_restores_a_handlungsfeld(page, streamlit_server):
    open_map(page, streamlit_server)
    # Right after the first view is fitted, the map may briefly show old cluster icons beside the new
    # ones; start from the settled map, where the markers stand for exactly the offers of the layer list.
    before = wait_until(lambda: (s := map_state(page))["represented"] == sum(
        layer["count"] for layer in hf_layers(s).values()) and s, message="settled map")
    n_wohnen = hf_layers(before)["Wohnen"]["count"]
    assert n_wohnen > 0
    wohnen = COLOURS["Wohnen"]

    set_layer(page, "Wohnen", False)
    off = wait_until(lambda: (s := map_state(page))["represented"] == before["represented"] - n_wohnen and s,
                     message="Wohnen markers gone")
    assert wohnen not in off["colours"]
    assert hf_layers(off)["Wohnen"]["checked"] is False

    # With the other layers off as well, the Wohnen colour is visible on its own, and toggling it matters.
    for name in ("Zusammenleben und Teilhabe", "Bildung", "Arbeitsmarktintegration"):
        set_layer(page, name, False)
    wait_until(lambda: map_state(page)["represented"] == 0, message="empty map")
    set_layer(page, "Wohnen", True)
    alone = wait_until(lambda: (s := map_state(page))["represented"] == n_wohnen and s, message="Wohnen alone")
    assert set(alone["colours"]) == {wohnen}
    set_layer(page, "Wohnen", False)
    wait_until(lambda: map_state(page)["represented"] == 0, message="Wohnen removed again")

    for name in COLOURS:
        set_layer(page, name, True)
    after = wait_until(lambda: (s := map_state(page))["represented"] == before["represented"] and s,
                       message="all markers restored")
    assert after["colours"] == before["colours"]
    assert_clean(page, streamlit_server)


def test_keyboard_enter_on_a_marker_opens_its_popup(page, streamlit_server):
    open_map(page, streamlit_server)
    frame = map_frame(page)
    markers = frame.locator(".leaflet-marker-pane .qk-marker")
    for _ in range(6):  # zoom in until clusters break up into single markers
        if markers.count():
            break
        frame.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(600)
    marker = markers.first
    assert marker.get_attribute("tabindex") is not None
    title = marker.get_attribute("title")
    marker.focus()
    assert marker.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    popup_title = frame.locator(".leaflet-popup .qk-popup-title")
    popup_title.wait_for(state="visible", timeout=5000)
    assert title.startswith(popup_title.text_content())
    assert_clean(page, streamlit_server)


def test_mouse_click_on_a_marker_with_the_map_partly_below_the_fold(page, streamlit_server):
    open_map(page, streamlit_server)
    frame = map_frame(page)
    iframe_box = page.locator('iframe.qk-map-frame').bounding_box()
    assert iframe_box["y"] + iframe_box["height"] > page.viewport_size["height"], "map fits; nothing to check"
    boxes = [b for b in (m.bounding_box() for m in frame.locator(".leaflet-marker-pane .qk-marker").all()) if b]
    visible = [b for b in boxes if b["y"] > iframe_box["y"] and b["y"] + b["height"] < page.viewport_size["height"]]
    assert visible, "a marker above the fold"
    box = visible[0]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # like a user: click where it is
    page.wait_for_timeout(800)
    assert frame.locator(".leaflet-popup .qk-popup-title").count() == 1, "the click opened no popup"


# --- all pages --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/angebote", "/luecken", "/stadtteile", "/massnahmen", "/datenquellen",
                                  "/?lang=en", "/luecken?lang=ar&hf=bildung", "/stadtteile?auswahl=baerenkaempen,rodenbeck"])
def test_every_page_loads_without_exception(page, streamlit_server, path):
    page.goto(streamlit_server + path)
    wait_for_app(page)
    if path in ("/", "/?lang=en") or path.startswith("/luecken"):
        wait_for_map(page)
    snap(page, "page_" + (path.strip("/?").replace("=", "_") or "root"))
    assert page.locator(EXCEPTION_BOX).count() == 0, page.locator(EXCEPTION_BOX).first.inner_text()
    heading = page.locator('[data-testid="stMain"] h1').first.inner_text()
    assert heading.strip()
    if path == "/?lang=en":
        assert heading != "Angebote in Mindens Stadtteilen", "English page shows the German heading"
    assert_clean(page, streamlit_server)


# --- hostile offer text -----------------------------------------------------------------------------------

def write_hostile_offers(path: Path) -> None:
    write_offer_rows(path, [dict(id=f"xss-{i}", name=name, handlungsfeld="Bildung", lat="52.29", lon="8.91",
                                 lage_genauigkeit="adresse", zuletzt_geprueft="2026-11", quelle="e2e-Test")
                            for i, name in enumerate(HOSTILE_NAMES, start=1)])


def test_hostile_offer_names_stay_text(page, server_factory, tmp_path):
    offers = tmp_path / "angebote-hostile.csv"
    write_hostile_offers(offers)
    server = server_factory({"QK_ANGEBOTE": str(offers)}, name="e2e-hostile")
    open_map(page, server.base_url)
    frame = map_frame(page)
    state = map_state(page)
    assert hf_layers(state)["Bildung"]["count"] == 2, state

    # Both offers share one position: one cluster; a click spiderfies it into the two markers.
    markers = frame.locator(".leaflet-marker-pane .qk-marker")
    center_map(page)
    if markers.count() < 2:
        frame.locator(".leaflet-marker-pane .qk-cluster").first.click()
        wait_until(lambda: markers.count() == 2, message="spiderfied markers")
        page.wait_for_timeout(500)  # spiderfy animation
    tooltip = frame.locator(".leaflet-tooltip")
    for name in HOSTILE_NAMES:
        frame.get_by_title(f"{name} (Bildung)", exact=True).hover()
        wait_until(lambda: tooltip.count() and tooltip.last.text_content() == name,
                   message=f"tooltip {name!r}")

    popup_title = frame.locator(".leaflet-popup .qk-popup-title")
    first, second = (frame.get_by_title(f"{name} (Bildung)", exact=True) for name in HOSTILE_NAMES)
    first.click()
    popup_title.wait_for(state="visible", timeout=5000)
    assert popup_title.text_content() == HOSTILE_NAMES[0]
    second.focus()
    page.keyboard.press("Enter")
    wait_until(lambda: popup_title.count() and popup_title.last.text_content() == HOSTILE_NAMES[1],
               timeout_s=5, message="second popup")
    snap(page, "hostile_popup")

    inside = frame.locator("body")
    assert inside.evaluate("() => [typeof window.__xss, typeof window.__xss2]") == ["undefined", "undefined"]
    assert inside.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.evaluate("() => [typeof window.__xss, typeof window.__xss2]") == ["undefined", "undefined"]
    assert page.locator('img[src="x"]').count() == 0
    assert page.log.dialogs == []
    assert_clean(page, server.base_url)


# --- filters ----------------------------------------------------------------------------------------------

def test_filter_only_wohnen_rerenders_the_map(page, streamlit_server):
    open_map(page, streamlit_server)
    n_wohnen = hf_layers(map_state(page))["Wohnen"]["count"]
    sidebar = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]')
    tags = sidebar.locator('[data-testid="stMultiSelectTagsContainer"] [data-tag]')
    for name in ("Zusammenleben und Teilhabe", "Bildung", "Arbeitsmarktintegration"):
        # the chip's remove button, named in the page's language by static/qk/qk-ui-texts.js (English for a moment)
        sidebar.locator(f'button[aria-label="{t("streamlit.entfernen", x=name)}"], '
                        f'button[aria-label="Remove {name}"]').first.click()
        # as she would: the next chip once this one is gone (under load a click during the rerun was lost)
        wait_until(lambda: name not in tags.all_inner_texts(), message=f"the {name} chip removed")
    wait_until(lambda: tags.all_inner_texts() == ["Wohnen"], message="only the Wohnen chip")

    def only_wohnen():
        state = map_state(page)
        layers = hf_layers(state)
        ok = (all(layers[n]["count"] == 0 for n in COLOURS if n != "Wohnen")
              and layers["Wohnen"]["count"] == n_wohnen and state["represented"] == n_wohnen
              and set(state["colours"]) == {COLOURS["Wohnen"]})
        return state if ok else None

    wait_until(only_wohnen, timeout_s=FIRST_LOAD_MS / 1000, message="map with only Wohnen offers")
    wait_for_app(page)
    assert page.locator(EXCEPTION_BOX).count() == 0
    assert_clean(page, streamlit_server)


def test_deep_link_on_a_fresh_server_uses_the_app_navigation(page, server_factory):
    """The first request after a start may be a sub-page: it must still run through streamlit_app.py
    (German page titles, language picker), not through Streamlit's old pages/-folder mode."""
    server = server_factory(name="e2e-deeplink")
    page.goto(server.base_url + "/angebote")
    wait_for_app(page)
    page.locator('[data-testid="stMain"] h1', has_text="Alle Angebote als Liste").wait_for(timeout=30000)
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("Karte", exact=True).count() == 1
    assert nav.get_by_text("Angebote (Liste)", exact=True).count() == 1
    # the sidebar of a page drawn for the first time on a fresh server can follow the main part by a moment
    page.get_by_text("Sprache / Language").wait_for(state="attached", timeout=30_000)
    assert page.get_by_text("Sprache / Language").count() == 1
    assert_clean(page, server.base_url)
