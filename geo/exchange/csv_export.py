"""Offer tables for display and download."""
from __future__ import annotations

import csv
import io

import pandas as pd

from geo.i18n import t
from geo.text import german_sort_key, neutralise_formula

TABLE_COLUMNS = ("name", "handlungsfeld", "stadtteil_name", "adresse", "lage_genauigkeit", "traeger",
                 "zielgruppen", "sprachen", "kosten", "oeffnungszeiten", "barrierefrei", "website", "telefon",
                 "status", "stand_quelle", "hinweis", "zuletzt_geprueft")


def offers_table(offers: pd.DataFrame, lang: str = "de") -> pd.DataFrame:
    """The offers as a table with translated column headings and values of fixed vocabularies, sorted by name (German order)."""
    table = offers.reindex(columns=list(TABLE_COLUMNS)).astype(object).fillna("").astype(str)
    table = table.sort_values("name", key=lambda s: s.map(german_sort_key))
    table["status"] = table["status"].map(lambda v: t(f"status.{v}", lang) if v else "")
    return table.rename(columns={c: t(f"spalte.{c}", lang) for c in TABLE_COLUMNS}).reset_index(drop=True)


def offers_csv(offers: pd.DataFrame, lang: str = "de") -> bytes:
    """CSV download of :func:`offers_table` (see :func:`spreadsheet_csv`)."""
    return spreadsheet_csv(offers_table(offers, lang))


def spreadsheet_csv(table: pd.DataFrame) -> bytes:
    """UTF-8 CSV with BOM (so Excel reads the umlauts), formulas neutralised, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    table.map(neutralise_formula).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
