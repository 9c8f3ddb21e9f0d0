"""One row per Stadtteil: population, indicators and offer counts side by side."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .config import HANDLUNGSFELDER
from .formatting import format_number
from .i18n import t
from .indicators import MAP_INDICATORS, bands_by_district, indicator_unit
from .join import offer_counts


def district_overview(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, indicators: pd.DataFrame,
                      lang: str = "de") -> pd.DataFrame:
    """Translated table: Stadtteil, Einwohner (with date), indicator bands as text, offers per Handlungsfeld."""
    counts = offer_counts(offers, districts, [hf.name for hf in HANDLUNGSFELDER])
    ids = list(districts["id"])
    bands = {key: bands_by_district(indicators, ids, key) for key in (*MAP_INDICATORS, "einwohner")}
    population_rows = indicators[indicators["indikator"] == "einwohner"]
    population_dates = dict(zip(population_rows["stadtteil_id"], population_rows["stichtag"]))
    rows = []
    for _, district in districts.iterrows():
        row = {t("spalte.stadtteil_name", lang): district["name"]}
        row[t("uebersicht.einwohner", lang)] = _population(bands["einwohner"][district["id"]],
                                                          population_dates.get(district["id"], ""), lang)
        for key in MAP_INDICATORS:
            band = bands[key][district["id"]]
            row[t(f"indikator.{key}", lang)] = band.label(indicator_unit(indicators, key), lang) if band else t("band.keine_angabe", lang)
        for hf in HANDLUNGSFELDER:
            row[t(f"handlungsfeld.{hf.key}", lang)] = int(counts.loc[district["id"], hf.name])
        row[t("uebersicht.angebote_gesamt", lang)] = int(counts.loc[district["id"], "gesamt"])
        row[t("uebersicht.geometrie", lang)] = district["geometrie"]
        rows.append(row)
    return pd.DataFrame(rows)


def _population(band, stichtag: str, lang: str) -> str:
    if band is None or band.value is None:
        return t("band.keine_angabe", lang)
    return t("uebersicht.einwohner_wert", lang, n=format_number(band.value, 0, lang), stichtag=stichtag)
