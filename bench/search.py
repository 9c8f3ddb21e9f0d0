"""Messung: Angebotssuche (Issue 25 §4) – Zeit je Anfrage (p50/p95/max) bei 10.000 Angeboten, Indexaufbau.

    .venv/bin/python -m bench.search                            # 78 (mitgeliefert) und 10.000 Angebote
    .venv/bin/python -m bench.search --sizes 10000,100000 --repeat 7

**Angebote:** „mitgeliefert“ sind ``data/angebote.csv``. Größere Mengen sind SYNTHETISCH: Orte, Ids und
Spalten aus :mod:`bench.synthetic`, die Texte (Name, Träger, Kategorie, Handlungsfeld, Zielgruppen,
Sprachen, Beschreibungen, Status) reihum von den mitgelieferten Angeboten, jeder Name mit laufender Nummer,
jede Beschreibung um drei zufällige Zusammensetzungen zweier Wörter der echten Texte ergänzt – so wächst der
Wortschatz (und damit die Arbeit der Tippfehler- und Wortteilsuche) wie in einer großen Stadt, statt dass
sich 78 Texte nur wiederholen.

**Anfragen:** alle aus ``tests/analysis/search_queries.csv`` (8 Sprachen, Tippfehler, Komposita,
Ortswörter). **Gemessen** je Anfrage: die Suche selbst (``geo.analysis.search.search`` auf dem Index, wie
``geo.dataset.load_dataset`` ihn anlegt) und der Aufruf der Seiten (``apply_filter(offers,
OfferFilter(text=…))``: Suche plus Filterkette plus Auswahl der Zeilen), je ein *kalter* Lauf
(Zwischenspeicher der Wortliste, der Wortfaltung und des Index vorher geleert: eine Anfrage, deren Wörter
der Prozess noch nie gesehen hat) und ``--repeat`` *warme* Läufe (Median); berichtet werden p50, p95 und
Maximum über die Anfragen, dazu der Indexaufbau (einmal je Laden, bei der ersten Suche) und zum
Vergleich ``apply_filter`` ohne Text (die festen Kosten der Filterkette, die es vor der Suche schon gab).
Wanduhr (``time.perf_counter``) und CPU-Zeit des Prozesses (``time.process_time``; auf einem belasteten
Rechner liegt die Wanduhr darüber, weil der Prozess auf einen Kern wartet); keine Zeit-Zusicherungen, das
Skript misst und berichtet nur.
"""
from __future__ import annotations

import argparse
import csv
import gc
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geo.analysis import search
from geo.analysis.filters import OfferFilter, apply_filter
from geo.analysis.join import assign_districts
from geo.config import load_settings
from geo.data.offers import read_offers
from geo.dataset import load_dataset

from .run import _load, machine_info
from .synthetic import synthetic_offers

QUERIES_PATH = Path(__file__).resolve().parents[1] / "tests" / "analysis" / "search_queries.csv"
TEXT_COLUMNS = ("name", "traeger", "handlungsfeld", "kategorie", "zielgruppen", "sprachen", "beschreibung",
                "beschreibung_einfach", "status", "hinweis")
SEED = 20261201
DEFAULT_SIZES = "shipped,10000"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def queries() -> list[str]:
    with open(QUERIES_PATH, encoding="utf-8", newline="") as handle:
        return [row["anfrage"] for row in csv.DictReader(handle)]


def offers_from_real_texts(districts, real: pd.DataFrame, n: int, seed: int = SEED):
    """``n`` SYNTHETIC offers (see module doc) with the texts of the real ones."""
    rng = np.random.default_rng(seed)
    frame = synthetic_offers(districts, n, seed)
    source = np.arange(n) % len(real)
    for column in TEXT_COLUMNS:
        values = real[column].fillna("").astype(str).to_numpy() if column in real else np.full(len(real), "")
        frame[column] = values[source]
    frame["name"] = [f"{name} {i + 1}" for i, name in enumerate(frame["name"])]
    words = sorted({w for text in real["beschreibung"].fillna("") for w in re.findall(r"[A-Za-zÄÖÜäöüß]{4,}", text)})
    picks = rng.integers(0, len(words), size=(n, 6))
    extra = [" Stichworte: " + ", ".join(words[a].capitalize() + words[b].lower()
                                         for a, b in ((p[0], p[1]), (p[2], p[3]), (p[4], p[5])))
             for p in picks]
    frame["beschreibung"] = frame["beschreibung"].astype(str) + pd.Series(extra, index=frame.index)
    return frame


def clear_query_caches(index: search.SearchIndex) -> None:
    """Forget every query word seen so far (the word list itself and the index stay)."""
    index.cache.clear()
    search._table_matches.cache_clear()
    search._word_topics.cache_clear()
    search.fold_word.cache_clear()


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p, method="higher"))


CPU: list[float] = []
"""CPU time (``time.process_time``, ms) of every :func:`timed` call, in order; read by :func:`row`."""


def timed(fn) -> float:
    """Wall-clock milliseconds of ``fn()``; its CPU milliseconds are appended to :data:`CPU`."""
    cpu, start = time.process_time(), time.perf_counter()
    fn()
    wall = (time.perf_counter() - start) * 1e3
    CPU.append((time.process_time() - cpu) * 1e3)
    return wall


def row(label: str, what: str, values: list[float], cpu: list[float], note: str = "") -> str:
    return (f"| {label} | {what} | {statistics.median(values):.1f} | {percentile(values, 95):.1f} | "
            f"{max(values):.1f} | {percentile(cpu, 95):.1f} | {note} |")


def median_timed(fn, repeat: int, cpu: list[float]) -> float:
    """Median wall-clock ms of ``repeat`` runs; the median CPU ms is appended to ``cpu``."""
    walls, cpus = [], []
    for _ in range(repeat):
        walls.append(timed(fn))
        cpus.append(CPU[-1])
    cpu.append(statistics.median(cpus))
    return statistics.median(walls)


def measure_size(label: str, offers, texts: list[str], repeat: int) -> list[str]:
    """Index build, then per query: the engine alone (:func:`geo.analysis.search.search`) and the page's call
    (``apply_filter``), each cold (query words never seen) and warm (median of ``repeat`` runs)."""
    gc.collect()
    search.attach_search_index(offers)
    cpu, start = time.process_time(), time.perf_counter()
    index = search.index_for(offers)[0]  # built on the first search after a load
    build_ms, build_cpu = (time.perf_counter() - start) * 1e3, (time.process_time() - cpu) * 1e3
    walls: dict[str, list[float]] = {k: [] for k in ("engine_cold", "engine_warm", "page_cold", "page_warm")}
    cpus: dict[str, list[float]] = {k: [] for k in walls}
    found: list[int] = []
    for text in texts:
        flt = OfferFilter(text=text)
        clear_query_caches(index)
        walls["engine_cold"].append(timed(lambda: search.search(index, text)))
        cpus["engine_cold"].append(CPU[-1])
        walls["engine_warm"].append(median_timed(lambda: search.search(index, text), repeat, cpus["engine_warm"]))
        clear_query_caches(index)
        walls["page_cold"].append(timed(lambda: found.append(len(apply_filter(offers, flt)))))
        cpus["page_cold"].append(CPU[-1])
        walls["page_warm"].append(median_timed(lambda: apply_filter(offers, flt), repeat, cpus["page_warm"]))
    no_text, no_text_cpu = [], []
    for _ in range(max(repeat, 5) * 4):
        no_text.append(timed(lambda: apply_filter(offers, OfferFilter())))
        no_text_cpu.append(CPU[-1])
    postings = int(index.indptr[-1]) if len(index.indptr) else 0
    slowest = texts[int(np.argmax(walls["engine_cold"]))]
    return [
        f"| {label} | Index bauen (bei der ersten Suche nach dem Laden) | {build_ms:.0f} | | | {build_cpu:.0f} | "
        f"{len(index.vocab):_} Wörter, {postings:_} Einträge |".replace("_", " "),
        row(label, "**Suche kalt** (search, neue Wörter)", walls["engine_cold"], cpus["engine_cold"],
            f"langsamste: „{slowest}“"),
        row(label, f"Suche warm (Median aus {repeat})", walls["engine_warm"], cpus["engine_warm"]),
        row(label, "Seite kalt (apply_filter mit Text)", walls["page_cold"], cpus["page_cold"],
            f"Treffer je Anfrage: Median {statistics.median(found):.0f}, max {max(found)}, "
            f"0 Treffer: {sum(f == 0 for f in found)}"),
        row(label, f"Seite warm (Median aus {repeat})", walls["page_warm"], cpus["page_warm"]),
        row(label, "zum Vergleich: apply_filter ohne Text", no_text, no_text_cpu,
            "feste Kosten der Filterkette (pandas)"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"Komma-Liste aus 'shipped' und Angebotszahlen "
                                                               f"(Standard {DEFAULT_SIZES})")
    parser.add_argument("--repeat", type=int, default=5, help="warme Läufe je Anfrage (Standard 5)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat muss mindestens 1 sein")
    settings = load_settings({})
    data = load_dataset(settings)
    real = read_offers(settings.angebote_path).offers
    texts = queries()
    load_before = _load()
    table = ["| Größe | Messung | p50 ms | p95 ms | max ms | p95 CPU ms | Anmerkung |",
             "|---|---|---:|---:|---:|---:|---|"]
    for size in (s.strip() for s in args.sizes.split(",") if s.strip()):
        if size == "shipped":
            offers, label = data.offers.copy(), f"mitgeliefert ({len(data.offers)})"
        else:
            n = int(size)
            log(f"[{n}] Angebote erzeugen …")
            offers = assign_districts(offers_from_real_texts(data.districts, real, n), data.districts).offers
            label = f"{n:,}".replace(",", ".")
        log(f"[{label}] {len(texts)} Anfragen messen …")
        table.extend(measure_size(label, offers, texts, args.repeat))
    load_after = _load()
    print("\n".join([*(f"{line}  " for line in machine_info()),
                     f"Systemlast vorher {load_before:.1f}, nachher {load_after:.1f}; {len(texts)} Anfragen aus "
                     f"{QUERIES_PATH.relative_to(QUERIES_PATH.parents[2])}", "", *table]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
