"""geo.analysis.overview: district rows, city row and "ohne Ort" row with hand-checked numbers."""
import pandas as pd
from conftest import HEADER, metric_point_as_latlon, offer_line

from geo.analysis.join import assign_districts
from geo.analysis.overview import district_overview
from geo.data.indicators import read_indicators
from geo.data.offers import parse_offers

INDICATORS = """stadtteil_id,stadtteil,gebiet,indikator,einheit,wert,untergrenze,obergrenze,untergrenze_inklusiv,obergrenze_inklusiv,angabe,stichtag,quelle,methode
west,West,West,einwohner,Anzahl,2000,,,,,2000,2020-12-31,Test,Test
minden,Stadt,Stadt,einwohner,Anzahl,5000,,,,,5000,2023-12-31,Test,Test
west,West,West,kinderarmut,%,,10,20,true,true,zwischen 10 und 20 %,2018-01-01,Test,Test
"""


def test_overview_rows_and_numbers(two_squares, tmp_path):
    lines = [offer_line("a", "a", *metric_point_as_latlon(490500, 5794500), handlungsfeld="Bildung"),
             offer_line("b", "b", *metric_point_as_latlon(490600, 5794500), handlungsfeld="Wohnen"),
             offer_line("c", "c", *metric_point_as_latlon(491500, 5794500), handlungsfeld="Bildung"),
             offer_line("d", "d", float("nan"), float("nan"), handlungsfeld="Arbeitsmarktintegration",
                        lage="unbekannt").replace("nan", "")]
    offers = assign_districts(parse_offers("\n".join([HEADER, *lines]), "t.csv").offers, two_squares).offers
    (tmp_path / "s.csv").write_text(INDICATORS, encoding="utf-8")
    indicators = read_indicators(tmp_path / "s.csv", {"west", "east"}).indicators

    table = district_overview(two_squares, offers, indicators).set_index("Stadtteil")
    # German order (Ost before West), then the city, then the offers without a place
    assert list(table.index) == ["Ost", "West", "Stadt Minden gesamt", "Angebote ohne bekannten Ort"]
    assert table.loc["West", "Einwohner"] == 2000 and table.loc["West", "Stichtag Einwohner"] == "2020-12-31"
    assert pd.isna(table.loc["Ost", "Einwohner"]) and table.loc["Ost", "Stichtag Einwohner"] == ""
    assert table.loc["West", "Minderjährige in SGB-II-/AsylbLG-Haushalten"] == "10–20\u202f%"
    assert table.loc["West", "Bildung"] == 1 and table.loc["West", "Wohnen"] == 1 and table.loc["West", "Angebote gesamt"] == 2
    assert table.loc["Ost", "Angebote gesamt"] == 1
    assert table.loc["Angebote ohne bekannten Ort", "Arbeitsmarktintegration"] == 1
    assert table.loc["Stadt Minden gesamt", "Angebote gesamt"] == 4  # 2 + 1 + 1 without a place
    # 2 offers / 2000 inhabitants × 1000 = 1.0; 4 / 5000 × 1000 = 0.8; unknown population: n/a, not 0
    assert table.loc["West", "Angebote je 1.000 Einwohner"] == 1.0
    assert table.loc["Stadt Minden gesamt", "Angebote je 1.000 Einwohner"] == 0.8
    assert pd.isna(table.loc["Ost", "Angebote je 1.000 Einwohner"])
    assert str(table["Einwohner"].dtype) == "Int64"
