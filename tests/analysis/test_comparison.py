"""geo.analysis.comparison: the side-by-side table against the data files, bands as ranges, the selection rules."""
import pandas as pd
import pytest

from geo.analysis.comparison import (
    FOCUS_DISTRICTS,
    MAX_CHOSEN,
    chart_frame,
    chart_values,
    charts_png,
    chosen_ids,
    comparison_table,
    small_multiples_png,
)
from geo.config import DATA_DIR, load_settings
from geo.dataset import load_dataset


@pytest.fixture(scope="module")
def data():
    return load_dataset(load_settings({}))


@pytest.fixture(scope="module")
def table(data):
    current = data.offers[data.offers["status"] != "beendet"]
    return comparison_table(data.districts, current, data.indicators, ["baerenkaempen", "rodenbeck"], 800)


def cell(table: pd.DataFrame, label: str, column: str) -> str:
    return table.set_index("Kennzahl").loc[label, column]


def test_columns_are_the_two_districts_the_city_and_the_source(table):
    assert list(table.columns) == ["Kennzahl", "Bärenkämpen", "Rodenbeck", "Stadt Minden gesamt", "Quelle"]


def test_population_and_indicators_match_the_data_files(table):
    facts = pd.read_csv(DATA_DIR / "stadtteile_flaechen.csv", dtype=str).set_index("id")
    # data/stadtteile_flaechen.csv: Bärenkämpen 7102 (31.12.2020), Rodenbeck 8583 (31.12.2014)
    assert facts.loc["baerenkaempen", "population"] == "7102" and facts.loc["rodenbeck", "population"] == "8583"
    assert cell(table, "Einwohner", "Bärenkämpen") == "7.102 (2020-12-31)"
    assert cell(table, "Einwohner", "Rodenbeck") == "8.583 (2014-12-31)"
    assert cell(table, "Einwohner", "Stadt Minden gesamt") == "83.100 (2023-12-31)"
    # data/sozialatlas.csv: Bärenkämpen wert 50.8; Rodenbeck untergrenze 45, exclusive, no upper bound
    kinder = "Minderjährige in SGB-II-/AsylbLG-Haushalten"
    assert cell(table, kinder, "Bärenkämpen") == "50,8\u202f% (2018-01-01)"
    assert cell(table, kinder, "Rodenbeck") == "über 45\u202f% (2018-01-01)"  # a band stays a band
    assert cell(table, "Minderjährige mit ausländischem Pass", "Bärenkämpen") == "31,8\u202f% (2018-01-01)"
    assert cell(table, "Minderjährige mit ausländischem Pass", "Rodenbeck") == "keine Angabe"
    assert cell(table, "Kinder in Familien mit SGB-II-Bezug (Anzahl)", "Rodenbeck") == "696 (2014)"
    assert "Integrationskonzept" in cell(table, kinder, "Quelle")


def test_offer_counts_match_the_offers_file(data, table):
    current = data.offers[data.offers["status"] != "beendet"]
    for district, name in (("baerenkaempen", "Bärenkämpen"), ("rodenbeck", "Rodenbeck")):
        own = current[current["stadtteil_id"] == district]
        assert cell(table, "Angebote im Stadtteil", name) == str(len(own))
        assert cell(table, "Angebote: Bildung", name) == str(int((own["handlungsfeld"] == "Bildung").sum()))
    assert cell(table, "Angebote im Stadtteil", "Stadt Minden gesamt") == str(len(current))
    # per 1,000 inhabitants: n / population × 1000, two decimals, German comma
    n = len(current[current["stadtteil_id"] == "baerenkaempen"])
    assert cell(table, "Angebote je 1.000 Einwohner", "Bärenkämpen") == f"{n / 7102 * 1000:.2f}".replace(".", ",")
    assert cell(table, "Angebote je 1.000 Minderjährige", "Bärenkämpen") == "n/a"  # no source: n/a, not 0


def test_coverage_row_reuses_the_coverage_functions(data, table):
    from geo.analysis.coverage import covered_shares, straight_line_radius

    current = data.offers[data.offers["status"] != "beendet"]
    shares = covered_shares(data.districts, current, straight_line_radius(800))
    expected = f"{100 * shares['rodenbeck']:.1f}".replace(".", ",") + " %"
    assert cell(table, "Fläche mit Angebot in 800 m Gehweg", "Rodenbeck") == expected


def test_a_band_is_charted_as_a_range_never_as_one_bar(data):
    values, city = chart_values(data.indicators, data.districts, ["baerenkaempen", "rodenbeck", "innenstadt"],
                                "kinderarmut")
    frame = chart_frame(values).set_index("name")
    assert frame.loc["Bärenkämpen", ["low", "high", "form"]].tolist() == [50.8, 50.8, "wert"]
    # "mehr als 45 %": 45 to the logical end 100, marked open
    assert frame.loc["Rodenbeck", ["low", "high", "form", "offen"]].tolist() == [45.0, 100.0, "spanne", True]
    assert frame.loc["Innenstadt", ["low", "high", "form", "offen"]].tolist() == [25.0, 45.0, "spanne", False]
    assert city is None  # no city-wide share of minors in SGB II/AsylbLG households in the sources
    png = charts_png([("Kinderarmut", values, city)], "Stadt")
    assert png.startswith(b"\x89PNG")


def test_selection_rules():
    known = ["a", "b", "c", *FOCUS_DISTRICTS]
    assert chosen_ids(["b", "a", "b", "zzz"], known) == ["b", "a"]
    assert chosen_ids(["a"], known) == list(FOCUS_DISTRICTS)  # fewer than two: the focus districts
    assert len(chosen_ids(known, known)) == MAX_CHOSEN


def test_small_multiples_is_an_image(data):
    assert small_multiples_png(data.districts, data.offers, ["baerenkaempen", "rodenbeck"]).startswith(b"\x89PNG")
