"""The point-in-polygon join that :func:`geo.data.district_upload.check_district_upload` needs to tell which offers
would change their Stadtteil. The check lives in ``geo.data`` (the store may call it), the join here in
``geo.analysis``; passing this function in keeps one rule for points on a border (first district in file order)."""
from __future__ import annotations

import geopandas as gpd

from geo.analysis.join import assign_districts


def assign_offers(offers: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``offers`` (EPSG:4326) with ``stadtteil_id``/``stadtteil_name`` from ``districts`` (EPSG:4326), empty text
    outside every polygon and for offers without location; see :func:`geo.analysis.join.assign_districts`."""
    return assign_districts(offers, districts).offers
