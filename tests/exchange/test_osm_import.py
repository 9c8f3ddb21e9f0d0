"""Tests of the OpenStreetMap import (geo.exchange.osm_import, ``python -m geo import-osm``).

No network: every test works on the handwritten Overpass responses in
``tests/fixtures/overpass/`` and ``urllib.request.urlopen`` is replaced by a
guard that fails loudly.

Fixture geometry (WGS84): the "city" is the rectangle lon 8.880–8.940,
lat 52.272–52.308 with a hole (enclave) lon 8.896–8.906, lat 52.286–52.294.
District relations split it at lon 8.910: west "Bärenkämpen", east
"Rechtes Weserufer".

Expected areas, computed by hand (EPSG:25832 ≈ ellipsoidal length × UTM scale):
metres per degree at φ = 52.29° (GRS80 series):
  latitude  111132.954 − 559.822·cos 2φ + 1.175·cos 4φ ≈ 111 272.9 m
  longitude 111412.84·cos φ − 93.5·cos 3φ              ≈  68 233.3 m
UTM scale at 8.91°E (0.09° from the central meridian 9°) k ≈ 0.9996, k² ≈ 0.99920.
  outer  0.036° × 0.060° → 4 005.8 m × 4 094.0 m = 16 399 800 m²
  hole   0.008° × 0.010° →   890.2 m ×   682.3 m =    607 400 m²
  city   (16 399 800 − 607 400) × 0.99920 ≈ 15 779 800 m²
  west   4 005.8 m × 2 047.0 m × 0.99920 − 607 400 × 0.99920 ≈ 7 586 400 m²
  east   4 005.8 m × 2 047.0 m × 0.99920 ≈ 8 193 400 m²
"""
from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point

from geo.__main__ import build_parser, main
from geo.exchange import osm_import as oi

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "overpass"
TODAY = date(2026, 11, 23)
CITY_M2 = 15_779_800
WEST_M2 = 7_586_400
EAST_M2 = 8_193_400
EXPECTED_COLUMNS = [
    "id", "name", "traeger", "handlungsfeld", "kategorie", "zielgruppen", "sprachen", "kosten", "adresse",
    "stadtteil", "lat", "lon", "lage_genauigkeit", "oeffnungszeiten", "barrierefrei", "website", "telefon",
    "beschreibung", "beschreibung_einfach", "zuletzt_geprueft", "quelle", "status", "stand_quelle", "hinweis",
    "massnahmen",
]


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def metric_area(geom) -> float:
    return gpd.GeoSeries([geom], crs="EPSG:4326").to_crs("EPSG:25832").area.iloc[0]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("Netzwerkzugriff im Test")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def boundary():
    return oi.boundary_from_overpass(load("boundary.json"))


@pytest.fixture
def osm_districts(boundary):
    return oi.districts_from_overpass(load("districts.json"), boundary, TODAY)


@pytest.fixture
def voronoi_districts(boundary):
    data = oi.merge_responses([load("districts_empty.json"), load("places.json")])
    return oi.districts_from_overpass(data, boundary, TODAY)


def fake_fetch(districts_file: str = "districts.json"):
    queries = oi.build_overpass_queries()
    responses = {
        queries["stadtgrenze"]: load("boundary.json"),
        queries["stadtteile"]: load(districts_file),
        queries["ortspunkte"]: load("places.json"),
        queries["angebote"]: load("pois.json"),
    }
    calls = []

    def fetch(query: str, endpoint: str) -> dict:
        calls.append((query, endpoint))
        return responses[query]

    fetch.calls = calls
    return fetch


# --------------------------------------------------------------------------- queries

def test_queries_select_minden_by_gemeindeschluessel():
    queries = oi.build_overpass_queries()
    assert list(queries) == ["stadtgrenze", "stadtteile", "ortspunkte", "angebote"]
    for query in queries.values():
        assert query.startswith("[out:json][timeout:180];")
        assert '["boundary"="administrative"]["admin_level"="8"]["de:amtlicher_gemeindeschluessel"="05770024"]' in query
    assert queries["stadtgrenze"].strip().endswith("out geom;")
    assert "out geom;" in queries["stadtteile"] and '"admin_level"~"^(9|10)$"' in queries["stadtteile"]
    assert '"boundary"="place"' in queries["stadtteile"]
    assert "neighbourhood" in queries["ortspunkte"] and "out body;" in queries["ortspunkte"]
    poi = queries["angebote"]
    assert "out center tags;" in poi and "node.angebote;\nout body;" in poi
    for tag in ("community_centre", "social_facility", "library", "language_school", "school", "kindergarten",
                "social_centre", "theatre", "arts_centre", "jobcentre", "employment_agency", "association", "ngo",
                "sports_centre", '"garden:type"="community"'):
        assert tag in poi


def test_queries_by_name_when_no_gemeindeschluessel():
    queries = oi.build_overpass_queries("Min\"den", gemeindeschluessel=None)
    assert '["name"="Min\\"den"]' in queries["stadtgrenze"]
    assert "amtlicher_gemeindeschluessel" not in queries["angebote"]


# --------------------------------------------------------------------------- boundary

def test_boundary_area_and_inner_ring(boundary):
    assert boundary.geom_type == "Polygon" and boundary.is_valid
    assert len(boundary.interiors) == 1
    assert metric_area(boundary) == pytest.approx(CITY_M2, rel=0.01)
    assert not boundary.contains(Point(8.901, 52.290))  # inside the enclave
    assert boundary.contains(Point(8.890, 52.290))
    assert boundary.bounds == pytest.approx((8.880, 52.272, 8.940, 52.308))


def test_boundary_independent_of_member_order_and_direction(boundary):
    data = load("boundary.json")
    members = data["elements"][0]["members"]
    members.reverse()
    for member in members:
        if "geometry" in member:
            member["geometry"].reverse()
    assert oi.boundary_from_overpass(data).equals(boundary)


def test_boundary_missing_or_open_raises():
    with pytest.raises(oi.OsmImportError, match="Stadtgrenze"):
        oi.boundary_from_overpass({"elements": []})
    data = load("boundary.json")
    data["elements"][0]["members"] = [m for m in data["elements"][0]["members"] if m.get("ref") != 1002]
    with pytest.raises(oi.OsmImportError, match="geschlossen"):
        oi.boundary_from_overpass(data)


# --------------------------------------------------------------------------- districts

def test_districts_from_osm_polygons(osm_districts):
    d = osm_districts
    assert list(d.columns) == ["id", "name", "geometrie", "quelle", "geometry"]
    assert d.crs.to_epsg() == 4326
    # the neighbour (shares only the city border) and the lower-priority place=quarter way are not used
    assert list(d["name"]) == ["Bärenkämpen", "Rechtes Weserufer"]
    assert list(d["id"]) == ["baerenkaempen", "rechtes-weserufer"]
    assert set(d["geometrie"]) == {"osm"}
    assert d["quelle"].iloc[0] == ("© OpenStreetMap-Mitwirkende, ODbL 1.0, Overpass-Abfrage vom 2026-11-23; "
                                   "OSM relation/2001")
    areas = d.to_crs("EPSG:25832").area
    assert areas.iloc[0] == pytest.approx(WEST_M2, rel=0.01)  # clipped: the enclave is cut out
    assert areas.iloc[1] == pytest.approx(EAST_M2, rel=0.01)
    assert d.geometry.is_valid.all()


def test_district_polygons_mostly_outside_are_dropped(boundary):
    data = load("districts.json")
    data["elements"] = [e for e in data["elements"] if e["id"] == 2003]  # only the neighbour
    data["elements"] += load("places.json")["elements"]
    d = oi.districts_from_overpass(data, boundary, TODAY)
    assert set(d["geometrie"]) == {"schematisch"}


def test_place_polygons_used_when_no_admin_districts(boundary):
    data = load("districts.json")
    data["elements"] = [e for e in data["elements"] if e["type"] == "way"]
    d = oi.districts_from_overpass(data, boundary, TODAY)
    assert list(d["id"]) == ["kernbereich"] and list(d["geometrie"]) == ["osm"]
    assert d["quelle"].iloc[0].endswith("OSM way/3010")


def test_districts_voronoi_fallback(voronoi_districts, boundary):
    d = voronoi_districts
    assert list(d.columns) == ["id", "name", "geometrie", "quelle", "geometry"]
    assert d.crs.to_epsg() == 4326
    assert list(d["name"]) == ["Dankersen", "Häverstädt", "Innenstadt"]
    assert list(d["id"]) == ["dankersen", "haeverstaedt", "innenstadt"]
    assert set(d["geometrie"]) == {"schematisch"}
    assert d["quelle"].str.contains("OSM node/400[123]", regex=True).all()
    assert d["quelle"].str.startswith("© OpenStreetMap-Mitwirkende, ODbL 1.0, Overpass-Abfrage vom 2026-11-23").all()

    metric = d.to_crs("EPSG:25832")
    geoms = list(metric.geometry)
    assert all(g.is_valid and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms)
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert geoms[i].intersection(geoms[j]).area < 1.0  # m²: cells only share edges
    boundary_m = gpd.GeoSeries([boundary], crs="EPSG:4326").to_crs("EPSG:25832").iloc[0]
    union = shapely.union_all(geoms)
    assert union.area == pytest.approx(boundary_m.area, rel=0.001)
    assert union.symmetric_difference(boundary_m).area < 0.001 * boundary_m.area
    assert sum(g.area for g in geoms) == pytest.approx(CITY_M2, rel=0.01)
    # each place node lies in its own cell
    places = (("Innenstadt", 8.895, 52.300), ("Häverstädt", 8.890, 52.280), ("Dankersen", 8.930, 52.285))
    for name, lon, lat in places:
        assert d.loc[d["name"] == name].geometry.iloc[0].contains(Point(lon, lat))


def test_voronoi_prefers_suburbs_and_villages_over_neighbourhoods(boundary):
    def node(i, lat, lon, place, name):
        return {"type": "node", "id": i, "lat": lat, "lon": lon, "tags": {"place": place, "name": name}}

    data = {"elements": [
        node(1, 52.300, 8.895, "suburb", "Nord"),
        node(2, 52.280, 8.925, "village", "Süd"),
        node(3, 52.281, 8.926, "neighbourhood", "Ecke"),
        node(4, 52.400, 8.900, "suburb", "Draußen"),  # outside the city: ignored
    ]}
    assert list(oi.districts_from_overpass(data, boundary, TODAY)["id"]) == ["nord", "sued"]
    data["elements"] = [data["elements"][0], data["elements"][2]]  # only one suburb: neighbourhoods join
    assert list(oi.districts_from_overpass(data, boundary, TODAY)["id"]) == ["ecke", "nord"]
    single = oi.districts_from_overpass({"elements": [data["elements"][0]]}, boundary, TODAY)
    assert len(single) == 1 and metric_area(single.geometry.iloc[0]) == pytest.approx(CITY_M2, rel=0.01)


def test_no_districts_and_no_places_raises(boundary):
    with pytest.raises(oi.OsmImportError, match="weder Stadtteilgrenzen noch Ortspunkte"):
        oi.districts_from_overpass(load("districts_empty.json"), boundary, TODAY)


# --------------------------------------------------------------------------- offers

def test_offers_columns_mapping_and_skips(osm_districts):
    stats = oi.OfferStats()
    offers = oi.offers_from_overpass(load("pois.json"), osm_districts, TODAY, stats)
    assert list(offers.columns) == EXPECTED_COLUMNS
    assert stats.skipped_without_name == 1   # node 506
    assert stats.skipped_excluded == 1       # node 508, shelter for victims of violence
    assert stats.skipped_unmapped == 0
    assert stats.outside_districts == 1      # way 507
    by_id = offers.set_index("id")
    assert sorted(by_id.index) == ["osm-node-501", "osm-node-503", "osm-node-504", "osm-node-505",
                                   "osm-way-502", "osm-way-507"]
    expected = {
        "osm-node-501": ("Zusammenleben und Teilhabe", "Begegnung", "Bärenkämpen"),
        "osm-way-502": ("Bildung", "Sprachkurs", "Rechtes Weserufer"),
        "osm-node-503": ("Arbeitsmarktintegration", "Arbeitsvermittlung", "Rechtes Weserufer"),
        "osm-node-504": ("Wohnen", "Wohnungslosenhilfe", "Bärenkämpen"),
        "osm-node-505": ("Bildung", "Bibliothek", "Rechtes Weserufer"),
        "osm-way-507": ("Zusammenleben und Teilhabe", "Gemeinschaftsgarten", ""),
    }
    for ident, (feld, kategorie, stadtteil) in expected.items():
        assert (by_id.at[ident, "handlungsfeld"], by_id.at[ident, "kategorie"], by_id.at[ident, "stadtteil"]) == (
            feld, kategorie, stadtteil), ident
    assert set(offers["handlungsfeld"]) == {
        "Zusammenleben und Teilhabe", "Bildung", "Arbeitsmarktintegration", "Wohnen"}


def test_offer_fields(osm_districts):
    by_id = oi.offers_from_overpass(load("pois.json"), osm_districts, TODAY).set_index("id")
    treff = by_id.loc["osm-node-501"]
    assert treff["adresse"] == "Markt 1, 32423 Minden"
    assert treff["traeger"] == "Stadt Minden"
    assert treff["kosten"] == "kostenlos"
    assert treff["barrierefrei"] == "ja"
    assert treff["oeffnungszeiten"] == "Mo-Fr 09:00-17:00"
    assert treff["website"] == "https://example.org/treff"
    assert treff["telefon"] == "+49 571 000000"
    assert treff["sprachen"] == "Deutsch;Türkisch"
    assert treff["beschreibung"] == "Treffpunkt für alle"  # newline and double space collapsed
    assert treff["beschreibung_einfach"] == ""
    # the query date is when it was fetched, not a check with the provider (issue 24 §2)
    assert (treff["zuletzt_geprueft"], treff["stand_quelle"]) == ("", "undatiert")
    assert treff["quelle"] == "OpenStreetMap node/501, ODbL 1.0, abgerufen 2026-11-23"
    assert treff["lage_genauigkeit"] == "adresse"
    assert (treff["lat"], treff["lon"]) == (52.301, 8.896)

    schule = by_id.loc["osm-way-502"]
    assert schule["name"] == "Sprachschule Weserbogen"  # BEL control character removed
    assert (schule["lat"], schule["lon"]) == (52.283, 8.928)  # way centre
    assert schule["adresse"] == "Weserstraße"
    assert schule["kosten"] == "kostenpflichtig"
    assert schule["barrierefrei"] == "ja"  # wheelchair=limited
    assert schule["website"] == "https://www.example.org/sprache"
    assert schule["zielgruppen"] == "Zugewanderte;Geflüchtete"
    assert schule["quelle"] == "OpenStreetMap way/502, ODbL 1.0, abgerufen 2026-11-23"

    agentur = by_id.loc["osm-node-503"]
    assert agentur["barrierefrei"] == "nein" and agentur["telefon"] == "+49 571 111111"
    assert by_id.at["osm-node-505", "kosten"] == "unbekannt"  # fee=maybe
    assert by_id.at["osm-node-505", "barrierefrei"] == "unbekannt"


def test_hostile_names_kept_verbatim_not_escaped(osm_districts):
    names = set(oi.offers_from_overpass(load("pois.json"), osm_districts, TODAY)["name"])
    assert "<script>alert(1)</script>" in names  # escaping is the renderer's job
    assert '=HYPERLINK("http://example.invalid")' in names


def test_offers_stadtteil_with_voronoi_districts(voronoi_districts):
    stats = oi.OfferStats()
    by_id = oi.offers_from_overpass(load("pois.json"), voronoi_districts, TODAY, stats).set_index("id")
    assert by_id["stadtteil"].to_dict() == {
        "osm-node-501": "Innenstadt", "osm-way-502": "Dankersen", "osm-node-503": "Dankersen",
        "osm-node-504": "Häverstädt", "osm-node-505": "Innenstadt", "osm-way-507": "",
    }
    assert stats.outside_districts == 1


def test_offer_without_position_is_unlocated(osm_districts):
    data = {"elements": [{"type": "relation", "id": 7, "tags": {"amenity": "school", "name": "Schule ohne Ort"}}]}
    stats = oi.OfferStats()
    row = oi.offers_from_overpass(data, osm_districts, TODAY, stats).iloc[0]
    assert row["lage_genauigkeit"] == "unbekannt" and row["stadtteil"] == ""
    assert stats.outside_districts == 0


def test_empty_poi_response_gives_empty_table(osm_districts):
    offers = oi.offers_from_overpass({"elements": []}, osm_districts, TODAY)
    assert offers.empty and list(offers.columns) == EXPECTED_COLUMNS


@pytest.mark.parametrize("tags, expected", [
    ({"amenity": "social_facility", "social_facility": "assisted_living"}, ("Wohnen", "Betreutes Wohnen")),
    ({"amenity": "social_facility", "social_facility": "outreach", "social_facility:for": "migrant"},
     ("Zusammenleben und Teilhabe", "Beratung")),
    ({"amenity": "social_facility", "social_facility:for": "unemployed;senior"},
     ("Arbeitsmarktintegration", "Beratung")),
    ({"amenity": "jobcentre"}, ("Arbeitsmarktintegration", "Jobcenter")),
    ({"amenity": "kindergarten"}, ("Bildung", "Kita")),
    ({"amenity": "school", "leisure": "sports_centre"}, ("Bildung", "Schule")),
    ({"leisure": "sports_centre"}, ("Zusammenleben und Teilhabe", "Sport")),
    ({"office": "ngo"}, ("Zusammenleben und Teilhabe", "Verein")),
    ({"social_facility": "food_bank"}, ("Zusammenleben und Teilhabe", "Beratung")),
    ({"leisure": "garden"}, None),
    ({"shop": "bakery"}, None),
])
def test_classify(tags, expected):
    assert oi.classify(tags) == expected


def test_mapping_table_uses_only_the_four_handlungsfelder():
    assert {feld for feld, _ in oi.HANDLUNGSFELD_MAPPING.values()} == {
        "Zusammenleben und Teilhabe", "Bildung", "Arbeitsmarktintegration", "Wohnen"}


@pytest.mark.parametrize("tags, excluded", [
    ({"social_facility": "shelter", "social_facility:for": "abused"}, True),
    ({"social_facility": "shelter"}, True),
    ({"social_facility": "group_home", "social_facility:for": "refugee"}, True),
    ({"amenity": "refugee_site", "name": "Unterkunft"}, True),
    ({"social_facility": "shelter", "social_facility:for": "homeless"}, False),
    ({"social_facility": "outreach", "social_facility:for": "refugee"}, False),
])
def test_exclusion_reason(tags, excluded):
    assert (oi.exclusion_reason(tags) is not None) is excluded


# --------------------------------------------------------------------------- fetch

class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_fetch_overpass_posts_query_with_user_agent(monkeypatch):
    seen = {}

    def urlopen(request, timeout):
        seen.update(url=request.full_url, method=request.get_method(), data=request.data,
                    agent=request.get_header("User-agent"), timeout=timeout)
        return FakeResponse(json.dumps(load("boundary.json")).encode("utf-8"))

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    data = oi.fetch_overpass("[out:json];node(1);out;", "https://overpass.example/api/interpreter", timeout_s=12)
    assert data["elements"][0]["id"] == 900001
    assert seen["url"] == "https://overpass.example/api/interpreter" and seen["method"] == "POST"
    assert urllib.parse.parse_qs(seen["data"].decode()) == {"data": ["[out:json];node(1);out;"]}
    assert seen["agent"].startswith("Quartierskarte-Minden-Import")
    assert seen["timeout"] == 12


@pytest.mark.parametrize("error, message", [
    (urllib.error.HTTPError("https://x", 429, "Too Many Requests", {}, None), "HTTP 429"),
    (urllib.error.HTTPError("https://x", 504, "Gateway Timeout", {}, None), "überlastet"),
    (urllib.error.URLError(OSError("Name or service not known")), "Keine Verbindung zum Overpass-Server"),
    (urllib.error.URLError(TimeoutError("timed out")), "nicht innerhalb von 180 s"),
    (TimeoutError("timed out"), "nicht innerhalb von 180 s"),
])
def test_fetch_overpass_errors_are_german(monkeypatch, error, message):
    def urlopen(request, timeout):
        raise error

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(oi.OsmImportError, match=message):
        oi.fetch_overpass("[out:json];node(1);out;")


@pytest.mark.parametrize("body, message", [
    (b"<html>Dispatcher_Client::request_read_and_idx::timeout</html>", "kein gültiges JSON"),
    (b'{"remark": "runtime error: Query timed out in \\"query\\" at line 3", "elements": []}', "meldet einen Fehler"),
    (b'{"version": 0.6}', "keine OSM-Elemente"),
])
def test_fetch_overpass_rejects_bad_answers(monkeypatch, body, message):
    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout: FakeResponse(body))
    with pytest.raises(oi.OsmImportError, match=message):
        oi.fetch_overpass("[out:json];node(1);out;")


# --------------------------------------------------------------------------- run_import

def test_run_import_writes_three_files(tmp_path):
    fetch = fake_fetch()
    out = tmp_path / "osm"
    report = oi.run_import(out, "https://overpass.example/api", fetch=fetch, today=TODAY)

    assert [q for q, _ in fetch.calls] == list(oi.build_overpass_queries().values())
    assert {e for _, e in fetch.calls} == {"https://overpass.example/api"}
    assert sorted(p.name for p in out.iterdir()) == ["ATTRIBUTION.md", "angebote.csv", "stadtteile.geojson"]
    assert (report.districts, report.districts_source, report.offers) == (2, "osm", 6)
    assert (report.skipped_without_name, report.outside_districts, report.skipped_excluded) == (1, 1, 1)
    assert report.datenstand == "2026-11-20T08:00:00Z"

    districts = gpd.read_file(out / "stadtteile.geojson")
    assert districts.crs.to_epsg() == 4326
    assert list(districts.columns) == ["id", "name", "geometrie", "quelle", "geometry"]
    assert list(districts["id"]) == ["baerenkaempen", "rechtes-weserufer"]
    assert districts.to_crs("EPSG:25832").area.sum() == pytest.approx(CITY_M2, rel=0.01)
    raw = json.loads((out / "stadtteile.geojson").read_text(encoding="utf-8"))
    assert "crs" not in raw  # RFC 7946
    assert raw.get("name") == "stadtteile"

    text = (out / "angebote.csv").read_text(encoding="utf-8")
    assert not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == EXPECTED_COLUMNS
    assert len(rows) == 7 and all(len(r) == len(EXPECTED_COLUMNS) for r in rows)
    records = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert records["osm-node-504"]["name"] == "<script>alert(1)</script>"
    # the file is safe to open in a spreadsheet, and loads back unchanged
    assert records["osm-node-505"]["name"] == "'=HYPERLINK(\"http://example.invalid\")"
    from geo.data.offers import read_offers
    loaded = read_offers(out / "angebote.csv").offers.set_index("id")
    assert loaded.loc["osm-node-505", "name"] == '=HYPERLINK("http://example.invalid")'
    assert (records["osm-node-501"]["lat"], records["osm-node-501"]["lon"]) == ("52.301", "8.896")

    attribution = (out / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert ("Daten © OpenStreetMap-Mitwirkende, verfügbar unter der Open Database License (ODbL) 1.0, "
            "https://www.openstreetmap.org/copyright") in attribution
    assert "2026-11-23" in attribution and "https://overpass.example/api" in attribution
    for query in oi.build_overpass_queries().values():
        assert query in attribution


def test_run_import_fallback_is_marked_schematic(tmp_path):
    fetch = fake_fetch("districts_empty.json")
    report = oi.run_import(tmp_path, "https://overpass.example/api", fetch=fetch, today=TODAY)
    assert (report.districts, report.districts_source, report.outside_districts) == (3, "schematisch", 1)
    assert any("schematisch" in w for w in report.warnings)
    districts = gpd.read_file(tmp_path / "stadtteile.geojson")
    assert set(districts["geometrie"]) == {"schematisch"}


def test_run_import_failure_writes_nothing(tmp_path):
    def fetch(query, endpoint):
        raise oi.OsmImportError("Keine Verbindung zum Overpass-Server test.")

    with pytest.raises(oi.OsmImportError):
        oi.run_import(tmp_path / "osm", "https://overpass.example/api", fetch=fetch, today=TODAY)
    assert not (tmp_path / "osm").exists()


def test_written_files_pass_the_project_loaders(tmp_path):
    pytest.importorskip("opening_hours")
    from geo.data.districts import read_districts
    from geo.data.offers import read_offers

    oi.run_import(tmp_path, "https://overpass.example/api", fetch=fake_fetch(), today=TODAY)
    offers = read_offers(tmp_path / "angebote.csv")
    assert offers.errors == [] and len(offers.offers) == 6
    districts = read_districts(tmp_path / "stadtteile.geojson")
    assert [p for p in districts.problems if p.schwere == "fehler"] == []
    assert list(districts.districts["geometrie"]) == ["osm", "osm"]


# --------------------------------------------------------------------------- CLI

def test_cli_parser_has_import_osm_subcommand():
    args = build_parser().parse_args(["import-osm", "--out", "x", "--endpoint", "https://e.example/api"])
    assert (args.command, args.out, args.endpoint) == ("import-osm", "x", "https://e.example/api")
    assert build_parser().parse_args(["import-osm"]).endpoint == "https://overpass-api.de/api/interpreter"


def test_cli_network_failure_exits_1_with_german_message(tmp_path, monkeypatch, capsys):
    def urlopen(request, timeout):
        raise urllib.error.URLError(OSError("Temporary failure in name resolution"))

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    code = main(["import-osm", "--out", str(tmp_path / "osm"), "--endpoint", "https://overpass.example/api"])
    captured = capsys.readouterr()
    assert code == 1
    expected = "Fehler beim OpenStreetMap-Import: Keine Verbindung zum Overpass-Server https://overpass.example/api"
    assert expected in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "osm").exists()


def test_cli_failing_fake_fetch_exits_1(tmp_path, monkeypatch, capsys):
    def fetch(query, endpoint="", timeout_s=180):
        raise oi.OsmImportError("Der Overpass-Server x antwortete mit HTTP 429 (zu viele Anfragen).")

    monkeypatch.setattr(oi, "fetch_overpass", fetch)
    assert main(["import-osm", "--out", str(tmp_path)]) == 1
    assert "HTTP 429 (zu viele Anfragen)" in capsys.readouterr().err


def test_cli_success_prints_german_summary(tmp_path, monkeypatch, capsys):
    fetch = fake_fetch()
    monkeypatch.setattr(oi, "fetch_overpass", lambda query, endpoint="", timeout_s=180: fetch(query, endpoint))
    assert main(["import-osm", "--out", str(tmp_path), "--endpoint", "https://overpass.example/api"]) == 0
    out = capsys.readouterr().out
    assert "OpenStreetMap-Import abgeschlossen" in out
    assert "Stadtteile: 2 (OpenStreetMap-Grenzen)" in out
    assert "Angebote: 6" in out and "übersprungen ohne Namen: 1" in out
    assert "außerhalb aller Stadtteile: 1" in out
    assert (tmp_path / "angebote.csv").exists()
