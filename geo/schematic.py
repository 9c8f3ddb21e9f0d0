"""Schematic Stadtteil polygons from reference points.

No official district boundaries can be obtained offline, so the shipped
``stadtteile.geojson`` is an honestly labelled approximation:

1. city outline = convex hull of the 19 reference points, buffered outwards
   by the distance (found by bisection) that makes its area equal to the
   official city area (101.12 km²);
2. one Voronoi cell per reference point, clipped to that outline.

Every feature carries ``geometrie = "schematisch"``. All computation is in
EPSG:25832 (metres); output is EPSG:4326.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from .config import DISPLAY_CRS, METRIC_CRS
from .districts import SCHEMATIC

MINDEN_AREA_KM2 = 101.12
"""City area (Wikipedia infobox, see data/SOURCES.md)."""


def read_reference_points(path: str | Path) -> gpd.GeoDataFrame:
    """Reference points (``id, name, lat, lon, koordinaten_genauigkeit, quelle``) as EPSG:4326 points."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float)), crs=DISPLAY_CRS
    )


def outline_with_area(points_metric: gpd.GeoSeries, area_m2: float, tolerance_m2: float = 1_000.0) -> shapely.Polygon:
    """Convex hull of the points buffered so that its area is ``area_m2`` (± tolerance), EPSG:25832."""
    hull = shapely.convex_hull(shapely.MultiPoint(list(points_metric)))
    if hull.area >= area_m2:
        raise ValueError("Die Punkte umschließen schon mehr als die Zielfläche.")
    low, high = 0.0, 20_000.0
    while True:
        mid = (low + high) / 2
        shape = hull.buffer(mid, quad_segs=16)
        if abs(shape.area - area_m2) <= tolerance_m2 or high - low < 0.01:
            return shape
        low, high = (mid, high) if shape.area < area_m2 else (low, mid)


def schematic_districts(points: gpd.GeoDataFrame, area_km2: float = MINDEN_AREA_KM2) -> gpd.GeoDataFrame:
    """Voronoi cells of the reference points inside the area-matched outline (EPSG:4326).

    Returns columns ``id, name, geometrie, quelle, geometry``; cells are valid,
    do not overlap and together cover the outline exactly.
    """
    metric = points.to_crs(METRIC_CRS)
    outline = outline_with_area(metric.geometry, area_km2 * 1_000_000)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(metric.geometry)), extend_to=outline)
    by_point = []
    for point in metric.geometry:
        cell = next(c for c in cells.geoms if c.contains(point))
        by_point.append(shapely.intersection(cell, outline))
    result = gpd.GeoDataFrame(
        {
            "id": metric["id"].to_numpy(),
            "name": metric["name"].to_numpy(),
            "geometrie": SCHEMATIC,
            "quelle": "Schematisch: Voronoi-Zellen der Stadtteil-Bezugspunkte (data/stadtteile_bezugspunkte.csv) "
            f"in einem flächentreuen Umriss ({area_km2:.2f} km²); keine amtlichen Grenzen.",
        },
        geometry=by_point,
        crs=METRIC_CRS,
    )
    return result.to_crs(DISPLAY_CRS)


def write_schematic_geojson(points_csv: str | Path, out_path: str | Path) -> gpd.GeoDataFrame:
    """Build the schematic districts from a reference-point CSV and write them as GeoJSON."""
    districts = schematic_districts(read_reference_points(points_csv))
    districts["geometry"] = districts.geometry.set_precision(1e-6)
    districts.to_file(out_path, driver="GeoJSON", RFC7946="YES", COORDINATE_PRECISION=6)
    return districts


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
