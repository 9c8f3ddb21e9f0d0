"""Constants and run-time settings (file locations, tile server).

Settings come from environment variables so that a deployment can swap the
district file or enable a tile server without touching code.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

METRIC_CRS = "EPSG:25832"
"""ETRS89 / UTM zone 32N: metres; used for every distance, area and buffer."""
DISPLAY_CRS = "EPSG:4326"
"""WGS84 longitude/latitude in degrees: used for storage and display."""

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
STATIC_DIR = PROJECT_DIR / "static"

# Minden's area with a margin of about 3 km (WGS84 degrees). Coordinates
# outside this box cannot belong to a Minden offer and are rejected early,
# before the exact point-in-polygon test.
MINDEN_BBOX = (8.75, 52.20, 9.07, 52.40)  # lon_min, lat_min, lon_max, lat_max

MAX_MAP_MARKERS = 20_000
"""Most offers drawn as single markers on one map (bench: 10,000 take 0.75 s to build and 1.3 MB).

Above it the map shows the districts only and asks the user to filter; the
list and the CSV download still hold every offer.
"""
MAX_TABLE_ROWS = 200
"""Rows of the table under the map; the list page, the CSV and the Excel download have all of them. 1,000 rows
(390 KB of HTML, sanitised in the browser's main thread) held the map of 10,000 offers back by about 0.6 s
(bench/README.md, "Zeit bis zur ersten Markierung")."""


@dataclass(frozen=True)
class Handlungsfeld:
    """One field of action of the Integrationskonzept, with its map style.

    ``color`` is a marker fill with at least 4.5:1 contrast against white text
    (WCAG AA); ``symbol`` is a letter drawn on the marker so that the fields
    are told apart without relying on colour.
    """

    key: str
    name: str
    color: str
    symbol: str


HANDLUNGSFELDER: tuple[Handlungsfeld, ...] = (
    Handlungsfeld("zusammenleben", "Zusammenleben und Teilhabe", "#A8322D", "Z"),
    Handlungsfeld("bildung", "Bildung", "#1F5BA6", "B"),
    Handlungsfeld("arbeit", "Arbeitsmarktintegration", "#2B6B2F", "A"),
    Handlungsfeld("wohnen", "Wohnen", "#6A3D9A", "W"),
)
HANDLUNGSFELD_BY_NAME = {hf.name: hf for hf in HANDLUNGSFELDER}


@dataclass(frozen=True)
class TileSettings:
    """A raster tile server. ``None`` everywhere means: no tiles, no third-party request."""

    url: str
    attribution: str
    consent: bool = True
    """Load tiles only after the visitor agrees on the map (a third-party server gets the visitor's IP address).
    ``QK_TILE_OHNE_ZUSTIMMUNG=1`` turns this off for a server of the operator's own."""

    @property
    def host(self) -> str:
        """The tile server's host name, as named to the visitor before they agree."""
        from urllib.parse import urlsplit

        return urlsplit(self.url.replace("{s}", "a")).hostname or self.url


@dataclass(frozen=True)
class Settings:
    stadtteile_path: Path
    stadtteile_name_column: str
    stadtteile_id_column: str | None
    angebote_path: Path
    sozialatlas_path: Path
    tiles: TileSettings | None
    gemeinde_path: Path = DATA_DIR / "minden_gemeinde.geojson"
    """Municipal outline; offer coordinates outside it are rejected."""
    geocoder_url: str | None = None
    """Nominatim-compatible search URL (e.g. ``https://nominatim.openstreetmap.org/search``); ``None``: no geocoding."""
    geocoder_cache: Path | None = None
    """The geocoder's answer cache (``QK_GEOCODER_CACHE``) shared by ``python -m geo geocode`` and the Redaktion;
    ``None``: ``data/geocode_cache.csv`` where writable, else ``var/geocode_cache.csv``
    (:func:`geo.exchange.geocode.app_cache_path`)."""
    legal_dir: Path = PROJECT_DIR / "config" / "rechtliches"
    """Folder with impressum.md, datenschutz.md, barrierefreiheit.md (``QK_RECHTSTEXTE``)."""
    database_url: str | None = None
    """Where offers live: ``sqlite`` (the embedded store in ``var/``, the default) or a SQLAlchemy URL (e.g.
    ``postgresql+psycopg2://…``), seeded once from ``angebote_path``; the Redaktion page edits them. ``None``
    (``QK_DATENBANK=aus``, or an operator's own ``QK_ANGEBOTE`` file without ``QK_DATENBANK``): the offers
    file is read as it is, read-only."""
    users_path: Path = PROJECT_DIR / "var" / "benutzer.toml"
    """Editor accounts (``QK_BENUTZER``), outside git."""
    public_url: str | None = None
    """Public address of the app (``QK_OEFFENTLICHE_URL``) for QR codes on printouts; ``None``: the address the
    visitor used."""


def _database_url(env: dict[str, str]) -> str | None:
    """``QK_DATENBANK`` as given; unset: the embedded store, unless the operator names an offers file of their own
    (``QK_ANGEBOTE``), which is then read as it is; ``aus``/``nein``/``0``: no store."""
    value = env.get("QK_DATENBANK", "").strip()
    if value.lower() in ("aus", "nein", "0", "off", "none"):
        return None
    if value:
        return value
    return None if env.get("QK_ANGEBOTE", "").strip() else "sqlite"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from environment variables (``QK_*``), with the shipped data as default."""
    env = dict(os.environ if env is None else env)
    tile_url = env.get("QK_TILE_URL", "").strip()
    tiles = None
    if tile_url:
        tiles = TileSettings(tile_url, env.get("QK_TILE_ATTRIBUTION", "").strip() or tile_url,
                             consent=env.get("QK_TILE_OHNE_ZUSTIMMUNG", "").strip().lower() not in ("1", "ja", "true"))
    return Settings(
        stadtteile_path=Path(env.get("QK_STADTTEILE", DATA_DIR / "stadtteile.geojson")),
        stadtteile_name_column=env.get("QK_STADTTEILE_NAMENSSPALTE", "name"),
        stadtteile_id_column=env.get("QK_STADTTEILE_IDSPALTE", "id") or None,
        angebote_path=Path(env.get("QK_ANGEBOTE", DATA_DIR / "angebote.csv")),
        sozialatlas_path=Path(env.get("QK_SOZIALATLAS", DATA_DIR / "sozialatlas.csv")),
        tiles=tiles,
        gemeinde_path=Path(env.get("QK_GEMEINDE", DATA_DIR / "minden_gemeinde.geojson")),
        geocoder_url=env.get("QK_GEOCODER_URL", "").strip() or None,
        geocoder_cache=Path(cache) if (cache := env.get("QK_GEOCODER_CACHE", "").strip()) else None,
        public_url=env.get("QK_OEFFENTLICHE_URL", "").strip() or None,
        database_url=_database_url(env),
        users_path=Path(env.get("QK_BENUTZER", PROJECT_DIR / "var" / "benutzer.toml")),
        legal_dir=Path(env.get("QK_RECHTSTEXTE", PROJECT_DIR / "config" / "rechtliches")),
    )
