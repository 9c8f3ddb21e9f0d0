"""Messung: Kosten der Datumsregeln für ``stand_quelle`` im Angebotslader (Issue 24 §2).

    .venv/bin/python -m bench.offer_dates                 # 20.000 Zeilen, je 5 Läufe
    .venv/bin/python -m bench.offer_dates --rows 100000 --repeat 3

**Zeilen:** die 78 mitgelieferten Angebote (``data/angebote.csv``) reihum wiederholt, jede mit eigener id – so
kommt „abgerufen JJJJ-MM-TT“ in ``quelle`` so oft vor wie in den echten Daten (25 von 78 Zeilen). **Gemessen:**
``parse_offers`` mit den Regeln und mit abgeschalteten Regeln (``retrieval_dates`` liefert nichts), je bester
Lauf, als Wanduhr und CPU-Zeit des Prozesses (auf einem belasteten Rechner liegt die Wanduhr darüber); dazu
die beiden Hilfsfunktionen allein je Zeile. Keine Zeit-Zusicherungen, das Skript misst und berichtet nur.
"""
from __future__ import annotations

import argparse
import csv
import io
import time
import timeit
from pathlib import Path

import geo.data.offers as offers

ANGEBOTE = Path(__file__).resolve().parents[1] / "data" / "angebote.csv"


def _text(rows: int) -> str:
    with ANGEBOTE.open(encoding="utf-8", newline="") as handle:
        shipped = list(csv.DictReader(handle))
    header = list(shipped[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(dict(shipped[i % len(shipped)], id=f"angebot-{i}") for i in range(rows))
    return buffer.getvalue()


def _best(text: str, rows: int, repeat: int) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        load = offers.parse_offers(text, "bench.csv")
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
        assert len(load.offers) == rows and not load.errors, load.errors[:3]
    return min(wall), min(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = _text(args.rows)

    with_rules = _best(text, args.rows, args.repeat)
    original = offers.retrieval_dates
    offers.retrieval_dates = lambda quelle: []  # type: ignore[assignment]
    try:
        without = _best(text, args.rows, args.repeat)
    finally:
        offers.retrieval_dates = original
    print(f"parse_offers, {args.rows} Zeilen, bester von {args.repeat} Läufen:")
    print(f"  mit Datumsregeln   {with_rules[0]:.2f} s Wanduhr, {with_rules[1]:.2f} s CPU")
    print(f"  ohne Datumsregeln  {without[0]:.2f} s Wanduhr, {without[1]:.2f} s CPU")
    print(f"  Unterschied (CPU)  {1000 * (with_rules[1] - without[1]):+.0f} ms")

    with ANGEBOTE.open(encoding="utf-8", newline="") as handle:
        pairs = [(r["stand_quelle"], r["quelle"]) for r in csv.DictReader(handle)]

    def rules() -> None:
        for stand, quelle in pairs:
            offers.stand_after_retrieval(stand, quelle)

    passes = 200
    per_row = min(timeit.repeat(rules, number=passes, repeat=5)) / passes / len(pairs)
    print(f"  stand_after_retrieval allein: {per_row * 1e6:.1f} µs je Zeile (78 echte Zeilen, bester von 5 × {passes})")


if __name__ == "__main__":
    main()
