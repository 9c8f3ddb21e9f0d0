"""Offer tables for display and download."""
from __future__ import annotations

import csv
import io

import pandas as pd

from geo.i18n import t
from geo.render.data_text import display_value
from geo.text import german_sort_key, neutralise_formula

TABLE_COLUMNS = ("name", "handlungsfeld", "stadtteil_name", "adresse", "lage_genauigkeit", "traeger",
                 "zielgruppen", "sprachen", "kosten", "oeffnungszeiten", "barrierefrei", "website", "telefon",
                 "status", "stand_quelle", "hinweis", "zuletzt_geprueft")


TRANSLATED_COLUMNS = ("handlungsfeld", "lage_genauigkeit", "zielgruppen", "sprachen", "kosten", "barrierefrei",
                      "status", "stand_quelle")
"""Columns whose fixed-vocabulary values the table shows in the user's language (:mod:`geo.render.data_text`);
free text in them (an unlisted target group, "30 Euro Teilnehmerbeitrag") stays as entered."""


def offers_table(offers: pd.DataFrame, lang: str = "de") -> pd.DataFrame:
    """The offers as a table in ``lang``: translated column headings and values of fixed vocabularies
    (:data:`TRANSLATED_COLUMNS`; also in German: ``unbekannt`` → "keine Angabe", ``stadtteil`` → "Stadtteil"),
    free text as entered; sorted by name (German order).

    This is also the CSV download (:func:`offers_csv`): a table for reading in the chosen language. The
    machine-readable exports with the data's own values are GeoJSON and HSDS.
    """
    table = offers.reindex(columns=list(TABLE_COLUMNS)).astype(object).fillna("").astype(str)
    table = table.sort_values("name", key=lambda s: s.map(german_sort_key))
    for column in TRANSLATED_COLUMNS:
        # each distinct value once: the table shows up to 1,000 rows on every run of the page
        shown = {value: display_value(column, value, lang) for value in table[column].unique()}
        table[column] = table[column].map(shown)
    return table.rename(columns={c: t(f"spalte.{c}", lang) for c in TABLE_COLUMNS}).reset_index(drop=True)


def offers_csv(offers: pd.DataFrame, lang: str = "de") -> bytes:
    """CSV download of :func:`offers_table` (see :func:`spreadsheet_csv`)."""
    return spreadsheet_csv(offers_table(offers, lang))


def spreadsheet_csv(table: pd.DataFrame) -> bytes:
    """UTF-8 CSV with BOM (so Excel reads the umlauts), formulas neutralised, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    table.map(neutralise_formula).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
