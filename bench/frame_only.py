"""Der Karten-Frame allein: das fertige Kartendokument in Chromium, ohne Streamlit, bis zur ersten Markierung –
mit den Abschnitten, die ``static/qk/qk-cluster.js`` und ``qk-map.js`` als User-Timing-Marken setzen.

    .venv/bin/python -m bench.frame_only                          # mitgeliefert und 10.000 synthetische, je 9 Läufe
    .venv/bin/python -m bench.frame_only --sizes shipped,1000,10000 --repeat 5

Wozu: ``bench.first_marker`` misst die ganze Seite gegen den Boden; dort streut die Last um mehrere hundert ms und
überdeckt, was sich im Frame ändert. Hier ist nur der Frame gemessen, je Größe abwechselnd, jeder Lauf in einem
frischen Browser-Kontext (kein Cache). Das Dokument entsteht wie auf der Kartenseite
(:func:`geo.render.mapbuild.build_map` mit Standard-Optionen, :func:`app.widgets.mapframe.map_document`); Leaflet,
die Plugins und ``static/qk`` liefert ein kleiner Server auf 127.0.0.1 unter ``/app/static/`` aus, wie die App.

Abschnitte (ms ab Navigationsbeginn, Median):

- **Angebotsebenen beginnen** (``qk-angebote``): Dokument gelesen, Leaflet und Plugins geladen, Karte und Stadtteile
  angelegt;
- **Markierungen angelegt** (``qk-clustern``): die Angebotsebenen sind angelegt (der Name stammt aus der Messung
  mit markercluster, die hier alle Markierungen erzeugte; der Cluster-Index bekommt nur die Daten, eine Markierung
  entsteht erst, wenn sie gezeigt wird);
- **geclustert** (``qk-geclustert``): der Cluster-Index über alle Angebote steht (``static/qk/qk-cluster.js``) und die
  erste Ansicht ist gezeichnet;
- **erste Markierung**: eine Markierung oder Gruppe ist mit Größe im Dokument.

Keine Zusicherungen; die Werte pro Lauf gehen nach stderr, die Tabelle nach stdout. Nur ``shipped`` sind echte
Angebote; alle anderen Größen sind SYNTHETISCH (:mod:`bench.synthetic`).
"""
from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import sys
import tempfile
import threading
from pathlib import Path

from bench.load import CHROMIUM
from bench.synthetic import synthetic_offers
from geo.analysis.join import assign_districts
from geo.config import STATIC_DIR, load_settings
from geo.data.offers import read_offers
from geo.dataset import load_dataset
from geo.render.mapbuild import MapOptions, build_map

SEED = 20261123
MARKS = ("qk-angebote", "qk-clustern", "qk-geclustert")
"""User Timing marks set by static/qk/qk-cluster.js (the first) and qk-map.js, in the order they happen."""

FIRST_MARKER_JS = """() => new Promise((resolve, reject) => {
    const tick = () => { const m = document.querySelector('.qk-marker, .qk-cluster');
        if (m && m.getBoundingClientRect().width > 0) {
            const at = (name) => { const e = performance.getEntriesByName(name, 'mark')[0]; return e ? e.startTime : null; };
            resolve([...MARKS.map(at), performance.now()]); }
        else requestAnimationFrame(tick); };
    tick();
    setTimeout(() => reject(new Error("no marker within 60 s")), 60000);
})"""


def map_documents(sizes: list[str]) -> dict[str, str]:
    """Size label → the map page's document for the shipped offers or ``n`` synthetic ones (default filter)."""
    from app.widgets.mapframe import map_document  # imports Streamlit; only the document function is used

    settings = load_settings({})
    data = load_dataset(settings)
    docs = {}
    for size in sizes:
        raw = read_offers(settings.angebote_path).offers if size == "shipped" else synthetic_offers(
            data.districts, int(size), SEED)
        offers = assign_districts(raw, data.districts).offers
        fmap = build_map(data.districts, offers, data.indicators, MapOptions())
        docs[f"{size} ({len(offers)})"] = map_document(fmap, "Karte").html
    return docs


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per asset would drown the results
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """``folder`` on a free loopback port, with the repository's ``static/`` linked in as ``app/static``."""
    (folder / "app").mkdir()
    (folder / "app" / "static").symlink_to(STATIC_DIR.resolve(), target_is_directory=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def write_document(folder: Path, name: str, html: str, base: str) -> str:
    """``html`` as ``folder/name`` with ``<base href=base>``, as the app's frame sets it (``static/qk/qk-frame.js``),
    so that its ``app/static/…`` links reach :func:`serve`; returns its URL."""
    (folder / name).write_text(html.replace("<head>", f'<head><base href="{base}">', 1), encoding="utf-8")
    return base + name


def measure(urls: dict[str, str], repeat: int, browser) -> dict[str, list[list[float]]]:
    """Per size, ``repeat`` runs of [mark times…, first marker] in ms; sizes alternate within each round, and a
    first round (not counted) warms the server and Chromium."""
    runs: dict[str, list[list[float]]] = {label: [] for label in urls}
    script = FIRST_MARKER_JS.replace("MARKS", repr(list(MARKS)))
    for index in range(repeat + 1):
        for label, url in urls.items():
            context = browser.new_context(viewport={"width": 1366, "height": 520})
            page = context.new_page()
            page.goto(url, wait_until="commit")
            values = page.evaluate(script)
            context.close()
            if index:
                runs[label].append(values)
                print(f"  {label}: " + " / ".join("–" if v is None else f"{v:.0f}" for v in values), file=sys.stderr)
    return runs


def table(runs: dict[str, list[list[float]]]) -> str:
    """Markdown table of the medians (ms from navigation start; first marker also as the maximum)."""
    def median(values: list[float | None]) -> str:
        seen = [v for v in values if v is not None]
        return f"{statistics.median(seen):.0f}" if seen else "–"

    lines = ["| Angebote | Angebotsebenen beginnen | Markierungen angelegt | geclustert | erste Markierung (max) |",
             "|---|---:|---:|---:|---:|"]
    for label, rows in runs.items():
        columns = list(zip(*rows))
        lines.append(f"| {label} | " + " | ".join(median(list(c)) for c in columns[:-1])
                     + f" | {median(list(columns[-1]))} ({max(columns[-1]):.0f}) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--sizes", default="shipped,10000")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    docs = map_documents(args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        server, base = serve(Path(tmp))
        urls = {label: write_document(Path(tmp), f"karte-{number}.html", html, base)
                for number, (label, html) in enumerate(docs.items())}
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        runs = measure(urls, args.repeat, browser)
        browser.close()
        server.shutdown()
    print(table(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
