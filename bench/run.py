"""Messungen: Kartenbau, explore()-Vergleich, räumliche Zuordnung, Nächste-10-Suche, 250-m-Raster, Abdeckung.

    .venv/bin/python -m bench.run                      # shipped,1000,10000,100000, je 5 Läufe
    .venv/bin/python -m bench.run --smoke              # shipped,1000, je 3 Läufe (< 60 s)
    .venv/bin/python -m bench.run --sizes 10000 --repeat 7 --markdown

Jede Operation: ein Aufwärmlauf, dann ``--repeat`` gemessene Läufe (Median,
``time.perf_counter``), dann ein eigener Lauf unter ``tracemalloc`` für den
Speicher-Spitzenwert (tracemalloc bremst, darum getrennt von der Zeitmessung).
Die Angebote außer „shipped“ sind SYNTHETISCH (siehe :mod:`bench.synthetic`).
Fortschritt geht nach stderr, die Tabelle nach stdout. Keine Zeit-Zusicherungen:
das Skript misst und berichtet nur.
"""
from __future__ import annotations

import argparse
import datetime
import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis.coverage import coverage_table, gap_grid, grid_cells, straight_line_radius
from geo.analysis.join import assign_districts, has_location
from geo.analysis.nearest import nearest_labels, nearest_offers, offer_points
from geo.analysis.overview import latest_population
from geo.config import METRIC_CRS, load_settings
from geo.data.offers import read_offers
from geo.dataset import load_dataset
from geo.render.mapbuild import MapOptions, build_map, offer_rows, pack_rows, script_json

from .synthetic import sample_points_metric, synthetic_offers

DEFAULT_SIZES = "shipped,1000,10000,100000"
SMOKE_SIZES = "shipped,1000"
EXPLORE_LIMIT_S = 60.0
"""explore() is skipped for a size when one run is estimated to take longer than this (``--explore-limit``)."""
EXPLORE_GROWTH = 2.5
"""explore() grows faster than linearly: on the 2-core machine 10,000 → 100,000 offers took 20.7× the time
(3.0 s → 62.7 s, 1.6 GB tracemalloc peak), so the linear estimate is multiplied by 2.5 (2.07 plus margin)."""
N_QUERIES = 100
K_NEAREST = 10
CELL_M = 250.0
COVERAGE_WALK_M = 800.0
"""Gehweg der Lückenseite (Standard des Schiebereglers); Radius = straight_line_radius(800) ≈ 615 m Luftlinie."""
SEED = 20261123


@dataclass
class Row:
    size: str
    operation: str
    median_ms: float | None = None
    cpu_ms: float | None = None
    peak_mb: float | None = None
    nbytes: int | None = None
    ratio: str = ""
    note: str = ""


def timed_row(size: str, operation: str, m: Measurement, **kw) -> Row:
    return Row(size, operation, m.median_s * 1e3, m.cpu_median_s * 1e3, m.peak_bytes / 2**20, **kw)


@dataclass
class Measurement:
    median_s: float
    cpu_median_s: float
    times_s: list[float]
    peak_bytes: int
    result: object = field(repr=False)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(fn: Callable[[], object], repeat: int) -> Measurement:
    """One warm-up run, ``repeat`` timed runs (median), then one run under tracemalloc for the peak."""
    result = fn()  # warm-up; its result is what we report (bytes, counts)
    times, cpu_times = [], []
    for _ in range(repeat):
        gc.collect()
        start, cpu_start = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Measurement(statistics.median(times), statistics.median(cpu_times), times, peak, result)


# --- operations ---------------------------------------------------------------------------------

def map_html(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, indicators: pd.DataFrame) -> str:
    """What the map page does (default options: no choropleth, no tiles), up to the page HTML."""
    return build_map(districts, offers, indicators, MapOptions()).get_root().render()


def explore_html(offers: gpd.GeoDataFrame) -> str:
    """The plain-geopandas baseline: what a Python user would write."""
    return offers.explore(column="handlungsfeld", tiles=None).get_root().render()


def explore_available() -> str | None:
    """None if ``GeoDataFrame.explore()`` can run, else the reason it cannot."""
    try:
        import mapclassify  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as exc:
        return f"explore() braucht matplotlib und mapclassify ({exc.name} fehlt; pip install -r bench/requirements.txt)"
    return None


def nearest_k(offers: gpd.GeoDataFrame, queries_xy: np.ndarray, k: int = K_NEAREST,
              tree: shapely.STRtree | None = None, coords: np.ndarray | None = None) -> np.ndarray:
    """Positions (rows of ``offers``) of the ``k`` nearest located offers to each query point, EPSG:25832 metres.

    Bench-local: ``geo/`` has no nearest-neighbour function. Library approach:
    shapely ``STRtree`` on the projected points, queried with ``dwithin`` and a
    radius that doubles until every query has at least ``k`` candidates (then
    the ``k`` nearest are certainly among them), candidates sorted by distance.
    Returns an array (n_queries, k) of positional indices into the located offers.
    """
    if tree is None or coords is None:
        tree, coords = nearest_index(offers)
    n = len(coords)
    k = min(k, n)
    q = len(queries_xy)
    out = np.full((q, k), -1, dtype=np.int64)
    if k == 0:
        return out
    xmin, ymin = coords.min(axis=0)
    xmax, ymax = coords.max(axis=0)
    area = max((xmax - xmin) * (ymax - ymin), 1.0)
    radius = 1.5 * math.sqrt(k * area / (math.pi * n))  # expected k-NN radius for uniform points, with margin
    query_geoms = shapely.points(queries_xy)
    pending = np.arange(q)
    while pending.size:
        qi, ti = tree.query(query_geoms[pending], predicate="dwithin", distance=radius)
        counts = np.bincount(qi, minlength=pending.size)
        done = counts >= k
        keep = done[qi]
        qi, ti = qi[keep], ti[keep]
        dist = np.hypot(coords[ti, 0] - queries_xy[pending[qi], 0], coords[ti, 1] - queries_xy[pending[qi], 1])
        order = np.lexsort((ti, dist, qi))
        qi, ti = qi[order], ti[order]
        starts = np.r_[0, np.flatnonzero(qi[1:] != qi[:-1]) + 1] if qi.size else np.array([], dtype=np.int64)
        for s in starts:  # at most N_QUERIES iterations
            out[pending[qi[s]]] = ti[s:s + k]
        pending = pending[~done]
        radius *= 2
    return out


def nearest_index(offers: gpd.GeoDataFrame) -> tuple[shapely.STRtree, np.ndarray]:
    """Project the located offers to EPSG:25832 and build the STRtree."""
    points = offers.geometry[has_location(offers)].to_crs(METRIC_CRS).values
    return shapely.STRtree(points), shapely.get_coordinates(points)


def to_metric_inverse(x: float, y: float) -> tuple[float, float]:
    """EPSG:25832 metres → EPSG:4326 lon/lat (query points for the lon/lat API)."""
    from pyproj import Transformer

    return Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True).transform(x, y)


def check_nearest(result: np.ndarray, coords: np.ndarray, queries_xy: np.ndarray) -> None:
    """Brute-force check (not timed): the k distances found equal the k smallest distances."""
    dist = np.hypot(coords[None, :, 0] - queries_xy[:, None, 0], coords[None, :, 1] - queries_xy[:, None, 1])
    k = result.shape[1]
    expected = np.sort(dist, axis=1)[:, :k]
    found = np.sort(np.take_along_axis(dist, result, axis=1), axis=1)
    if not np.allclose(expected, found):
        raise RuntimeError("nearest_k liefert nicht die k nächsten Angebote")


def coverage_grid(offers: gpd.GeoDataFrame, bounds_metric: tuple[float, float, float, float],
                  cell: float = CELL_M) -> np.ndarray:
    """Offers per ``cell`` × ``cell`` m grid cell over the city's bounding box (EPSG:25832), as (rows, cols).

    Bench-local: ``geo/`` has no grid function. Grid aligned to multiples of
    ``cell`` in UTM coordinates; counting is one ``numpy.bincount``.
    """
    x0 = math.floor(bounds_metric[0] / cell) * cell
    y0 = math.floor(bounds_metric[1] / cell) * cell
    nx = int(math.ceil((bounds_metric[2] - x0) / cell))
    ny = int(math.ceil((bounds_metric[3] - y0) / cell))
    points = offers.geometry[has_location(offers)].to_crs(METRIC_CRS).values
    ix = np.floor((shapely.get_x(points) - x0) / cell).astype(np.int64)
    iy = np.floor((shapely.get_y(points) - y0) / cell).astype(np.int64)
    inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    return np.bincount(iy[inside] * nx + ix[inside], minlength=nx * ny).reshape(ny, nx)


def coverage_and_gaps(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, population: dict,
                      radius_m: float, cells: gpd.GeoDataFrame | None = None) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """What the gap page computes (``app.cache.coverage_for`` without the filter): the coverage table of all districts
    and the gap grid; ``cells=None`` builds the 250-m grid as well, else it is reused as the app does."""
    table = coverage_table(districts, offers, radius_m, population)
    return table, gap_grid(districts, offers, radius_m, CELL_M, cells=cells)


# --- driver -------------------------------------------------------------------------------------

def parse_sizes(text: str) -> list[str | int]:
    sizes: list[str | int] = []
    for part in text.split(","):
        part = part.strip().replace("_", "")
        if not part:
            continue
        sizes.append("shipped" if part == "shipped" else int(part))
    return sizes


def size_label(size: str | int, n: int) -> str:
    return f"mitgeliefert ({n})" if size == "shipped" else f"{n:,}".replace(",", ".")


def run(sizes: list[str | int], repeat: int, explore_limit_s: float = EXPLORE_LIMIT_S) -> tuple[list[Row], list[str]]:
    settings = load_settings({})
    data = load_dataset(settings)
    districts, indicators = data.districts, data.indicators
    metric_districts = districts.to_crs(METRIC_CRS)
    bounds_metric = tuple(metric_districts.total_bounds)
    city = shapely.union_all(metric_districts.geometry.values)
    qx, qy = sample_points_metric(city, N_QUERIES, np.random.default_rng(SEED + 1))
    queries_xy = np.column_stack([qx, qy])
    population = latest_population(indicators)
    coverage_radius = straight_line_radius(COVERAGE_WALK_M)
    base_cells = grid_cells(districts, CELL_M)  # built once, like app.cache.base_grid

    rows: list[Row] = []
    notes: list[str] = [
        "Nächste 10 für viele Punkte zugleich und 250-m-Raster: gemessen wird der Bibliotheksweg in bench/run.py "
        "(shapely STRtree + dwithin bzw. numpy.bincount); Nächste 10 für einen Standort ist geo.analysis.nearest, was die "
        "Kartenseite aufruft (ein Vektor-Durchlauf über die projizierten Punkte). Alles in EPSG:25832.",
    ]
    explore_reason = explore_available()
    explore_seen: tuple[int, float] | None = None  # (n, median s) of the largest explore() measured so far

    for size in sizes:
        if size == "shipped":
            raw = read_offers(settings.angebote_path).offers
        else:
            log(f"[{size}] synthetische Angebote erzeugen …")
            raw = synthetic_offers(districts, size, SEED)
        offers = assign_districts(raw, districts).offers
        n = len(offers)
        label = size_label(size, n)

        log(f"[{label}] Kartenbau …")
        ours = measure(lambda: map_html(districts, offers, indicators), repeat)
        ours_row = timed_row(label, "Karte: build_map + render", ours, nbytes=len(ours.result.encode("utf-8")))
        rows.append(ours_row)
        marker_bytes = len(script_json(pack_rows(offer_rows(offers))).encode("utf-8"))
        notes.append(f"{label}: Markerdaten {marker_bytes / max(n, 1):.0f} B je Angebot "
                     "(JSON der Zeilen in der Seite).")

        base_row = Row(label, "Vergleich: GeoDataFrame.explore()")
        reason = explore_reason
        if reason is None and explore_seen is None and n > 20_000:
            probe_n = 10_000
            log(f"[{label}] explore()-Probe mit {probe_n} Angeboten …")
            start = time.perf_counter()
            explore_html(offers.iloc[:probe_n])
            explore_seen = (probe_n, time.perf_counter() - start)
        if reason is None and explore_seen is not None and n > explore_seen[0]:
            estimate = EXPLORE_GROWTH * explore_seen[1] * n / explore_seen[0]
            if estimate > explore_limit_s:
                seen_n = f"{explore_seen[0]:,}".replace(",", ".")
                reason = (f"geschätzt {estimate:.0f} s je Lauf ({EXPLORE_GROWTH:g} × linear aus "
                          f"{explore_seen[1]:.1f} s "
                          f"bei {seen_n} Angeboten; Grenze {explore_limit_s:.0f} s, siehe --explore-limit)")
        if reason is None:
            log(f"[{label}] explore() …")
            base = measure(lambda: explore_html(offers), repeat)
            base_row = timed_row(label, base_row.operation, base, nbytes=len(base.result.encode("utf-8")),
                                 ratio="Basis")
            ours_row.ratio = (f"Zeit {ours.median_s / base.median_s:.2f}× · "
                              f"Bytes {ours_row.nbytes / base_row.nbytes:.2f}×")
            explore_seen = (n, base.median_s)
        else:
            base_row.note = f"übersprungen: {reason}"
            ours_row.ratio = "–"
            log(f"[{label}] explore() übersprungen: {reason}")
        rows.append(base_row)

        log(f"[{label}] räumliche Zuordnung …")
        join = measure(lambda: assign_districts(raw, districts), repeat)
        rows.append(timed_row(label, "Zuordnung: assign_districts", join))

        log(f"[{label}] Nächste 10 …")
        near = measure(lambda: nearest_k(offers, queries_xy), repeat)
        rows.append(timed_row(label, f"Nächste {K_NEAREST} ({N_QUERIES} Punkte): Projektion+Index+Suche", near))
        tree, coords = nearest_index(offers)
        near_q = measure(lambda: nearest_k(offers, queries_xy, tree=tree, coords=coords), repeat)
        rows.append(timed_row(label, f"Nächste {K_NEAREST} ({N_QUERIES} Punkte): nur Suche (Index fertig)", near_q))
        if len(coords) <= 20_000:
            check_nearest(near.result, coords, queries_xy)
        # What the resident's page does: one location, offers projected once (geo.analysis.nearest), warm.
        points = offer_points(offers)
        per_query = []
        for qx_, qy_ in queries_xy:
            nearest_labels(points, qx_, qy_, K_NEAREST)  # warm-up for this query
            start = time.perf_counter()
            labels, _ = nearest_labels(points, qx_, qy_, K_NEAREST)
            per_query.append(time.perf_counter() - start)
        one = Measurement(statistics.median(per_query), statistics.median(per_query), per_query, 0, labels)
        rows.append(timed_row(label, f"Nächste {K_NEAREST} für einen Standort: geo.analysis.nearest.nearest_labels "
                                     f"(Median über {N_QUERIES} Standorte, Projektion fertig)", one,
                              note=f"Median {one.median_s * 1e3:.3f} ms, p95 {np.percentile(per_query, 95) * 1e3:.3f} ms"))
        lonlat = [to_metric_inverse(x, y) for x, y in queries_xy[:20]]
        page_times = []
        for lon, lat in lonlat:
            nearest_offers(offers, lon, lat, K_NEAREST, points=points)
            start = time.perf_counter()
            nearest_offers(offers, lon, lat, K_NEAREST, points=points)
            page_times.append(time.perf_counter() - start)
        page_m = Measurement(statistics.median(page_times), statistics.median(page_times), page_times, 0, None)
        rows.append(timed_row(label, f"Nächste {K_NEAREST} wie auf der Karte: nearest_offers (lon/lat → "
                                     "EPSG:25832, Zeilen mit Distanz und Gehzeit; 20 Standorte)", page_m,
                              note=f"Median {page_m.median_s * 1e3:.2f} ms"))
        if len(coords) <= 20_000:
            located = offers.index[has_location(offers)]
            found = np.array([located.get_indexer(nearest_labels(points, x, y, K_NEAREST)[0]) for x, y in queries_xy])
            check_nearest(found, coords, queries_xy)

        log(f"[{label}] 250-m-Raster …")
        grid = measure(lambda: coverage_grid(offers, bounds_metric), repeat)
        counts = grid.result
        rows.append(timed_row(label, f"Raster {CELL_M:.0f} m: Angebote je Zelle", grid))
        notes.append(f"{label}: Raster {counts.shape[1]}×{counts.shape[0]} Zellen, {int((counts > 0).sum())} belegt, "
                     f"{int(counts.sum())} Angebote gezählt, höchstens {int(counts.max())} je Zelle.")

        log(f"[{label}] Abdeckung + Lückenraster …")
        walk = f"{COVERAGE_WALK_M:.0f} m Gehweg"
        cov = measure(lambda: coverage_and_gaps(districts, offers, population, coverage_radius, base_cells), repeat)
        rows.append(timed_row(label, f"Abdeckung + Lückenraster ({walk}): coverage_table + gap_grid, "
                                     "Raster wiederverwendet", cov))
        cov_full = measure(lambda: coverage_and_gaps(districts, offers, population, coverage_radius), repeat)
        rows.append(timed_row(label, f"Abdeckung + Lückenraster ({walk}): inklusive Rasteraufbau (grid_cells)", cov_full))
        table, gaps = cov.result
        shares = table["anteil_versorgt"].iloc[:-1]
        notes.append(f"{label}: Abdeckung bei {walk} ({coverage_radius:.0f} m Luftlinie): {len(base_cells)} "
                     f"Rasterstücke, davon {int(gaps['luecke'].sum())} Lücken; versorgter Flächenanteil je Stadtteil "
                     f"{shares.min():.1%}–{shares.max():.1%}.")
        raw = offers = None  # free the large frames before the next size is generated
        gc.collect()
    return rows, notes


def machine_info() -> list[str]:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        mem = f", RAM {kb / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    commit = "?"
    try:
        import subprocess
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "geo"], capture_output=True,
                               text=True, check=True).stdout.strip()
        commit += " (geo/ mit ungesicherten Änderungen)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        pass
    return [
        f"Datum {datetime.date.today().isoformat()}, Commit {commit}, {cpus} CPU-Kerne{mem}, {platform.platform()}",
        f"Python {platform.python_version()}, geopandas {gpd.__version__}, shapely {shapely.__version__}, "
        f"folium {folium.__version__}, pandas {pd.__version__}, numpy {np.__version__}",
    ]


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


HEADERS = ("Größe", "Operation", "Median ms", "CPU ms", "Spitze MB", "Bytes", "Verhältnis unsere/explore")


def _cells(row: Row) -> list[str]:
    return [
        row.size,
        row.operation,
        "–" if row.median_ms is None else f"{row.median_ms:,.1f}".replace(",", " "),
        "–" if row.cpu_ms is None else f"{row.cpu_ms:,.1f}".replace(",", " "),
        "–" if row.peak_mb is None else f"{row.peak_mb:,.1f}".replace(",", " "),
        "" if row.nbytes is None else f"{row.nbytes:,}".replace(",", " "),
        row.ratio or row.note,
    ]


def format_text(rows: list[Row], header: list[str], notes: list[str]) -> str:
    table = [list(HEADERS), *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    right = {2, 3, 4, 5}
    out = [*header, ""]
    for j, line in enumerate(table):
        cells = (c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(line))
        out.append("  ".join(cells).rstrip())
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append("")
    out.extend(f"- {n}" for n in notes)
    return "\n".join(out)


def format_markdown(rows: list[Row], header: list[str], notes: list[str]) -> str:
    out = [*(f"{h}  " for h in header), ""]
    out.append("| " + " | ".join(HEADERS) + " |")
    out.append("|---|---|---:|---:|---:|---:|---|")
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |")
    out.append("")
    out.extend(f"- {n}" for n in notes)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=None,
                        help=f"Komma-Liste aus 'shipped' und Angebotszahlen (Standard {DEFAULT_SIZES})")
    parser.add_argument("--repeat", type=int, default=None,
                        help="gemessene Läufe je Operation nach einem Aufwärmlauf (Standard 5)")
    parser.add_argument("--smoke", action="store_true", help=f"kurz: --sizes {SMOKE_SIZES} --repeat 3")
    parser.add_argument("--explore-limit", type=float, default=EXPLORE_LIMIT_S, metavar="SEKUNDEN",
                        help="explore() auslassen, wenn ein Lauf geschätzt länger dauert "
                             f"(Standard {EXPLORE_LIMIT_S:.0f})")
    parser.add_argument("--markdown", action="store_true", help="Tabelle als Markdown ausgeben")
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.sizes or (SMOKE_SIZES if args.smoke else DEFAULT_SIZES))
    repeat = args.repeat or (3 if args.smoke else 5)
    if repeat < 1:
        parser.error("--repeat muss mindestens 1 sein")

    started = time.perf_counter()
    load_before = _load()
    rows, notes = run(sizes, repeat, args.explore_limit)
    load_after = _load()
    wall = sum(r.median_ms or 0 for r in rows)
    cpu = sum(r.cpu_ms or 0 for r in rows)
    busy = ""
    if cpu and wall > 1.15 * cpu:
        busy = f" – ACHTUNG: Wanduhr {wall / cpu:.2f}× CPU-Zeit, der Rechner war ausgelastet, Zeiten sind zu hoch"
    header = [
        *machine_info(),
        f"Systemlast (loadavg 1 min) vorher {load_before:.1f}, nachher {load_after:.1f}{busy}",
        f"Je Operation: 1 Aufwärmlauf, Median aus {repeat} Läufen (Wanduhr und CPU-Zeit des Prozesses); "
        "Spitze = tracemalloc-Spitzenwert eines eigenen Laufs. "
        "Angebote außer „mitgeliefert“ sind SYNTHETISCH (bench/synthetic.py). "
        f"Gesamtdauer {time.perf_counter() - started:.0f} s.",
    ]
    print((format_markdown if args.markdown else format_text)(rows, header, notes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
