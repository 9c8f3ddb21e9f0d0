"""geo.analysis.location: the resident's location from a link, the outline check, and the gazetteer search."""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geo.analysis.location import (
    Location,
    inside_minden,
    location_from_place,
    location_from_url,
    place_choices,
    place_label,
    resolve_place_text,
)
from geo.config import DATA_DIR
from geo.data.gazetteer import read_gazetteer


@pytest.fixture(scope="module")
def gazetteer() -> pd.DataFrame:
    return read_gazetteer()


@pytest.fixture(scope="module")
def outline():
    """The municipal outline read directly with geopandas (EPSG:4326): the reference for inside_minden."""
    frame = gpd.read_file(DATA_DIR / "minden_gemeinde.geojson")
    return shapely.make_valid(frame.to_crs("EPSG:4326").union_all())


# --- URL value ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, lat, lon", [
    ("52.289,8.916", 52.289, 8.916),
    ("52.30471,8.88833", 52.305, 8.888),     # rounded to 3 decimals
    (" 52.2894 , 8.9166 ", 52.289, 8.917),
    ("52,8", 52.0, 8.0),                     # integers are numbers too
    ("-33.9,-151.2", -33.9, -151.2),         # outside Minden, but a valid point: the caller checks the outline
])
def test_location_from_url(value, lat, lon):
    location = location_from_url(value)
    assert location == Location(lat, lon, "link")


@pytest.mark.parametrize("value", [None, "", "garbage", "52.289", "52.289;8.916", "52,289,8,916", "91,8.9",
                                   "-90.5,8", "52.3,180.5", "1000,8", "52.3,8.9abc", "nan,nan", "52.3 8.9"])
def test_location_from_bad_url_value_is_none(value):
    assert location_from_url(value) is None


@pytest.mark.parametrize("lat, lon, text", [
    (52.30471, 8.88833, "52.305,8.888"),
    (52.289, 8.916, "52.289,8.916"),
    (52.0, 8.5, "52.000,8.500"),             # always three decimals
    (52.28949, 8.92236, "52.289,8.922"),
])
def test_url_value(lat, lon, text):
    location = Location(lat, lon, "karte")
    assert location.url_value() == text
    assert location_from_url(text) == Location(round(lat, 3), round(lon, 3), "link")


def test_rounded_keeps_label_and_precision():
    location = Location(52.304722, 8.888333, "ort", "Bärenkämpen", "stadtteil")
    assert location.rounded() == Location(52.305, 8.888, "ort", "Bärenkämpen", "stadtteil")


# --- inside the municipal outline --------------------------------------------------------------------------------

def test_inside_minden_centre_and_bielefeld(outline):
    centre = Location(52.289, 8.916, "karte")       # Minden Innenstadt
    bielefeld = Location(52.02, 8.53, "karte")
    assert outline.contains(Point(centre.lon, centre.lat)) and not outline.contains(Point(8.53, 52.02))
    assert inside_minden(centre)
    assert not inside_minden(bielefeld)


def test_inside_bounding_box_but_outside_outline(outline):
    minx, miny, maxx, maxy = outline.bounds
    # the four corners of the bounding box, nudged 0.001° inwards so they lie strictly inside the box
    corners = [(minx + 0.001, maxy - 0.001), (maxx - 0.001, maxy - 0.001),
               (minx + 0.001, miny + 0.001), (maxx - 0.001, miny + 0.001)]
    outside = [(x, y) for x, y in corners if not outline.intersects(Point(x, y))]
    assert outside, "expected at least one bounding-box corner outside the real outline"
    for lon, lat in outside:
        assert minx < lon < maxx and miny < lat < maxy
        assert not inside_minden(Location(lat, lon, "karte"))


def test_inside_minden_agrees_with_shapely_on_a_grid(outline):
    minx, miny, maxx, maxy = outline.bounds
    lons, lats = np.meshgrid(np.linspace(minx, maxx, 15), np.linspace(miny, maxy, 15))
    expected = [outline.intersects(Point(lon, lat)) for lon, lat in zip(lons.ravel(), lats.ravel())]
    got = [inside_minden(Location(lat, lon, "karte")) for lon, lat in zip(lons.ravel(), lats.ravel())]
    assert got == expected
    assert 0 < sum(expected) < len(expected)  # the grid has points on both sides


# --- gazetteer ---------------------------------------------------------------------------------------------------

def test_place_label():
    assert place_label(pd.Series({"name": "Sieben Bauern", "stadtteil": "Bärenkämpen"})) == "Sieben Bauern (Bärenkämpen)"
    assert place_label(pd.Series({"name": "Bärenkämpen", "stadtteil": "Bärenkämpen"})) == "Bärenkämpen"
    assert place_label(pd.Series({"name": "Irgendwo", "stadtteil": ""})) == "Irgendwo"


def test_place_choices_order_on_a_small_gazetteer():
    small = pd.DataFrame([
        dict(id="s-zob", name="Zollweg", art="strasse", stadtteil="Innenstadt"),
        dict(id="o-theater", name="Theater", art="ort", stadtteil="Innenstadt"),
        dict(id="d-koenigstor", name="Königstor", art="stadtteil", stadtteil="Königstor"),
        dict(id="s-am", name="Am Markt", art="strasse", stadtteil="Innenstadt"),
        dict(id="d-baeren", name="Bärenkämpen", art="stadtteil", stadtteil="Bärenkämpen"),
        dict(id="d-kuten", name="Kutenhausen", art="stadtteil", stadtteil="Kutenhausen"),
    ])
    choices = place_choices(small)
    # districts first (German order: Bärenkämpen < Königstor < Kutenhausen), then places, then streets
    assert list(choices) == ["d-baeren", "d-koenigstor", "d-kuten", "o-theater", "s-am", "s-zob"]
    assert choices["o-theater"] == "Theater (Innenstadt)"
    assert choices["d-koenigstor"] == "Königstor"


def test_place_choices_of_the_shipped_gazetteer(gazetteer):
    choices = place_choices(gazetteer)
    arts = gazetteer.set_index("id")["art"]
    kinds = [arts[i] for i in choices]
    n_districts = kinds.count("stadtteil")
    n_places = kinds.count("ort")
    assert kinds == ["stadtteil"] * n_districts + ["ort"] * n_places + ["strasse"] * (len(kinds) - n_districts - n_places)
    labels = list(choices.values())
    assert labels[:8] == ["Bärenkämpen", "Bölhorst", "Dankersen", "Dützen", "Haddenhausen", "Hahlen", "Häverstädt",
                          "Innenstadt"]
    assert len(choices) == len(gazetteer)


def test_location_from_place(gazetteer):
    assert location_from_place(gazetteer, "stadtteil-baerenkaempen") == Location(
        52.304722, 8.888333, "ort", "Bärenkämpen", "stadtteil")
    assert location_from_place(gazetteer, "strasse-sieben-bauern") == Location(
        52.304722, 8.888333, "ort", "Sieben Bauern (Bärenkämpen)", "stadtteil")
    assert location_from_place(gazetteer, "ort-stadttheater") == Location(
        52.287222, 8.918611, "ort", "Stadttheater Minden (Innenstadt)", "adresse")
    assert location_from_place(gazetteer, "gibt-es-nicht") is None


def test_resolve_spelled_out_umlauts_to_the_district(gazetteer):
    location, hits = resolve_place_text(gazetteer, "Baerenkaempen")
    assert location == Location(52.304722, 8.888333, "ort", "Bärenkämpen", "stadtteil")
    # the streets in Bärenkämpen match too (via their district) but the exact name wins
    assert list(hits["id"]) == ["stadtteil-baerenkaempen", "strasse-sieben-bauern", "strasse-bugenhagenstrasse"]


def test_resolve_a_single_hit(gazetteer):
    location, hits = resolve_place_text(gazetteer, "stadttheater")
    assert list(hits["id"]) == ["ort-stadttheater"]
    assert location == location_from_place(gazetteer, "ort-stadttheater")


def test_resolve_ambiguous_text_gives_suggestions_only(gazetteer):
    # two entries contain "Minden", neither is called so nor starts with it
    location, hits = resolve_place_text(gazetteer, "Minden")
    assert location is None
    assert list(hits["id"]) == ["ort-stadttheater", "ort-sommerbad"]
    # four streets end in "weg": no name equals or starts with it
    location, hits = resolve_place_text(gazetteer, "weg")
    assert location is None
    assert list(hits["id"]) == ["strasse-wilmersdorfer-weg", "strasse-koppelweg", "strasse-zehlendorfer-weg",
                                "strasse-gesellenweg"]


def test_resolve_unique_name_prefix(gazetteer):
    # "Bärenk": three entries match (two streets via their district), one name starts with it
    location, hits = resolve_place_text(gazetteer, "Bärenk")
    assert location == location_from_place(gazetteer, "stadtteil-baerenkaempen")
    assert len(hits) == 3


def test_resolve_unknown_text(gazetteer):
    location, hits = resolve_place_text(gazetteer, "Xyzstraße")
    assert location is None
    assert hits.empty
    location, hits = resolve_place_text(gazetteer, "   ")
    assert location is None and hits.empty


def test_resolve_limit(gazetteer):
    _, hits = resolve_place_text(gazetteer, "weg", limit=2)
    assert len(hits) == 2


def test_resolve_exact_district_name_among_many_hits(gazetteer):
    location, hits = resolve_place_text(gazetteer, "Innenstadt")
    assert location == location_from_place(gazetteer, "stadtteil-innenstadt")
