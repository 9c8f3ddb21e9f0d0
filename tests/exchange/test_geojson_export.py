"""geo.exchange.geojson_export: the offers with a place as an RFC 7946 FeatureCollection."""
from __future__ import annotations

import json

import pytest
from conftest import loaded_offers, metric_point_as_latlon

from geo.analysis.join import has_location
from geo.config import MINDEN_BBOX, load_settings
from geo.dataset import load_dataset
from geo.exchange.geojson_export import PROPERTY_COLUMNS, offers_geojson

LAT, LON = metric_point_as_latlon(491000, 5794500)


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(load_settings({}))


@pytest.fixture(scope="module")
def shipped(dataset):
    raw = offers_geojson(dataset.offers)
    return raw, json.loads(raw.decode("utf-8"))


def offers_frame(*rows: dict[str, str]):
    """Offers with test defaults (a place near the centre, Bildung) through the real loader."""
    filled = []
    for row in rows:
        base = {"name": f"Angebot {row['id']}", "handlungsfeld": "Bildung", "lat": f"{LAT:.6f}", "lon": f"{LON:.6f}",
                "lage_genauigkeit": "adresse", "quelle": "Test"}
        base.update(row)
        if base["lage_genauigkeit"] == "unbekannt":
            base["lat"] = base["lon"] = ""
        filled.append(base)
    return loaded_offers(filled)


def assert_feature_collection(collection: dict) -> None:
    """The RFC 7946 structure this export promises: Point features with [lon, lat] and text properties."""
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection  # RFC 7946: WGS84 only, no crs member
    assert isinstance(collection["features"], list)
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert isinstance(feature["id"], str) and feature["id"]
        geometry = feature["geometry"]
        assert geometry["type"] == "Point"
        assert len(geometry["coordinates"]) == 2
        assert all(isinstance(v, float) for v in geometry["coordinates"])
        assert isinstance(feature["properties"], dict)
        assert all(isinstance(v, str) for v in feature["properties"].values())


def test_shipped_offers_are_a_valid_feature_collection(shipped):
    raw, collection = shipped
    assert not raw.startswith(b"\xef\xbb\xbf")  # RFC 8259: no BOM
    assert_feature_collection(collection)


def test_one_feature_per_offer_with_location(dataset, shipped):
    located = dataset.offers[has_location(dataset.offers)]
    features = shipped[1]["features"]
    assert len(features) == len(located) > 0
    assert [f["id"] for f in features] == list(located["id"])


def test_coordinates_are_lon_lat(dataset, shipped):
    lon_min, lat_min, lon_max, lat_max = MINDEN_BBOX
    by_id = dataset.offers.set_index("id")
    for feature in shipped[1]["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert lon_min <= lon <= lon_max and lat_min <= lat <= lat_max  # Minden: lon ≈ 8.9, lat ≈ 52.3
        row = by_id.loc[feature["id"]]
        assert (lon, lat) == (pytest.approx(row["lon"]), pytest.approx(row["lat"]))


def test_note_counts_the_offers_without_place(dataset, shipped):
    collection = shipped[1]
    missing = int((~has_location(dataset.offers)).sum())
    assert missing > 0
    assert collection["angebote_ohne_ort"] == missing
    assert collection["hinweis"].startswith(f"{missing} von {len(dataset.offers)} Angeboten haben keinen bekannten Ort")


def test_properties_are_the_offer_columns_with_precision(shipped):
    for feature in shipped[1]["features"]:
        properties = feature["properties"]
        assert set(PROPERTY_COLUMNS) <= set(properties)
        assert "lat" not in properties and "lon" not in properties
        assert properties["lage_genauigkeit"] in ("adresse", "strasse", "stadtteil")
        assert properties["id"] == feature["id"]
        assert "stadtteil_name" in properties  # from the spatial join of the loaded dataset


def test_text_is_kept_as_data():
    """No HTML escaping and no formula guard: JSON consumers are neither browsers nor spreadsheets."""
    frame = offers_frame(
        {"id": "a", "name": "<img src=x onerror=alert(1)>", "beschreibung": '=HYPERLINK("http://evil","x")',
         "telefon": "+49 571 89679", "hinweis": "-5 Grad; @Team", "traeger": "Bärenkämpen & Co"},
        {"id": "b", "lage_genauigkeit": "unbekannt"},
    )
    raw = offers_geojson(frame)
    assert "Bärenkämpen".encode() in raw and b"&lt;" not in raw and b"&amp;" not in raw
    collection = json.loads(raw.decode("utf-8"))
    assert_feature_collection(collection)
    (feature,) = collection["features"]
    properties = feature["properties"]
    assert properties["name"] == "<img src=x onerror=alert(1)>"
    assert properties["beschreibung"] == '=HYPERLINK("http://evil","x")'
    assert properties["telefon"] == "+49 571 89679" and properties["hinweis"] == "-5 Grad; @Team"
    assert properties["kosten"] == "" and properties["lage_genauigkeit"] == "adresse"
    assert feature["geometry"]["coordinates"] == [pytest.approx(LON), pytest.approx(LAT)]
    assert collection["angebote_ohne_ort"] == 1


def test_metric_crs_is_converted_to_wgs84():
    wgs84 = offers_frame({"id": "a"})
    (feature,) = json.loads(offers_geojson(wgs84.to_crs("EPSG:25832")))["features"]
    lon, lat = feature["geometry"]["coordinates"]
    assert lon == pytest.approx(wgs84["lon"].iloc[0], abs=1e-9) and lat == pytest.approx(wgs84["lat"].iloc[0], abs=1e-9)


def test_no_offers_give_an_empty_collection():
    frame = offers_frame({"id": "b", "lage_genauigkeit": "unbekannt"})
    collection = json.loads(offers_geojson(frame))
    assert collection["features"] == [] and collection["angebote_ohne_ort"] == 1
    assert_feature_collection(collection)
