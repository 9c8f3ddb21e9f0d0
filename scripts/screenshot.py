"""Take the README screenshots of the running app (headless Debian chromium).

The page's language comes from the URL (``?lang=ar``); labels are looked up in that language's catalogue.

Usage: .venv/bin/python scripts/screenshot.py http://127.0.0.1:8501/ docs/screenshot-karte.png [--phone]
       .venv/bin/python scripts/screenshot.py "http://127.0.0.1:8501/?ort=52.289,8.916" docs/screenshot-naehe.png --phone --naehe

``--phone``: 390 × 844 px like a common smartphone; the districts are coloured by child
poverty through the sidebar (opened with its » button) and the map is scrolled into view.
``--naehe``: for a URL with a location: no colouring; one tall phone screenshot from the map down to the
first entries of the nearest-offers list.
"""
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from geo.i18n import t  # noqa: E402 (the repository root goes on the path first)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAP = 'iframe.qk-map-frame'


def url_lang(url: str) -> str:
    return parse_qs(urlparse(url).query).get("lang", ["de"])[0]


def nearest_view(url: str, out: str) -> None:
    """Phone: the map with the location ring and the nearest-offers list below it, as one image."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 1500}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="de-DE")
        page.goto(url)
        page.frame_locator(MAP).locator(".qk-here").wait_for(state="attached", timeout=30000)
        page.locator(".qk-naehe").first.wait_for(timeout=30000)
        page.wait_for_timeout(1500)
        page.locator('[data-testid="stMain"] h2').filter(has_text=t("standort.titel", url_lang(url))).evaluate(
            "e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(800)
        page.screenshot(path=out)
        browser.close()


def main(url: str, out: str, phone: bool = False) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        if phone:
            page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                    has_touch=True, locale="de-DE")
        else:
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="de-DE")
        page.goto(url)
        frame = page.frame_locator(MAP)
        frame.locator(".qk-pin, .qk-cluster").first.wait_for(timeout=30000)
        if phone:
            page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button').first.click()
            page.wait_for_timeout(800)
        # colour the districts by child poverty (the map page; the gap map colours by distance)
        lang = url_lang(url)
        box = page.get_by_label(t("filter.indikator", lang))
        if box.count():
            box.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            box.click()
            page.get_by_role("option", name=t("indikator.kinderarmut", lang)).click()
            page.wait_for_timeout(2500)
        if phone:
            page.keyboard.press("Escape")
            page.locator('[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarCollapseButton"]').first.click()
            page.wait_for_timeout(800)
        frame.locator(".qk-pin, .qk-cluster").first.wait_for(timeout=30000)
        if phone:
            page.locator(MAP).evaluate("e => e.scrollIntoView({block: 'end'})")
        page.wait_for_timeout(1500)
        page.screenshot(path=out)
        browser.close()


if __name__ == "__main__":
    if "--naehe" in sys.argv[3:]:
        nearest_view(sys.argv[1], sys.argv[2])
    else:
        main(sys.argv[1], sys.argv[2], "--phone" in sys.argv[3:])
