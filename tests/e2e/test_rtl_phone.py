"""Arabic and Persian on a 390 px touch screen (issue 25 §1): the collapsed sidebar leaves the page and the map
free (it used to lie over them as a 45 px band that swallowed taps), a page link closes the sidebar, and an offer's
popup is laid out right to left, keeps its German data isolated and its title clear of the map's buttons."""
from __future__ import annotations

import pytest

from geo.i18n import t

from .conftest import LIVE_MAP_IFRAME, map_frame, snap, wait_for_app, wait_for_map, wait_until

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, request):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="de-DE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    snap(page, request.node.name)
    context.close()


def open_page(phone, base_url: str, lang: str, path: str = "/", query: str = "") -> None:
    suffix = "" if lang == "de" else f"lang={lang}"
    params = "&".join(p for p in (suffix, query) if p)
    phone.goto(base_url + path + (f"?{params}" if params else ""))
    wait_for_app(phone)


@pytest.mark.parametrize("lang", ["de", "ar", "fa"])
def test_the_collapsed_sidebar_leaves_the_map_free_for_taps(phone, streamlit_server, lang):
    open_page(phone, streamlit_server, lang)
    wait_for_map(phone)
    phone.locator(LIVE_MAP_IFRAME).last.evaluate("e => e.scrollIntoView({block: 'center'})")
    phone.wait_for_timeout(300)
    box = phone.locator(LIVE_MAP_IFRAME).last.bounding_box()
    y = box["y"] + box["height"] / 2
    hits = phone.evaluate("""([xs, y]) => xs.map(x => {
        const e = document.elementFromPoint(x, y);
        return e ? (e.tagName === 'IFRAME' ? 'map' : (e.closest('[data-testid="stSidebar"]') ? 'sidebar' : e.tagName)) : null;
    })""", [[box["x"] + dx for dx in (2, 25, 50, 80, 110, 140, 200)] + [box["x"] + box["width"] - 3], y])
    assert hits == ["map"] * 8, hits  # where the band was (x ≈ 40–130 in ar/fa), a tap reached the sidebar
    assert not phone.locator('[data-testid="stSidebar"]').is_visible()
    # nothing of it shows through either (Streamlit sets visibility: visible on widget labels)
    shown = phone.evaluate("""() => [...document.querySelectorAll('[data-testid="stSidebar"] *')]
        .filter(e => e.checkVisibility({visibilityProperty: true}) && e.getBoundingClientRect().width > 0)
        .map(e => e.textContent.slice(0, 30))""")
    assert shown == [], shown


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_a_page_link_closes_the_sidebar_on_a_phone(phone, streamlit_server, lang):
    open_page(phone, streamlit_server, lang)
    phone.locator('[data-testid="stExpandSidebarButton"]').tap()
    sidebar = phone.locator('[data-testid="stSidebar"]')
    wait_until(lambda: sidebar.get_attribute("data-collapsed") == "false", timeout_s=5, message="sidebar open")
    phone.locator('[data-testid="stSidebarNav"] a', has_text=t("seite.angebote", lang)).tap()
    wait_for_app(phone)
    wait_until(lambda: sidebar.get_attribute("data-collapsed") == "true", timeout_s=5,
               message="the sidebar closes after the page link")
    assert phone.locator('[data-testid="stMain"] h1').first.is_visible()
    assert "/angebote" in phone.url


def test_an_arabic_popup_reads_right_to_left_with_german_data_isolated(phone, streamlit_server):
    open_page(phone, streamlit_server, "ar", query="angebot=nachhilfe-tafel")
    wait_for_map(phone)
    frame = map_frame(phone)
    title = frame.locator(".leaflet-popup .qk-popup-title")
    title.wait_for(state="visible")
    assert title.inner_text() == "Nachhilfe der Tafel"
    assert frame.locator(".leaflet-popup .qk-popup").evaluate("e => [e.lang, e.dir]") == ["ar", "rtl"]
    assert title.evaluate("e => [e.lang, e.dir]") == ["de", "auto"]
    assert set(frame.locator(".leaflet-popup dd").evaluate_all("es => es.map(e => e.lang + ':' + e.dir)")) == {"de:auto"}
    phone.locator(LIVE_MAP_IFRAME).last.evaluate("e => e.scrollIntoView({block: 'center'})")
    phone.wait_for_timeout(500)
    snap(phone, "popup_ar_phone")
    # the title is not under any of the map's buttons (zoom, ◎, layers) once the popup has panned into view
    covered_js = """e => {
        const r = e.getBoundingClientRect();
        return [...document.querySelectorAll('.leaflet-control')].filter(c => {
            const b = c.getBoundingClientRect();
            return !(b.right <= r.left || b.left >= r.right || b.bottom <= r.top || b.top >= r.bottom);
        }).map(c => c.className);
    }"""
    wait_until(lambda: frame.locator(".leaflet-popup .qk-popup-title").evaluate(covered_js) == [], timeout_s=10,
               message="popup title clear of the map's buttons")
