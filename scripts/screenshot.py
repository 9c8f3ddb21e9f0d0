"""Take the README screenshot of the running app (headless Debian chromium).

Usage: .venv/bin/python scripts/screenshot.py http://127.0.0.1:8501/ docs/screenshot-karte.png
"""
import sys

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(url: str, out: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        frame.locator(".qk-pin, .qk-cluster").first.wait_for(timeout=30000)
        # colour the districts by child poverty
        page.get_by_label("Stadtteile einfärben nach").click()
        page.get_by_role("option", name="Minderjährige in SGB-II-/AsylbLG-Haushalten").click()
        page.wait_for_timeout(2500)
        frame.locator(".qk-pin, .qk-cluster").first.wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        page.screenshot(path=out)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
