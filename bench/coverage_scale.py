"""Versorgungslücken in Großstadt-Größe (Issue 24 §9): Abdeckungstabelle und Lückenkarte-PNG, heute gegen neu.

    .venv/bin/python -m bench.coverage_scale                        # shipped,10000,100000,100000g – gut 6 min
    .venv/bin/python -m bench.coverage_scale --sizes shipped,10000 --repeat 5 --markdown

Je Größe, in einem Lauf nebeneinander, bei 800 m Gehweg (615 m Luftlinie):

``100000g``: 100.000 Angebote nur in drei Stadtteilen (:data:`CLUSTER_DISTRICTS`), der Rest der Stadt hat Lücken.

- Abdeckungstabelle ``coverage_table`` mit ``method="puffer"`` (heute: Vereinigung der Kreise) und
  ``method="raster"`` (neu, Standard: Stichprobenpunkte alle 25 m), dazu die größte Abweichung der
  Flächenanteile zwischen beiden in Prozentpunkten;
- Lückenkarte als PNG: ``bench.legacy_gapmap.legacy_gap_map_png`` (heute: ein Polygon je Rasterzelle, ein Text je
  Angebot) und ``geo.render.gapmap.gap_map_png`` (neu: ein Rasterbild), beide aus demselben ``gap_grid``.

Warm gemessen: ein Aufwärmlauf, dann ``--repeat`` Läufe, Median von Wanduhr und CPU-Zeit. Das alte PNG ab
``--alt-png-einmal`` Angeboten nur einmal, ohne Aufwärmlauf (83 s je Lauf bei 100.000). Die Angebote außer
„shipped“ sind SYNTHETISCH (:mod:`bench.synthetic`). Keine Zeit-Zusicherungen: das Skript misst und berichtet.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from geo.analysis import coverage
from geo.analysis.coverage import coverage_table, gap_grid, grid_cells, straight_line_radius
from geo.analysis.join import assign_districts, has_location
from geo.analysis.overview import latest_population
from geo.config import load_settings
from geo.dataset import load_dataset
from geo.render.gapmap import gap_map_png

from .legacy_gapmap import legacy_gap_map_png
from .run import _load, machine_info, size_label
from .synthetic import synthetic_offers

DEFAULT_SIZES = "shipped,10000,100000,100000g"
CLUSTER_DISTRICTS = ("innenstadt", "baerenkaempen", "haddenhausen")
"""A size with the suffix ``g`` (geklumpt) puts all offers into these three districts: the rest of the city has
gaps, so the shares of both methods differ from 0 and 1 and their comparison means something at that size."""
WALK_M = 800.0
SEED = 20261123
GOAL_TABLE_S = 1.0
GOAL_PNG_S = 3.0
GOAL_SHARE_PP = 1.0


@dataclass
class Timing:
    wall_s: float
    cpu_s: float
    runs: int
    result: object = None


def num(value: float, digits: int = 0) -> str:
    """German number format: 1.234,5."""
    return f"{value:,.{digits}f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(fn: Callable[[], object], repeat: int, warm_up: bool = True) -> Timing:
    result = fn() if warm_up else None
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        start, cpu_start = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu_start)
    return Timing(statistics.median(walls), statistics.median(cpus), repeat, result)


@dataclass
class Row:
    size: str
    task: str
    today: Timing | None
    new: Timing
    goal_s: float | None
    note: str = ""


def run(sizes: list[str], repeat: int, legacy_png_once_from: int) -> tuple[list[Row], list[str]]:
    data = load_dataset(load_settings({}))
    districts = data.districts
    population = latest_population(data.indicators)
    radius = straight_line_radius(WALK_M)
    cells = grid_cells(districts)  # built once, like app.cache.base_grid
    rows: list[Row] = []
    notes: list[str] = []

    coverage._sample_points.cache_clear()
    cold = measure(lambda: coverage.sample_points(districts), 1, warm_up=False)
    samples = cold.result
    notes.append(f"Stichprobenpunkte der Stadtteile (einmal je Stadtteil-Geometrie, danach aus dem Cache): "
                 f"{num(len(samples.x))} Punkte in {num(len(samples.cell_x))} Zellen à 250 m, gebaut in "
                 f"{num(cold.wall_s * 1e3)} ms (CPU {num(cold.cpu_s * 1e3)} ms)")

    for size in sizes:
        if size == "shipped":
            offers = data.offers
            label = size_label(size, len(offers))
        else:
            log(f"[{size}] synthetische Angebote erzeugen …")
            n, clustered = int(str(size).rstrip("g")), str(size).endswith("g")
            area = districts[districts["id"].isin(CLUSTER_DISTRICTS)] if clustered else districts
            offers = assign_districts(synthetic_offers(area, n, SEED), districts).offers
            label = size_label(n, n) + (" geklumpt (3 Stadtteile)" if clustered else "")
        located = int(has_location(offers).sum())

        log(f"[{label}] Abdeckungstabelle: Puffer …")
        buffer = measure(lambda: coverage_table(districts, offers, radius, population, method="puffer"), repeat)
        log(f"[{label}] Abdeckungstabelle: Raster …")
        grid_t = measure(lambda: coverage_table(districts, offers, radius, population), repeat)
        a = buffer.result["anteil_versorgt"].iloc[:-1].to_numpy()
        b = grid_t.result["anteil_versorgt"].iloc[:-1].to_numpy()
        diff = 100 * abs(a - b)
        worst = grid_t.result["name"].iloc[int(diff.argmax())]
        rows.append(Row(label, "Abdeckungstabelle (coverage_table)", buffer, grid_t, GOAL_TABLE_S,
                        f"Anteile: größte Abweichung {num(diff.max(), 3)} Pp. ({worst}), Mittel {num(diff.mean(), 3)} "
                        f"Pp.; versorgt {num(100 * b.min(), 1)}–{num(100 * b.max(), 1)} %"))

        log(f"[{label}] Lückenraster …")
        gaps = measure(lambda: gap_grid(districts, offers, radius, cells=cells), repeat)
        grid = gaps.result
        rows.append(Row(label, "Lückenraster (gap_grid, 250 m, Raster wiederverwendet)", None, gaps, None,
                        f"{num(len(grid))} Stücke, davon {num(int(grid['luecke'].sum()))} Lücken"))

        title, note = f"Versorgungslücken – {label} Angebote", "SYNTHETISCH – Messung bench/coverage_scale.py"
        once = size != "shipped" and int(str(size).rstrip("g")) >= legacy_png_once_from
        log(f"[{label}] PNG heute{' (1 Lauf)' if once else ''} …")
        old_png = measure(lambda: legacy_gap_map_png(grid, districts, offers, radius, title, note),
                          1 if once else repeat, warm_up=not once)
        log(f"[{label}] PNG neu …")
        new_png = measure(lambda: gap_map_png(grid, districts, offers, radius, title, note), repeat)
        rows.append(Row(label, "Lückenkarte PNG (150 dpi)", old_png, new_png, GOAL_PNG_S,
                        f"{num(located)} Angebote mit Ort; Bytes heute {num(len(old_png.result))}, "  # type: ignore[arg-type]
                        f"neu {num(len(new_png.result))}"  # type: ignore[arg-type]
                        + (" – heute: 1 Lauf ohne Aufwärmlauf" if once else "")))
        offers = grid = None  # type: ignore[assignment]
        gc.collect()
    return rows, notes


def _ms(t: Timing | None) -> str:
    return "–" if t is None else f"{num(t.wall_s * 1e3)} ({num(t.cpu_s * 1e3)})"


def format_markdown(rows: list[Row], header: list[str], notes: list[str]) -> str:
    out = [*(f"{h}  " for h in header), ""]
    out.append("| Größe | Aufgabe | heute: ms (CPU ms) | neu: ms (CPU ms) | Faktor (CPU) | Ziel | Anmerkung |")
    out.append("|---|---|---:|---:|---:|---|---|")
    for r in rows:
        factor = "" if r.today is None else (f"{num(r.today.wall_s / r.new.wall_s, 1)}× "
                                             f"({num(r.today.cpu_s / r.new.cpu_s, 1)}×)")
        goal = "" if r.goal_s is None else f"< {r.goal_s:g} s: " + (
            "erreicht" if r.new.wall_s < r.goal_s else
            "CPU-Zeit erreicht, Wanduhr nicht (Rechner ausgelastet)" if r.new.cpu_s < r.goal_s else "VERFEHLT")
        out.append(f"| {r.size} | {r.task} | {_ms(r.today)} | {_ms(r.new)} | {factor} | {goal} | {r.note} |")
    out.append("")
    out.extend(f"- {n}" for n in notes)
    return "\n".join(out)


def format_text(rows: list[Row], header: list[str], notes: list[str]) -> str:
    out = [*header, ""]
    for r in rows:
        factor = "" if r.today is None else f"  Faktor {num(r.today.wall_s / r.new.wall_s, 1)}×"
        out.append(f"{r.size:>17}  {r.task:<55} heute {_ms(r.today):>17}  neu {_ms(r.new):>15}{factor}")
        if r.note:
            out.append(f"{'':>19}{r.note}")
    out.append("")
    out.extend(f"- {n}" for n in notes)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.coverage_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"Komma-Liste (Standard {DEFAULT_SIZES})")
    parser.add_argument("--repeat", type=int, default=3, help="gemessene Läufe nach einem Aufwärmlauf (Standard 3)")
    parser.add_argument("--alt-png-einmal", type=int, default=50_000, metavar="N",
                        help="das alte PNG ab N Angeboten nur einmal messen, ohne Aufwärmlauf (Standard 50000)")
    parser.add_argument("--markdown", action="store_true", help="Tabelle als Markdown ausgeben")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat muss mindestens 1 sein")
    started = time.perf_counter()
    load_before = _load()
    sizes: list[str] = [part.strip().replace("_", "") for part in args.sizes.split(",") if part.strip()]
    rows, notes = run(sizes, args.repeat, args.alt_png_einmal)
    load_after = _load()
    wall = sum(r.new.wall_s + (r.today.wall_s if r.today else 0) for r in rows)
    cpu = sum(r.new.cpu_s + (r.today.cpu_s if r.today else 0) for r in rows)
    busy = (f" – ACHTUNG: Wanduhr {wall / cpu:.2f}× CPU-Zeit, der Rechner war ausgelastet, Zeiten sind zu hoch"
            if cpu and wall > 1.15 * cpu else "")
    header = [
        *machine_info(),
        f"Systemlast (loadavg 1 min) vorher {load_before:.1f}, nachher {load_after:.1f}{busy}",
        f"{WALK_M:.0f} m Gehweg ({straight_line_radius(WALK_M):.0f} m Luftlinie). Je Messung 1 Aufwärmlauf, Median aus "
        f"{args.repeat} Läufen, Wanduhr (CPU-Zeit des Prozesses). Angebote außer „mitgeliefert“ sind SYNTHETISCH. "
        f"Gesamtdauer {time.perf_counter() - started:.0f} s.",
    ]
    print((format_markdown if args.markdown else format_text)(rows, header, notes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
