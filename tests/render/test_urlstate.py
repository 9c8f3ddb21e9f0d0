"""geo.render.urlstate: a shared link restores filters, location and the opened offer; unknown values are ignored."""
import pytest

from geo.analysis.filters import OfferFilter
from geo.analysis.location import Location
from geo.config import HANDLUNGSFELDER
from geo.render.urlstate import STATE_KEYS, ViewState, params_to_state, state_to_params

FULL_PARAMS = {
    "hf": "bildung,wohnen",
    "zg": "kinder,familien",           # in ZIELGRUPPEN order
    "sp": "Arabisch,Deutsch",
    "st": "baerenkaempen",
    "q": "Sprachcafé",
    "kostenlos": "1",
    "barrierefrei": "1",
    "offen": "1",
    "belegt": "1",
    "beendete": "1",
    "ort": "52.305,8.888",
    "angebot": "sprachcafe-diakonie",
}


def test_query_state_query_round_trip():
    state = params_to_state(FULL_PARAMS)
    assert state.filter == OfferFilter(
        handlungsfelder=("Bildung", "Wohnen"), stadtteil_ids=("baerenkaempen",), zielgruppen=("kinder", "familien"),
        sprachen=("Arabisch", "Deutsch"), kostenlos=True, barrierefrei=True, jetzt_offen=True, nur_belegt=True,
        text="Sprachcafé", beendete=True)
    assert state.location == Location(52.305, 8.888, "link")
    assert state.offer_id == "sprachcafe-diakonie"
    params = state_to_params(state)
    assert params == FULL_PARAMS
    assert list(params) == [k for k in STATE_KEYS if k in FULL_PARAMS]  # stable order


def test_round_trip_with_known_sets():
    state = params_to_state(FULL_PARAMS, district_ids={"baerenkaempen", "innenstadt"},
                            offer_ids={"sprachcafe-diakonie"})
    assert state_to_params(state) == FULL_PARAMS


def test_state_query_state_round_trip():
    state = ViewState(
        OfferFilter(handlungsfelder=("Zusammenleben und Teilhabe", "Arbeitsmarktintegration"),
                    stadtteil_ids=("innenstadt",), zielgruppen=("jugendliche", "neuzugewanderte"),
                    sprachen=("Ukrainisch",), kostenlos=True, jetzt_offen=True, text="Beratung"),
        Location(52.30471, 8.88833, "karte"),
        "a17")
    params = state_to_params(state)
    assert params["ort"] == "52.305,8.888"  # 52.30471 → 52.305, 8.88833 → 8.888 (3 decimals)
    assert params["hf"] == "zusammenleben,arbeit"
    assert "barrierefrei" not in params and "belegt" not in params and "beendete" not in params
    restored = params_to_state(params)
    # the location comes back rounded, from a link
    assert restored == ViewState(state.filter, Location(52.305, 8.888, "link"), "a17")


def test_default_state_gives_no_parameters():
    assert state_to_params(ViewState()) == {}
    assert params_to_state({}) == ViewState()
    assert params_to_state({}).filter == OfferFilter()


def test_all_handlungsfelder_selected_gives_no_hf():
    every = tuple(hf.name for hf in HANDLUNGSFELDER)
    assert state_to_params(ViewState(OfferFilter(handlungsfelder=every))) == {}
    assert state_to_params(ViewState(OfferFilter(handlungsfelder=tuple(reversed(every))))) == {}
    assert params_to_state({"hf": "zusammenleben,bildung,arbeit,wohnen"}).filter.handlungsfelder == every


def test_handlungsfelder_are_written_in_config_order():
    state = ViewState(OfferFilter(handlungsfelder=("Wohnen", "Bildung")))
    assert state_to_params(state) == {"hf": "bildung,wohnen"}


@pytest.mark.parametrize("params, expected_filter", [
    ({"hf": "foo"}, OfferFilter()),                                       # unknown key → all fields
    ({"hf": "foo,bildung"}, OfferFilter(handlungsfelder=("Bildung",))),
    ({"hf": ""}, OfferFilter()),
    ({"zg": "bar"}, OfferFilter()),
    ({"zg": "bar,frauen"}, OfferFilter(zielgruppen=("frauen",))),
    ({"zg": "familien,kinder"}, OfferFilter(zielgruppen=("kinder", "familien"))),  # vocabulary order
    ({"sp": " Arabisch , ,Persisch "}, OfferFilter(sprachen=("Arabisch", "Persisch"))),
    ({"offen": "true"}, OfferFilter()),                                   # only "1" sets a flag
    ({"kostenlos": "0"}, OfferFilter()),
    ({"q": "   "}, OfferFilter()),
    ({"q": "x" * 500}, OfferFilter(text="x" * 200)),                      # long text is cut to 200 characters
    ({"lang": "en"}, OfferFilter()),                                      # not a state key: ignored
])
def test_unknown_or_odd_filter_values(params, expected_filter):
    assert params_to_state(params).filter == expected_filter


def test_unknown_district_and_offer_dropped_when_known_sets_are_given():
    state = params_to_state({"st": "unknown-district", "angebot": "unknown"},
                            district_ids={"innenstadt"}, offer_ids={"a1"})
    assert state.filter.stadtteil_ids is None
    assert state.offer_id is None
    assert state_to_params(state) == {}
    # known ones stay
    state = params_to_state({"st": "innenstadt", "angebot": "a1"}, district_ids={"innenstadt"}, offer_ids={"a1"})
    assert state.filter.stadtteil_ids == ("innenstadt",) and state.offer_id == "a1"
    # without known sets nothing can be checked: kept
    state = params_to_state({"st": "unknown-district", "angebot": "unknown"})
    assert state.filter.stadtteil_ids == ("unknown-district",) and state.offer_id == "unknown"


@pytest.mark.parametrize("ort", ["garbage", "", "52.3", "52.3,8.9,1", "91,8.9", "52.3,181", "1e3,8", "nan,nan",
                                 "52,3;8,9"])
def test_bad_location_in_link_is_dropped(ort):
    state = params_to_state({"ort": ort, "q": "kita"})
    assert state.location is None
    assert state.filter.text == "kita"  # the rest of the link still works


def test_location_in_link_is_rounded():
    assert params_to_state({"ort": "52.30471,8.88833"}).location == Location(52.305, 8.888, "link")
    assert params_to_state({"ort": " 52.289 , 8.916 "}).location == Location(52.289, 8.916, "link")


def test_only_first_district_is_written():
    state = ViewState(OfferFilter(stadtteil_ids=("innenstadt", "rodenbeck")))
    assert state_to_params(state) == {"st": "innenstadt"}


def test_empty_handlungsfeld_parameter_means_all():
    # The sidebar turns an emptied Handlungsfeld selection into None ("Alle", as its placeholder says),
    # so the app never writes hf=; a hand-edited ?hf= shows every offer, not none.
    assert params_to_state({"hf": ""}).filter.handlungsfelder is None
