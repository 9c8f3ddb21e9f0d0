"""The data shipped in data/: loads cleanly, lies in Minden, every Handlungsfeld present."""
from pathlib import Path

import shapely

from geo.analysis.join import has_location
from geo.config import HANDLUNGSFELDER, load_settings
from geo.dataset import load_dataset

DATA = Path(__file__).resolve().parents[2] / "data"


def shipped():
    return load_dataset(load_settings({}))


def test_shipped_offers_load_without_rejections():
    data = shipped()
    assert [str(p) for p in data.problems if p.schwere == "fehler"] == []
    assert all(len(r) == 0 for r in data.rejected.values())
    assert len(data.offers) >= 40


def test_every_located_offer_lies_inside_minden_and_has_a_stadtteil():
    data = shipped()
    located = data.offers[has_location(data.offers)]
    city = shapely.union_all(list(data.districts.to_crs("EPSG:25832").geometry))
    assert located.to_crs("EPSG:25832").within(city).all()
    assert (located["stadtteil_id"] != "").all()
    # where the file states a Stadtteil, the polygon agrees
    stated = located[located["stadtteil"] != ""]
    assert (stated["stadtteil"] == stated["stadtteil_name"]).all()


def test_offers_without_location_say_so():
    data = shipped()
    unlocated = data.offers[~has_location(data.offers)]
    assert (unlocated["lage_genauigkeit"] == "unbekannt").all()
    assert (data.offers.loc[has_location(data.offers), "lage_genauigkeit"] != "unbekannt").all()


def test_every_handlungsfeld_has_offers_on_the_map():
    data = shipped()
    located = data.offers[has_location(data.offers)]
    for hf in HANDLUNGSFELDER:
        assert (located["handlungsfeld"] == hf.name).sum() >= 1, hf.name


def test_every_offer_names_its_source():
    assert (shipped().offers["quelle"].str.len() > 10).all()
