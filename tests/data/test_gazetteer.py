"""geo.data.gazetteer and the shipped offer data: every coordinate comes from a sourced gazetteer entry."""
from pathlib import Path

import pandas as pd
import pytest

from geo.data.gazetteer import find_places, read_gazetteer
from geo.data.offers import read_offers

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def gazetteer() -> pd.DataFrame:
    return read_gazetteer(DATA / "gazetteer.csv")


@pytest.fixture(scope="module")
def offers():
    load = read_offers(DATA / "angebote.csv")
    assert load.errors == [] and load.rejected.empty
    return load.offers


def test_gazetteer_has_all_19_stadtbezirke_and_sourced_places(gazetteer):
    assert (gazetteer["art"] == "stadtteil").sum() == 19
    assert gazetteer.groupby("genauigkeit").size().to_dict() == {"adresse": 6, "strasse": 4, "stadtteil": 35}
    assert gazetteer["quelle"].str.len().gt(0).all()


def test_every_placed_offer_sits_on_a_gazetteer_entry_of_its_precision(offers, gazetteer):
    placed = offers[offers["lage_genauigkeit"] != "unbekannt"]
    entries = {(round(r.lat, 6), round(r.lon, 6), r.genauigkeit) for r in gazetteer.itertuples()}
    for row in placed.itertuples():
        assert (round(row.lat, 6), round(row.lon, 6), row.lage_genauigkeit) in entries, row.id


def test_shipped_offer_counts(offers):
    # hand-counted from data/angebote.csv after bringing in shared/sources/minden_angebote_orte.csv
    assert len(offers) == 78
    placed = offers[offers["lage_genauigkeit"] != "unbekannt"]
    current = placed[placed["status"] != "beendet"]
    assert len(placed) == 43 and len(current) == 43
    assert placed.groupby("lage_genauigkeit").size().to_dict() == {"adresse": 5, "stadtteil": 33, "strasse": 5}
    assert current.groupby("handlungsfeld").size().to_dict() == {
        "Arbeitsmarktintegration": 3, "Bildung": 6, "Wohnen": 3, "Zusammenleben und Teilhabe": 31}
    assert offers["status"].value_counts().to_dict() == {"unklar": 64, "aktiv": 10, "beendet": 3, "umgezogen": 1}


def test_moved_and_ended_offers_are_marked(offers):
    kiz = offers.set_index("id").loc["kiz-cafe-klee"]
    assert kiz["status"] == "umgezogen" and kiz["adresse"] == "Tonstraße 10, Minden" and kiz["stadtteil"] == "Innenstadt"
    ended = set(offers.loc[offers["status"] == "beendet", "id"])
    assert ended == {"thomas-wohnzimmer", "warmes-wohnzimmer-marienstift", "notuebernachtung-frauen-winter"}


@pytest.mark.parametrize("query, first", [
    ("Piwittskamp", "strasse-piwittskamp"),
    ("Baerenkaempen", "stadtteil-baerenkaempen"),
    ("stadttheater", "ort-stadttheater"),
    ("kaiserstr", "strasse-kaiserstrasse"),
])
def test_find_places_is_tolerant(gazetteer, query, first):
    assert find_places(gazetteer, query)["id"].iloc[0] == first
