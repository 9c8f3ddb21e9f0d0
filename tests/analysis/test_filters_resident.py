"""geo.analysis.filters.apply_filter: the residents' filter (yes / no / unknown per criterion) and language_options."""
from datetime import datetime

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.analysis.filters import (
    UNKNOWN_COLUMN,
    OfferFilter,
    apply_filter,
    criterion_states,
    language_options,
)
from geo.analysis.search import attach_search_index

# 2026-12-01 is a Tuesday, 2026-12-05 a Saturday (naive = Europe/Berlin)
TUESDAY_10 = datetime(2026, 12, 1, 10, 0)
TUESDAY_1215 = datetime(2026, 12, 1, 12, 15)
SATURDAY_11 = datetime(2026, 12, 5, 11, 0)

COLUMNS = ("id", "name", "handlungsfeld", "kategorie", "stadtteil_id", "stadtteil_name", "status", "zielgruppen",
           "sprachen", "kosten", "barrierefrei", "oeffnungszeiten")
ROWS = [
    # id  name                 Handlungsfeld                  kat.        district        name            status
    ("a", "Sprach-Café",        "Bildung",                     "Sprachkurs", "innenstadt",    "Innenstadt",   "aktiv",
     "Kinder;Familien",       "Deutsch",           "kostenlos", "ja",        "Tu,Fr 09:00-12:00,12:30-14:30"),
    ("b", "Mieterberatung",     "Wohnen",                      "Beratung",   "baerenkaempen", "Bärenkämpen",  "aktiv",
     "alle",                  "Arabisch;Persisch", "2 Euro",    "nein",      "Mo-Fr 09:00-17:00"),
    ("c", "Jobcafé",            "Arbeitsmarktintegration",     "Beratung",   "innenstadt",    "Innenstadt",   "unklar",
     "",                      "",                  "",          "unbekannt", ""),
    ("d", "Männertreff",        "Zusammenleben und Teilhabe",  "Begegnung",  "rodenbeck",     "Rodenbeck",    "beendet",
     "Männer",                "Ukrainisch",        "unbekannt", "ja",        "Sa 10:00-12:00"),
    ("e", "Lernhilfe",          "Bildung",                     "Nachhilfe",  "baerenkaempen", "Bärenkämpen",  "aktiv",
     "Geflüchtete;Familien",  "Deutsch;Arabisch",  "kostenfrei", "",         "Montags 9-12"),
]


@pytest.fixture
def offers() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(ROWS, columns=COLUMNS)
    offers = gpd.GeoDataFrame(frame, geometry=[Point(8.91, 52.29)] * len(frame), crs="EPSG:4326")
    attach_search_index(offers)  # as geo.dataset does when loading
    return offers


def ids(frame: pd.DataFrame) -> list[str]:
    return list(frame["id"])


def marks(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["id"], frame[UNKNOWN_COLUMN]))


def test_default_filter_leaves_out_ended_offers_only(offers):
    result = apply_filter(offers, OfferFilter())
    assert ids(result) == ["a", "b", "c", "e"]  # d is "beendet"
    assert marks(result) == {"a": "", "b": "", "c": "", "e": ""}  # no attribute criterion active
    assert isinstance(result, gpd.GeoDataFrame)


def test_ended_offers_with_beendete(offers):
    assert ids(apply_filter(offers, OfferFilter(beendete=True))) == ["a", "b", "c", "d", "e"]


def test_handlungsfeld(offers):
    assert ids(apply_filter(offers, OfferFilter(handlungsfelder=("Bildung",)))) == ["a", "e"]
    assert ids(apply_filter(offers, OfferFilter(handlungsfelder=("Wohnen", "Arbeitsmarktintegration")))) == ["b", "c"]
    assert ids(apply_filter(offers, OfferFilter(handlungsfelder=("Zusammenleben und Teilhabe",)))) == []  # only d, ended


def test_stadtteil(offers):
    assert ids(apply_filter(offers, OfferFilter(stadtteil_ids=("innenstadt",)))) == ["a", "c"]
    assert ids(apply_filter(offers, OfferFilter(stadtteil_ids=("rodenbeck",), beendete=True))) == ["d"]


def test_text(offers):
    assert ids(apply_filter(offers, OfferFilter(text="sprachcafe"))) == ["a"]
    assert ids(apply_filter(offers, OfferFilter(text="beratung"))) == ["b", "c"]  # category Beratung


def test_zielgruppe_any_wanted_group_alle_and_unknown(offers):
    # wanted familien: a Kinder;Familien ja, b alle ja, c empty unbekannt (kept, marked), e Geflüchtete;Familien ja
    result = apply_filter(offers, OfferFilter(zielgruppen=("familien",)))
    assert ids(result) == ["a", "b", "c", "e"]
    assert marks(result) == {"a": "", "b": "", "c": "zielgruppe", "e": ""}
    # wanted kinder: e (Geflüchtete;Familien) is "nein"
    assert ids(apply_filter(offers, OfferFilter(zielgruppen=("kinder",)))) == ["a", "b", "c"]
    # several wanted groups: an offer matching any of them is in
    assert ids(apply_filter(offers, OfferFilter(zielgruppen=("kinder", "neuzugewanderte")))) == ["a", "b", "c", "e"]
    # senioren: nobody names them, but b is for everyone and c is unknown
    assert ids(apply_filter(offers, OfferFilter(zielgruppen=("senioren",)))) == ["b", "c"]
    # d "Männer" has no key → "nein" even with ended offers shown
    assert ids(apply_filter(offers, OfferFilter(zielgruppen=("familien",), beendete=True))) == ["a", "b", "c", "e"]


def test_zielgruppe_only_stated(offers):
    result = apply_filter(offers, OfferFilter(zielgruppen=("familien",), nur_belegt=True))
    assert ids(result) == ["a", "b", "e"]  # c (empty cell) dropped
    assert set(result[UNKNOWN_COLUMN]) == {""}


def test_sprache(offers):
    # Arabisch: a Deutsch nein, b ja, c empty unbekannt, e Deutsch;Arabisch ja
    result = apply_filter(offers, OfferFilter(sprachen=("Arabisch",)))
    assert ids(result) == ["b", "c", "e"]
    assert marks(result) == {"b": "", "c": "sprache", "e": ""}
    assert ids(apply_filter(offers, OfferFilter(sprachen=("Arabisch", "Ukrainisch"), beendete=True))) == \
        ["b", "c", "d", "e"]
    assert ids(apply_filter(offers, OfferFilter(sprachen=("Deutsch",), nur_belegt=True))) == ["a", "e"]


def test_kostenlos(offers):
    # a kostenlos ja, b "2 Euro" nein, c empty unbekannt, e kostenfrei ja; d "unbekannt" (ended)
    result = apply_filter(offers, OfferFilter(kostenlos=True))
    assert ids(result) == ["a", "c", "e"]
    assert marks(result) == {"a": "", "c": "kostenlos", "e": ""}
    assert marks(apply_filter(offers, OfferFilter(kostenlos=True, beendete=True)))["d"] == "kostenlos"
    assert ids(apply_filter(offers, OfferFilter(kostenlos=True, nur_belegt=True))) == ["a", "e"]


def test_barrierefrei(offers):
    # a ja, b nein, c "unbekannt", e empty
    result = apply_filter(offers, OfferFilter(barrierefrei=True))
    assert ids(result) == ["a", "c", "e"]
    assert marks(result) == {"a": "", "c": "barrierefrei", "e": "barrierefrei"}
    assert ids(apply_filter(offers, OfferFilter(barrierefrei=True, nur_belegt=True))) == ["a"]


def test_jetzt_offen(offers):
    # Tuesday 10:00: a (Tu 09-12) open, b (Mo-Fr 9-17) open, c no hours, e unparsable "Montags 9-12"
    result = apply_filter(offers, OfferFilter(jetzt_offen=True), now=TUESDAY_10)
    assert ids(result) == ["a", "b", "c", "e"]
    assert marks(result) == {"a": "", "b": "", "c": "zeiten", "e": "zeiten"}
    # Tuesday 12:15: a in its lunch break → out
    assert ids(apply_filter(offers, OfferFilter(jetzt_offen=True), now=TUESDAY_1215)) == ["b", "c", "e"]
    # Saturday 11:00: a and b closed; the ended d (Sa 10-12) open when ended offers are shown
    assert ids(apply_filter(offers, OfferFilter(jetzt_offen=True), now=SATURDAY_11)) == ["c", "e"]
    assert ids(apply_filter(offers, OfferFilter(jetzt_offen=True, beendete=True), now=SATURDAY_11)) == ["c", "d", "e"]
    assert ids(apply_filter(offers, OfferFilter(jetzt_offen=True, nur_belegt=True), now=TUESDAY_10)) == ["a", "b"]


def test_jetzt_offen_needs_now(offers):
    with pytest.raises(ValueError):
        apply_filter(offers, OfferFilter(jetzt_offen=True))
    with pytest.raises(ValueError):
        criterion_states(offers, OfferFilter(jetzt_offen=True))
    # without jetzt_offen no clock is needed
    assert ids(apply_filter(offers, OfferFilter(kostenlos=True))) == ["a", "c", "e"]


def test_several_criteria_combined(offers):
    # Bildung + kostenlos + barrierefrei: a (ja, ja), e (ja, unbekannt → marked)
    result = apply_filter(offers, OfferFilter(handlungsfelder=("Bildung",), kostenlos=True, barrierefrei=True))
    assert ids(result) == ["a", "e"]
    assert marks(result) == {"a": "", "e": "barrierefrei"}
    assert ids(apply_filter(offers, OfferFilter(handlungsfelder=("Bildung",), kostenlos=True, barrierefrei=True,
                                                nur_belegt=True))) == ["a"]
    # familien + Arabisch + open on Tuesday 10:00:
    #   a zielgruppe ja, sprache nein → out
    #   b alle ja, Arabisch ja, open ja → in
    #   c everything unknown → in, all three marked (in CRITERIA order)
    #   e ja, ja, hours unparsable → in, "zeiten"
    result = apply_filter(offers, OfferFilter(zielgruppen=("familien",), sprachen=("Arabisch",), jetzt_offen=True),
                          now=TUESDAY_10)
    assert ids(result) == ["b", "c", "e"]
    assert marks(result) == {"b": "", "c": "zielgruppe;sprache;zeiten", "e": "zeiten"}
    # the same in the Innenstadt only: c
    assert ids(apply_filter(offers, OfferFilter(stadtteil_ids=("innenstadt",), zielgruppen=("familien",),
                                                sprachen=("Arabisch",), jetzt_offen=True), now=TUESDAY_10)) == ["c"]
    # nothing left
    assert ids(apply_filter(offers, OfferFilter(handlungsfelder=("Wohnen",), kostenlos=True))) == []


def test_nur_belegt_without_attribute_criteria_changes_nothing(offers):
    assert ids(apply_filter(offers, OfferFilter(nur_belegt=True))) == ["a", "b", "c", "e"]


def test_result_keeps_the_index_of_the_input(offers):
    result = apply_filter(offers, OfferFilter(sprachen=("Arabisch",)))
    assert list(result.index) == [1, 2, 4]


def test_criterion_states(offers):
    states = criterion_states(offers, OfferFilter(zielgruppen=("kinder",), kostenlos=True, barrierefrei=True))
    assert list(states.columns) == ["zielgruppe", "kostenlos", "barrierefrei"]
    assert states.loc[0].tolist() == ["ja", "ja", "ja"]
    assert states.loc[1].tolist() == ["ja", "nein", "nein"]           # "alle", "2 Euro", "nein"
    assert states.loc[2].tolist() == ["unbekannt"] * 3
    assert states.loc[3].tolist() == ["nein", "unbekannt", "ja"]      # "Männer", "unbekannt", "ja"
    assert states.loc[4].tolist() == ["nein", "ja", "unbekannt"]


def test_active_criteria_and_replace():
    flt = OfferFilter(sprachen=("Deutsch",), jetzt_offen=True)
    assert flt.active_criteria() == ("sprache", "zeiten")
    assert OfferFilter().active_criteria() == ()
    changed = flt.replace(kostenlos=True)
    assert changed.active_criteria() == ("sprache", "kostenlos", "zeiten")
    assert flt.kostenlos is False  # the original is unchanged


def test_language_options_in_german_order(offers):
    assert language_options(offers) == ["Arabisch", "Deutsch", "Persisch", "Ukrainisch"]


def test_language_options_collation():
    frame = pd.DataFrame({"sprachen": ["Türkisch;Englisch", "", "arabisch;Französisch", "Ölsprache;Dari", "Englisch"]})
    # umlauts as their base letter and case ignored (a plain sort would put "arabisch" and "Ölsprache" last)
    assert language_options(frame) == ["arabisch", "Dari", "Englisch", "Französisch", "Ölsprache", "Türkisch"]


def test_language_options_of_the_shipped_data():
    from geo.config import DATA_DIR
    from geo.data.offers import read_offers

    offers = read_offers(DATA_DIR / "angebote.csv").offers
    assert language_options(offers) == ["Arabisch", "Dari", "Deutsch", "Persisch", "Russisch", "Ukrainisch"]


def test_no_offers_left_before_the_attribute_criteria(offers):
    flt = OfferFilter(handlungsfelder=("Zusammenleben und Teilhabe",), zielgruppen=("kinder",), kostenlos=True,
                      jetzt_offen=True)
    result = apply_filter(offers, flt, now=TUESDAY_10)  # only d is in that field, and it has ended
    assert result.empty and UNKNOWN_COLUMN in result
    assert apply_filter(offers.iloc[0:0], flt, now=TUESDAY_10).empty
