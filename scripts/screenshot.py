"""Take the README screenshots of the running app (headless Debian chromium).

Usage: .venv/bin/python scripts/screenshot.py http://127.0.0.1:8501/ docs/screenshot-karte.png [--phone]

``--phone``: 390 × 844 px like a common smartphone; the districts are coloured by child
poverty through the sidebar (opened with its » button) and the map is scrolled into view.
"""
import sys

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAP = 'iframe[title="streamlit_folium.st_folium"]'


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
        # colour the districts by child poverty
        page.get_by_label("Stadtteile einfärben nach").click()
        page.get_by_role("option", name="Minderjährige in SGB-II-/AsylbLG-Haushalten").click()
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
    main(sys.argv[1], sys.argv[2], "--phone" in sys.argv[3:])
