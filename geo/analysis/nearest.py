"""Nearest offers to a location: straight-line metres in EPSG:25832 and estimated walking minutes.

The walking estimate is the one formula the app uses everywhere (list, detail,
handout); the page states its assumptions with :data:`WALK_SPEED_KMH` and
:data:`DETOUR_FACTOR`.

One distance rule for the nearest list and the handout: an offer whose place is only its district
(``lage_genauigkeit`` ``stadtteil``: the point is the district's reference point) in the district where the
resident is gets :data:`IN_DISTRICT_COLUMN` set, and is shown as "in your district", never as a distance —
from a point in the same district, the metres to the reference point say nothing about the way to the offer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.analysis.join import has_location
from geo.config import DISPLAY_CRS, METRIC_CRS

WALK_SPEED_KMH = 4.5
"""Assumed walking speed (a common planning value for adults; slower with small children or a walking aid)."""
DETOUR_FACTOR = 1.3
"""Street distance ÷ straight-line distance assumed for walking: paths rarely run straight."""

DISTANCE_COLUMN = "distanz_m"
MINUTES_COLUMN = "gehminuten"
IN_DISTRICT_COLUMN = "im_stadtteil"
"""True for an offer known only by its district when that is the resident's district (see the module text)."""

_TO_METRIC = Transformer.from_crs(DISPLAY_CRS, METRIC_CRS, always_xy=True)


def walking_minutes(distance_m: float | np.ndarray) -> int | np.ndarray:
    """Estimated walking time in whole minutes (rounded up) for a straight-line distance in metres.

    ``minutes = ceil(distance_m × DETOUR_FACTOR / (WALK_SPEED_KMH × 1000 / 60))``; 0 m is 0 minutes.
    Hand-checked: 750 m → 750 × 1.3 / 75 = 13.0 → 13 min; 100 m → 1.73 → 2 min.
    """
    metres_per_minute = WALK_SPEED_KMH * 1000 / 60
    minutes = np.ceil(np.round(np.asarray(distance_m, dtype=float) * DETOUR_FACTOR / metres_per_minute, 9))
    return int(minutes) if np.ndim(minutes) == 0 else minutes.astype(int)


def to_metric(lon: float, lat: float) -> tuple[float, float]:
    """EPSG:4326 longitude/latitude (degrees) → EPSG:25832 easting/northing (metres)."""
    x, y = _TO_METRIC.transform(lon, lat)
    return float(x), float(y)


@dataclass(frozen=True)
class OfferPoints:
    """The located offers projected once to EPSG:25832: ``xy`` (n, 2) metres and their ``labels`` in ``offers``."""

    xy: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def offer_points(offers: gpd.GeoDataFrame) -> OfferPoints:
    """Project the offers that have a location (see :func:`geo.analysis.join.has_location`) to EPSG:25832."""
    located = offers[has_location(offers)]
    if located.empty:
        return OfferPoints(np.empty((0, 2)), np.empty(0, dtype=object))
    xy = shapely.get_coordinates(located.geometry.to_crs(METRIC_CRS).to_numpy())
    return OfferPoints(xy, located.index.to_numpy())


def nearest_labels(points: OfferPoints, x: float, y: float, k: int | None = 10) -> tuple[np.ndarray, np.ndarray]:
    """Labels and distances (metres) of the ``k`` offers nearest to ``(x, y)`` in EPSG:25832, nearest first.

    ``k=None`` returns all. Ties are broken by position in the offer table, so
    the order is stable. One vectorised pass over all points: for a single
    query this beats a spatial index up to far more offers than a city has
    (bench: 10,000 offers well under a millisecond).
    """
    if len(points) == 0:
        return np.empty(0, dtype=object), np.empty(0)
    dist = np.hypot(points.xy[:, 0] - x, points.xy[:, 1] - y)
    n = len(dist) if k is None else min(k, len(dist))
    if n < len(dist):
        # argpartition picks any of several offers tied at the k-th distance: keep all of them, sort, cut.
        kth = dist[np.argpartition(dist, n - 1)[n - 1]]
        candidates = np.flatnonzero(dist <= kth)
    else:
        candidates = np.arange(len(dist))
    order = candidates[np.lexsort((candidates, dist[candidates]))][:n]
    return points.labels[order], dist[order]


def nearest_offers(offers: gpd.GeoDataFrame, lon: float, lat: float, k: int | None = 10,
                   points: OfferPoints | None = None, home_district: str | None = None) -> gpd.GeoDataFrame:
    """The ``k`` located offers nearest to ``lon``/``lat`` (EPSG:4326), nearest first, with
    :data:`DISTANCE_COLUMN` (straight-line metres, computed in EPSG:25832), :data:`MINUTES_COLUMN` and
    :data:`IN_DISTRICT_COLUMN` (needs ``home_district``, the id of the district at ``lon``/``lat``, see
    :func:`district_at`; without it the column is all false).

    ``points`` may be passed when ``offers`` was projected before (:func:`offer_points` of the same frame).
    Offers without a location are not in the result; the caller lists them separately.
    """
    points = offer_points(offers) if points is None else points
    labels, dist = nearest_labels(points, *to_metric(lon, lat), k=k)
    result = offers.loc[labels].copy() if len(labels) else offers.iloc[0:0].copy()
    result[DISTANCE_COLUMN] = dist
    result[MINUTES_COLUMN] = walking_minutes(dist) if len(dist) else pd.Series(dtype=int)
    in_district = pd.Series(False, index=result.index)
    if home_district and len(result) and {"lage_genauigkeit", "stadtteil_id"} <= set(result.columns):
        in_district = (result["lage_genauigkeit"] == "stadtteil") & (result["stadtteil_id"] == home_district)
    result[IN_DISTRICT_COLUMN] = in_district.astype(bool)
    return result


def district_at(districts: gpd.GeoDataFrame, lon: float, lat: float) -> str | None:
    """The ``id`` of the district (EPSG:4326 polygons) that contains ``lon``/``lat``, ``None`` outside all
    (a point on a shared edge belongs to the first district in the table)."""
    if districts.empty:
        return None
    hits = districts.index[districts.geometry.intersects(shapely.Point(lon, lat))]
    return str(districts.loc[hits[0], "id"]) if len(hits) else None


def round_distance_m(distance_m: float) -> int:
    """Distance for display: to 10 m below 1 km, to 50 m above (the coordinates are not more exact than that)."""
    step = 10 if distance_m < 1000 else 50
    return int(step * round(distance_m / step))


def within(offers_with_distance: pd.DataFrame, max_distance_m: float) -> pd.DataFrame:
    """Rows of a :func:`nearest_offers` result no farther than ``max_distance_m`` metres."""
    return offers_with_distance[offers_with_distance[DISTANCE_COLUMN] <= max_distance_m + 1e-9]


def distance_m(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> float:
    """Straight-line distance in metres between two EPSG:4326 points, measured in EPSG:25832."""
    xa, ya = to_metric(lon_a, lat_a)
    xb, yb = to_metric(lon_b, lat_b)
    return math.hypot(xa - xb, ya - yb)
