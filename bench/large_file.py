"""Messung: sehr große Angebotsdateien (Issue 12, Mangel 9) – Ablehnen, Laden, Karte je Besuch.

    .venv/bin/python -m bench.large_file                 # 1.000.000 und 100.000 Zeilen
    .venv/bin/python -m bench.large_file --rows 100000   # nur eine Größe

Schreibt SYNTHETISCHE Angebote (:mod:`bench.synthetic`) als CSV in ein
temporäres Verzeichnis und misst je Größe in einem frischen Prozess (damit der
Speicher-Spitzenwert nur diese Größe zeigt): Dateigröße, ``load_dataset`` (Zeit
oder Ablehnung mit Meldung), Kartenbau beim ersten und beim zweiten Besuch mit
denselben Filtern (``app.cache.cached_map`` hält die gebaute Karte), und den
Speicher-Spitzenwert (``VmHWM``). Nur Messung, keine Zusicherung.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from geo.analysis.filters import OfferFilter
from geo.config import MAX_MAP_MARKERS, load_settings
from geo.data.districts import read_districts
from geo.data.problems import DataFileError
from geo.dataset import MAX_OFFERS_FILE_BYTES

from .synthetic import synthetic_offers

CHUNK = 100_000


def write_csv(rows: int, path: Path) -> None:
    districts = read_districts(load_settings().stadtteile_path).districts
    with open(path, "w", encoding="utf-8", newline="") as f:
        for start in range(0, rows, CHUNK):
            chunk = synthetic_offers(districts, min(CHUNK, rows - start), seed=start)
            chunk["id"] = [f"synth-{start + i}" for i in range(len(chunk))]
            chunk.drop(columns=["geometry", "zeile"]).to_csv(f, index=False, header=start == 0)


def measure_one(path: Path) -> None:
    """Runs in its own process: prints one result line."""
    os.environ["QK_ANGEBOTE"] = str(path)
    import app.cache as cache  # Streamlit's caches work outside a server run too (in memory)

    started = time.perf_counter()
    try:
        data = cache.dataset()
    except DataFileError as exc:
        took = time.perf_counter() - started
        print(f"abgelehnt nach {took * 1000:.0f} ms: {exc.problem.meldung} | Spitze RSS {_rss_mib():.0f} MiB")
        return
    load_s = time.perf_counter() - started
    t0 = time.perf_counter()
    cache.cached_map(OfferFilter(), None, None, "de")
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    cache.cached_map(OfferFilter(), None, None, "de")
    second = time.perf_counter() - t0
    print(f"geladen {len(data.offers):,} Angebote in {load_s:.1f} s; Karte 1. Besuch {first:.2f} s, "
          f"2. Besuch {second * 1000:.1f} ms (Grenze Einzelmarkierungen {MAX_MAP_MARKERS:,}) | Spitze RSS {_rss_mib():.0f} MiB")


def _rss_mib() -> float:
    """Peak resident memory of this process (VmHWM). Not ``ru_maxrss``: Linux carries that across exec,
    so the child would report the parent's peak from writing the file."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 100_000, 15_000])
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        measure_one(Path(args.measure))
        return 0
    print(f"Grenze Dateigröße: {MAX_OFFERS_FILE_BYTES / 1024 / 1024:.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"angebote-{rows}.csv"
            t0 = time.perf_counter()
            write_csv(rows, path)
            print(f"{rows:>9,} Zeilen, {path.stat().st_size / 1024 / 1024:.0f} MiB (geschrieben in {time.perf_counter() - t0:.0f} s): ",
                  end="", flush=True)
            subprocess.run([sys.executable, "-m", "bench.large_file", "--measure", str(path)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
