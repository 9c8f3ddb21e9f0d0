"""The offers with a place as a GeoJSON FeatureCollection (RFC 7946), for GIS and other map software.

* Coordinates are WGS84 longitude, latitude (EPSG:4326, the only CRS RFC 7946
  allows; no ``crs`` member).
* One Point feature per offer with a place; ``id`` is the offer id. Offers
  with ``lage_genauigkeit = unbekannt`` have no coordinate and are left out;
  the top-level foreign members ``hinweis`` (a sentence) and
  ``angebote_ohne_ort`` (their number) say so, so that nobody takes the file
  for the complete list.
* ``properties`` hold the offer columns (:data:`geo.data.offers.OFFER_COLUMNS`
  without ``lat``/``lon``, which are the geometry) as text, plus the district
  from the spatial join where present. ``lage_genauigkeit`` is always there:
  a point may be only a district's reference point.
* Text is data: values are written as they are. No HTML escaping (JSON is not
  HTML) and no formula guard (JSON consumers are not spreadsheets), so a
  value like ``=HYPERLINK(…)`` arrives unchanged.
"""
from __future__ import annotations

import json

import pandas as pd

from geo.config import DISPLAY_CRS
from geo.data.attributes import cell_text
from geo.data.offers import OFFER_COLUMNS, UNLOCATED

PROPERTY_COLUMNS: tuple[str, ...] = tuple(c for c in OFFER_COLUMNS if c not in ("lat", "lon"))
JOIN_COLUMNS: tuple[str, ...] = ("stadtteil_id", "stadtteil_name")
"""Added to the properties when the offers carry them (see :func:`geo.analysis.join.assign_districts`)."""


def offers_geojson(offers: pd.DataFrame) -> bytes:
    """The offers that have a place as a GeoJSON FeatureCollection, UTF-8 (no BOM)."""
    points = offer_points(offers)
    columns = [*PROPERTY_COLUMNS, *(c for c in JOIN_COLUMNS if c in offers.columns)]
    features = []
    for row, point in zip(offers.to_dict("records"), points):
        if point is None:
            continue
        properties = {column: cell_text(row.get(column)) for column in columns}
        features.append({
            "type": "Feature",
            "id": cell_text(row.get("id")),
            "geometry": {"type": "Point", "coordinates": [point[0], point[1]]},
            "properties": properties,
        })
    without_place = len(points) - len(features)
    collection = {
        "type": "FeatureCollection",
        "hinweis": (f"{without_place} von {len(points)} Angeboten haben keinen bekannten Ort "
                    "(lage_genauigkeit „unbekannt“) und sind nicht enthalten. Bei lage_genauigkeit „stadtteil“ "
                    "ist der Punkt der Bezugspunkt des Stadtteils, bei „strasse“ ein Punkt an der Straße."),
        "angebote_ohne_ort": without_place,
        "features": features,
    }
    return json.dumps(collection, ensure_ascii=False, allow_nan=False).encode("utf-8")


def offer_points(offers: pd.DataFrame) -> list[tuple[float, float] | None]:
    """(lon, lat) in EPSG:4326 per offer; ``None`` without a usable point or with ``lage_genauigkeit = unbekannt``."""
    precision = [cell_text(v).strip().lower() for v in offers.get("lage_genauigkeit", pd.Series([""] * len(offers)))]
    if "geometry" in offers.columns and hasattr(offers, "to_crs"):
        frame = offers if offers.crs is None or offers.crs == DISPLAY_CRS else offers.to_crs(DISPLAY_CRS)
        coords = [None if g is None or g.is_empty else (float(g.x), float(g.y)) for g in frame.geometry]
    else:
        coords = []
        for row in offers.to_dict("records"):
            lat, lon = row.get("lat"), row.get("lon")
            ok = all(isinstance(v, (int, float)) and v == v and abs(v) != float("inf") for v in (lat, lon))
            coords.append((float(lon), float(lat)) if ok else None)
    return [None if p == UNLOCATED else c for c, p in zip(coords, precision)]
