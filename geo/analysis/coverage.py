"""Coverage and gaps: which part of each Stadtteil has a matching offer within walking distance, a grid of
distances to the nearest offer, and a need-weighted gap score.

All geometry is computed in EPSG:25832 (metres, m²). "Within walking distance"
is a straight-line buffer: a walk of ``w`` metres along streets reaches about
``w / DETOUR_FACTOR`` metres as the crow flies (:func:`straight_line_radius`),
the same assumption as the walking minutes in :mod:`geo.analysis.nearest`. Offers
outside a district still cover it: a buffer crosses district borders.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis.nearest import DETOUR_FACTOR, offer_points
from geo.config import METRIC_CRS
from geo.data.indicators import Band, bands_by_district
from geo.formatting import format_number
from geo.i18n import t
from geo.text import german_sort_key

BUFFER_QUAD_SEGS = 16
"""Segments per quarter circle of a buffer: area within 0.3 % of the true circle."""
DEFAULT_CELL_M = 250.0
UNASSIGNED_ID = ""
"""``stadtteil_id`` of offers that lie in no district or have no location (the "nicht zugeordnet" row)."""


def straight_line_radius(walk_m: float) -> float:
    """Straight-line radius (m) reached by a walk of ``walk_m`` metres: ``walk_m / DETOUR_FACTOR``."""
    return walk_m / DETOUR_FACTOR


def _metric_points(offers: gpd.GeoDataFrame) -> np.ndarray:
    """The located offers as shapely points in EPSG:25832 (projected by :func:`geo.analysis.nearest.offer_points`)."""
    return shapely.points(offer_points(offers).xy)


def covered_area(points: np.ndarray, radius_m: float) -> shapely.Geometry:
    """The union of ``radius_m`` buffers around EPSG:25832 points (empty geometry for no points)."""
    if len(points) == 0:
        return shapely.Polygon()
    return shapely.union_all(shapely.buffer(points, radius_m, quad_segs=BUFFER_QUAD_SEGS))


def covered_shares(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float) -> pd.Series:
    """Share (0–1) of each district's area within ``radius_m`` metres (straight line) of at least one located offer.

    Index: district ``id``. Offers anywhere count, also those in a neighbouring district.
    """
    polys = districts.geometry.to_crs(METRIC_CRS).to_numpy()
    covered = covered_area(_metric_points(offers), radius_m)
    if covered.is_empty:
        return pd.Series(0.0, index=districts["id"].to_numpy())
    shapely.prepare(covered)
    inside = shapely.area(shapely.intersection(polys, covered))
    return pd.Series(inside / shapely.area(polys), index=districts["id"].to_numpy())


def coverage_table(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float,
                   population: dict[str, tuple[float, str]], minors: dict[str, tuple[float, str]] | None = None
                   ) -> pd.DataFrame:
    """One row per district (file order) and a last "nicht zugeordnet" row (id ``""``).

    Columns: ``stadtteil_id``, ``name``, ``angebote`` (offers whose point lies in
    the district, from ``stadtteil_id`` of :func:`geo.analysis.join.assign_districts`),
    ``einwohner`` / ``einwohner_stichtag``, ``je_1000_einwohner``,
    ``minderjaehrige``, ``je_1000_minderjaehrige`` (``NaN`` where the figure is
    unknown, never 0), ``anteil_versorgt`` (0–1, see :func:`covered_shares`).
    The "nicht zugeordnet" row counts offers without a location or outside every
    district; it has no area, so no share.
    """
    minors = minors or {}
    shares = covered_shares(districts, offers, radius_m)
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
    }, geometry=pieces[keep], crs=METRIC_CRS)
    return frame.reset_index(drop=True)


def distances_to_nearest(cells: gpd.GeoDataFrame, offers: gpd.GeoDataFrame) -> np.ndarray:
    """Straight-line metres from each cell piece's centre (a point inside it) to the nearest located offer;
    ``inf`` when there is no located offer. ``cells`` in EPSG:25832 (from :func:`grid_cells`)."""
    points = _metric_points(offers)
    if len(points) == 0:
        return np.full(len(cells), np.inf)
    centres = shapely.point_on_surface(cells.geometry.to_numpy())
    tree = shapely.STRtree(points)
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
