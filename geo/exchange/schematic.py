"""Schematic Stadtteil polygons that fill the real city outline and fit the documented areas.

No official district boundaries can be obtained offline, so the shipped
``stadtteile.geojson`` is an honestly labelled approximation, built in
EPSG:25832 (metres) and written in EPSG:4326:

1. the area to fill is the real municipal outline (BKG VG250, ``data/minden_gemeinde.geojson``);
2. a **power diagram** (weighted Voronoi diagram) of one generator point per
   Stadtbezirk: cell *i* holds the points *x* with the smallest
   ``|x - s_i|² - w_i``. The weights are iterated until every cell has its
   target area (``area_km2`` from the facts file; districts without a known area
   share the rest in proportion to their population);
3. the generator points start at the documented reference points and were
   moved by a seeded local search (``python -m geo build-schematic --search``)
   until the neighbour relations that sources state hold; they are stored in
   ``data/stadtteile_generatoren.csv`` so that a rebuild is fast and identical;
4. a reference point that still lies outside its own cell is joined to it by a
   narrow strip (``claim_reference_points``): offers placed at a reference point
   must fall into their own district.

Every feature carries ``geometrie = "schematisch"``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from shapely import affinity
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.config import DISPLAY_CRS, METRIC_CRS
from geo.data.districts import SCHEMATIC

CLAIM_HALF_WIDTH_M = 40.0
"""Half width of the strip that joins a stray reference point to its cell (metres)."""


def read_reference_points(path: str | Path) -> gpd.GeoDataFrame:
    """Reference points (``id, name, lat, lon, koordinaten_genauigkeit, quelle``) as EPSG:4326 points."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float)), crs=DISPLAY_CRS
    )


def area_targets(names: list[str], facts: pd.DataFrame, total_km2: float) -> tuple[np.ndarray, np.ndarray]:
    """Target area (km²) per district in ``names`` order, and which of them a source gives.

    ``facts`` has ``name, area_km2, population``. Districts without a known area
    share ``total_km2`` minus the known areas in proportion to their population.
    """
    table = facts.set_index("name").reindex(names)
    known = table["area_km2"].notna().to_numpy()
    targets = table["area_km2"].to_numpy(dtype=float, copy=True)
    population = table["population"].to_numpy(dtype=float, copy=True)
    rest = total_km2 - targets[known].sum()
    targets[~known] = rest * population[~known] / population[~known].sum()
    return targets, known


def power_cells(sites: np.ndarray, weights: np.ndarray, outline: BaseGeometry) -> list[BaseGeometry]:
    """Power-diagram cells of ``sites`` (n × 2, metres) with ``weights`` (m²), clipped to ``outline``.

    Cell *i* = outline ∩ every half-plane ``|x-s_i|² - w_i <= |x-s_j|² - w_j``.
    Computed around the outline's centroid: half-planes drawn far from the
    origin of UTM coordinates would lose precision.
    """
    cx, cy = outline.centroid.x, outline.centroid.y
    local = affinity.translate(outline, -cx, -cy)
    s = np.asarray(sites, dtype=float) - [cx, cy]
    squared = (s ** 2).sum(axis=1)
    cells = []
    for i in range(len(s)):
        cell = local
        for j in range(len(s)):
            if i != j:
                cell = cell.intersection(_half_plane(2 * (s[j] - s[i]), squared[j] - squared[i] - weights[j] + weights[i]))
                if cell.is_empty:
                    break
        cells.append(affinity.translate(cell, cx, cy))
    return cells


def _half_plane(normal: np.ndarray, offset: float, reach: float = 1e6) -> Polygon:
    """The half-plane ``normal · x <= offset`` as a large polygon."""
    n = normal / np.linalg.norm(normal)
    d = np.array([-n[1], n[0]])
    x0 = n * offset / np.linalg.norm(normal)
    return Polygon([x0 + d * reach, x0 - d * reach, x0 - d * reach - n * reach, x0 + d * reach - n * reach])


def fit_weights(sites: np.ndarray, targets_m2: np.ndarray, outline: BaseGeometry, weights: np.ndarray | None = None,
                max_iter: int = 400, tolerance: float = 0.005, relax: float = 0.3) -> np.ndarray:
    """Weights (m²) that give each power cell its target area (m²) within ``tolerance`` (relative), if reachable.

    Jacobi iteration: a weight change ``dw`` moves the border between cells
    *i* and *j* by ``dw / (2 |s_i - s_j|)`` metres, so ``dA_i/dw_i`` is the sum
    of shared border lengths over twice the site distances. Damped by ``relax``;
    returns the best weights seen.
    """
    w = np.zeros(len(sites)) if weights is None else np.asarray(weights, dtype=float).copy()
    best, best_w = np.inf, w.copy()
    for _ in range(max_iter):
        cells = power_cells(sites, w, outline)
        error = targets_m2 - np.array([c.area for c in cells])
        worst = np.max(np.abs(error) / targets_m2)
        if worst < best:
            best, best_w = worst, w.copy()
        if worst < tolerance:
            break
        slope = np.zeros(len(sites))
        for i in range(len(sites)):
            if cells[i].is_empty:
                continue
            boundary = cells[i].boundary
            for j in range(i + 1, len(sites)):
                if cells[j].is_empty:
                    continue
                shared = boundary.intersection(cells[j].buffer(0.01)).length
                if shared > 0:
                    g = shared / (2 * np.linalg.norm(sites[i] - sites[j]))
                    slope[i] += g
                    slope[j] += g
        w = w + relax * np.where(slope > 0, error / np.maximum(slope, 1e-9), 0.3 * error)
    return best_w


def claim_reference_points(cells: list[BaseGeometry], anchors: list[tuple[int, Point]],
                           half_width: float = CLAIM_HALF_WIDTH_M) -> tuple[list[BaseGeometry], list[int]]:
    """Join each anchor point ``(cell index, point)`` lying outside its cell to that cell by a strip ``2 × half_width`` wide.

    Anchors are the reference points and other sourced places whose district a
    source names. The strip (from the nearest point of the cell to the anchor)
    is taken from the other cells, so the cells still partition the same area.
    Returns the new cells and the indices of the cells that claimed a strip.
    """
    cells = list(cells)
    changed = []
    for i, point in anchors:
        if cells[i].contains(point):
            continue
        near = shapely.ops.nearest_points(cells[i], point)[0]
        strip = shapely.LineString([near, point]).buffer(half_width)
        strip = strip.intersection(shapely.union_all([c for c in cells]))
        for j in range(len(cells)):
            cells[j] = cells[i].union(strip) if j == i else cells[j].difference(strip)
        changed.append(i)
    return cells, changed


def merge_exclaves(cells: list[BaseGeometry], points: list[Point]) -> list[BaseGeometry]:
    """Give every detached piece of a cell to the neighbour it shares the longest border with.

    The real outline is not convex, so a power cell can fall apart into a main
    part and small pieces beyond a bend of the boundary. A district keeps the
    part with its reference point (or its largest part).
    """
    cells = list(cells)
    for i in range(len(cells)):
        parts = list(getattr(cells[i], "geoms", [cells[i]]))
        if len(parts) < 2:
            continue
        keep = next((p for p in parts if p.intersects(points[i])), max(parts, key=lambda p: p.area))
        cells[i] = keep
        for piece in parts:
            if piece is keep:
                continue
            shared = [(piece.boundary.intersection(cells[j].buffer(0.01)).length, j) for j in range(len(cells)) if j != i]
            length, j = max(shared)
            if length > 0:
                cells[j] = shapely.union(cells[j], piece)
            else:
                cells[i] = shapely.union(cells[i], piece)  # no neighbour touches it: keep it rather than lose area
    return cells


@dataclass
class SchematicReport:
    """What ``build-schematic`` prints: per district target and achieved area, borders held, containment."""

    areas: pd.DataFrame
    borders: pd.DataFrame
    claimed: list[str] = field(default_factory=list)
    gap_m2: float = 0.0
    overlap_m2: float = 0.0

    def lines(self) -> list[str]:
        known = self.areas[self.areas["flaeche_bekannt"]]
        err = known["fehler_prozent"].abs()
        held = int(self.borders["grenzt"].sum())
        out = [f"{'Stadtbezirk':<20}{'Ziel km²':>10}{'erreicht':>10}{'Fehler':>9}  Quelle der Zielfläche"]
        for r in self.areas.itertuples():
            out.append(f"{r.name:<20}{r.ziel_km2:>10.2f}{r.flaeche_km2:>10.2f}{r.fehler_prozent:>8.1f}%  "
                       f"{'Quelle' if r.flaeche_bekannt else 'Rest nach Einwohnern verteilt'}")
        out.append(f"Bekannte Flächen: Median-Fehler {err.median():.1f} %, größter {err.max():.1f} % "
                   f"({known.loc[err.idxmax(), 'name']}); alle innerhalb ±10 %: {'ja' if err.max() <= 10 else 'nein'}")
        out.append(f"Genannte Grenzen: {held} von {len(self.borders)} gehalten ({held / len(self.borders):.0%})")
        for r in self.borders[~self.borders["grenzt"]].itertuples():
            out.append(f"  nicht gehalten: {r.stadtteil} – {r.neighbour}")
        out.append("Bezugspunkte und belegte Orte in der eigenen Fläche: alle" + (
            f" (angeschlossen durch einen {2 * CLAIM_HALF_WIDTH_M:.0f} m breiten Streifen: {', '.join(self.claimed)})"
            if self.claimed else ""))
        out.append(f"Lücken zum Stadtumriss {self.gap_m2:.1f} m², Überlappungen {self.overlap_m2:.1f} m²")
        return out


def schematic_districts(points: gpd.GeoDataFrame, generators: np.ndarray, outline: BaseGeometry,
                        targets_km2: np.ndarray, known: np.ndarray, relations: pd.DataFrame | None = None,
                        places: gpd.GeoDataFrame | None = None) -> tuple[gpd.GeoDataFrame, SchematicReport]:
    """Power-diagram districts (EPSG:4326) and the report; ``generators`` are EPSG:25832 sites in ``points`` order.

    ``places`` (optional; columns ``stadtteil`` and point geometry) are further
    sourced places whose district is known; like the reference points they must
    fall into their district.
    """
    metric_points = list(points.to_crs(METRIC_CRS).geometry)
    anchors = list(enumerate(metric_points))
    if places is not None and len(places):
        index = {name: i for i, name in enumerate(points["name"])}
        anchors += [(index[p.stadtteil], p.geometry) for p in places.to_crs(METRIC_CRS).itertuples() if p.stadtteil in index]
    targets = targets_km2 * 1e6
    weights = fit_weights(generators, targets, outline)
    cells, claimed = claim_reference_points(power_cells(generators, weights, outline), anchors)
    if claimed:
        # The strips add area to the claiming cells and take it from others: fit once more with the
        # strips counted in, so that the final areas (strips included) meet the targets.
        before = np.array([c.area for c in power_cells(generators, weights, outline)])
        gained = np.array([c.area for c in cells]) - before
        weights = fit_weights(generators, targets - gained, outline, weights)
        cells, claimed = claim_reference_points(power_cells(generators, weights, outline), anchors)
    cells = merge_exclaves(cells, metric_points)
    frame = gpd.GeoDataFrame(
        {"id": points["id"].to_numpy(), "name": points["name"].to_numpy(), "geometrie": SCHEMATIC,
         "quelle": "Schematisch: Power-Diagramm (gewichtetes Voronoi) im Stadtumriss BKG VG250, Flächen an die "
                   "Quellen angepasst (data/SOURCES.md); keine amtlichen Grenzen."},
        geometry=[shapely.make_valid(c) for c in cells], crs=METRIC_CRS)
    achieved = frame.area.to_numpy() / 1e6
    areas = pd.DataFrame({"name": frame["name"], "ziel_km2": targets_km2, "flaeche_km2": achieved,
                          "fehler_prozent": (achieved - targets_km2) / targets_km2 * 100, "flaeche_bekannt": known})
    union = shapely.union_all(list(frame.geometry))
    report = SchematicReport(
        areas, neighbour_agreement(frame, relations) if relations is not None else pd.DataFrame(columns=["grenzt"]),
        sorted({frame["name"].iloc[i] for i in claimed}),
        gap_m2=float(outline.symmetric_difference(union).area), overlap_m2=float(frame.area.sum() - union.area))
    return frame.to_crs(DISPLAY_CRS), report


def search_generators(points: gpd.GeoDataFrame, outline: BaseGeometry, targets_km2: np.ndarray,
                      relations: pd.DataFrame, start: np.ndarray | None = None, steps: int = 600,
                      seed: int = 20261124) -> np.ndarray:
    """Generator sites (EPSG:25832) found by a seeded local search; slow (minutes), run by ``--search``.

    Score = stated borders not held + 3 × reference points outside their cell
    (+10 if an area misses its target by more than 5 %). Each step moves one
    site (at random, or a stray district's site towards its reference point, or
    the site of the cell that holds that point away from it), refits the
    weights and keeps the move if the score does not get worse.
    """
    rng = np.random.default_rng(seed)
    refs = np.array([[p.x, p.y] for p in points.to_crs(METRIC_CRS).geometry])
    names = list(points["name"])
    pairs = [(names.index(a), names.index(b)) for a, b in zip(relations["stadtteil"], relations["neighbour"])
             if a in names and b in names]
    targets = targets_km2 * 1e6

    def score(sites, weights):
        cells = power_cells(sites, weights, outline)
        if any(c.is_empty for c in cells):
            return np.inf, []
        worst = np.max(np.abs(np.array([c.area for c in cells]) - targets) / targets)
        missing = sum(not cells[a].buffer(1).intersects(cells[b]) for a, b in pairs)
        stray = [i for i, c in enumerate(cells) if not c.contains(Point(refs[i]))]
        return missing + 3 * len(stray) + (10 if worst > 0.05 else 0), stray

    sites = refs.copy() if start is None else np.asarray(start, dtype=float).copy()
    weights = fit_weights(sites, targets, outline)
    current, stray = score(sites, weights)
    for _ in range(steps):
        if current == 0:
            break
        trial = sites.copy()
        if stray and rng.random() < 0.6:
            i = stray[rng.integers(len(stray))]
            if rng.random() < 0.5:
                trial[i] += rng.uniform(0.2, 0.8) * (refs[i] - trial[i])
            else:
                holder = next((j for j, c in enumerate(power_cells(sites, weights, outline)) if c.contains(Point(refs[i]))), i)
                trial[holder] += rng.uniform(0.1, 0.4) * (trial[holder] - refs[i])
        else:
            trial[rng.integers(len(trial))] += rng.normal(0, 400, 2)
        trial_weights = fit_weights(trial, targets, outline, weights, max_iter=25)
        trial_score, trial_stray = score(trial, trial_weights)
        if trial_score <= current:
            sites, weights, current, stray = trial, trial_weights, trial_score, trial_stray
    return sites


def write_generators(path: str | Path, points: gpd.GeoDataFrame, sites: np.ndarray) -> None:
    """Store generator sites (rounded to 1 m) with their distance to the reference point."""
    refs = np.array([[p.x, p.y] for p in points.to_crs(METRIC_CRS).geometry])
    pd.DataFrame({"id": points["id"], "name": points["name"], "x_epsg25832": np.round(sites[:, 0]).astype(int),
                  "y_epsg25832": np.round(sites[:, 1]).astype(int),
                  "abstand_bezugspunkt_m": np.round(np.linalg.norm(sites - refs, axis=1)).astype(int)}
                 ).to_csv(path, index=False, lineterminator="\n")


def read_generators(path: str | Path, ids: list[str]) -> np.ndarray:
    """Generator sites (EPSG:25832 metres) in the order of ``ids``."""
    table = pd.read_csv(path, dtype={"id": str}).set_index("id").reindex(ids)
    if table[["x_epsg25832", "y_epsg25832"]].isna().any().any():
        raise ValueError(f"{Path(path).name}: Generatorpunkte fehlen für {', '.join(table.index[table['x_epsg25832'].isna()])}")
    return table[["x_epsg25832", "y_epsg25832"]].to_numpy(dtype=float)


def write_schematic_geojson(districts: gpd.GeoDataFrame, out_path: str | Path) -> None:
    """Write the districts as RFC 7946 GeoJSON with 7 decimals (about 1 cm: coarser rounding opened
    square-metre overlaps between neighbours)."""
    districts = districts.copy()
    districts["geometry"] = districts.geometry.set_precision(1e-7)
    districts.to_file(out_path, driver="GeoJSON", RFC7946="YES", COORDINATE_PRECISION=7)


def stated_neighbours(path: str | Path) -> pd.DataFrame:
    """Neighbour relations stated by sources (``stadtteil, neighbour, source_url``), one row per stated pair.

    Bracketed remarks after a name are dropped; rows marked ``position only``
    (relative position, not a shared border) are left out.
    """
    frame = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    frame = frame[~frame["neighbour"].str.contains("position only", regex=False)].copy()
    frame["neighbour"] = frame["neighbour"].str.replace(r"\s*\[.*\]$", "", regex=True).str.strip()
    return frame[["stadtteil", "neighbour", "source_url"]].reset_index(drop=True)


def neighbour_agreement(districts: gpd.GeoDataFrame, relations: pd.DataFrame, tolerance_m: float = 1.0) -> pd.DataFrame:
    """For each stated pair of districts (both present by name): do their polygons share a border?

    Adds a boolean column ``grenzt`` (touch within ``tolerance_m`` metres, EPSG:25832);
    pairs with a name not in ``districts`` (e.g. neighbouring towns) are dropped.
    """
    shapes = dict(zip(districts["name"], districts.to_crs(METRIC_CRS).geometry))
    pairs = relations[relations["stadtteil"].isin(shapes) & relations["neighbour"].isin(shapes)].copy()
    pairs["grenzt"] = [shapes[a].buffer(tolerance_m).intersects(shapes[b]) for a, b in zip(pairs["stadtteil"], pairs["neighbour"])]
    return pairs.reset_index(drop=True)
