"""A resident in the browser (issue 13): type a place, see the nearest offers, open one on the map, tap the map,
use the device location, switch to Arabic (right to left), and open a shared link that restores the view."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from geo.i18n import t

from .conftest import FIRST_LOAD_MS, PageLog, map_frame, record_host, snap, wait_for_app, wait_for_map, wait_until
from .test_browser import assert_clean

PLACE_BOX = '[data-testid="stSelectbox"]'
NEAREST = ".qk-naehe"


def wait_for_nearest_list(page) -> None:
    """Wait until the nearest-offers list is shown and the run that drew it has settled."""
    wait_until(lambda: page.locator(NEAREST).count() > 0, timeout_s=20, message="nearest-offers list")
    wait_for_app(page)


def query(page) -> dict[str, str]:
    """The page's query parameters (``location.href``: ``page.url`` lags behind Streamlit's pushState)."""
    href = page.evaluate("() => location.href")
    return {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}


def place_search(page):
    return page.locator(f'[data-testid="stMain"] {PLACE_BOX}').filter(has_text=t("standort.suche"))


def type_place(page, text: str, pick: str | None = None) -> None:
    """Type into the place search; pick the suggestion ``pick`` from the list, or press Enter."""
    box = place_search(page)
    box.click()
    page.keyboard.type(text, delay=30)
    page.wait_for_timeout(400)
    if pick:
        page.get_by_role("option", name=pick, exact=True).click()
    else:
        page.keyboard.press("Enter")
    wait_for_app(page)


def nearest_names(page) -> list[str]:
    return [n.strip() for n in page.locator(f"{NEAREST} .qk-naehe-name strong").all_inner_texts()]


def test_typing_a_place_lists_the_nearest_offers_with_walking_time(page, streamlit_server):
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)
    # before a location: a hint where the list will be, no list
    assert page.get_by_text(t("naehe.ohne_standort")).is_visible()
    assert page.locator(NEAREST).count() == 0
    type_place(page, "Bärenk", pick="Bärenkämpen")
    wait_for_nearest_list(page)
    assert page.get_by_text("Ihr Standort:").first.is_visible()
    # offers known only as "Bärenkämpen" are "in your district" (issue 25 §5: never "ca. 0 m"), the others have
    # distance and walking time
    ways = page.locator(f"{NEAREST} .qk-naehe-weg").all_inner_texts()
    assert ways[0] == t("naehe.im_stadtteil"), ways
    assert any(re.search(r"\d+ m Luftlinie · etwa \d+ Min\. zu Fuß|\d+,\d km Luftlinie", w) for w in ways), ways
    # rounded to 3 decimals in the link: Bärenkämpen's reference point 52.304722, 8.888333
    wait_until(lambda: query(page).get("ort") == "52.305,8.888", timeout_s=10, message="location in the URL")
    # the location ring on the map
    map_frame(page).locator(".qk-here").wait_for(state="attached", timeout=FIRST_LOAD_MS)
    snap(page, "resident_nearest_list")
    assert_clean(page, streamlit_server)


def test_choosing_an_entry_opens_it_on_the_map_and_in_the_detail(page, streamlit_server):
    page.goto(streamlit_server + "/?ort=52.289,8.916")
    wait_for_app(page)
    wait_for_map(page)
    wait_for_nearest_list(page)
    name = nearest_names(page)[0]
    page.get_by_role("button", name=t("naehe.zeigen")).first.click()
    wait_for_app(page)
    wait_until(lambda: "angebot" in query(page), timeout_s=20, message="opened offer in the URL")
    # the popup of exactly this offer opens in the map
    frame = map_frame(page)
    wait_until(lambda: frame.locator(".leaflet-popup .qk-popup-title").count() == 1
               and frame.locator(".leaflet-popup .qk-popup-title").inner_text() == name,
               timeout_s=20, message=f"popup of {name!r}")
    assert frame.locator(".qk-selected").count() == 1
    # and the detail card below the list, with the "last checked" line
    detail = page.locator(".qk-angebot").filter(has_text=name)
    assert detail.count() == 1 and t("detail.zuletzt_geprueft") in detail.inner_text()
    assert_clean(page, streamlit_server)


def test_typed_text_with_several_matches_offers_buttons(page, streamlit_server):
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    type_place(page, "Rodenbeck Weg")  # three "…weg" streets in Rodenbeck: Enter cannot choose
    page.get_by_text(t("standort.vorschlaege")).wait_for(timeout=10_000)
    buttons = page.locator('[data-testid="stMain"] button').filter(has_text="(Rodenbeck)")
    assert buttons.count() >= 1
    label = buttons.first.inner_text()
    buttons.first.click()
    wait_for_app(page)
    wait_for_nearest_list(page)
    assert page.get_by_text(f"Ihr Standort: {label}").count() == 1
    assert_clean(page, streamlit_server)


def test_unknown_place_gets_a_message_not_an_error(page, streamlit_server):
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    type_place(page, "Xyzweg")
    page.get_by_text(t("standort.unbekannt", text="Xyzweg")[:40]).first.wait_for(timeout=10_000)
    assert page.locator(NEAREST).count() == 0
    assert_clean(page, streamlit_server)


def test_a_tap_on_the_map_sets_the_location(page, streamlit_server):
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)
    page.locator('iframe.qk-map-frame').evaluate("e => e.scrollIntoView({block: 'center'})")
    frame = map_frame(page)
    # a click into the map where no marker is: the empty map pane near its lower-left corner
    box = frame.locator(".leaflet-container").bounding_box()
    frame.locator("body").evaluate("""() => {
        const c = window.map.getSize();
        window.map.fire('click', {latlng: window.map.containerPointToLatLng([c.x / 2, c.y / 2])});
    }""")
    assert box
    wait_until(lambda: "ort" in query(page), timeout_s=20, message="location in the URL after the click")
    wait_for_nearest_list(page)
    assert page.get_by_text("Punkt auf der Karte").first.is_visible()
    assert_clean(page, streamlit_server)


def test_device_location_button_uses_the_browser_geolocation(browser, streamlit_server, request):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="de-DE", geolocation={"latitude": 52.2905, "longitude": 8.9150},
                                  permissions=["geolocation"])
    context.set_default_timeout(FIRST_LOAD_MS)
    page = context.new_page()
    page.log = PageLog()
    page.on("pageerror", lambda exc: page.log.page_errors.append(str(exc)))
    page.on("request", lambda req: record_host(page.log, req.url))
    try:
        page.goto(streamlit_server + "/")
        wait_for_app(page)
        wait_for_map(page)
        button = map_frame(page).get_by_role("button", name=t("standort.label"))
        button.tap()
        wait_until(lambda: query(page).get("ort") == "52.291,8.915", timeout_s=20, message="device location in URL")
        wait_for_nearest_list(page)
        snap(page, "resident_device_location_phone")
        assert page.log.page_errors == []
        assert page.log.hosts == {urlparse(streamlit_server).netloc}
    finally:
        context.close()


@pytest.mark.parametrize("lang, direction", [("ar", "rtl"), ("fa", "rtl"), ("tr", "ltr")])
def test_language_switch_sets_direction_and_lang(page, streamlit_server, lang, direction):
    page.goto(streamlit_server + "/")
    wait_for_app(page)
    wait_for_map(page)  # a switch while the map frame loads aborts its asset requests (a test artefact)
    picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    picker.click()
    from geo.i18n import available_languages

    page.get_by_role("option", name=available_languages()[lang]).click()
    wait_for_app(page)
    wait_until(lambda: page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")
               == [lang, direction], timeout_s=20, message=f"lang={lang} dir={direction}")
    assert query(page).get("lang") == lang
    # the map in the new language replaces the old frame; for a moment both are in the page
    wait_until(lambda: page.locator('iframe.qk-map-frame').count() == 1
               and map_frame(page).locator("html").get_attribute("lang") == lang, timeout_s=30,
               message=f"one map frame, in {lang}")
    wait_for_map(page)
    main_direction = page.locator('[data-testid="stMain"]').evaluate("e => getComputedStyle(e).direction")
    assert main_direction == direction
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == t("karte.titel", lang)
    if direction == "rtl":
        # really flipped: the title's text starts at the right edge of the main column
        title = page.locator('[data-testid="stMain"] h1').first
        align = title.evaluate("e => getComputedStyle(e).textAlign")
        assert align in ("right", "start") and title.evaluate("e => getComputedStyle(e).direction") == "rtl"
        snap(page, f"resident_{lang}")
    assert_clean(page, streamlit_server)


def test_shared_link_restores_filters_and_location(page, streamlit_server):
    page.goto(streamlit_server + "/?hf=bildung&zg=kinder&ort=52.289,8.916")
    wait_for_app(page)
    wait_for_map(page)
    sidebar = page.locator('[data-testid="stSidebar"]')

    def tags(n: int) -> list[str]:
        box = sidebar.locator('[data-testid="stMultiSelect"]').nth(n).locator(".react-aria-ComboBox [data-tag]")
        return box.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")

    assert tags(0) == ["Bildung"]
    assert tags(1) == [t("zielgruppe.kinder")]
    wait_for_nearest_list(page)
    subs = page.locator(f"{NEAREST} .qk-naehe-sub").all_inner_texts()
    assert subs and all(s.startswith("Bildung") for s in subs), subs
    # the link stays as it was (the app writes back the same view)
    q = query(page)
    assert (q["hf"], q["zg"], q["ort"]) == ("bildung", "kinder", "52.289,8.916")
    assert_clean(page, streamlit_server)
