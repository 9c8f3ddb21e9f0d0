"""A resident's chosen location: from the gazetteer, a map click or the browser, and as a URL value.

A location in a shared link is rounded to :data:`URL_DECIMALS` decimals
(about 110 m north–south and 70 m east–west in Minden) so that a link does not
reveal a home address.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.data.gazetteer import find_places
from geo.data.outline import lonlat_inside
from geo.text import german_sort_key, search_key

URL_DECIMALS = 3

_URL_VALUE = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Location:
    """A point in EPSG:4326 with what it stands for.

    ``quelle``: how it was set — ``ort`` (gazetteer entry), ``karte`` (map click or the browser's location,
    which arrives as a click) or ``link`` (a shared link).

    ``label`` is the gazetteer name (empty for a click or the device);
    ``genauigkeit`` the gazetteer precision (``adresse``/``strasse``/``stadtteil``), empty otherwise.
    """

    lat: float
    lon: float
    quelle: str
    label: str = ""
    genauigkeit: str = ""

    def rounded(self) -> Location:
        """The same location with coordinates rounded as in a shared link."""
        return Location(round(self.lat, URL_DECIMALS), round(self.lon, URL_DECIMALS), self.quelle, self.label,
                        self.genauigkeit)

    def url_value(self) -> str:
        """``"lat,lon"`` rounded to :data:`URL_DECIMALS` decimals, e.g. ``"52.289,8.916"``."""
        r = self.rounded()
        return f"{r.lat:.{URL_DECIMALS}f},{r.lon:.{URL_DECIMALS}f}"


def location_from_url(value: str | None) -> Location | None:
    """The location in a ``?ort=lat,lon`` value, rounded; ``None`` for anything else (no error for a bad link)."""
    match = _URL_VALUE.match(value or "")
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Location(lat, lon, "link").rounded()


def inside_minden(location: Location) -> bool:
    """True if the point lies inside the municipal outline (BKG VG250)."""
    return bool(lonlat_inside(np.array([location.lon]), np.array([location.lat]))[0])


def place_label(entry: pd.Series) -> str:
    """How a gazetteer entry is offered in the location search: ``"Name (Stadtteil)"``."""
    name, district = str(entry["name"]), str(entry.get("stadtteil", "") or "")
    return f"{name} ({district})" if district and district != name else name


def place_choices(gazetteer: pd.DataFrame) -> dict[str, str]:
    """Gazetteer id → label for the search box, districts first, then places and streets, each alphabetical."""
    order = {"stadtteil": 0, "ort": 1, "strasse": 2}
    rows = sorted(gazetteer.itertuples(index=False),
                  key=lambda r: (order.get(r.art, 3), german_sort_key(r.name)))
    return {r.id: place_label(pd.Series(r._asdict())) for r in rows}


def location_from_place(gazetteer: pd.DataFrame, place_id: str) -> Location | None:
    """The location of one gazetteer entry, or ``None`` if the id is unknown."""
    hit = gazetteer[gazetteer["id"] == place_id]
    if hit.empty:
        return None
    row = hit.iloc[0]
    return Location(float(row["lat"]), float(row["lon"]), "ort", place_label(row), str(row["genauigkeit"]))


def resolve_place_text(gazetteer: pd.DataFrame, text: str, limit: int = 5) -> tuple[Location | None, pd.DataFrame]:
    """A free-typed place name → its location when it is unambiguous, plus the matching entries as suggestions
    (tolerant search, see :func:`geo.data.gazetteer.find_places`).

    Unambiguous: exactly one entry has this name, else exactly one entry's name starts with it
    (``"Bärenk"`` → Bärenkämpen, although "Sieben Bauern (Bärenkämpen)" matches too), else only one entry matches.
    """
    hits = find_places(gazetteer, text, limit=len(gazetteer))
    if hits.empty:
        return None, hits
    key = search_key(text)
    names = hits["name"].map(search_key)
    for candidates in (hits[names == key], hits[names.str.startswith(key)]):
        if len(candidates) == 1:
            return location_from_place(gazetteer, candidates.iloc[0]["id"]), hits.head(limit)
    if len(hits) == 1:
        return location_from_place(gazetteer, hits.iloc[0]["id"]), hits
    return None, hits.head(limit)
