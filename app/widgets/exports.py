"""Download buttons for table exports: a machine-readable CSV and an XLSX with a metadata sheet (title, filter,
parameters, date, sources, licence), both named after the filter (:mod:`geo.exchange.table_export`)."""
from __future__ import annotations

import html
import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

from app.cache import now
from app.state import lang, tr
from app.widgets.page import data_credits
from geo.analysis.filters import OfferFilter
from geo.dataset import Dataset
from geo.exchange.table_export import export_metadata, xlsx_bytes

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_sources(data: Dataset) -> list[str]:
    """The sources of the data actually loaded, as the footer names them (:func:`app.widgets.page.data_credits`)."""
    return data_credits(data)


def export_licence(data: Dataset) -> str:
    """The licence note: the shipped data's licences (data/SOURCES.md) when every file is shipped, otherwise
    a pointer to the licence each source statement names — never a guessed licence."""
    shipped = all(loaded.shipped and not loaded.publication for loaded in data.files)
    return tr("export.lizenz_mitgeliefert" if shipped else "export.lizenz_eigene")


def filter_text(flt: OfferFilter, data: Dataset) -> str:
    """The filter in words, as on the handout ("Bildung · kostenlos", "alle Angebote"), as plain text."""
    from geo.render.poster import filter_summary_html

    return html.unescape(re.sub(r"<[^>]+>", "", filter_summary_html(flt, lang(), data.districts, now())))


def xlsx_button(data: Dataset, sheets: Callable[[], dict[str, pd.DataFrame]], title: str, filter_description: str,
                parameters: dict[str, object], file_name: str, key: str, container=st) -> None:  # type: ignore[no-untyped-def]
    """The "Excel (mit Metadaten)" button: the workbook is built when someone clicks."""
    ui_lang = lang()

    def build() -> bytes:
        metadata = export_metadata(title, filter_description, {tr("export.meta_sprache"): ui_lang, **parameters},
                                   export_sources(data), export_licence(data), now(), ui_lang)
        return xlsx_bytes(sheets(), metadata, ui_lang)

    container.download_button(tr("export.download_xlsx"), build, file_name=file_name, mime=XLSX_MIME,
                              on_click="ignore", key=key)
