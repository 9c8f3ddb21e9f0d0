"""geo.data.indicators: bands stay bands, labels are German, shipped file matches the geometry."""
from pathlib import Path

import pandas as pd
import pytest

from geo.data.districts import read_districts
from geo.data.indicators import Band, district_band, read_indicators

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize("band, label", [
    (Band(value=50.8), "50,8\u202f%"),
    (Band(lower=45, lower_inclusive=False), "über 45\u202f%"),
    (Band(lower=25, upper=45, lower_inclusive=False, upper_inclusive=False), "25–45\u202f%"),
    (Band(lower=10, upper=20), "10–20\u202f%"),
    (Band(upper=10, upper_inclusive=True), "höchstens 10\u202f%"),
    (Band(upper=10, upper_inclusive=False), "unter 10\u202f%"),
])
def test_band_labels(band, label):
    assert band.label("%") == label


def test_band_order_low_to_high():
    bands = [Band(value=50.8), Band(upper=10), Band(lower=45, lower_inclusive=False), Band(lower=10, upper=20)]
    assert [b.label("") for b in sorted(bands, key=lambda b: b.sort_key)] == ["höchstens 10", "10–20", "über 45", "50,8"]


@pytest.fixture(scope="module")
def shipped():
    districts = read_districts(DATA / "stadtteile.geojson").districts
    return districts, read_indicators(DATA / "sozialatlas.csv", set(districts["id"]))


def test_every_indicator_district_exists_in_geometry(shipped):
    districts, load = shipped
    assert load.problems == [] and load.rejected.empty
    assert set(load.indicators["stadtteil_id"]) - {"minden"} <= set(districts["id"])


def test_every_district_has_a_child_poverty_band(shipped):
    districts, load = shipped
    assert all(district_band(load.indicators, d, "kinderarmut") is not None for d in districts["id"])


def test_source_values_are_stored_as_the_source_gives_them(shipped):
    _, load = shipped
    ind = load.indicators
    assert district_band(ind, "baerenkaempen", "kinderarmut") == Band(value=50.8)
    assert district_band(ind, "baerenkaempen", "auslaender_minderjaehrige") == Band(value=31.8)
    for district in ("rodenbeck", "rechtes-weserufer"):
        assert district_band(ind, district, "kinderarmut") == Band(lower=45.0, lower_inclusive=False)
    assert district_band(ind, "koenigstor", "kinderarmut").label() == "über 25\u202f%"
    for district in ("meissen", "dankersen", "nordstadt"):
        assert district_band(ind, district, "kinderarmut").label() == "10–20\u202f%"
    assert district_band(ind, "stemmer", "kinderarmut").label() == "höchstens 10\u202f%"


def test_no_band_was_turned_into_a_number(shipped):
    _, load = shipped
    vague = load.indicators[load.indicators["angabe"].str.contains("mehr als|zwischen|Drittel|Viertel", regex=True)]
    assert not vague.empty
    assert (vague["wert"] == "").all()


def test_sub_areas_combine_into_the_enclosing_band(shipped):
    _, load = shipped
    band = district_band(load.indicators, "leteln-aminghausen", "kinderarmut")
    assert (band.value, band.lower, band.upper) == (None, None, 20.0)
    assert band.label() == "höchstens 20\u202f%"
    assert len(band.parts) == 2 and any(p.startswith("Aminghausen") for p in band.parts)


def test_unknown_district_row_is_rejected(tmp_path):
    path = tmp_path / "s.csv"
    pd.read_csv(DATA / "sozialatlas.csv", dtype=str, keep_default_na=False).head(1).assign(stadtteil_id="atlantis").to_csv(path, index=False)
    load = read_indicators(path, {"baerenkaempen"})
    assert load.indicators.empty
    assert str(load.problems[0]) == "s.csv, Zeile 2, Spalte „stadtteil_id“: Stadtteil „atlantis“ gibt es in der Geometriedatei nicht."
