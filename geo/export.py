"""Offer tables for display and download."""
from __future__ import annotations

import csv
import io

import pandas as pd

from .i18n import t

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TABLE_COLUMNS = ("name", "handlungsfeld", "stadtteil_name", "adresse", "lage_genauigkeit", "traeger",
                 "zielgruppen", "sprachen", "kosten", "oeffnungszeiten", "barrierefrei", "website", "telefon",
                 "zuletzt_geprueft")


def neutralise_formula(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with ``'`` (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def offers_table(offers: pd.DataFrame, lang: str = "de") -> pd.DataFrame:
    """The offers as a table with translated column headings, sorted by name."""
    table = offers.reindex(columns=list(TABLE_COLUMNS)).astype(object).fillna("").astype(str).sort_values("name", key=lambda s: s.str.casefold())
    return table.rename(columns={c: t(f"spalte.{c}", lang) for c in TABLE_COLUMNS}).reset_index(drop=True)


def offers_csv(offers: pd.DataFrame, lang: str = "de") -> bytes:
    """UTF-8 (with BOM, for Excel) CSV of :func:`offers_table`, safe to open in a spreadsheet."""
    table = offers_table(offers, lang).map(neutralise_formula)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
