"""The municipal outline of Minden (BKG VG250, AGS 05770024).

Used as the area that schematic districts must fill and to reject offer
coordinates outside the city. The shipped file is ``data/minden_gemeinde.geojson``
(EPSG:4326, unmodified copy of ``shared/sources/minden_gemeinde_vg250.geojson``;
licence dl-de/by-2-0, © GeoBasis-DE / BKG).
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.config import DATA_DIR, DISPLAY_CRS, METRIC_CRS

OUTLINE_PATH = DATA_DIR / "minden_gemeinde.geojson"


@lru_cache(maxsize=4)
def read_outline(path: str | Path = OUTLINE_PATH, crs: str = METRIC_CRS) -> BaseGeometry:
    """The union of all features in ``path`` as one (Multi)Polygon in ``crs`` (default EPSG:25832, metres).

    Cached per path and CRS: the geometry is immutable and read by every offer check.
    """
    frame = gpd.read_file(path)
    if frame.crs is None:
        frame = frame.set_crs(DISPLAY_CRS)
    return shapely.make_valid(frame.to_crs(crs).union_all())


def lonlat_inside(lons: Sequence[float] | np.ndarray, lats: Sequence[float] | np.ndarray,
                  path: str | Path = OUTLINE_PATH) -> np.ndarray:
    """Boolean mask: which WGS84 points (degrees) lie inside or on the outline.

    Tested in EPSG:4326 directly: the outline's vertices are WGS84 values, so
    reprojecting the points would only add rounding.
    """
    outline = read_outline(path, DISPLAY_CRS)
    shapely.prepare(outline)
    points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    return shapely.intersects(outline, points)
