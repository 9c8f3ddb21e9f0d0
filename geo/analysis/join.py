"""Spatial join of offers to Stadtteile (point in polygon, EPSG:25832)."""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.config import METRIC_CRS
from geo.data.problems import Problem


@dataclass
class JoinResult:
    """``offers`` gains ``stadtteil_id`` and ``stadtteil_name`` (from the polygons);
    ``outside`` holds located offers lying in no polygon (they keep empty ids and stay in ``offers``).
    Offers without a location keep empty ids and are not reported."""

    offers: gpd.GeoDataFrame
    outside: gpd.GeoDataFrame
    problems: list[Problem]


def assign_districts(offers: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, datei: str = "angebote.csv") -> JoinResult:
    """Assign every offer point to the district polygon containing it.

    Computed in EPSG:25832. A point on a shared border goes to the first
    matching district in file order. Offers outside every polygon are
    reported (``fehler``-free: they stay loaded but unassigned), and an offer
    whose stated ``stadtteil`` differs from its polygon gets a notice.
    """
    located = has_location(offers)
    points = offers.geometry[located].to_crs(METRIC_CRS)
    polys = districts.geometry.to_crs(METRIC_CRS)
    point_idx, poly_idx = polys.sindex.query(points.to_numpy(), predicate="intersects")
    # first district in file order for points on a shared border
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    ids = np.full(len(offers), "", dtype=object)
    names = np.full(len(offers), "", dtype=object)
    rows = np.flatnonzero(located.to_numpy())[point_idx[first]]
    ids[rows] = districts["id"].to_numpy()[poly_idx[first]]
    names[rows] = districts["name"].to_numpy()[poly_idx[first]]
    result = offers.assign(stadtteil_id=ids, stadtteil_name=names)
    problems = []
    outside_mask = (result["stadtteil_id"] == "") & located
    for _, row in result[outside_mask].iterrows():
        problems.append(Problem(datei, _line(row), "lat", f"„{row['name']}“ liegt in keinem Stadtteil-Polygon.", "hinweis"))
    if "stadtteil" in result.columns:
        stated = result["stadtteil"].fillna("").astype(str)
        differs = located & (~outside_mask) & (stated != "") & (stated != result["stadtteil_name"])
        for _, row in result[differs].iterrows():
            problems.append(Problem(
                datei, _line(row), "stadtteil",
                f"„{row['name']}“: angegeben „{row['stadtteil']}“, die Koordinate liegt aber in „{row['stadtteil_name']}“.",
                "hinweis",
            ))
    return JoinResult(result, result[outside_mask], problems)


def has_location(offers: gpd.GeoDataFrame) -> pd.Series:
    """True for offers with a point; offers with ``lage_genauigkeit = unbekannt`` have none."""
    return offers.geometry.notna() & ~offers.geometry.is_empty


def offer_counts(offers: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, handlungsfelder: list[str]) -> pd.DataFrame:
    """Offers per district (rows, in district order) and Handlungsfeld (columns), plus ``gesamt``.

    ``offers`` must already carry ``stadtteil_id`` (see :func:`assign_districts`).
    """
    table = pd.crosstab(offers["stadtteil_id"], offers["handlungsfeld"]) if not offers.empty else pd.DataFrame()
    table = table.reindex(index=list(districts["id"]), columns=handlungsfelder, fill_value=0).fillna(0).astype(int)
    table["gesamt"] = table.sum(axis=1)
    table.index.name = "stadtteil_id"
    return table


def _line(row: pd.Series) -> int | None:
    value = row.get("zeile")
    return int(value) if value is not None and pd.notna(value) else None
