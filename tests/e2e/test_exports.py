"""Exports a planner can use (issue 24 §3), downloaded in the browser and opened as a planner would: the XLSX
with openpyxl (as Excel/LibreOffice read it), the CSV with pandas, the chart PNG as an image. Before the fix the
coverage CSV had German-formatted text and no gap score or rank, "alle Angebote" and "Bildung" had the same file
name, the comparison CSV held "7.102 (2020-12-31)" in one cell and nothing recorded filter, date, source or licence.
"""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from geo.i18n import t

from .conftest import snap, wait_for_app
from .test_browser import assert_clean

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "exports"


def download(page, label: str, nth: int = 0):
    with page.expect_download() as info:
        page.get_by_role("button", name=label).nth(nth).click()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    blob = info.value.path().read_bytes()
    (ARTIFACTS / info.value.suggested_filename).write_bytes(blob)
    return info.value.suggested_filename, blob


def test_gap_page_downloads_name_the_filter_and_carry_gap_score_rank_and_metadata(page, streamlit_server):
    today = date.today().isoformat()
    page.goto(streamlit_server + "/luecken?hf=bildung")
    wait_for_app(page)
    page.get_by_role("button", name=t("export.download_xlsx", "de")).scroll_into_view_if_needed()
    snap(page, "exports-luecken-buttons")  # CSV and Excel side by side under the table
    name, blob = download(page, t("luecken.download_tabelle", "de"))
    assert name == f"quartierskarte-versorgung-bildung-800m-kinderarmut-{today}.csv"
    table = pd.read_csv(io.BytesIO(blob), encoding="utf-8-sig")
    assert {"rang", "luecke_untergrenze", "luecke_obergrenze", "anteil_versorgt_prozent"} <= set(table.columns)
    assert table["anteil_versorgt_prozent"].dtype == float and table["rang"].min() == 1
    name, blob = download(page, t("export.download_xlsx", "de"))
    assert name == f"quartierskarte-versorgung-bildung-800m-kinderarmut-{today}.xlsx"
    book = load_workbook(io.BytesIO(blob))
    assert book.sheetnames == ["Versorgung", "Metadaten"]
    sheet = book["Versorgung"]
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, [c.value for c in sheet[2]]))
    assert first["rang"] == 1 and isinstance(first["anteil_versorgt_prozent"], (int, float))  # 0.0 reads back as 0
    meta = {row[0].value: row[1].value for row in book["Metadaten"].iter_rows()}
    assert meta["Filter"] == "Bildung" and meta["Gehweg in Metern"] == "800"
    assert meta["Bedarfskennzahl"] == t("indikator.kinderarmut", "de")
    assert meta["Erstellt am"].startswith(today) and meta["Lizenz"].startswith("Angaben aus Wikipedia-Artikeln")
    assert "Quelle" in meta
    assert_clean(page, streamlit_server)


def test_comparison_downloads_are_a_long_table_and_a_chart_with_source(page, streamlit_server):
    today = date.today().isoformat()
    page.goto(streamlit_server + "/stadtteile?auswahl=baerenkaempen,rodenbeck")
    wait_for_app(page)
    page.get_by_role("button", name=t("export.download_xlsx", "de")).first.scroll_into_view_if_needed()
    snap(page, "exports-vergleich-buttons")
    name, blob = download(page, t("vergleich.download", "de"))
    assert name == f"quartierskarte-vergleich-baerenkaempen-rodenbeck-800m-{today}.csv"
    table = pd.read_csv(io.BytesIO(blob), encoding="utf-8-sig").set_index(["stadtteil_id", "kennzahl"])
    assert table.loc[("baerenkaempen", "einwohner"), "wert"] == 7102.0
    assert table.loc[("baerenkaempen", "einwohner"), "stichtag"] == "2020-12-31"
    assert table.loc[("rodenbeck", "kinderarmut"), "untergrenze"] == 45.0
    name, blob = download(page, t("vergleich.download_png", "de"))
    assert name == f"quartierskarte-diagramme-baerenkaempen-rodenbeck-800m-{today}.png" and blob.startswith(b"\x89PNG")
    name, blob = download(page, t("export.download_xlsx", "de"), nth=1)  # the overview of all districts
    assert name == f"quartierskarte-stadtteile-{today}.xlsx"
    assert load_workbook(io.BytesIO(blob)).sheetnames == ["Stadtteile", "Metadaten"]
    assert_clean(page, streamlit_server)
