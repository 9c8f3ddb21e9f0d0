"""geo.exchange.table_export and the machine-readable tables behind the planners' downloads: files are opened
as a spreadsheet or a script would (openpyxl, pandas), the comparison chart is checked as drawn."""
import io
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from geo.analysis.comparison import RECORD_COLUMNS, chart_values, charts_figure, comparison_records
from geo.analysis.coverage import UNASSIGNED_ID, GapScore
from geo.analysis.filters import OfferFilter
from geo.config import load_settings
from geo.data.indicators import MAP_INDICATORS, Band
from geo.dataset import load_dataset
from geo.exchange.table_export import (
    COVERAGE_COLUMNS,
    coverage_records,
    csv_bytes,
    export_file_name,
    export_metadata,
    filter_name_parts,
    sheet_name,
    xlsx_bytes,
)
from geo.i18n import t

CREATED = datetime(2026, 12, 7, 9, 30)


@pytest.fixture(scope="module")
def data():
    return load_dataset(load_settings({}))


def read_xlsx(blob: bytes):
    return load_workbook(io.BytesIO(blob))


# --- metadata, workbook, CSV, names ---------------------------------------------------------------------------

def test_metadata_rows_name_filter_parameters_date_sources_and_licence():
    rows = export_metadata("Versorgung", "Bildung · kostenlos", {"Gehweg in Metern": 800, "Bedarf": "Kinderarmut"},
                           ["Angebote: A", "Kennzahlen: B", "Angebote: A"], "CC BY-SA 4.0", CREATED)
    assert rows == [("Titel", "Versorgung"), ("Filter", "Bildung · kostenlos"), ("Gehweg in Metern", "800"),
                    ("Bedarf", "Kinderarmut"), ("Erstellt am", "2026-12-07T09:30"), ("Quelle", "Angebote: A"),
                    ("Quelle", "Kennzahlen: B"), ("Lizenz", "CC BY-SA 4.0"), ("Erstellt mit", "Quartierskarte Minden")]
    assert export_metadata("T", "F", {}, [], "L", CREATED, "en")[0] == ("Title", "T")


def test_xlsx_keeps_numbers_as_numbers_text_as_text_and_has_a_metadata_sheet():
    table = pd.DataFrame({"stadtteil": ["Bärenkämpen", "=HYPERLINK(\"http://x\")", "Rodenbeck"],
                          "angebote": pd.array([4, 7, None], dtype="Int64"),
                          "anteil_versorgt_prozent": [29.0, np.nan, 16.6],
                          "stichtag": ["2020-12-31", "", "2014-12-31"]})
    blob = xlsx_bytes({"Versorgung": table}, [("Titel", "Versorgung"), ("Lizenz", "+CC BY-SA")])
    book = read_xlsx(blob)
    assert book.sheetnames == ["Versorgung", "Metadaten"]
    sheet = book["Versorgung"]
    assert [c.value for c in sheet[1]] == ["stadtteil", "angebote", "anteil_versorgt_prozent", "stichtag"]
    assert [c.value for c in sheet[2]] == ["Bärenkämpen", 4, 29.0, "2020-12-31"]
    assert isinstance(sheet["B2"].value, int) and isinstance(sheet["C4"].value, float)
    assert sheet["C4"].value == 16.6 and sheet["B4"].value is None and sheet["C3"].value is None  # unknown: empty
    # a formula in the data is text a spreadsheet shows, never runs
    assert sheet["A3"].data_type == "s" and sheet["A3"].value == "'=HYPERLINK(\"http://x\")"
    assert sheet.freeze_panes == "A2"
    meta = book["Metadaten"]
    assert [(r[0].value, r[1].value) for r in meta.iter_rows()] == [("Titel", "Versorgung"), ("Lizenz", "'+CC BY-SA")]
    assert all(c.data_type != "f" for row in meta.iter_rows() for c in row)
    assert read_xlsx(xlsx_bytes({"x": table}, [], "en")).sheetnames == ["x", "Metadata"]


def test_sheet_names_are_valid_and_unique():
    assert sheet_name("Vergleich: A/B [2026]", set()) == "Vergleich- A-B -2026-"
    assert len(sheet_name("x" * 40, set())) == 31
    assert sheet_name("Metadaten", {"metadaten"}) == "Metadaten (2)"


def test_csv_is_machine_readable_utf8_with_bom_and_point_decimals():
    table = pd.DataFrame({"stadtteil": ["Bärenkämpen", "-Minus"], "wert": pd.array([50.8, None], dtype="Float64"),
                          "einwohner": pd.array([7102, None], dtype="Int64")})
    blob = csv_bytes(table)
    assert blob.startswith("\ufeff".encode())
    assert blob.decode("utf-8-sig").splitlines() == ["stadtteil,wert,einwohner", "Bärenkämpen,50.8,7102", "'-Minus,,"]
    back = pd.read_csv(io.BytesIO(blob), encoding="utf-8-sig")
    assert back["wert"].tolist()[0] == 50.8 and back["einwohner"].tolist()[0] == 7102 and back["wert"].isna().tolist()[1]


def test_file_names_carry_the_filter_and_differ_for_all_and_one_field():
    assert export_file_name("quartierskarte-luecken", ["bildung", "800m", "2026-12-07"], "xlsx") == \
        "quartierskarte-luecken-bildung-800m-2026-12-07.xlsx"
    everything = export_file_name("quartierskarte-versorgung", [*filter_name_parts(OfferFilter()), "800m"], "csv")
    education = export_file_name("quartierskarte-versorgung",
                                 [*filter_name_parts(OfferFilter(handlungsfelder=("Bildung",))), "800m"], "csv")
    assert (everything, education) == ("quartierskarte-versorgung-alle-800m.csv", "quartierskarte-versorgung-bildung-800m.csv")
    assert filter_name_parts(OfferFilter(handlungsfelder=("Bildung", "Wohnen"), stadtteil_ids=("baerenkaempen",),
                                         zielgruppen=("kinder",), sprachen=("Türkisch",), kostenlos=True,
                                         jetzt_offen=True, text="Deutschkurs")) == \
        ["bildung", "wohnen", "baerenkaempen", "kinder", "Türkisch", "kostenlos", "jetzt-offen", "suche"]
    assert export_file_name("x", ["Türkisch", "Große Straße", "", "Ülkü/Ä"], "csv") == "x-tuerkisch-grosse-strasse-uelkue-ae.csv"


# --- the coverage table with gap score and rank -------------------------------------------------------------------

def coverage_fixture():
    table = pd.DataFrame([
        {"stadtteil_id": "a", "name": "Aue", "angebote": 3, "einwohner": 2000.0, "einwohner_stichtag": "2020-12-31",
         "je_1000_einwohner": 1.5, "minderjaehrige": np.nan, "je_1000_minderjaehrige": np.nan, "anteil_versorgt": 0.4},
        {"stadtteil_id": "b", "name": "Berg", "angebote": 0, "einwohner": np.nan, "einwohner_stichtag": "",
         "je_1000_einwohner": np.nan, "minderjaehrige": np.nan, "je_1000_minderjaehrige": np.nan, "anteil_versorgt": 0.0},
        {"stadtteil_id": "c", "name": "Chaussee", "angebote": 1, "einwohner": 1000.0, "einwohner_stichtag": "2019-12-31",
         "je_1000_einwohner": 1.0, "minderjaehrige": np.nan, "je_1000_minderjaehrige": np.nan, "anteil_versorgt": 0.25},
        {"stadtteil_id": UNASSIGNED_ID, "name": "", "angebote": 2, "einwohner": np.nan, "einwohner_stichtag": "",
         "je_1000_einwohner": np.nan, "minderjaehrige": np.nan, "je_1000_minderjaehrige": np.nan,
         "anteil_versorgt": np.nan}])
    # in ranking order as gap_scores returns it: Berg 45–100 % need × 1.0 uncovered = 45–100, Aue 50 % × 0.6 = 30,
    # Chaussee without a need figure (unranked, last)
    scores = [GapScore("b", "Berg", Band(lower=45.0, lower_inclusive=False), 0.45, 1.0, 1.0, 0),
              GapScore("a", "Aue", Band(value=50.0), 0.5, 0.5, 0.6, 3),
              GapScore("c", "Chaussee", None, np.nan, np.nan, 0.75, 1)]
    return table, scores


def test_coverage_records_have_gap_score_rank_and_numbers_in_their_own_columns():
    table, scores = coverage_fixture()
    records = coverage_records(table, scores, {"a": 1, "b": 0, "c": 1}, 800, "kinderarmut",
                               {"a": "50,0 %", "b": "über 45 %"})
    assert list(records.columns) == list(COVERAGE_COLUMNS)
    assert records["stadtteil_id"].tolist() == ["b", "a", "c", ""]
    assert records["rang"].tolist() == [1, 2, pd.NA, pd.NA]
    assert records["luecke_untergrenze"].tolist() == [45.0, 30.0, pd.NA, pd.NA]
    assert records["luecke_obergrenze"].tolist() == [100.0, 30.0, pd.NA, pd.NA]
    assert records["bedarf_wert"].tolist() == [pd.NA, 50.0, pd.NA, pd.NA]
    assert records["bedarf_untergrenze"].tolist() == [45.0, pd.NA, pd.NA, pd.NA]  # a band stays a band
    assert records["bedarf_obergrenze"].isna().all()  # "über 45 %": no upper bound, not a guessed 100
    assert records["anteil_versorgt_prozent"].tolist() == [0.0, 40.0, 25.0, pd.NA]
    assert records["einwohner"].tolist() == [pd.NA, 2000, 1000, pd.NA]  # unknown stays unknown, not 0
    assert records["angebote"].tolist() == [0, 3, 1, 2] and records["gehweg_m"].tolist() == [800] * 4
    back = pd.read_csv(io.BytesIO(csv_bytes(records)), encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert back["luecke_untergrenze"].tolist()[:2] == [45.0, 30.0] and back["rang"].tolist()[:2] == [1.0, 2.0]
    assert back["bedarf_angabe"].tolist()[:2] == ["über 45 %", "50,0 %"]


def test_coverage_records_of_the_shipped_data_rank_as_the_page_does(data):
    from geo.analysis.coverage import coverage_table, gap_scores, straight_line_radius
    from geo.analysis.overview import latest_population

    current = data.offers[data.offers["status"] != "beendet"]
    table = coverage_table(data.districts, current, straight_line_radius(800), latest_population(data.indicators))
    scores = gap_scores(table, data.indicators, "kinderarmut")
    records = coverage_records(table, scores, {}, 800, "kinderarmut", {})
    ranked = records.dropna(subset=["rang"])
    assert ranked["rang"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked["stadtteil_id"].tolist() == [s.stadtteil_id for s in scores[:len(ranked)]]
    baer = records.set_index("stadtteil_id").loc["baerenkaempen"]
    # Bärenkämpen: 50.8 % (Sozialatlas 1.1.2018), 7,102 inhabitants (31.12.2020)
    assert (baer["bedarf_wert"], baer["einwohner"], baer["einwohner_stichtag"]) == (50.8, 7102, "2020-12-31")
    assert baer["luecke_untergrenze"] == pytest.approx(50.8 * (1 - baer["anteil_versorgt_prozent"] / 100), abs=0.06)


# --- the comparison as a long table -----------------------------------------------------------------------------

def test_comparison_records_put_value_date_and_bounds_in_their_own_columns(data):
    current = data.offers[data.offers["status"] != "beendet"]
    records = comparison_records(data.districts, current, data.indicators, ["baerenkaempen", "rodenbeck"], 800)
    assert list(records.columns) == list(RECORD_COLUMNS)
    assert records["stadtteil_id"].drop_duplicates().tolist() == ["baerenkaempen", "rodenbeck", "minden"]
    row = records.set_index(["stadtteil_id", "kennzahl"])
    # was "7.102 (2020-12-31)" in one cell
    assert row.loc[("baerenkaempen", "einwohner"), ["wert", "stichtag", "einheit"]].tolist() == [7102.0, "2020-12-31", "Anzahl"]
    assert row.loc[("rodenbeck", "einwohner"), ["wert", "stichtag"]].tolist() == [8583.0, "2014-12-31"]
    assert row.loc[("baerenkaempen", "kinderarmut"), ["wert", "einheit", "stichtag"]].tolist() == [50.8, "%", "2018-01-01"]
    assert "Sozialatlas" in row.loc[("baerenkaempen", "kinderarmut"), "quelle"]
    rodenbeck = row.loc[("rodenbeck", "kinderarmut")]  # "über 45 %": a band, open above, 45 not included
    assert pd.isna(rodenbeck["wert"]) and rodenbeck["untergrenze"] == 45.0 and pd.isna(rodenbeck["obergrenze"])
    assert rodenbeck["untergrenze_inklusiv"] == False and pd.isna(rodenbeck["obergrenze_inklusiv"])  # noqa: E712
    city = row.loc[("minden", "kinderarmut")]  # no city-wide figure: empty, never 0
    assert pd.isna(city["wert"]) and pd.isna(city["untergrenze"]) and city["quelle"] == ""
    assert row.loc[("minden", "einwohner"), ["wert", "stichtag"]].tolist() == [83100.0, "2023-12-31"]
    assert row.loc[("minden", "angebote"), "wert"] == len(current)
    counts = [row.loc[("baerenkaempen", f"angebote_{k}"), "wert"] for k in ("zusammenleben", "bildung", "arbeit", "wohnen")]
    assert sum(counts) == row.loc[("baerenkaempen", "angebote"), "wert"]
    share = row.loc[("baerenkaempen", "anteil_versorgt"), "wert"]
    assert 0 < share < 100 and row.loc[("baerenkaempen", "anteil_versorgt"), "einheit"] == "%"
    back = pd.read_csv(io.BytesIO(csv_bytes(records)), encoding="utf-8-sig")
    assert back["wert"].dtype == float and back.loc[0, "wert"] == 7102.0 and back.loc[0, "stichtag"] == "2020-12-31"
    book = read_xlsx(xlsx_bytes({"Vergleich": records}, []))
    assert book["Vergleich"]["E2"].value == 7102 and book["Vergleich"]["K2"].value == "2020-12-31"


# --- the comparison charts PNG --------------------------------------------------------------------------------------

def test_chart_labels_stay_above_the_axis_and_the_foot_names_source_date_and_unit(data):
    import matplotlib.pyplot as plt

    ids = ["baerenkaempen", "rodenbeck", "rechtes-weserufer", "innenstadt", "koenigstor"]
    series = [(t(f"indikator.{k}", "de"), *chart_values(data.indicators, data.districts, ids, k)) for k in MAP_INDICATORS]
    note = t("export.diagramm_fuss", "de", einheit="%", quelle="Sozialatlas der Stadt Minden 1.1.2018",
             stichtag="2018-01-01", datum="2026-12-07")
    fig = charts_figure(series, "Stadt", dpi=80, note=note, unit_label=t("export.achse_prozent", "de"))
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        missing = [(ax, text) for ax in fig.axes for text in ax.texts if text.get_text() == "keine Angabe"]
        assert len(missing) == 4  # foreign minors: only Bärenkämpen has a figure
        boxes = [(text.get_window_extent(renderer), ax.get_window_extent(renderer)) for ax, text in missing]
        assert [box.y0 > frame.y0 + 2 for box, frame in boxes] == [True] * 4, "a label sits on the x axis"
        assert [box.x0 > frame.x0 for box, frame in boxes] == [True] * 4, "a label starts on the y axis"
        assert all(ax.get_xlabel() == "Anteil in %" for ax in fig.axes)
        foot = [text.get_text() for text in fig.texts]
        assert foot == ["Einheit: % · Quelle: Sozialatlas der Stadt Minden 1.1.2018 · Stichtag: 2018-01-01 · "
                        "erstellt am 2026-12-07 mit Quartierskarte Minden"]
        foot_box = fig.texts[0].get_window_extent(renderer)
        assert all(foot_box.y1 < ax.xaxis.label.get_window_extent(renderer).y0 for ax in fig.axes)  # no overlap
    finally:
        plt.close(fig)
