"""The offline gazetteer (``data/gazetteer.csv``): places and streets of Minden with a sourced coordinate.

There is no geocoder offline. Every entry carries the coordinate a source
gives (EPSG:4326), its precision (``adresse`` = this building/place,
``strasse`` = a point on the street, ``stadtteil`` = the Stadtbezirk's
reference point because a source names only the district), the source URL,
date, licence and the quoted text. Offers are placed from these entries; the
resident's location search will use them too.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.config import DATA_DIR
from geo.data.offers import LAGE_GENAUIGKEITEN
from geo.data.outline import lonlat_inside
from geo.text import search_key, search_keys

GAZETTEER_PATH = DATA_DIR / "gazetteer.csv"
GAZETTEER_COLUMNS = ("id", "name", "art", "strasse", "stadtteil", "lat", "lon", "genauigkeit", "quelle",
                     "quelle_datum", "lizenz", "zitat")
ARTEN = ("stadtteil", "ort", "strasse")


def read_gazetteer(path: str | Path = GAZETTEER_PATH) -> pd.DataFrame:
    """The gazetteer with float ``lat``/``lon``; raises ``ValueError`` naming the line of any invalid entry.

    The file is project data (not user input), so a broken entry is a build
    error, not a row to skip.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in GAZETTEER_COLUMNS if c not in frame]
    if missing:
        raise ValueError(f"{Path(path).name}: Spalten fehlen: {', '.join(missing)}")
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    inside = lonlat_inside(frame["lon"].fillna(0).to_numpy(), frame["lat"].fillna(0).to_numpy())
    for line, (_, row), ok in zip(range(2, len(frame) + 2), frame.iterrows(), inside):
        problems = [p for p, bad in (
            ("Koordinate fehlt oder liegt außerhalb Minden", not ok),
            (f"art „{row['art']}“ unbekannt", row["art"] not in ARTEN),
            (f"genauigkeit „{row['genauigkeit']}“ unbekannt", row["genauigkeit"] not in LAGE_GENAUIGKEITEN[:-1]),
            ("Quelle, Lizenz oder Zitat fehlt", not (row["quelle"] and row["lizenz"] and row["zitat"])),
        ) if bad]
        if problems:
            raise ValueError(f"{Path(path).name}, Zeile {line}: {'; '.join(problems)}")
    if frame["id"].duplicated().any():
        raise ValueError(f"{Path(path).name}: doppelte id {frame.loc[frame['id'].duplicated(), 'id'].iloc[0]}")
    return frame


def find_places(gazetteer: pd.DataFrame, query: str, limit: int = 10) -> pd.DataFrame:
    """Entries whose name or street contains every word of ``query`` (tolerant, see :func:`geo.text.search_key`),
    most precise first."""
    words = [w for w in map(search_key, query.split()) if w]
    if not words:
        return gazetteer.iloc[0:0]
    haystack = search_keys(gazetteer["name"] + " " + gazetteer["strasse"] + " " + gazetteer["stadtteil"])
    mask = pd.Series(True, index=gazetteer.index)
    for word in words:
        mask &= haystack.str.contains(word, regex=False)
    order = {"adresse": 0, "strasse": 1, "stadtteil": 2}
    hits = gazetteer[mask]
    return hits.iloc[hits["genauigkeit"].map(order).argsort(kind="stable")].head(limit)
