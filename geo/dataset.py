"""All data the app needs, loaded and cross-checked in one call."""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from .config import Settings
from .districts import is_schematic, read_districts
from .indicators import read_indicators
from .join import assign_districts
from .offers import read_offers
from .problems import Problem


@dataclass
class Dataset:
    """Districts and offers in EPSG:4326; offers carry ``stadtteil_id``/``stadtteil_name`` from the spatial join."""

    districts: gpd.GeoDataFrame
    offers: gpd.GeoDataFrame
    indicators: pd.DataFrame
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    """File name → rejected rows (with ``zeile`` and ``grund``)."""
    problems: list[Problem] = field(default_factory=list)

    @property
    def schematic(self) -> bool:
        return is_schematic(self.districts)


def load_dataset(settings: Settings) -> Dataset:
    """Load districts, offers and indicators; raises :class:`geo.problems.DataFileError` if a file is unusable."""
    districts = read_districts(settings.stadtteile_path, settings.stadtteile_name_column, settings.stadtteile_id_column)
    offers = read_offers(settings.angebote_path)
    indicators = read_indicators(settings.sozialatlas_path, set(districts.districts["id"]))
    joined = assign_districts(offers.offers, districts.districts, offers.datei)
    return Dataset(
        districts=districts.districts,
        offers=joined.offers,
        indicators=indicators.indicators,
        rejected={districts.datei: districts.rejected, offers.datei: offers.rejected, indicators.datei: indicators.rejected},
        problems=[*districts.problems, *offers.problems, *joined.problems, *indicators.problems],
    )
