"""Hand-checked facts about the shipped offers (data/angebote.csv) and the offline gazetteer (data/gazetteer.csv).

The numbers were counted by hand from the two files after bringing in
shared/sources/minden_angebote_orte.csv and further public pages (November 2026).
"""
import re
from pathlib import Path

import pandas as pd
import pytest

from geo.config import HANDLUNGSFELDER
from geo.data.gazetteer import read_gazetteer
from geo.data.offers import LAGE_GENAUIGKEITEN, STATUS_WERTE, read_offers
from geo.data.outline import lonlat_inside

DATA = Path(__file__).resolve().parents[2] / "data"
# finer first: an offer may not claim more precision than the gazetteer entry it sits on
RANK = {"adresse": 0, "strasse": 1, "stadtteil": 2}


@pytest.fixture(scope="module")
def offers() -> pd.DataFrame:
    load = read_offers(DATA / "angebote.csv")
    assert load.errors == [] and load.rejected.empty
    return load.offers


@pytest.fixture(scope="module")
def gazetteer() -> pd.DataFrame:
    return read_gazetteer(DATA / "gazetteer.csv")


def placed(offers: pd.DataFrame) -> pd.DataFrame:
    return offers[offers["lage_genauigkeit"] != "unbekannt"]


def test_counts_of_offers_placed_and_unplaced(offers):
    assert len(offers) == 78
    on_map = placed(offers)
    assert len(on_map) == 43 and (on_map["status"] != "beendet").all()
    assert on_map["lage_genauigkeit"].value_counts().to_dict() == {"stadtteil": 33, "adresse": 5, "strasse": 5}
    assert (offers["lage_genauigkeit"] == "unbekannt").sum() == 35


def test_every_handlungsfeld_has_at_least_three_current_offers_on_the_map(offers):
    current = placed(offers)
    current = current[current["status"] != "beendet"]
    counts = current["handlungsfeld"].value_counts().to_dict()
    assert counts == {"Zusammenleben und Teilhabe": 31, "Bildung": 6, "Arbeitsmarktintegration": 3, "Wohnen": 3}
    assert all(counts.get(hf.name, 0) >= 3 for hf in HANDLUNGSFELDER)


def test_placed_offers_sit_on_a_gazetteer_entry_at_least_as_precise(offers, gazetteer):
    best = {}
    for entry in gazetteer.itertuples():
        key = (round(entry.lat, 6), round(entry.lon, 6))
        best[key] = min(best.get(key, 9), RANK[entry.genauigkeit])
    for row in placed(offers).itertuples():
        key = (round(row.lat, 6), round(row.lon, 6))
        assert key in best, row.id
        assert best[key] <= RANK[row.lage_genauigkeit], row.id


def test_unplaced_offers_have_no_coordinate(offers):
    unplaced = offers[offers["lage_genauigkeit"] == "unbekannt"]
    assert unplaced["lat"].isna().all() and unplaced["lon"].isna().all()


def test_stadtteil_precision_means_a_stated_stadtbezirk_at_its_reference_point(offers, gazetteer):
    points = gazetteer[gazetteer["art"] == "stadtteil"].set_index("stadtteil")
    for row in offers[offers["lage_genauigkeit"] == "stadtteil"].itertuples():
        ref = points.loc[row.stadtteil]
        assert (round(row.lat, 6), round(row.lon, 6)) == (round(ref.lat, 6), round(ref.lon, 6)), row.id


def test_gazetteer_rows_are_sourced_and_inside_minden(gazetteer):
    assert len(gazetteer) == 45
    assert gazetteer.groupby(["art", "genauigkeit"]).size().to_dict() == {
        ("ort", "adresse"): 6, ("ort", "stadtteil"): 1, ("stadtteil", "stadtteil"): 19,
        ("strasse", "stadtteil"): 15, ("strasse", "strasse"): 4}
    for column in ("quelle", "lizenz", "zitat", "quelle_datum"):
        assert gazetteer[column].str.strip().str.len().gt(0).all(), column
    assert gazetteer["quelle"].str.contains("http").all()
    assert lonlat_inside(gazetteer["lon"].to_numpy(), gazetteer["lat"].to_numpy()).all()


def test_gazetteer_has_the_19_stadtbezirke_with_their_reference_points(gazetteer):
    refs = pd.read_csv(DATA / "stadtteile_bezugspunkte.csv")
    districts = gazetteer[gazetteer["art"] == "stadtteil"].set_index("name")
    assert sorted(districts.index) == sorted(refs["name"])
    for ref in refs.itertuples():
        assert (districts.loc[ref.name, "lat"], districts.loc[ref.name, "lon"]) == pytest.approx((ref.lat, ref.lon), abs=1e-6)


@pytest.mark.parametrize("entry, lat, lon", [
    # hand-converted from the quoted degrees/minutes/seconds
    ("ort-kurt-tucholsky-gesamtschule", 52.289167, 8.910278),  # 52° 17' 21" N, 8° 54' 37" E
    ("ort-st-martini", 52.288139, 8.915222),  # 52° 17′ 17,3″ N, 8° 54′ 54,8″ O
    ("ort-kanzlers-weide", 52.288056, 8.926389),  # 52°17'17''N, 08°55'35''O
    ("ort-stadttheater", 52.287222, 8.918611),  # 52° 17′ 14″ N, 8° 55′ 7″ O
    ("strasse-kaiserstrasse", 52.289491, 8.922358),  # N 52.289491 ° E 8.922358 °
])
def test_gazetteer_coordinates_match_their_quoted_source(gazetteer, entry, lat, lon):
    row = gazetteer.set_index("id").loc[entry]
    assert (row["lat"], row["lon"]) == pytest.approx((lat, lon), abs=1e-6)


def test_status_and_source_date_vocabulary(offers):
    assert set(offers["status"]) <= set(STATUS_WERTE)
    assert set(offers["lage_genauigkeit"]) <= set(LAGE_GENAUIGKEITEN)
    assert offers["status"].value_counts().to_dict() == {"unklar": 64, "aktiv": 10, "beendet": 3, "umgezogen": 1}
    # every offer has the source's own date or "undatiert" (tests/data/test_offer_dates.py checks the values)
    dated = offers["stand_quelle"][offers["stand_quelle"] != "undatiert"]
    assert dated.map(lambda v: bool(re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", v))).all()


def test_undated_sources_say_so(offers):
    # an undated source says so in its citation or note; its retrieval date is no Stand
    undated = offers[offers["stand_quelle"] == "undatiert"]
    assert len(undated) == 14
    says_so = (undated["quelle"] + undated["hinweis"]).str.contains("undatiert|Datum unbekannt")
    assert says_so.all(), list(undated.loc[~says_so, "id"])
    assert not (offers["stand_quelle"] == "2026-11-24").any()


def test_aktiv_needs_a_source_from_2023_or_later(offers):
    aktiv = offers[offers["status"] == "aktiv"]
    years = aktiv["quelle"].str.findall(r"20(?:2[3-9])").str.len() + aktiv["stand_quelle"].str.match(r"202[3-9]")
    assert (years > 0).all(), list(aktiv.loc[years == 0, "id"])


def test_moved_ended_and_named_offers(offers):
    by_id = offers.set_index("id")
    kiz = by_id.loc["kiz-cafe-klee"]
    assert kiz["status"] == "umgezogen" and kiz["adresse"] == "Tonstraße 10, Minden" and "Am Markt" in kiz["hinweis"]
    assert set(offers.loc[offers["status"] == "beendet", "id"]) == {
        "thomas-wohnzimmer", "warmes-wohnzimmer-marienstift", "notuebernachtung-frauen-winter"}
    ktg = by_id.loc["sprachfoerdergruppe-ktg"]
    assert ktg["lage_genauigkeit"] == "adresse" and (ktg["lat"], ktg["lon"]) == pytest.approx((52.289167, 8.910278))
    tafel = by_id.loc["mindener-tafel"]
    assert tafel["stadtteil"] == "Königstor" and tafel["oeffnungszeiten"] == "Tu,Fr 09:00-12:00,12:30-14:30"
    # the Kaiserstraße runs through two Stadtbezirke: street point, no Stadtbezirk claimed
    ditib = by_id.loc["ditib-moschee-minden"]
    assert ditib["lage_genauigkeit"] == "strasse" and ditib["stadtteil"] == ""
    # several places and no main one: not on the map
    assert by_id.loc["rucksack", "lage_genauigkeit"] == "unbekannt"
    assert by_id.loc["offene-sporthalle", "lage_genauigkeit"] == "unbekannt"


def test_new_offers_for_thin_handlungsfelder(offers):
    by_id = offers.set_index("id")
    assert by_id.loc["alz-johanniskirchhof", "handlungsfeld"] == "Arbeitsmarktintegration"
    assert by_id.loc["alz-johanniskirchhof", "lage_genauigkeit"] == "strasse"
    assert by_id.loc["waermestube-st-nikolai", "handlungsfeld"] == "Wohnen"
    assert by_id.loc["waermestube-st-nikolai", "status"] == "aktiv"
    assert by_id.loc["packt-an-minden", "lage_genauigkeit"] == "unbekannt"


def test_ids_are_ascii_slugs_and_opening_hours_valid(offers):
    assert offers["id"].str.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*").all()
    assert offers["id"].is_unique
    opening_hours = pytest.importorskip("opening_hours")
    for value in offers["oeffnungszeiten"][offers["oeffnungszeiten"] != ""]:
        assert opening_hours.validate(value), value
