"""geo.data.indicator_upload: a Sozialatlas table uploaded in the Redaktion becomes a checked sozialatlas.csv.

Every input is built here, small and by hand: CSV as bytes (Windows-1252, semicolons, decimal commas), XLSX with
openpyxl (it writes formulas without a calculated value, like many generators), ODS with odfpy. The current data
is the shipped data/sozialatlas.csv as the app loads it.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from conftest import rewrite_zip, xlsx
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

from geo.data import indicator_upload
from geo.data.districts import read_districts
from geo.data.indicator_upload import (
    CITY_ID,
    CITY_NAME,
    IndicatorTable,
    band_text,
    check_indicator_upload,
    parse_indicator_value,
    parse_stichtag,
    read_indicator_upload,
    suggest_indicator_mapping,
    summary_lines,
)
from geo.data.indicators import INDICATOR_COLUMNS, Band, band_of_row, read_indicators
from geo.data.problems import DataFileError

DATA = Path(__file__).resolve().parents[2] / "data"
SHIPPED = DATA / "sozialatlas.csv"
QUELLE = "Stadt Minden, Sozialatlas 2024"


# --------------------------------------------------------------------------- inputs


@pytest.fixture(scope="module")
def districts() -> dict[str, str]:
    frame = read_districts(DATA / "stadtteile.geojson").districts
    return dict(zip(frame["id"], frame["name"]))


@pytest.fixture(scope="module")
def current(districts) -> pd.DataFrame:
    load = read_indicators(SHIPPED, set(districts))
    assert load.rejected.empty
    return load.indicators


def csv_bytes(lines: list[str], encoding: str = "cp1252") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def ods(rows: list[list[object]], name: str = "Sozialatlas") -> bytes:
    """An ODS with one table; str → text cell, int/float → number cell, date → date cell, None → empty cell."""
    document = OpenDocumentSpreadsheet()
    table = Table(name=name)
    for values in rows:
        row = TableRow()
        for value in values:
            if value is None:
                cell = TableCell()
            elif isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=f"{value:%d.%m.%Y}"))
            elif isinstance(value, (int, float)):
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value).replace(".", ",")))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def table(header: list[str], rows: list[list[str]], filename: str = "atlas.csv", first_line: int = 2,
          from_workbook: bool = False) -> IndicatorTable:
    return IndicatorTable(filename, None, header, rows, list(range(first_line, first_line + len(rows))),
                          from_workbook=from_workbook)


LONG_HEADER = ["Stadtteil", "Indikator", "Wert", "Stichtag", "Quelle"]


def check_long(rows: list[list[str]], districts, current, **kwargs):
    """Check rows of a five-column long table (Stadtteil, Indikator, Wert, Stichtag, Quelle)."""
    upload = table(LONG_HEADER, rows)
    return check_indicator_upload(upload, suggest_indicator_mapping(upload.header), districts, current, **kwargs)


def reread(check, districts, tmp_path):
    """The published text read by the app's loader."""
    path = tmp_path / "sozialatlas.csv"
    path.write_text(check.csv_text(), encoding="utf-8")
    return read_indicators(path, set(districts))


# --------------------------------------------------------------------------- values and bands


@pytest.mark.parametrize(("text", "band"), [
    ("31,8 %", Band(value=31.8)),
    ("31.8", Band(value=31.8)),
    ("31,8%", Band(value=31.8)),
    ("84158", Band(value=84158)),
    ("zwischen 10 und 20 %", Band(lower=10, upper=20, lower_inclusive=True, upper_inclusive=True)),
    ("zwischen 20% und 10%", Band(lower=10, upper=20, lower_inclusive=True, upper_inclusive=True)),
    ("10–20 %", Band(lower=10, upper=20, lower_inclusive=True, upper_inclusive=True)),
    ("10 - 20", Band(lower=10, upper=20, lower_inclusive=True, upper_inclusive=True)),
    ("von 10 bis 20", Band(lower=10, upper=20, lower_inclusive=True, upper_inclusive=True)),
    ("10 bis unter 20", Band(lower=10, upper=20, lower_inclusive=True, upper_inclusive=False)),
    ("über 10 bis 20 %", Band(lower=10, upper=20, lower_inclusive=False, upper_inclusive=True)),
    ("mehr als 45 %", Band(lower=45, lower_inclusive=False)),
    ("über 45 %", Band(lower=45, lower_inclusive=False)),
    ("Über 45", Band(lower=45, lower_inclusive=False)),
    ("> 45", Band(lower=45, lower_inclusive=False)),
    (">45", Band(lower=45, lower_inclusive=False)),
    (">= 45", Band(lower=45, lower_inclusive=True)),
    ("≥ 45", Band(lower=45, lower_inclusive=True)),
    ("mindestens 5", Band(lower=5, lower_inclusive=True)),
    ("ab 5 %", Band(lower=5, lower_inclusive=True)),
    ("weniger als 10 %", Band(upper=10, upper_inclusive=False)),
    ("unter 10", Band(upper=10, upper_inclusive=False)),
    ("< 10", Band(upper=10, upper_inclusive=False)),
    ("<= 10", Band(upper=10, upper_inclusive=True)),
    ("≤ 10", Band(upper=10, upper_inclusive=True)),
    ("höchstens 10", Band(upper=10, upper_inclusive=True)),
    ("bis 10 %", Band(upper=10, upper_inclusive=True)),
])
def test_numbers_and_band_phrases_become_exact_bounds(text, band):
    assert parse_indicator_value(text).band == band


def test_a_percent_sign_is_noticed_and_readings_that_involve_a_choice_are_explained():
    assert parse_indicator_value("31,8 %").percent and not parse_indicator_value("31,8").percent
    assert parse_indicator_value("zwischen 10 und 20 %").note == (
        "Spanne aus „zwischen 10 und 20 %“: beide Grenzen (10 und 20) als eingeschlossen gelesen, der Text schließt "
        "sie nicht aus.")
    assert parse_indicator_value("mehr als 45 %").note == ""


@pytest.mark.parametrize(("text", "unit", "decimal_point", "value"), [
    ("84.158", "Anzahl", False, 84158), ("84.158", "%", False, 84.158), ("1.234.567", "", False, 1234567),
    ("1.234,5", "", False, 1234.5), ("12.345", "", True, 12.345), ("0,5", "", False, 0.5), ("-2,5", "", False, -2.5),
])
def test_thousands_separators_are_read_by_unit_and_source(text, unit, decimal_point, value):
    assert parse_indicator_value(text, unit, decimal_point=decimal_point).band == Band(value=value)


@pytest.mark.parametrize(("text", "reason"), [
    ("84.158", "mehrdeutig"), ("ca. 30 %", "ungefähre Angabe"), ("etwa 30", "ungefähre Angabe"),
    ("–", "ist kein Wert"), (".", "ist kein Wert"), ("k. A.", "ist kein Wert"),
    ("=1+1", "ist eine Formel, kein Wert"), ("ein Drittel", "weder eine Zahl noch eine erkennbare Spanne"),
    ("über 20 bis unter 10", "die untere Grenze liegt nicht unter der oberen"), ("", "Kein Wert"),
])
def test_unreadable_values_are_refused_with_a_reason_never_guessed(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_indicator_value(text)


@pytest.mark.parametrize(("text", "stored", "note"), [
    ("2018-01-01", "2018-01-01", ""), ("01.01.2018", "2018-01-01", ""), ("1.1.2018", "2018-01-01", ""),
    ("31.12.2019", "2019-12-31", ""), ("2018", "2018", ""), ("2020-02", "2020-02", ""), ("02/2020", "2020-02", ""),
    ("Februar 2020", "2020-02", ""), ("Stand: 31.12.2019", "2019-12-31", ""),
    ("2024-05-01 13:30", "2024-05-01", ""),  # a workbook date-time (geo.data.workbook.cell_text)
    ("43101", "2018-01-01", "Excel-Datumszahl 43101 als 01.01.2018 gelesen."),
    ("1.1.18", "2018-01-01", "Zweistellige Jahreszahl „1.1.18“ als 2018 gelesen."),
])
def test_dates(text, stored, note):
    assert parse_stichtag(text) == (stored, note)


@pytest.mark.parametrize("text", ["31.02.2018", "2018-13", "1850", "12345", "gestern", "01/02/2018"])
def test_impossible_or_unknown_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_stichtag(text)


def test_band_text_tells_different_bands_apart():
    assert band_text(Band(value=50.8), "%") == "50,8\u202f%"
    assert band_text(Band(value=84158), "Anzahl") == "84.158"
    assert band_text(Band(lower=45, lower_inclusive=False), "%") == "über 45\u202f%"
    assert band_text(Band(lower=25, upper=45, lower_inclusive=False, upper_inclusive=False), "%") == (
        "25–45\u202f% (Grenzen 25 und 45 ausgeschlossen)")
    assert band_text(Band(value=12.345), "%") == "12,345\u202f%"


# --------------------------------------------------------------------------- recognising columns


def test_mapping_suggestions_for_german_headers():
    header = ["Stadtbezirk", "Merkmal", "Anteil in %", "von", "bis", "Einheit", "Stand", "Quelle", "Anmerkung",
              "Originaltext", "Laufende Nr."]
    assert suggest_indicator_mapping(header) == {
        "stadtteil_id": None, "stadtteil": "Stadtbezirk", "gebiet": None, "indikator": "Merkmal", "einheit": "Einheit",
        "wert": "Anteil in %", "untergrenze": "von", "obergrenze": "bis", "untergrenze_inklusiv": None,
        "obergrenze_inklusiv": None, "angabe": "Originaltext", "stichtag": "Stand", "quelle": "Quelle",
        "methode": "Anmerkung"}


def test_mapping_suggestions_for_our_own_file_and_a_lone_gebiet_column():
    assert suggest_indicator_mapping(list(INDICATOR_COLUMNS)) == {c: c for c in INDICATOR_COLUMNS}
    mapping = suggest_indicator_mapping(["Gebiet", "Kennzahl", "Quote (%)", "Datum", "Datenquelle", "Hinweis"])
    assert (mapping["stadtteil"], mapping["gebiet"], mapping["indikator"], mapping["wert"], mapping["stichtag"],
            mapping["quelle"], mapping["methode"]) == ("Gebiet", None, "Kennzahl", "Quote (%)", "Datum",
                                                        "Datenquelle", "Hinweis")


# --------------------------------------------------------------------------- reading files


def test_a_windows_csv_with_semicolons_and_decimal_commas(districts, current, tmp_path):
    raw = csv_bytes([
        "Stadtteil;Merkmal;Einheit;Anteil;Stand;Quelle;Anmerkung",
        "Bärenkämpen;Kinderarmut;%;48,5;01.01.2024;" + QUELLE + ";",
        "",
        "Königstor;Kinderarmut;%;mehr als 25 %;1.1.2024;" + QUELLE + ";grob",
        "Meißen;Kinderarmut;%;zwischen 10 und 20;2024;" + QUELLE + ";",
        "Stadt Minden;Einwohner;Anzahl;84.158;31.12.2023;" + QUELLE + ";Melderegister",
    ])
    upload = read_indicator_upload(raw, "sozialatlas-2024.csv")
    assert upload.header[:4] == ["Stadtteil", "Merkmal", "Einheit", "Anteil"]
    assert upload.row_numbers == [2, 4, 5, 6]  # file lines; the blank line 3 is skipped
    assert upload.rows[0][0] == "Bärenkämpen" and not upload.from_workbook
    assert any("Windows-1252" in n for n in upload.notices)

    check = check_indicator_upload(upload, suggest_indicator_mapping(upload.header), districts, current)
    assert check.blocking == [] and check.rejected.empty
    rows = check.indicators.set_index("stadtteil_id")
    assert rows.loc["baerenkaempen", ["indikator", "einheit", "wert", "stichtag"]].tolist() == [
        "kinderarmut", "%", "48.5", "2024-01-01"]
    assert rows.loc["koenigstor", ["wert", "untergrenze", "obergrenze", "untergrenze_inklusiv",
                                   "obergrenze_inklusiv", "angabe", "methode"]].tolist() == [
        "", "25", "", "false", "", "mehr als 25 %", "grob"]
    assert rows.loc["meissen", ["untergrenze", "obergrenze", "untergrenze_inklusiv", "obergrenze_inklusiv",
                                "angabe", "stichtag"]].tolist() == ["10", "20", "true", "true",
                                                                    "zwischen 10 und 20", "2024"]
    assert "beide Grenzen (10 und 20) als eingeschlossen gelesen" in rows.loc["meissen", "methode"]
    city = rows.loc[CITY_ID]
    assert (city["stadtteil"], city["gebiet"], city["wert"], city["einheit"]) == (CITY_NAME, CITY_NAME, "84158",
                                                                                  "Anzahl")
    assert check.indicators["zeile"].tolist() == [2, 4, 5, 6]
    assert reread(check, districts, tmp_path).rejected.empty


def test_an_xlsx_keeps_spreadsheet_rows_and_reads_dates_and_excel_day_numbers(districts, current):
    def date_number(book):
        book.active["D4"].number_format = "General"  # a date that lost its format: Excel's day number

    raw = xlsx([
        ["Stadtteil", "Indikator", "Anteil (%)", "Stichtag", "Quelle"],
        ["Bärenkämpen", "kinderarmut", 48.5, dt.date(2024, 1, 1), QUELLE],
        ["Rodenbeck", "kinderarmut", "über 45", dt.datetime(2024, 1, 1), QUELLE],
        ["Nordstadt", "kinderarmut", "10–20", 45292, QUELLE],
        [None, None, None, None, None],
        ["Dankersen", "kinderarmut", "ca. 15", dt.date(2024, 1, 1), QUELLE],
        ["Stemmer", "kinderarmut", "≤ 10", "31.02.2024", QUELLE],
    ], edit=date_number)
    upload = read_indicator_upload(raw, "atlas.xlsx")
    assert upload.from_workbook and upload.sheet == "Tabelle1" and upload.source == "atlas.xlsx, Blatt „Tabelle1“"
    assert upload.row_numbers == [2, 3, 4, 6, 7]
    assert [r[3] for r in upload.rows] == ["2024-01-01", "2024-01-01", "45292", "2024-01-01", "31.02.2024"]

    check = check_indicator_upload(upload, suggest_indicator_mapping(upload.header), districts, current)
    assert check.indicators[["stadtteil_id", "einheit", "stichtag", "zeile"]].values.tolist() == [
        ["baerenkaempen", "%", "2024-01-01", 2], ["rodenbeck", "%", "2024-01-01", 3],
        ["nordstadt", "%", "2024-01-01", 4]]
    assert "Excel-Datumszahl 45292 als 01.01.2024 gelesen." in check.indicators.loc[2, "methode"]
    assert check.rejected[["zeile", "grund"]].values.tolist() == [
        [6, "Wert: „ca. 15“ ist eine ungefähre Angabe, kein genauer Wert. Bitte als Spanne eintragen (z. B. "
            "„zwischen 25 und 35 %“) oder den genauen Wert."],
        [7, "Stichtag: „31.02.2024“ ist kein gültiges Datum (31.02.2024 gibt es nicht)."]]
    assert "Einheit „%“ aus der Überschrift „Anteil (%)“ übernommen." in check.notices


def test_an_ods_is_read_like_an_xlsx(districts, current, tmp_path):
    raw = ods([
        ["Stadtbezirk", "Kennzahl", "Einheit", "Wert", "Stand", "Quelle"],
        ["Bärenkämpen", "auslaender_minderjaehrige", "%", 31.8, dt.date(2018, 1, 1), QUELLE],
        [None, None, None, None, None, None],
        ["Bölhorst", "auslaender_minderjaehrige", "%", "unter 10", dt.date(2018, 1, 1), QUELLE],
    ])
    upload = read_indicator_upload(raw, "atlas.ods")
    assert upload.from_workbook and upload.row_numbers == [2, 4]
    check = check_indicator_upload(upload, suggest_indicator_mapping(upload.header), districts, current)
    assert check.indicators[["stadtteil_id", "wert", "obergrenze", "obergrenze_inklusiv", "stichtag"]].values.tolist() == [
        ["baerenkaempen", "31.8", "", "", "2018-01-01"], ["boelhorst", "", "10", "false", "2018-01-01"]]
    assert reread(check, districts, tmp_path).rejected.empty


def test_a_sheet_per_indicator_with_values_given_once(districts, current):
    raw = xlsx({"Einwohner": [["Stadtteil", "Anzahl"], ["Dützen", 3000]],
                "Kinderarmut": [["Stadtteil", "Anteil in %"], ["Innenstadt", "25–45"], ["Hahlen", 7.5]]})
    upload = read_indicator_upload(raw, "sozialatlas-2025.xlsx", sheet="Kinderarmut")
    assert upload.source == "sozialatlas-2025.xlsx, Blatt „Kinderarmut“"
    assert any("die Datei hat weitere: „Einwohner“" in n for n in upload.notices)
    mapping = suggest_indicator_mapping(upload.header)
    blocked = check_indicator_upload(upload, mapping, districts, current)
    assert blocked.blocking == [
        "Keine Spalte für Indikator zugeordnet und keine Vorgabe für alle Zeilen.",
        "Keine Spalte für Stichtag zugeordnet und keine Vorgabe für alle Zeilen.",
        "Keine Spalte für Quelle zugeordnet und keine Vorgabe für alle Zeilen."]
    with pytest.raises(ValueError, match="Nicht veröffentlichbar"):
        blocked.csv_text()
    defaults = {"indikator": "Kinderarmut", "stichtag": "01.01.2025", "quelle": QUELLE}
    check = check_indicator_upload(upload, mapping, districts, current, defaults=defaults,
                                   keep_other_indicators=True)
    assert check.blocking == []
    assert check.indicators.loc[:1, ["stadtteil_id", "indikator", "einheit", "stichtag", "quelle"]].values.tolist() == [
        ["innenstadt", "kinderarmut", "%", "2025-01-01", QUELLE], ["hahlen", "kinderarmut", "%", "2025-01-01", QUELLE]]
    # only kinderarmut is replaced: 18 of its 20 current rows are not in the sheet, every other indicator is kept
    assert (check.count("neu"), check.count("geändert"), check.count("entfällt")) == (0, 2, 18)
    assert check.kept == 54 - 20 and len(check.indicators) == 2 + 34
    assert summary_lines(check) == [
        "2 Werte aus sozialatlas-2025.xlsx, Blatt „Kinderarmut“: 0 neu, 2 geändert, 18 entfallen",
        "Indikatoren: kinderarmut (2)",
        "34 Werte anderer Indikatoren aus dem bisherigen Stand behalten.",
        f"Für alle Zeilen vorgegeben: Indikator „Kinderarmut“; Stichtag „01.01.2025“; Quelle „{QUELLE}“"]


def test_workbook_numbers_in_percent_format_are_pointed_out(districts, current):
    def percent_format(book):
        for cell in ("C2", "C3"):
            book.active[cell].number_format = "0.0%"

    raw = xlsx([["Stadtteil", "Indikator", "Anteil", "Einheit", "Stand", "Quelle"],
                ["Bärenkämpen", "kinderarmut", 0.508, "%", 2018, QUELLE],
                ["Königstor", "kinderarmut", 0.3, "%", 2018, QUELLE]], edit=percent_format)
    upload = read_indicator_upload(raw, "prozent.xlsx")
    check = check_indicator_upload(upload, suggest_indicator_mapping(upload.header), districts, current)
    assert check.indicators["wert"].tolist() == ["0.508", "0.3"]  # never multiplied silently
    assert any(n.startswith("Alle Werte von „kinderarmut“ liegen zwischen 0 und 1.") for n in check.notices)


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "atlas.csv: Datei ist leer."),
    (b"%PDF-1.7\n...", "atlas.csv: Datei ist keine Tabelle (CSV, XLSX oder ODS), sondern ein PDF-Dokument."),
    (b"Name;Wert\n" + b"\x00\x01" * 100, "atlas.csv: Datei ist keine Tabelle (CSV, XLSX oder ODS), sondern unbekannte "
                                          "Binärdaten."),
])
def test_unusable_files_are_refused_naming_the_file(raw, message):
    with pytest.raises(DataFileError) as caught:
        read_indicator_upload(raw, "atlas.csv")
    assert str(caught.value).startswith(message)


def test_the_size_limit(monkeypatch):
    monkeypatch.setattr(indicator_upload, "MAX_INDICATOR_FILE_BYTES", 2 * 1024 * 1024)
    with pytest.raises(DataFileError) as caught:
        read_indicator_upload(b"Stadtteil;Wert\n" + b"x;1\n" * 1024 * 1024, "riesig.csv")
    assert str(caught.value) == ("riesig.csv: Datei ist 4 MiB groß; für den Sozialatlas liest die App höchstens 2 MiB. "
                                 "Bitte die richtige Datei wählen.")


def test_a_workbook_refused_by_the_workbook_reader_is_a_data_file_error():
    with pytest.raises(DataFileError) as caught:
        read_indicator_upload(xlsx([["Stadtteil"], ["A"]]), "atlas.xlsx", sheet="Fehlt")
    assert str(caught.value) == "atlas.xlsx: Tabellenblatt „Fehlt“ gibt es nicht; vorhanden: „Tabelle1“."


def test_a_csv_record_with_more_fields_than_the_header_is_rejected_with_its_line(districts, current):
    raw = csv_bytes(["Stadtteil,Indikator,Wert,Stichtag,Quelle",
                     "Hahlen,kinderarmut,7,2018,Sozialatlas",
                     "Stemmer,kinderarmut,7,5,2018,Sozialatlas"], "utf-8-sig")
    upload = read_indicator_upload(raw, "komma.csv")
    check = check_indicator_upload(upload, suggest_indicator_mapping(upload.header), districts, current)
    assert check.indicators["stadtteil_id"].tolist() == ["hahlen"]
    assert check.rejected.values.tolist() == [[3, "Zeile hat 6 Felder, die Kopfzeile 5: steht ein „,“ ohne "
                                                  "Anführungszeichen im Text (z. B. eine Dezimalzahl mit Komma)?",
                                               "Stemmer | kinderarmut | 7 | 5 | 2018"]]


# --------------------------------------------------------------------------- district names


def test_a_near_miss_is_only_suggested_and_an_assignment_applies_it(districts, current):
    rows = [["Koenigstoor", "kinderarmut", "über 25 %", "2018", QUELLE],
            ["Baerenkaempen", "kinderarmut", "50,8 %", "2018-01-01", QUELLE]]
    check = check_long(rows, districts, current)
    assert [(u.name, u.suggestions, u.rows) for u in check.unmatched] == [
        ("Koenigstoor", (("koenigstor", "Königstor"),), (2,))]
    assert check.rejected[["zeile", "grund"]].values.tolist() == [
        [2, "Stadtteil „Koenigstoor“ nicht zugeordnet (Vorschläge: Königstor)."]]
    assert [(m.name, m.district_id, m.how) for m in check.matched] == [
        ("Baerenkaempen", "baerenkaempen", "automatisch")]
    assert check.indicators["gebiet"].tolist() == ["Bärenkämpen"]  # spelling only: the district's own name
    assert check.blocking == []

    assigned = check_long(rows, districts, current, assignments={"Koenigstoor": "koenigstor"})
    assert assigned.unmatched == [] and assigned.rejected.empty
    assert assigned.indicators[["stadtteil_id", "stadtteil", "gebiet"]].values.tolist() == [
        ["koenigstor", "Königstor", "Königstor"], ["baerenkaempen", "Bärenkämpen", "Bärenkämpen"]]
    assert [(m.name, m.how) for m in assigned.matched] == [("Koenigstoor", "Redaktion"),
                                                           ("Baerenkaempen", "automatisch")]
    assert "Zuordnungen der Redaktion: „Koenigstoor“ → Königstor" in summary_lines(assigned)


def test_a_part_of_a_district_keeps_its_area_and_a_name_can_be_left_out(districts, current):
    rows = [["Aminghausen", "kinderarmut", "10-20", "2018-01-01", QUELLE],
            ["Leteln", "kinderarmut", "höchstens 10", "2018-01-01", QUELLE],
            ["Summe", "kinderarmut", "23,5", "2018-01-01", QUELLE]]
    check = check_long(rows, districts, current, assignments={
        "Aminghausen": "leteln-aminghausen", "Leteln": "leteln-aminghausen", "Summe": None})
    # the current data call these parts "Aminghausen (Ortsteil)" and "Leteln (Ortsteil)": same keys, so compared
    assert check.indicators[["stadtteil_id", "gebiet"]].values.tolist() == [
        ["leteln-aminghausen", "Aminghausen (Ortsteil)"], ["leteln-aminghausen", "Leteln (Ortsteil)"]]
    assert check.rejected["grund"].tolist() == ["Stadtteil „Summe“: laut Zuordnung der Redaktion nicht übernommen."]
    changed = check.changes[(check.changes["stadtteil_id"] == "leteln-aminghausen")
                            & (check.changes["indikator"] == "kinderarmut")]
    assert changed["aenderung"].tolist() == ["geändert", "geändert"]  # Quelle and Methode differ, the bands do not
    assert "Wert" not in ",".join(changed["geaendert"])


def test_city_wide_names(districts, current):
    rows = [[name, "einwohner", "84158", "2019-12-31", QUELLE]
            for name in ("Stadt Minden", "Minden gesamt", "gesamt", "Gesamtstadt")]
    check = check_long(rows, districts, current)
    assert [(m.name, m.district_id, m.how) for m in check.matched] == [
        (name, CITY_ID, "Gesamtstadt") for name in ("Stadt Minden", "Minden gesamt", "gesamt", "Gesamtstadt")]
    # four times the same fact: the first is kept, the others are rejected as repeats
    assert check.indicators[["stadtteil_id", "stadtteil", "gebiet"]].values.tolist() == [[CITY_ID, CITY_NAME, CITY_NAME]]
    assert check.rejected["grund"].tolist() == [
        f"Doppelt ({CITY_NAME}, einwohner, 2019-12-31): gleicher Wert wie Zeile 2."] * 3


def test_conflicting_rows_are_all_rejected(districts, current):
    check = check_long([["Hahlen", "kinderarmut", "5", "2018", QUELLE], ["Hahlen", "kinderarmut", "7", "2018", QUELLE],
                        ["Stemmer", "kinderarmut", "5", "2018", QUELLE]], districts, current)
    assert check.indicators["stadtteil_id"].tolist() == ["stemmer"]
    assert check.rejected[["zeile", "grund"]].values.tolist() == [
        [2, "Widersprüchlich (Hahlen, kinderarmut, 2018): andere Angabe in Zeile 3; welche gilt, ist nicht zu "
            "entscheiden."],
        [3, "Widersprüchlich (Hahlen, kinderarmut, 2018): andere Angabe in Zeile 2; welche gilt, ist nicht zu "
            "entscheiden."]]


# --------------------------------------------------------------------------- comparing with the current data


def test_changes_against_the_shipped_data(districts, current):
    rows = [["Bärenkämpen", "kinderarmut", "48,5 %", "2018-01-01", QUELLE],
            ["Rodenbeck", "kinderarmut", "mehr als 45 %", "2018-01-01", QUELLE],
            ["Innenstadt", "kinderarmut", "25 bis unter 45 %", "2024-01-01", QUELLE],
            ["Hahlen", "wohngeld", "4,2 %", "2024", QUELLE]]
    check = check_long(rows, districts, current)
    changes = check.changes.set_index(["aenderung", "stadtteil_id", "indikator"])
    baer = changes.loc[("geändert", "baerenkaempen", "kinderarmut")]
    assert (baer["alt"], baer["neu"], baer["zeile"]) == ("50,8\u202f% (2018-01-01)", "48,5\u202f% (2018-01-01)", 2)
    assert baer["geaendert"].startswith("Wert, ")
    innen = changes.loc[("geändert", "innenstadt", "kinderarmut")]
    assert (innen["alt"], innen["neu"]) == ("25–45\u202f% (Grenzen 25 und 45 ausgeschlossen) (2018-01-01)",
                                            "25–45\u202f% (Grenze 45 ausgeschlossen) (2024-01-01)")
    assert innen["geaendert"].startswith("Wert, Stichtag")
    rodenbeck = changes.loc[("geändert", "rodenbeck", "kinderarmut")]  # same band, other Quelle/Angabe/Methode
    assert "Wert" not in rodenbeck["geaendert"]
    new = changes.loc[("neu", "hahlen", "wohngeld")]
    assert (new["alt"], new["neu"]) == ("", "4,2\u202f% (2024)")
    assert check.count("neu") == 1 and check.count("geändert") == 3
    assert check.count("entfällt") == len(current) - 3
    assert check.changes["aenderung"].tolist() == ["neu"] + ["geändert"] * 3 + ["entfällt"] * (len(current) - 3)
    assert "Neue Indikatoren (bisher nicht in den Daten): wohngeld." in check.notices
    assert any(n.startswith("Nicht in der neuen Tabelle: auslaender_minderjaehrige, einwohner") for n in check.notices)
    assert summary_lines(check)[0] == f"4 Werte aus atlas.csv: 1 neu, 3 geändert, {len(current) - 3} entfallen"


def test_the_shipped_file_uploaded_again_changes_nothing_and_is_written_byte_for_byte(districts, current):
    raw = SHIPPED.read_bytes()
    upload = read_indicator_upload(raw, "sozialatlas.csv")
    check = check_indicator_upload(upload, suggest_indicator_mapping(upload.header), districts, current)
    assert check.blocking == [] and check.rejected.empty and check.changes.empty
    assert check.unchanged == len(current) and {m.how for m in check.matched} == {"Kennung"}
    assert check.csv_text().encode("utf-8") == raw
    assert summary_lines(check)[0] == f"{len(current)} Werte aus sozialatlas.csv: 0 neu, 0 geändert, 0 entfallen, " \
                                      f"{len(current)} unverändert"


def test_the_published_text_reads_back_with_every_row_and_band(districts, current, tmp_path):
    rows = [["Bärenkämpen", "kinderarmut", "50,8 %", "2018-01-01", QUELLE],
            ["Rodenbeck", "kinderarmut", "> 45", "2018-01-01", QUELLE],
            ["Innenstadt", "kinderarmut", "zwischen 25 und 45 %", "2018-01-01", QUELLE],
            ["Stemmer", "kinderarmut", "≤ 10", "2018-01-01", QUELLE],
            ["Stadt Minden", "einwohner", "84158", "31.12.2019", QUELLE]]
    check = check_long(rows, districts, current)
    load = reread(check, districts, tmp_path)
    assert load.rejected.empty and load.problems == []
    assert list(load.indicators.columns) == list(INDICATOR_COLUMNS)
    assert [band_of_row(r) for _, r in load.indicators.iterrows()] == [
        Band(value=50.8), Band(lower=45, lower_inclusive=False), Band(lower=25, upper=45),
        Band(upper=10, upper_inclusive=True), Band(value=84158)]
    assert check.csv_text().splitlines()[0] == ",".join(INDICATOR_COLUMNS)


# --------------------------------------------------------------------------- blocking and formulas


def test_blocking_cases(districts, current):
    upload = table(["Stadtteil", "Wert"], [["Hahlen", "5"]])
    assert check_indicator_upload(upload, {"wert": "Wert"}, districts, current).blocking == [
        "Keine Spalte für den Stadtteil zugeordnet.",
        "Keine Spalte für Indikator zugeordnet und keine Vorgabe für alle Zeilen.",
        "Keine Spalte für Stichtag zugeordnet und keine Vorgabe für alle Zeilen.",
        "Keine Spalte für Quelle zugeordnet und keine Vorgabe für alle Zeilen."]
    empty_dates = check_long([["Hahlen", "kinderarmut", "5", "", QUELLE]], districts, current)
    assert empty_dates.blocking == ["Die Spalte „Stichtag“ (Stichtag) ist in allen Zeilen leer. Bitte in der Tabelle "
                                    "eintragen oder einen Wert für alle Zeilen vorgeben."]
    nothing_usable = check_long([["Hahlen", "kinderarmut", "viel", "2018", QUELLE]], districts, current)
    assert nothing_usable.blocking == ["Keine Zeile ist verwendbar (alle 1 abgewiesen; die Gründe stehen in der Liste "
                                       "der abgewiesenen Zeilen)."]
    assert not nothing_usable.publishable
    no_rows = check_indicator_upload(table(LONG_HEADER, []), suggest_indicator_mapping(LONG_HEADER), districts, current)
    assert no_rows.blocking == ["Die Tabelle hat keine Datenzeilen unter der Kopfzeile."]
    with pytest.raises(ValueError, match="Spalte „Fehlt“ gibt es"):
        check_indicator_upload(upload, {"wert": "Fehlt"}, districts, current)
    with pytest.raises(ValueError, match="„wohnort“ ist kein Feld"):
        check_indicator_upload(upload, {"wohnort": "Wert"}, districts, current)


def test_rows_missing_a_date_or_source_are_rejected_and_footnotes_named(districts, current):
    rows = [["Hahlen", "kinderarmut", "5", "", QUELLE], ["Stemmer", "kinderarmut", "5", "2018", ""],
            ["Dützen", "kinderarmut", "5", "2018", QUELLE], ["Quelle: Sozialatlas 2024, Tabelle 3", "", "", "", ""]]
    check = check_long(rows, districts, current)
    assert check.rejected[["zeile", "grund"]].values.tolist() == [
        [2, "Kein Stichtag angegeben."], [3, "Keine Quelle angegeben."],
        [5, "Zeile enthält nur „Quelle: Sozialatlas 2024, Tabelle 3“ und keinen Wert (Überschrift, Zwischenzeile "
            "oder Fußnote?)."]]
    assert check.unmatched == []  # a footnote is not offered as a district name


def test_a_formula_in_a_csv_is_text_never_a_value(districts, current, tmp_path):
    upload = table([*LONG_HEADER, "Methode"], [["Hahlen", "kinderarmut", "=1+1", "2018", QUELLE, ""],
                                               ["Stemmer", "kinderarmut", "5", "2018", QUELLE, "=1+1"],
                                               ["Dützen", "kinderarmut", "'-5", "2018", QUELLE, "'=SUMME(A1)"]])
    check = check_indicator_upload(upload, suggest_indicator_mapping(upload.header), districts, current)
    assert check.rejected[["zeile", "grund"]].values.tolist() == [
        [2, "Wert: „=1+1“ ist eine Formel, kein Wert. Die App rechnet keine Formeln aus; bitte den Wert eintragen "
            "(in Excel: Kopieren, dann Inhalte einfügen → Werte)."]]
    # text is stored as it is (the loader is no spreadsheet); our download's protecting apostrophe is removed
    assert check.indicators[["wert", "methode"]].values.tolist() == [["5", "=1+1"], ["-5", "=SUMME(A1)"]]
    assert "2 Zellen begannen mit einem Apostroph vor =, +, - oder @ (Formelschutz eines Tabellen-Downloads); das " \
           "Apostroph wurde entfernt." in check.notices
    assert "2 Textzellen beginnen mit „=“ (z. B. Zeile 3, Spalte „Methode“): sie werden als Text übernommen und nie " \
           "berechnet." in check.notices
    assert ',"=1+1"\r\n' in check.csv_text() or ",=1+1\r\n" in check.csv_text()
    assert reread(check, districts, tmp_path).indicators["methode"].tolist() == ["=1+1", "=SUMME(A1)"]


def test_a_workbook_formula_arrives_as_its_stored_value_or_empty(districts, current):
    rows = [LONG_HEADER, ["Hahlen", "kinderarmut", "=1+1", "2018", QUELLE]]
    uncalculated = read_indicator_upload(xlsx(rows), "formel.xlsx")
    check = check_indicator_upload(uncalculated, suggest_indicator_mapping(LONG_HEADER), districts, current)
    assert check.rejected[["zeile", "grund"]].values.tolist() == [[2, "Kein Wert angegeben (weder Wert noch Grenzen)."]]
    assert check.notices[0].startswith("1 Zelle mit einer Formel: übernommen wird der zuletzt berechnete Wert, die "
                                       "Formel nicht. 1 davon hat keinen gespeicherten Wert")

    calculated = read_indicator_upload(rewrite_zip(xlsx(rows), {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(
        b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")}), "formel.xlsx")
    check = check_indicator_upload(calculated, suggest_indicator_mapping(LONG_HEADER), districts, current)
    assert check.indicators["wert"].tolist() == ["2"]  # the value Excel stored; nothing is calculated here
    assert check.notices[0] == "1 Zelle mit einer Formel: übernommen wird der zuletzt berechnete Wert, die Formel nicht."


def test_inclusive_flags_and_bound_columns(districts, current):
    header = ["Stadtteil", "Indikator", "von", "bis", "untergrenze_inklusiv", "Stand", "Quelle"]
    upload = table(header, [["Hahlen", "kinderarmut", "10", "20", "nein", "2018", QUELLE],
                            ["Stemmer", "kinderarmut", "", "10 %", "", "2018", QUELLE],
                            ["Dützen", "kinderarmut", "20", "10", "", "2018", QUELLE],
                            ["Bölhorst", "kinderarmut", "5", "", "vielleicht", "2018", QUELLE]])
    check = check_indicator_upload(upload, suggest_indicator_mapping(header), districts, current)
    assert check.indicators[["stadtteil_id", "untergrenze", "obergrenze", "untergrenze_inklusiv",
                             "obergrenze_inklusiv", "einheit"]].values.tolist() == [
        ["hahlen", "10", "20", "false", "true", ""], ["stemmer", "", "10", "", "true", "%"]]
    assert check.rejected["grund"].tolist() == [
        "„20 bis 10“: die untere Grenze liegt nicht unter der oberen.",
        "Untergrenze eingeschlossen: „vielleicht“ ist weder ja noch nein (eingeschlossen: true/ja, ausgeschlossen: "
        "false/nein)."]


def test_notices_for_missing_districts_shares_over_100_and_missing_units(districts, current):
    names = sorted(districts.values())[:12]
    rows = [[name, "kinderarmut", "150 %" if name == names[0] else "12 %", "2025", QUELLE] for name in names]
    rows.append(["Hahlen", "zuzuege", "40", "2025", QUELLE])
    check = check_long(rows, districts, current)
    missing = sorted(set(districts.values()) - set(names))
    assert f"„kinderarmut“ fehlt für {len(missing)} Stadtteile: {', '.join(missing)}." in check.notices
    assert "1 Anteil in % außerhalb von 0–100 (z. B. Zeile 2). Bitte prüfen, ob das eine Veränderungsrate ist oder " \
           "ein Fehler." in check.notices
    assert "Ohne Einheit: zuzuege. Bitte „%“ oder „Anzahl“ angeben, wenn bekannt." in check.notices
    assert "Die Karte färbt die Stadtteile nach „auslaender_minderjaehrige“; ohne diese Werte bleibt sie dafür " \
           "leer." in check.notices
