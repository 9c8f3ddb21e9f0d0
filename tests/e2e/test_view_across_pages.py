"""One view across pages (issue 25 §2): filters, location, search text and the opened offer follow the resident
from the map to the list and back, through the sidebar links, on a phone (390 × 844) and on a desktop,
in German and in Arabic. Before the fix the list showed every offer with every filter reset, and back on the
map the location was gone.
"""
from __future__ import annotations

import pytest

from geo.analysis.filters import OfferFilter, apply_filter
from geo.analysis.join import has_location
from geo.config import load_settings
from geo.dataset import load_dataset
from geo.i18n import t

from .conftest import recorded_page, snap, wait_for_app, wait_for_map, wait_until
from .test_browser import assert_clean
from .test_resident import NEAREST, query, wait_for_nearest_list

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SIDEBAR = '[data-testid="stSidebar"]'
LINK = "/?hf=bildung&zg=kinder&ort=52.289,8.916"
"""The start: a shared link with two filters and a location; a third filter and the offer are set by hand."""
SEARCH = "Kita"


@pytest.fixture(scope="module")
def data():
    return load_dataset(load_settings({}))


@pytest.fixture(params=[(device, lang) for device in VIEWPORTS for lang in ("de", "ar")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def resident(browser, request):
    """A page on a phone-sized or a desktop viewport; ``page.is_phone`` and ``page.lang`` say which."""
    device, lang = request.param
    page = recorded_page(browser, VIEWPORTS[device])  # the phone layout is Streamlit's narrow-viewport layout
    page.is_phone = device == "phone"
    page.lang = lang
    yield page
    snap(page, request.node.name)
    page.context.close()


# --- helpers ----------------------------------------------------------------------------------------------

def sidebar_on_screen(page) -> bool:
    sidebar = page.locator(SIDEBAR)
    return sidebar.count() == 1 and sidebar.get_attribute("data-collapsed") == "false"


def open_sidebar(page) -> None:
    """On a phone the sidebar is behind » (unless still open after following a link); on a desktop it is open."""
    if page.is_phone and not sidebar_on_screen(page):
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        wait_until(lambda: sidebar_on_screen(page), timeout_s=5, message="sidebar open")
        # and until it has finished sliding in: a tap during the slide lands beside the widget on a busy machine
        sidebar = page.locator('[data-testid="stSidebar"]')
        boxes = [None]
        wait_until(lambda: boxes.append(sidebar.bounding_box()) or boxes[-1] == boxes[-2], timeout_s=5,
                   interval_s=0.15, message="sidebar at rest")


def close_sidebar(page) -> None:
    if page.is_phone and sidebar_on_screen(page):
        page.locator('[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarCollapseButton"]').first.click()
        wait_until(lambda: not sidebar_on_screen(page), timeout_s=5, message="sidebar closed")


def go_to(page, page_key: str, path: str, heading_key: str) -> None:
    """Follow the sidebar link to another page (on a phone: » first) and wait for its heading."""
    open_sidebar(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=t(page_key, page.lang), exact=True).click()
    wait_until(lambda: page.evaluate("() => location.pathname") == path, message=f"navigation to {path}")
    heading = page.locator('[data-testid="stMain"] h1').first
    wait_until(lambda: heading.inner_text().strip() == t(heading_key, page.lang), timeout_s=30,
               message=f"heading of {path}")
    wait_for_app(page)


def tags(page, n: int) -> list[str]:
    """The chosen options of the ``n``-th multiselect in the sidebar (0 = Handlungsfeld, 1 = Für wen)."""
    box = page.locator(SIDEBAR).locator('[data-testid="stMultiSelect"]').nth(n).locator(".react-aria-ComboBox [data-tag]")
    return box.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")


def checkbox(page, key: str):
    return page.locator(SIDEBAR).locator('[data-testid="stCheckbox"]').filter(has_text=t(key, page.lang))


def markdown_text(key: str, lang: str, **values) -> str:
    return t(key, lang, **values).replace("**", "")


def assert_filters(page) -> None:
    wait_until(lambda: tags(page, 0) == [t("handlungsfeld.bildung", page.lang)], timeout_s=10,
               message="Handlungsfeld Bildung still chosen")
    assert tags(page, 1) == [t("zielgruppe.kinder", page.lang)]
    assert checkbox(page, "filter.kostenlos").locator("input").is_checked()


# --- the journey ------------------------------------------------------------------------------------------

def test_filters_location_search_and_offer_follow_the_resident(resident, streamlit_server, data):
    page, lang = resident, resident.lang
    flt = OfferFilter(handlungsfelder=("Bildung",), zielgruppen=("kinder",), kostenlos=True)
    chosen = apply_filter(data.offers, flt)
    n, on_map = len(chosen), int(has_location(chosen).sum())
    searched = apply_filter(data.offers, flt.replace(text=SEARCH))
    n_search, on_map_search = len(searched), int(has_location(searched).sum())
    assert (n, on_map) == (11, 5) and 0 < n_search < n  # hand-checked in the shipped data
    map_count = markdown_text("karte.anzahl", lang, n=n, gesamt=len(data.offers), karte=on_map, liste=n - on_map)
    search_count = markdown_text("karte.anzahl", lang, n=n_search, gesamt=len(data.offers), karte=on_map_search,
                                 liste=n_search - on_map_search)

    page.goto(streamlit_server + LINK + ("" if lang == "de" else f"&lang={lang}"))
    wait_for_app(page)
    wait_for_map(page)
    wait_for_nearest_list(page)
    # a third filter by hand
    open_sidebar(page)
    checkbox(page, "filter.kostenlos").locator("label").click()
    wait_for_app(page)
    wait_until(lambda: query(page).get("kostenlos") == "1", message="kostenlos in the URL")
    close_sidebar(page)
    # and an offer opened from the nearest list
    name = page.locator(f"{NEAREST} .qk-naehe-name strong").first.inner_text().strip()
    page.get_by_role("button", name=t("naehe.zeigen", lang)).first.click()
    wait_for_app(page)
    wait_until(lambda: "angebot" in query(page), timeout_s=20, message="opened offer in the URL")
    view = {k: v for k, v in query(page).items() if k != "lang"}
    assert view == {"hf": "bildung", "zg": "kinder", "kostenlos": "1", "ort": "52.289,8.916",
                    "angebot": view["angebot"]}
    assert page.get_by_text(map_count).count() == 1

    # the list: the same filters and the same count, the view in its URL
    go_to(page, "seite.angebote", "/angebote", "liste.titel")
    page.get_by_text(markdown_text("liste.anzahl", lang, n=n)).wait_for(timeout=10_000)
    assert_filters(page)
    wait_until(lambda: {k: v for k, v in query(page).items() if k != "lang"} == view, timeout_s=10,
               message="the view in the list page's URL")
    # a search on the list
    open_sidebar(page)
    search = page.locator(SIDEBAR).get_by_label(t("filter.suche", lang))
    search.fill(SEARCH)
    search.press("Enter")
    wait_for_app(page)
    page.get_by_text(markdown_text("liste.anzahl", lang, n=n_search)).wait_for(timeout=10_000)
    close_sidebar(page)

    # back on the map: location, filters and the opened offer are still there
    go_to(page, "seite.karte", "/", "karte.titel")
    wait_for_map(page)
    wait_for_nearest_list(page)
    assert page.get_by_text(t("standort.gewaehlt", lang, ort=t("standort.gewaehlt_link", lang, lat="52.289",
                                                                lon="8.916")).replace("**", "")).count() == 1
    # one search for list and map: the map shows what the list found, and its box holds the same text
    assert page.get_by_text(search_count).count() == 1
    assert page.locator(SIDEBAR).get_by_label(t("filter.suche", lang)).input_value() == SEARCH
    assert_filters(page)
    detail = page.locator('[data-testid="stMain"] .qk-angebot').filter(has_text=name)
    assert detail.count() == 1, f"detail card of {name!r}"
    wait_until(lambda: {k: v for k, v in query(page).items() if k != "lang"} == {**view, "q": SEARCH}, timeout_s=10,
               message="the view in the map page's URL")

    # and the list again: the search text is still there
    go_to(page, "seite.angebote", "/angebote", "liste.titel")
    page.get_by_text(markdown_text("liste.anzahl", lang, n=n_search)).wait_for(timeout=10_000)
    assert page.locator(SIDEBAR).get_by_label(t("filter.suche", lang)).input_value() == SEARCH
    wait_until(lambda: query(page).get("q") == SEARCH, timeout_s=10, message="the search text in the URL")
    assert page.evaluate("() => document.documentElement.lang") == lang
    assert_clean(page, streamlit_server)


@pytest.mark.parametrize("resident", [("desktop", "de"), ("phone", "ar")], ids=["desktop-de", "phone-ar"],
                         indirect=True)
def test_handout_from_the_print_page_follows_the_choice(resident, streamlit_server, tmp_path):
    """§5 in the browser: the nearest list says "in your district" for offers known only by her district (before:
    "ca. 0 m"), and the handout from the print page lists only what matches her filters and links back to them."""
    import io

    pypdf = pytest.importorskip("pypdf", reason="pypdf (requirements-test.txt) reads the PDF text")
    page, lang = resident, resident.lang
    page.goto(streamlit_server + "/?hf=bildung&zg=kinder&kostenlos=1&ort=52.305,8.888"
              + ("" if lang == "de" else f"&lang={lang}"))
    wait_for_app(page)
    wait_for_map(page)
    wait_for_nearest_list(page)
    first = page.locator(NEAREST).first
    assert "Kita Sieben Bauern" in first.inner_text()
    assert first.locator(".qk-naehe-weg").inner_text().strip() == t("naehe.im_stadtteil", lang)

    go_to(page, "seite.drucken", "/drucken", "poster.titel_seite")
    choice = t("handzettel.auswahl", lang, auswahl=" · ".join(
        [t("handlungsfeld.bildung", lang), t("zielgruppe.kinder", lang), t("handzettel.kostenlos", lang)]))
    page.get_by_text(choice).wait_for(timeout=10_000)
    close_sidebar(page)
    with page.expect_download() as download:
        page.get_by_role("button", name=t("poster.download_handout", lang)).click()
    pdf = download.value.path().read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "".join("".join(p.extract_text() for p in reader.pages).split())
    assert "KitaSiebenBauern" in text and "NachhilfederTafel" in text
    assert "Jobcenter" not in text and "Wärmestube" not in text and "Begegnungszentrum" not in text
    # the test server runs on 127.0.0.1 without QK_OEFFENTLICHE_URL: the page says so and the handout has no QR code
    # to a local address (the QR code's link for a public address: tests/render/test_handout_choices.py)
    assert "127.0.0.1" not in text and "localhost" not in text
    assert page.get_by_text("QK_OEFFENTLICHE_URL").count() == 1
    # the view is in the print page's URL too (a reload keeps it)
    assert {k: v for k, v in query(page).items() if k != "lang"} == {
        "hf": "bildung", "zg": "kinder", "kostenlos": "1", "ort": "52.305,8.888"}
    assert_clean(page, streamlit_server)
