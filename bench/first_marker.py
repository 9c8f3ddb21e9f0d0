"""Zeit bis zur ersten Markierung auf der Karte, neben dem Boden: derselbe Server, eine reine Textseite.

    .venv/bin/python -m bench.first_marker                  # mitgelieferte Daten und 10.000 synthetische, je 7 Läufe
    .venv/bin/python -m bench.first_marker --repeat 3 --sizes shipped
    .venv/bin/python -m bench.first_marker --gegen /tmp/alt     # dazu ein anderer Stand, je Runde abwechselnd

``--gegen DIR``: ein zweiter Stand der App (z. B. ``git archive COMMIT | tar -x -C DIR``, dazu ``static/vendor``
kopiert) läuft gleichzeitig auf einem eigenen Server; je Runde wird erst dieser, dann jener gemessen. Auf einer
Maschine, deren Last während der Messung schwankt, ist das der verlässlichere Vergleich als zwei Läufe nacheinander.

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
import contextlib
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
    const seen = () => { const frame = document.querySelector('iframe.qk-map-frame, iframe[title="streamlit_folium.st_folium"]');
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


def measure(base_urls: dict[str, str], repeat: int, browser) -> dict[str, dict[str, list[float]]]:
    """``repeat`` fresh contexts per page and server, the servers alternating within each round; returns
    server label → page → milliseconds per run."""
    runs = {label: {"boden": [], "karte": []} for label in base_urls}
    for index in range(repeat + 1):  # the first round warms the server's caches and is not counted
        for label, base_url in base_urls.items():
            for name, path in (("boden", "/impressum"), ("karte", "/")):
                context = browser.new_context(viewport={"width": 1366, "height": 900})
                page = context.new_page()
                page.goto(base_url + path, wait_until="commit")
                value = page.evaluate(FLOOR_JS) if name == "boden" else first_marker_ms(page)
                context.close()
                if index:
                    runs[label][name].append(value)
                    print(f"  {label} {name}: {value:.0f} ms", file=sys.stderr)
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
    parser.add_argument("--gegen", type=Path, help="ein zweiter Stand der App, je Runde abwechselnd gemessen")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        for size in args.sizes.split(","):
            print(f"{size}:", file=sys.stderr)
            env = offers_file(size, Path(tmp))
            with contextlib.ExitStack() as servers:
                base_urls = {"dieser": servers.enter_context(running_server(env, name=f"first-marker-{size}")).base_url}
                if args.gegen:
                    base_urls[str(args.gegen)] = servers.enter_context(
                        running_server(env, name=f"first-marker-{size}-gegen", root=args.gegen)).base_url
                all_runs = measure(base_urls, args.repeat, browser)
            for label, runs in all_runs.items():
                floor, karte = statistics.median(runs["boden"]), statistics.median(runs["karte"])
                stand = f" | {label}" if args.gegen else ""
                rows.append(f"| {size}{stand} | {floor:.0f} (max {max(runs['boden']):.0f}) | {karte:.0f} "
                            f"(max {max(runs['karte']):.0f}) | {karte - floor:.0f} |")
        browser.close()
    print(f"| Angebote{' | Stand' if args.gegen else ''} | Boden: Textseite, ms | Karte: erste Markierung, ms "
          "| Karte − Boden, ms |")
    print(f"|---|---|---|---|{'---|' if args.gegen else ''}")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
