"""Coverage and gaps: which part of each Stadtteil has a matching offer within walking distance, a grid of
distances to the nearest offer, and a need-weighted gap score.

All geometry is computed in EPSG:25832 (metres, m²). "Within walking distance"
is a straight-line circle: a walk of ``w`` metres along streets reaches about
``w / DETOUR_FACTOR`` metres as the crow flies (:func:`straight_line_radius`),
the same assumption as the walking minutes in :mod:`geo.analysis.nearest`. Offers
outside a district still cover it: a circle crosses district borders.

The covered share of a district's area has two methods (:data:`METHODS`):
``"raster"`` (the default) measures the distance to the nearest offer on a grid of
sample points 25 m apart and weights them by area; ``"puffer"`` unites the circles
as polygons and intersects them with the districts – exact up to the 64-gon, but
the union of 100,000 circles takes seconds. On the shipped data they differ by at
most 0.11 percentage points at 300–2,000 m walks (measured; the tests require less
than 1 point); ``bench/coverage_scale.py`` compares their speed side by side.
"""
from __future__ import annotations

import functools
import html
import math
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.analysis.join import has_location
from geo.analysis.nearest import DETOUR_FACTOR
from geo.config import METRIC_CRS
from geo.data.indicators import Band, bands_by_district
from geo.formatting import format_number
from geo.i18n import t
from geo.text import german_sort_key

BUFFER_QUAD_SEGS = 16
"""Segments per quarter circle of a buffer: area within 0.3 % of the true circle."""
DEFAULT_CELL_M = 250.0
SAMPLE_M = 25.0
"""Spacing of the sample points of the ``"raster"`` share (m): each point stands for a 25 m × 25 m square."""
METHODS = ("raster", "puffer")
Method = Literal["raster", "puffer"]
UNASSIGNED_ID = ""
"""``stadtteil_id`` of offers that lie in no district or have no location (the "nicht zugeordnet" row)."""


def straight_line_radius(walk_m: float) -> float:
    """Straight-line radius (m) reached by a walk of ``walk_m`` metres: ``walk_m / DETOUR_FACTOR``."""
    return walk_m / DETOUR_FACTOR


@functools.lru_cache(maxsize=8)
def _to_metric(crs: CRS) -> Transformer:
    return Transformer.from_crs(crs, METRIC_CRS, always_xy=True)


def offer_xy(offers: gpd.GeoDataFrame) -> np.ndarray:
    """EPSG:25832 coordinates (n × 2, metres) of the offers that have a location, in table order.

    The same numbers as ``offers.geometry.to_crs(METRIC_CRS)`` (the same PROJ
    transformation), but on the coordinate arrays: 100,000 points in about 50 ms
    instead of over a second.
    """
    if not len(offers):
        return np.empty((0, 2))
    geoms = offers.geometry.to_numpy()[has_location(offers).to_numpy()]
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    if offers.crs is not None and not CRS(offers.crs).equals(METRIC_CRS):
        x, y = _to_metric(CRS(offers.crs)).transform(x, y)
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])


def covered_area(points: np.ndarray, radius_m: float) -> shapely.Geometry:
    """The union of ``radius_m`` buffers around EPSG:25832 points (empty geometry for no points)."""
    if len(points) == 0:
        return shapely.Polygon()
    return shapely.union_all(shapely.buffer(points, radius_m, quad_segs=BUFFER_QUAD_SEGS))


def covered_shares(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float,
                   method: Method = "raster") -> pd.Series:
    """Share (0–1) of each district's area within ``radius_m`` metres (straight line) of at least one located offer.

    Index: district ``id``. Offers anywhere count, also those in a neighbouring
    district. ``method="raster"``: :func:`covered_shares_grid`; ``"puffer"``:
    :func:`covered_shares_buffer` (the reference).
    """
    if method == "raster":
        return covered_shares_grid(districts, offers, radius_m)
    if method == "puffer":
        return covered_shares_buffer(districts, offers, radius_m)
    raise ValueError(f"unknown method {method!r}, expected one of {METHODS}")


def covered_shares_buffer(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float) -> pd.Series:
    """The buffer method: area of (district ∩ union of 64-gon buffers) / district area. Exact for the 64-gons
    (0.16 % less area than circles), but the union costs seconds at 100,000 offers."""
    polys = districts.geometry.to_crs(METRIC_CRS).to_numpy()
    covered = covered_area(shapely.points(offer_xy(offers)), radius_m)
    if covered.is_empty:
        return pd.Series(0.0, index=districts["id"].to_numpy())
    shapely.prepare(covered)
    inside = shapely.area(shapely.intersection(polys, covered))
    return pd.Series(inside / shapely.area(polys), index=districts["id"].to_numpy())


@dataclass(frozen=True)
class SamplePoints:
    """Sample points of the districts for :func:`covered_shares_grid`, built once per district geometry.

    The districts are cut into the ``cell_m`` grid of :func:`grid_cells`; every
    piece gets the centres of the ``sample_m`` squares of its cell that lie in it
    (all ``(cell_m / sample_m)²`` for a whole cell; a sliver without any gets its
    :func:`shapely.point_on_surface`). A point's ``weight`` is its piece's area
    divided by the piece's points, so the weights of a district add up to its
    exact area. Points are sorted by cell; ``cell_start[c]:cell_start[c + 1]``
    are the points of cell ``c``, whose centre is ``cell_x[c], cell_y[c]``.
    """

    cell_m: float
    sample_m: float
    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    district: np.ndarray
    cell_x: np.ndarray
    cell_y: np.ndarray
    cell_start: np.ndarray
    area: np.ndarray
    """Exact area (m²) per district, in file order."""

    @property
    def cell_of_point(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.cell_x)), np.diff(self.cell_start))


def sample_points(districts: gpd.GeoDataFrame, cell_m: float = DEFAULT_CELL_M,
                  sample_m: float = SAMPLE_M) -> SamplePoints:
    """:class:`SamplePoints` of ``districts`` (any CRS); cached per geometry, so a call with the same districts
    costs only their projection."""
    metric = districts.to_crs(METRIC_CRS)
    return _sample_points(tuple(metric["id"].astype(str)), tuple(shapely.to_wkb(metric.geometry.to_numpy())),
                          float(cell_m), float(sample_m))


@functools.lru_cache(maxsize=4)
def _sample_points(ids: tuple[str, ...], wkb: tuple[bytes, ...], cell_m: float, sample_m: float) -> SamplePoints:
    districts = gpd.GeoDataFrame({"id": list(ids)}, geometry=shapely.from_wkb(list(wkb)), crs=METRIC_CRS)
    cells = grid_cells(districts, cell_m)
    k = max(1, round(cell_m / sample_m))
    step = cell_m / k
    col_row = cells["zelle"].str.split("_", expand=True).astype(np.int64).to_numpy()
    x0, y0 = cells.attrs["x0"], cells.attrs["y0"]
    # one id per cell (row-major), so that sorting the pieces by it groups the points by cell
    cell_key = col_row[:, 1] * (col_row[:, 0].max() + 1) + col_row[:, 0]
    order = np.argsort(cell_key, kind="stable")
    pieces = cells.geometry.to_numpy()[order]
    areas = cells["flaeche_m2"].to_numpy()[order]
    cols, rows, cell_key = col_row[order, 0], col_row[order, 1], cell_key[order]
    district_index = pd.Index(ids).get_indexer(cells["stadtteil_id"].to_numpy()[order])

    offsets = (np.arange(k) + 0.5) * step
    ox, oy = (a.ravel() for a in np.meshgrid(offsets, offsets))
    px = (x0 + cols * cell_m)[:, None] + ox[None, :]
    py = (y0 + rows * cell_m)[:, None] + oy[None, :]
    inside = np.ones(px.shape, dtype=bool)
    partial = np.flatnonzero(areas < cell_m * cell_m * (1 - 1e-9))
    if len(partial):
        shapely.prepare(pieces[partial])
        inside[partial] = shapely.intersects_xy(pieces[partial][:, None], px[partial], py[partial])
    n_inside = inside.sum(axis=1)
    empty = np.flatnonzero(n_inside == 0)
    if len(empty):  # a sliver narrower than the sample spacing: its own interior point carries its area
        anchor = shapely.point_on_surface(pieces[empty])
        px[empty, 0], py[empty, 0] = shapely.get_x(anchor), shapely.get_y(anchor)
        inside[empty, 0] = True
        n_inside[empty] = 1
    piece_of_point = np.repeat(np.arange(len(pieces)), n_inside)
    unique_keys, first_piece = np.unique(cell_key, return_index=True)
    cell_of_piece = np.searchsorted(unique_keys, cell_key)
    cell_start = np.searchsorted(cell_of_piece[piece_of_point], np.arange(len(unique_keys) + 1))
    arrays = {"x": px[inside], "y": py[inside], "weight": (areas / n_inside)[piece_of_point],
              "district": district_index[piece_of_point], "cell_x": x0 + (cols[first_piece] + 0.5) * cell_m,
              "cell_y": y0 + (rows[first_piece] + 0.5) * cell_m, "cell_start": cell_start,
              "area": np.bincount(district_index, weights=areas, minlength=len(ids))}
    for array in arrays.values():
        array.flags.writeable = False  # shared by every caller through the cache
    return SamplePoints(cell_m=cell_m, sample_m=step, **arrays)


PAIRS_PER_POINT_LIMIT = 150
"""Above this many (sample point, candidate offer) pairs per sample point, :func:`sample_distances` asks the
spatial index per point instead (about 4 µs a point against some 25 ns a pair)."""
_PAIR_CHUNK = 2_000_000


def covered_fractions(samples: SamplePoints, offer_xy_m: np.ndarray, radius_m: float) -> np.ndarray:
    """Covered fraction (0–1) of the ``sample_m`` square around each sample point.

    With ``d`` the distance of the point to the nearest offer and ``h`` the
    spacing: ``clip(0.5 + (radius − d) / h, 0, 1)`` – 1 well inside a circle, 0
    well outside, and in between the share of a square cut by a straight edge
    at distance ``radius − d`` from its centre. Only cells that the circles'
    edge can cross are measured point by point: the distance to the nearest
    offer changes by at most the distance moved, so a cell whose centre is
    nearer than ``radius − h/2 − half diagonal`` is covered throughout, one
    farther than ``radius + h/2 + half diagonal`` not at all.
    """
    n = len(samples.x)
    if len(offer_xy_m) == 0 or radius_m <= 0:
        return np.zeros(n)
    h, half_diag = samples.sample_m, samples.cell_m / math.sqrt(2)
    tree = shapely.STRtree(shapely.points(offer_xy_m))
    centres = shapely.points(samples.cell_x, samples.cell_y)
    nearest, dist = tree.query_nearest(centres, return_distance=True, all_matches=False)
    d_cell = np.empty(len(centres))
    d_cell[nearest[0]] = dist
    full = d_cell + half_diag <= radius_m - h / 2
    fraction = full[samples.cell_of_point].astype(float)
    edge = np.flatnonzero(~full & (d_cell - half_diag < radius_m + h / 2))
    if len(edge):
        d = sample_distances(samples, offer_xy_m, tree, edge, d_cell[edge], radius_m + h / 2)
        points = _points_of_cells(samples, edge)
        fraction[points] = np.clip(0.5 + (radius_m - d) / h, 0.0, 1.0)
    return fraction


def _points_of_cells(samples: SamplePoints, cells: np.ndarray) -> np.ndarray:
    counts = samples.cell_start[cells + 1] - samples.cell_start[cells]
    return np.repeat(samples.cell_start[cells], counts) + _ramp(counts)


def _ramp(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, c−1 for each count c, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def sample_distances(samples: SamplePoints, offer_xy_m: np.ndarray, tree: shapely.STRtree, cells: np.ndarray,
                     d_cell: np.ndarray, needed_m: float) -> np.ndarray:
    """Distance (m) from each sample point of ``cells`` (in :func:`_points_of_cells` order) to the nearest offer,
    exact up to ``needed_m``; ``inf`` where no offer is that near.

    Candidates per cell: the offers within ``min(d_cell + 2 × half diagonal,
    needed_m + half diagonal)`` of its centre – every point of the cell has its
    nearest offer among them (if that one is nearer than ``needed_m``). The
    distances of all (point, candidate) pairs are taken with numpy; when there
    are more than :data:`PAIRS_PER_POINT_LIMIT` pairs per point (many offers in
    a ring around a cell), the spatial index answers point by point.
    """
    half_diag = samples.cell_m / math.sqrt(2)
    reach = np.minimum(d_cell + 2 * half_diag, needed_m + half_diag)
    pair_cell, pair_offer = tree.query(shapely.points(samples.cell_x[cells], samples.cell_y[cells]),
                                       predicate="dwithin", distance=reach)
    counts = samples.cell_start[cells + 1] - samples.cell_start[cells]
    first = np.cumsum(counts) - counts  # position of each cell's first point in the result
    result = np.full(int(counts.sum()), np.inf)
    pair_counts = counts[pair_cell]
    if pair_counts.sum() > PAIRS_PER_POINT_LIMIT * len(result):
        points = _points_of_cells(samples, cells)
        found, dist = tree.query_nearest(shapely.points(samples.x[points], samples.y[points]),
                                         max_distance=needed_m, return_distance=True, all_matches=False)
        result[found[0]] = dist
        return result
    ends = np.cumsum(pair_counts)
    start = 0
    while start < len(pair_cell):
        stop = max(int(np.searchsorted(ends, ends[start] - pair_counts[start] + _PAIR_CHUNK, side="right")), start + 1)
        chunk = slice(start, stop)
        ramp = _ramp(pair_counts[chunk])
        point = np.repeat(samples.cell_start[cells[pair_cell[chunk]]], pair_counts[chunk]) + ramp
        slot = np.repeat(first[pair_cell[chunk]], pair_counts[chunk]) + ramp
        offer = np.repeat(pair_offer[chunk], pair_counts[chunk])
        dist = np.hypot(samples.x[point] - offer_xy_m[offer, 0], samples.y[point] - offer_xy_m[offer, 1])
        np.minimum.at(result, slot, dist)
        start = stop
    return result


def covered_shares_grid(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float,
                        cell_m: float = DEFAULT_CELL_M, sample_m: float = SAMPLE_M) -> pd.Series:
    """The grid method: Σ weight × covered fraction of the district's sample points / district area.

    See :func:`sample_points` and :func:`covered_fractions`. Error against the
    exact circles: at most 0.07 percentage points per circle on hand-made
    squares (worst when a circle is centred on a corner of the sample grid;
    0.04 over random layouts); against the 64-gon buffers of
    :func:`covered_shares_buffer` at most 0.11 points on the shipped data.
    """
    if not len(districts):
        return pd.Series(dtype=float)
    samples = sample_points(districts, cell_m, sample_m)
    fraction = covered_fractions(samples, offer_xy(offers), radius_m)
    covered = np.bincount(samples.district, weights=samples.weight * fraction, minlength=len(samples.area))
    return pd.Series(covered / samples.area, index=districts["id"].to_numpy())


def coverage_table(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float,
                   population: dict[str, tuple[float, str]], minors: dict[str, tuple[float, str]] | None = None,
                   method: Method = "raster") -> pd.DataFrame:
    """One row per district (file order) and a last "nicht zugeordnet" row (id ``""``).

    Columns: ``stadtteil_id``, ``name``, ``angebote`` (offers whose point lies in
    the district, from ``stadtteil_id`` of :func:`geo.analysis.join.assign_districts`),
    ``einwohner`` / ``einwohner_stichtag``, ``je_1000_einwohner``,
    ``minderjaehrige``, ``je_1000_minderjaehrige`` (``NaN`` where the figure is
    unknown, never 0), ``anteil_versorgt`` (0–1, see :func:`covered_shares`; ``method`` chooses how).
    The "nicht zugeordnet" row counts offers without a location or outside every
    district; it has no area, so no share.
    """
    minors = minors or {}
    shares = covered_shares(districts, offers, radius_m, method)
    assigned = offers["stadtteil_id"].fillna("").astype(str) if len(offers) else pd.Series(dtype=str)
    counts = assigned.value_counts()
    rows = []
    for district_id, name in zip(districts["id"], districts["name"]):
        inhabitants, as_of = population.get(district_id, (math.nan, ""))
        n_minors, _ = minors.get(district_id, (math.nan, ""))
        n = int(counts.get(district_id, 0))
        rows.append({"stadtteil_id": district_id, "name": name, "angebote": n, "einwohner": inhabitants,
                     "einwohner_stichtag": as_of, "je_1000_einwohner": per_thousand(n, inhabitants),
                     "minderjaehrige": n_minors, "je_1000_minderjaehrige": per_thousand(n, n_minors),
                     "anteil_versorgt": float(shares[district_id])})
    n_unassigned = int(len(offers) - assigned.isin(set(districts["id"])).sum()) if len(offers) else 0
    rows.append({"stadtteil_id": UNASSIGNED_ID, "name": "", "angebote": n_unassigned, "einwohner": math.nan,
                 "einwohner_stichtag": "", "je_1000_einwohner": math.nan, "minderjaehrige": math.nan,
                 "je_1000_minderjaehrige": math.nan, "anteil_versorgt": math.nan})
    return pd.DataFrame(rows)


def per_thousand(n: int, base: float) -> float:
    """``n`` per 1,000 of ``base``; NaN (unknown, never 0) when ``base`` is missing or not positive."""
    return n / base * 1000 if base and np.isfinite(base) and base > 0 else math.nan


def grid_cells(districts: gpd.GeoDataFrame, cell_m: float = DEFAULT_CELL_M) -> gpd.GeoDataFrame:
    """A regular grid of ``cell_m`` squares aligned to multiples of ``cell_m`` in EPSG:25832, clipped to the
    districts: one row per (cell, district) piece, with ``stadtteil_id``, ``zelle`` (``"col_row"``) and
    ``flaeche_m2``. Cells on a district border are split, so every piece belongs to one district.
    ``attrs``: ``zelle_m`` and the grid's origin ``x0``, ``y0`` (cell ``"c_r"`` starts at ``x0 + c·zelle_m``,
    ``y0 + r·zelle_m``).
    """
    metric = districts.to_crs(METRIC_CRS)
    xmin, ymin, xmax, ymax = metric.total_bounds
    x0, y0 = math.floor(xmin / cell_m) * cell_m, math.floor(ymin / cell_m) * cell_m
    nx, ny = int(math.ceil((xmax - x0) / cell_m)), int(math.ceil((ymax - y0) / cell_m))
    col_grid, row_grid = np.meshgrid(np.arange(nx), np.arange(ny))
    cols, rows = col_grid.ravel(), row_grid.ravel()
    squares = shapely.box(x0 + cols * cell_m, y0 + rows * cell_m, x0 + (cols + 1) * cell_m, y0 + (rows + 1) * cell_m)
    polys = metric.geometry.to_numpy()
    tree = shapely.STRtree(squares)
    district_idx, cell_idx = tree.query(polys, predicate="intersects")
    pieces = shapely.intersection(squares[cell_idx], polys[district_idx])
    areas = shapely.area(pieces)
    keep = areas > 1e-6
    frame = gpd.GeoDataFrame({
        "stadtteil_id": metric["id"].to_numpy()[district_idx[keep]],
        "zelle": [f"{c}_{r}" for c, r in zip(cols[cell_idx[keep]], rows[cell_idx[keep]])],
        "flaeche_m2": areas[keep],
    }, geometry=pieces[keep], crs=METRIC_CRS).reset_index(drop=True)
    frame.attrs.update({"zelle_m": float(cell_m), "x0": float(x0), "y0": float(y0)})
    return frame


def distances_to_nearest(cells: gpd.GeoDataFrame, offers: gpd.GeoDataFrame) -> np.ndarray:
    """Straight-line metres from each cell piece's centre (a point inside it) to the nearest located offer;
    ``inf`` when there is no located offer. ``cells`` in EPSG:25832 (from :func:`grid_cells`)."""
    xy = offer_xy(offers)
    if len(xy) == 0:
        return np.full(len(cells), np.inf)
    centres = shapely.point_on_surface(cells.geometry.to_numpy())
    tree = shapely.STRtree(shapely.points(xy))
    _, distances = tree.query_nearest(centres, return_distance=True, all_matches=False)
    return distances


def gap_grid(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float,
             cell_m: float = DEFAULT_CELL_M, cells: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """:func:`grid_cells` with ``distanz_m`` (to the nearest matching offer) and ``luecke`` (farther than
    ``radius_m``, straight line). Pass ``cells`` to reuse a grid built once for the same districts."""
    grid = grid_cells(districts, cell_m) if cells is None else cells.copy()
    grid["distanz_m"] = distances_to_nearest(grid, offers)
    grid["luecke"] = grid["distanz_m"] > radius_m
    return grid


@dataclass(frozen=True)
class GapScore:
    """Need-weighted gap of one district: ``need × uncovered`` as a range where the need is a band.

    ``need_low``/``need_high`` are shares 0–1 (a band "über 45 %" is 0.45–1.0,
    "unter 10 %" 0–0.10); ``uncovered`` is the area share without a matching
    offer in walking distance. ``low``/``high`` are the score's bounds (0–1).
    """

    stadtteil_id: str
    name: str
    need: Band | None
    need_low: float
    need_high: float
    uncovered: float
    n_offers: int

    @property
    def low(self) -> float:
        return self.need_low * self.uncovered

    @property
    def high(self) -> float:
        return self.need_high * self.uncovered



def band_interval(band: Band | None) -> tuple[float, float] | None:
    """A percentage band as a share interval 0–1; open ends are closed by 0 % and 100 %; ``None`` if unknown."""
    if band is None:
        return None
    low, high = band.closed_range(0.0, 100.0)
    return low / 100, high / 100


def gap_scores(table: pd.DataFrame, indicators: pd.DataFrame, need_indicator: str = "kinderarmut") -> list[GapScore]:
    """Need-weighted gap per district, highest first; districts without a need figure come last (unranked).

    ``score = need × (1 − anteil_versorgt)``, with need = the indicator as a share
    (e.g. 0.508 for 50.8 % of minors in SGB II/AsylbLG households). Where the
    source gives a band, the score is a range [need_low × uncovered, need_high ×
    uncovered]. Order: by the lower end (the score the district has at least),
    then by the upper end, then by name — an open band ("über 45 %") is not
    ranked on a guessed upper value. ``table`` is a :func:`coverage_table` (its "nicht zugeordnet" row is ignored).
    """
    rows = table[table["stadtteil_id"] != UNASSIGNED_ID]
    bands = bands_by_district(indicators, list(rows["stadtteil_id"]), need_indicator)
    scores = []
    for row in rows.itertuples():
        interval = band_interval(bands.get(row.stadtteil_id))
        low, high = interval if interval else (math.nan, math.nan)
        scores.append(GapScore(row.stadtteil_id, row.name, bands.get(row.stadtteil_id), low, high,
                               1.0 - float(row.anteil_versorgt), int(row.angebote)))
    known = [s for s in scores if not math.isnan(s.need_low)]
    unknown = [s for s in scores if math.isnan(s.need_low)]
    known.sort(key=lambda s: (-s.low, -s.high, german_sort_key(s.name)))
    unknown.sort(key=lambda s: (-s.uncovered, german_sort_key(s.name)))
    return known + unknown


def approximate_counts(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame) -> dict[str, int]:
    """Per district id: offers whose point is only approximate (``lage_genauigkeit`` strasse or stadtteil)."""
    if not len(offers):
        return {}
    approx = offers[offers["lage_genauigkeit"].isin(["strasse", "stadtteil"])]
    counts = approx["stadtteil_id"].fillna("").astype(str).value_counts()
    return {d: int(counts.get(d, 0)) for d in districts["id"]}


def coverage_display(table: pd.DataFrame, approximate: dict[str, int], need_labels: dict[str, str],
                     walk_m: float, need_name: str, lang: str = "de") -> pd.DataFrame:
    """:func:`coverage_table` for the page and the CSV: translated headings, districts in German order with
    the "nicht zugeordnet" row last, shares in percent (one decimal), ``n/a`` where a figure is unknown."""
    na = t("luecken.na", lang)
    walk = format_number(walk_m, 0, lang)

    def number(value: float, digits: int) -> str:
        return na if value is None or not np.isfinite(value) else format_number(float(value), digits, lang)

    districts = table[table["stadtteil_id"] != UNASSIGNED_ID]
    districts = districts.iloc[sorted(range(len(districts)), key=lambda i: german_sort_key(districts["name"].iloc[i]))]
    rows = []
    for row in [*districts.itertuples(), *table[table["stadtteil_id"] == UNASSIGNED_ID].itertuples()]:
        unassigned = row.stadtteil_id == UNASSIGNED_ID
        rows.append({
            t("luecken.spalte_stadtteil", lang): t("luecken.nicht_zugeordnet", lang) if unassigned else row.name,
            t("luecken.spalte_angebote", lang): str(int(row.angebote)),
            t("luecken.spalte_ungefaehr", lang): "" if unassigned else approximate.get(row.stadtteil_id, 0),
            t("luecken.spalte_einwohner", lang): "" if unassigned else number(row.einwohner, 0),
            t("luecken.spalte_stichtag", lang): row.einwohner_stichtag,
            t("luecken.spalte_je_1000", lang): "" if unassigned else number(row.je_1000_einwohner, 2),
            t("luecken.spalte_je_1000_minderjaehrige", lang): "" if unassigned else number(row.je_1000_minderjaehrige, 2),
            t("luecken.spalte_versorgt", lang, gehweg=walk): "" if unassigned else number(100 * row.anteil_versorgt, 1),
            t("luecken.spalte_bedarf", lang, indikator=need_name): "" if unassigned else need_labels.get(
                row.stadtteil_id, t("band.keine_angabe", lang)),
        })
    return pd.DataFrame(rows).astype(str)


def gap_ranking_html(scores: list[GapScore], walk_m: float, need_name: str, unit: str, lang: str = "de") -> str:
    """The ranking as an ordered HTML list (ranked districts) and a plain list (no need figure), every text escaped;
    each entry gives its reason: score (range), matching offers, uncovered share, need."""
    walk = format_number(walk_m, 0, lang)
    ranked, unranked = [], []
    for score in scores:
        uncovered = format_number(100 * score.uncovered, 0, lang)
        if score.need is None:
            unranked.append(t("luecken.ohne_rang", lang, name=score.name, flaeche=uncovered, gehweg=walk,
                              indikator=need_name))
            continue
        low, high = format_number(score.low, 2, lang), format_number(score.high, 2, lang)
        value = low if low == high else t("band.zwischen", lang, a=low, b=high)
        ranked.append(t("luecken.rang", lang, name=score.name, wert=value, angebote=score.n_offers, flaeche=uncovered,
                        gehweg=walk, indikator=need_name, bedarf=score.need.label(unit, lang)))
    parts = ['<ol class="qk-rangfolge">', *(f"<li>{html.escape(line)}</li>" for line in ranked), "</ol>"]
    if unranked:
        parts += ['<ul class="qk-ohne-rang">', *(f"<li>{html.escape(line)}</li>" for line in unranked), "</ul>"]
    return "".join(parts)
