"""All data the app needs, loaded and cross-checked in one call."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.analysis.filters import SEARCH_TEXT, search_haystack
from geo.analysis.join import assign_districts
from geo.config import Settings, load_settings
from geo.data.districts import is_schematic, read_districts
from geo.data.indicators import read_indicators
from geo.data.offers import parse_offers, read_offers
from geo.data.problems import DataFileError, Problem
from geo.text import german_sort_key

MAX_OFFERS_FILE_BYTES = 64 * 1024 * 1024
"""Largest offer file the app reads (64 MiB, about 150,000 offers of the shipped kind).

The loader validates row by row in Python and keeps everything in memory; a
1,000,000-row file took 68 s and 4 GiB per process. A city of Minden's size
has a few thousand offers at most, so a larger file is almost certainly a
mistake (wrong export) or needs the database store instead.
"""


@dataclass(frozen=True)
class LoadedFile:
    """One input file as loaded: its role (``angebote``, ``stadtteile``, ``sozialatlas``), path, and
    whether it is the file shipped in ``data/`` (only then does ``data/SOURCES.md`` describe it)."""

    role: str
    path: Path
    shipped: bool
    shipped_path: Path
    """The file that ships in ``data/`` for this role (documented in ``data/SOURCES.md``)."""


@dataclass
class Dataset:
    """Districts and offers in EPSG:4326; offers carry ``stadtteil_id``/``stadtteil_name`` from the spatial join."""

    districts: gpd.GeoDataFrame
    offers: gpd.GeoDataFrame
    indicators: pd.DataFrame
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    """File name → rejected rows (with ``zeile`` and ``grund``)."""
    problems: list[Problem] = field(default_factory=list)
    files: tuple[LoadedFile, ...] = ()

    @property
    def schematic(self) -> bool:
        return is_schematic(self.districts)


def load_dataset(settings: Settings) -> Dataset:
    """Load districts, offers and indicators; raises :class:`geo.data.problems.DataFileError` if a file is unusable."""
    districts = read_districts(settings.stadtteile_path, settings.stadtteile_name_column, settings.stadtteile_id_column)
    if settings.database_url:
        # The store holds validated offers; reading them through the same loader keeps one set of rules (a row
        # fails only when the rules changed, e.g. another city outline). Named like the seed file so that pages
        # find its report; line numbers then count in the store's export (ordered by id), not in that file.
        offers = parse_offers(open_store(settings).offers_csv(), Path(settings.angebote_path).name,
                              settings.gemeinde_path)
    else:
        check_file_size(settings.angebote_path, MAX_OFFERS_FILE_BYTES)
        offers = read_offers(settings.angebote_path, settings.gemeinde_path)
    indicators = read_indicators(settings.sozialatlas_path, set(districts.districts["id"]))
    joined = assign_districts(offers.offers, districts.districts, offers.datei)
    joined.offers[SEARCH_TEXT] = search_haystack(joined.offers)  # once per load, not per keystroke
    return Dataset(
        districts=districts.districts,
        offers=joined.offers,
        indicators=indicators.indicators,
        rejected={districts.datei: districts.rejected, offers.datei: offers.rejected, indicators.datei: indicators.rejected},
        problems=[*districts.problems, *offers.problems, *joined.problems, *indicators.problems],
        files=loaded_files(settings),
    )


def open_store(settings: Settings):
    """The offer store of ``settings`` (``QK_DATENBANK``), created and seeded from the offers file on first use."""
    from geo.store.offer_store import Store

    url = None if settings.database_url == "sqlite" else settings.database_url
    return Store.open(url, seed_csv=settings.angebote_path)


def loaded_files(settings: Settings) -> tuple[LoadedFile, ...]:
    """The three input files of ``settings``, each marked shipped or not by comparing with the default settings."""
    shipped = load_settings({})
    pairs = (("angebote", settings.angebote_path, shipped.angebote_path),
             ("stadtteile", settings.stadtteile_path, shipped.stadtteile_path),
             ("sozialatlas", settings.sozialatlas_path, shipped.sozialatlas_path))
    return tuple(LoadedFile(role, Path(path), _same_file(path, default), Path(default)) for role, path, default in pairs)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def check_file_size(path: str | Path, limit: int) -> None:
    """Raise :class:`DataFileError` if ``path`` is larger than ``limit`` bytes (checked before reading)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        return  # the loader reports a missing or unreadable file with its own message
    if size > limit:
        raise DataFileError(Problem(path.name, None, None,
                                    f"Datei ist {size / 1024 / 1024:.0f} MiB groß; die App liest höchstens "
                                    f"{limit / 1024 / 1024:.0f} MiB (etwa 150.000 Angebote). Bitte die richtige "
                                    "Datei wählen oder die Angebote aufteilen."))


def district_options(data: Dataset) -> dict[str, str]:
    """District id → name, in German alphabetical order (Königstor before Kutenhausen)."""
    pairs = sorted(zip(data.districts["id"], data.districts["name"]), key=lambda pair: german_sort_key(pair[1]))
    return dict(pairs)
