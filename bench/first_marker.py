"""Zeit bis zur ersten Markierung auf der Karte, neben dem Boden: derselbe Server, eine reine Textseite.

    .venv/bin/python -m bench.first_marker                  # mitgelieferte Daten und 10.000 synthetische, je 7 Läufe
    .venv/bin/python -m bench.first_marker --repeat 3 --sizes shipped

Je Lauf ein frischer Browser-Kontext (kein Cache, keine Sitzung) gegen einen warmen Server (ein Aufwärmlauf je
Seite vorab). Gemessen wird im Browser mit ``performance.now()`` ab Navigationsbeginn:

- **Boden:** ``/impressum`` – Streamlit lädt, führt das Skript aus und zeigt die Überschrift (erstes ``h1``).
- **Karte:** ``/`` – bis die erste Angebotsmarkierung oder -gruppe im Karten-Frame sichtbar ist.
- **Karte – Boden:** was die Karte über eine Streamlit-Seite hinaus kostet (Ziel: höchstens 0,7 s).

Die Werte pro Lauf gehen nach stderr, die Tabelle (Median und Maximum) nach stdout. Keine Zusicherungen.
Die 10.000 Angebote sind SYNTHETISCH (:mod:`bench.synthetic`).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench.load import running_server

FLOOR_JS = """() => new Promise(resolve => {
    const done = () => { const h = document.querySelector('[data-testid="stMain"] h1');
        if (h && h.getBoundingClientRect().height > 0) { resolve(performance.now()); return true; } return false; };
    if (!done()) { const o = new MutationObserver(() => { if (done()) o.disconnect(); });
        o.observe(document.documentElement, {childList: true, subtree: true}); }
})"""
"""Milliseconds from navigation start until the page's heading is laid out (observed, not polled)."""


MARKER_JS = """() => new Promise((resolve, reject) => {
    const seen = () => { const frame = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
        if (!frame || frame.getBoundingClientRect().height <= 0 || !frame.contentDocument) return false;
        const marker = frame.contentDocument.querySelector('.qk-marker, .qk-cluster');
        if (!marker) return false;
        const box = marker.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && getComputedStyle(marker).visibility !== 'hidden'; };
    const tick = () => seen() ? resolve(performance.now()) : requestAnimationFrame(tick);
    tick();
    setTimeout(() => reject(new Error("no marker within 120 s")), 120000);
})"""
"""Milliseconds from navigation start until a marker or cluster is drawn in the map frame with a height: checked
in the page on every animation frame (the frame has the page's origin), like the heading of :data:`FLOOR_JS`.
Before, Playwright waited for the marker and then read the frame's clock: that added Playwright's own round
trips (0.1–0.5 s on the loaded machine) to the map's side only."""


def first_marker_ms(page) -> float:
    """Milliseconds from navigation start until a marker or cluster is drawn in the map frame."""
    return page.evaluate(MARKER_JS)


def measure(base_url: str, repeat: int, browser) -> dict[str, list[float]]:
    """``repeat`` fresh contexts per page; returns page → milliseconds per run."""
    runs: dict[str, list[float]] = {"boden": [], "karte": []}
    for index in range(repeat + 1):  # the first round warms the server's caches and is not counted
        for name, path in (("boden", "/impressum"), ("karte", "/")):
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.goto(base_url + path, wait_until="commit")
            if name == "boden":
                value = page.evaluate(FLOOR_JS)
            else:
                value = first_marker_ms(page)
            context.close()
            if index:
                runs[name].append(value)
                print(f"  {name}: {value:.0f} ms", file=sys.stderr)
    return runs


def offers_file(size: str, folder: Path) -> dict[str, str]:
    """Environment for a server with ``size`` offers (``shipped`` or a number of synthetic ones)."""
    env = {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}
    if size == "shipped":
        return env
    from bench.large_file import write_csv

    path = folder / f"angebote-{size}.csv"
    write_csv(int(size), path)
    return {**env, "QK_ANGEBOTE": str(path), "QK_DATENBANK": "aus"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", default="shipped,10000")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        for size in args.sizes.split(","):
            print(f"{size}:", file=sys.stderr)
            with running_server(offers_file(size, Path(tmp)), name=f"first-marker-{size}") as server:
                runs = measure(server.base_url, args.repeat, browser)
            floor, karte = statistics.median(runs["boden"]), statistics.median(runs["karte"])
            rows.append(f"| {size} | {floor:.0f} (max {max(runs['boden']):.0f}) | {karte:.0f} (max {max(runs['karte']):.0f}) "
                        f"| {karte - floor:.0f} |")
        browser.close()
    print("| Angebote | Boden: Textseite, ms | Karte: erste Markierung, ms | Karte − Boden, ms |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
