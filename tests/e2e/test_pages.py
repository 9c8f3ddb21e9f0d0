"""Pages in a real browser: the UI language survives navigation, list text is text and only websites link."""
from __future__ import annotations

from pathlib import Path

from .conftest import map_frame, wait_for_app, wait_for_map, wait_until, write_offer_rows
from .test_browser import assert_clean, open_map

SIDEBAR_LINK = '[data-testid="stSidebarNav"] a'


def html_lang(page) -> str:
    return page.evaluate("() => document.documentElement.lang")


def location(page) -> str:
    """``location.href`` as the page sees it (Playwright's ``page.url`` sometimes lags behind pushState)."""
    return page.evaluate("() => location.href")


def test_language_survives_sidebar_navigation_and_sets_html_lang(page, streamlit_server):
    open_map(page, streamlit_server, "/?lang=en")
    wait_until(lambda: html_lang(page) == "en", message="<html lang=en> on the English map page")

    page.locator(SIDEBAR_LINK, has_text="Services (list)").click()
    wait_until(lambda: "/angebote" in location(page), message="navigation to the list page")
    wait_for_app(page)
    heading = page.locator('[data-testid="stMain"] h1').first
    wait_until(lambda: heading.inner_text().strip() == "All services as a list", message="English list heading")
    wait_until(lambda: "lang=en" in location(page), message="lang=en kept in the URL (shareable)")
    assert html_lang(page) == "en"
    assert page.locator(SIDEBAR_LINK, has_text="Districts compared").count() == 1  # sidebar still English
    assert_clean(page, streamlit_server)


def test_german_page_says_html_lang_de(page, streamlit_server):
    page.goto(streamlit_server + "/angebote")
    wait_for_app(page)
    wait_until(lambda: html_lang(page) == "de", message="<html lang=de>")


def write_offers_with_links(path: Path) -> None:
    write_offer_rows(path, [dict(
        id="link-1", name="Linktest", handlungsfeld="Bildung", lat="52.29", lon="8.91", lage_genauigkeit="adresse",
        quelle="e2e-Test", zuletzt_geprueft="2026-11", traeger='=HYPERLINK("http://evil.example","x")',
        beschreibung="Mehr unter https://evil.example/phish oder www.evil.example",
        website="https://www.caritas-minden.de/hilfe-und-beratung/migration-und-integration")])


def test_list_page_links_only_the_website_with_its_exact_address(page, server_factory, tmp_path):
    offers = tmp_path / "angebote-links.csv"
    write_offers_with_links(offers)
    server = server_factory({"QK_ANGEBOTE": str(offers)}, name="e2e-links")
    page.goto(server.base_url + "/angebote")
    wait_for_app(page)
    card = page.locator('[data-testid="stMain"] article.qk-angebot')
    card.first.wait_for(state="visible")
    hrefs = card.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://www.caritas-minden.de/hilfe-und-beratung/migration-und-integration"]
    text = card.inner_text()
    assert '=HYPERLINK("http://evil.example","x")' in text
    assert "Mehr unter https://evil.example/phish oder www.evil.example" in text
    assert_clean(page, server.base_url)


def test_gap_map_shows_the_grid_with_a_legend_and_gap_cells(page, streamlit_server):
    """Versorgungslücken: the grid layer under the offers, gap cells outlined, the legend names the classes."""
    from geo.i18n import t

    page.goto(streamlit_server + "/luecken?hf=bildung")
    wait_for_app(page)
    wait_for_map(page)
    frame = map_frame(page)
    # grid pieces are paths in their own pane (below districts and markers)
    cells = frame.locator(".leaflet-qk-grid-pane path")
    assert cells.count() > 1000
    assert frame.locator(".qk-legend").filter(has_text=t("luecken.legende")).count() == 1
    legend = frame.locator(".qk-legend").inner_text()
    assert "Lücke" in legend
    ranking = page.locator("ol.qk-rangfolge li")
    assert ranking.count() >= 5
    assert ranking.first.inner_text().startswith(("Rechtes Weserufer", "Rodenbeck", "Bärenkämpen"))
    assert_clean(page, streamlit_server)
