"""One row per Stadtteil: population, indicators and offer counts side by side."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .config import HANDLUNGSFELDER
from .formatting import format_number
from .i18n import t
from .indicators import MAP_INDICATORS, district_band, indicator_unit
from .join import offer_counts


def district_overview(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, indicators: pd.DataFrame,
                      lang: str = "de") -> pd.DataFrame:
    """Translated table: Stadtteil, Einwohner (with date), indicator bands as text, offers per Handlungsfeld."""
    counts = offer_counts(offers, districts, [hf.name for hf in HANDLUNGSFELDER])
    rows = []
    for _, district in districts.iterrows():
        row = {t("spalte.stadtteil_name", lang): district["name"]}
        row[t("uebersicht.einwohner", lang)] = _population(indicators, district["id"], lang)
        for key in MAP_INDICATORS:
            band = district_band(indicators, district["id"], key)
            row[t(f"indikator.{key}", lang)] = band.label(indicator_unit(indicators, key), lang) if band else t("band.keine_angabe", lang)
        for hf in HANDLUNGSFELDER:
            row[t(f"handlungsfeld.{hf.key}", lang)] = int(counts.loc[district["id"], hf.name])
        row[t("uebersicht.angebote_gesamt", lang)] = int(counts.loc[district["id"], "gesamt"])
        row[t("uebersicht.geometrie", lang)] = district["geometrie"]
        rows.append(row)
    return pd.DataFrame(rows)


def _population(indicators: pd.DataFrame, district_id: str, lang: str) -> str:
    band = district_band(indicators, district_id, "einwohner")
    if band is None or band.value is None:
        return t("band.keine_angabe", lang)
    date = indicators.loc[(indicators["stadtteil_id"] == district_id) & (indicators["indikator"] == "einwohner"), "stichtag"].iloc[0]
    return t("uebersicht.einwohner_wert", lang, n=format_number(band.value, 0, lang), stichtag=date)
