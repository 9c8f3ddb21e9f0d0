"""One row per Stadtteil: population, indicators and offer counts side by side, plus city and "ohne Ort" rows."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.join import has_location, offer_counts
from geo.config import HANDLUNGSFELDER
from geo.data.indicators import MAP_INDICATORS, bands_by_district, indicator_unit
from geo.i18n import t
from geo.text import german_sort_key, parse_decimal

CITY_ID = "minden"
"""``stadtteil_id`` of the city-wide rows in ``sozialatlas.csv``."""


def district_overview(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, indicators: pd.DataFrame,
                      lang: str = "de") -> pd.DataFrame:
    """Translated table, one row per district (German alphabetical order), then the whole city, then offers without a place.

    Columns: name; population (number, ``<NA>`` where unknown) and its date in
    a separate column; the indicator bands as text (a band stays a band);
    offers per Handlungsfeld and in total (numbers); offers per 1,000
    inhabitants (one decimal, ``<NA>`` where the population is unknown — not 0);
    the geometry status. The city row counts every offer, placed or not; the
    "ohne Ort" row counts the offers no source places (they belong to no
    district), so the district rows plus this row add up to the city row.
    """
    located = offers[has_location(offers)] if len(offers) else offers
    counts = offer_counts(located, districts, [hf.name for hf in HANDLUNGSFELDER])
    ids = [*districts["id"], CITY_ID]
    bands = {key: bands_by_district(indicators, ids, key) for key in MAP_INDICATORS}
    population = latest_population(indicators)

    col = {key: t(f"uebersicht.{key}", lang) for key in ("einwohner", "stichtag", "angebote_gesamt", "je_1000", "geometrie")}
    name_col = t("spalte.stadtteil_name", lang)

    def row(name: str, district_id: str | None, per_field: dict[str, int], geometry: str) -> dict:
        # the "ohne Ort" row (district_id None) has no population
        inhabitants, as_of = population.get(district_id, (None, "")) if district_id is not None else (None, "")
        out: dict = {name_col: name, col["einwohner"]: inhabitants, col["stichtag"]: as_of}
        for key in MAP_INDICATORS:
            band = bands[key].get(district_id) if district_id else None
            out[t(f"indikator.{key}", lang)] = band.label(indicator_unit(indicators, key), lang) if band else t("band.keine_angabe", lang)
        for hf in HANDLUNGSFELDER:
            out[t(f"handlungsfeld.{hf.key}", lang)] = per_field[hf.name]
        total = sum(per_field.values())
        out[col["angebote_gesamt"]] = total
        out[col["je_1000"]] = round(total / inhabitants * 1000, 1) if inhabitants else None
        out[col["geometrie"]] = geometry
        return out

    rows = []
    order = sorted(range(len(districts)), key=lambda i: german_sort_key(str(districts["name"].iloc[i])))
    for i in order:
        district = districts.iloc[i]
        per_field = {hf.name: int(counts.loc[district["id"], hf.name]) for hf in HANDLUNGSFELDER}
        rows.append(row(district["name"], district["id"], per_field, _geometry_label(district.get("geometrie"), lang)))
    rows.append(row(t("uebersicht.stadt_gesamt", lang), CITY_ID, _per_field(offers), ""))
    rows.append(row(t("uebersicht.ohne_ort", lang), None, _per_field(offers[~has_location(offers)] if len(offers) else offers), ""))

    table = pd.DataFrame(rows)
    table[col["einwohner"]] = table[col["einwohner"]].astype("Int64")
    table[col["je_1000"]] = table[col["je_1000"]].astype("Float64")
    return table


def _per_field(offers: pd.DataFrame) -> dict[str, int]:
    counts = offers["handlungsfeld"].value_counts() if len(offers) else pd.Series(dtype=int)
    return {hf.name: int(counts.get(hf.name, 0)) for hf in HANDLUNGSFELDER}


def latest_population(indicators: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """``{stadtteil_id: (inhabitants, date)}`` from the newest exact ``einwohner`` row per area.

    The sources give populations at different dates (the city: 84,158 on
    31.12.2019 and 83,100 on 31.12.2023); the newest one is used and its date shown.
    """
    rows = indicators[indicators["indikator"] == "einwohner"].copy()
    # an inhabitants figure given only as a range is not a population to divide by: it counts as unknown
    rows["zahl"] = rows["wert"].map(parse_decimal)
    rows = rows[rows["zahl"].map(lambda v: v is not None and np.isfinite(v))]
    newest = rows.sort_values("stichtag").groupby("stadtteil_id").tail(1)
    return {r.stadtteil_id: (float(r.zahl), str(r.stichtag)) for r in newest.itertuples()}


def _geometry_label(value: object, lang: str) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return t(f"geometrie.{text}", lang) if text in ("schematisch", "importiert") else text
