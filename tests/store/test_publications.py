"""Districts and indicators published in the Redaktion: in use for every page once published, audited, undoable
one step at a time, safe against two editors withdrawing at once, and still in use when the store breaks."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo.config import load_settings
from geo.dataset import load_dataset, published_path
from geo.store.offer_store import PublicationConflict, Store, ValidationError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_DISTRICTS = ROOT / "data" / "stadtteile.geojson"
SHIPPED_INDICATORS = ROOT / "data" / "sozialatlas.csv"
CITY_SOURCE = "Stadt Minden, Geodatenmanagement: Stadtbezirke (Testdatei), Stand 2026-11, dl-de/by-2-0"


def official_districts() -> str:
    """The shipped polygons relabelled as a city's own file (not schematic, with the city as source)."""
    collection = json.loads(SHIPPED_DISTRICTS.read_text(encoding="utf-8"))
    for feature in collection["features"]:
        feature["properties"].update(geometrie="importiert", quelle=CITY_SOURCE)
    return json.dumps(collection, ensure_ascii=False)


def indicators_with(district: str, indicator: str, value: str) -> str:
    """The shipped Sozialatlas CSV with the exact value of one row replaced (bounds cleared)."""
    lines = SHIPPED_INDICATORS.read_text(encoding="utf-8").splitlines(keepends=True)
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO("".join(lines))))
    for row in rows:
        if row["stadtteil_id"] == district and row["indikator"] == indicator:
            row.update(wert=value, untergrenze="", obergrenze="", untergrenze_inklusiv="", obergrenze_inklusiv="")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def settings(tmp_path):
    return load_settings({"QK_DATENBANK": f"sqlite:///{tmp_path / 'store.sqlite'}"})


@pytest.fixture
def store(settings):
    store = Store.open(settings.database_url, seed_csv=settings.angebote_path)
    yield store
    store.engine.dispose()


def test_publish_withdraw_step_by_step_back_to_the_shipped_file(store):
    assert store.active_publication("stadtteile") is None
    first = store.publish("stadtteile", "bezirke.gpkg", official_districts(), CITY_SOURCE, "19 zugeordnet", "anna")
    second = store.publish("stadtteile", "bezirke-2.gpkg", official_districts(), CITY_SOURCE, "19 zugeordnet", "bernd")
    assert store.active_publication("stadtteile")["nr"] == second
    assert store.active_publication("sozialatlas") is None  # kinds are independent

    assert store.withdraw_publication("stadtteile", "anna", second)["nr"] == first
    assert store.withdraw_publication("stadtteile", "anna", first) is None

    listing = store.publications("stadtteile")
    assert list(listing["nr"]) == [second, first] and not listing["aktiv"].any()
    assert list(listing["zurueckgenommen_von"]) == ["anna", "anna"] and "inhalt" not in listing
    trail = store.history("veroeffentlichung:stadtteile")
    assert [(r.vorgang, r.alt, r.neu, r.von) for r in trail.itertuples()] == [
        ("veroeffentlicht", "mitgeliefert", str(first), "anna"),
        ("veroeffentlicht", str(first), str(second), "bernd"),
        ("zurueckgenommen", str(second), str(first), "anna"),
        ("zurueckgenommen", str(first), "mitgeliefert", "anna"),
    ]


def test_withdrawing_what_a_colleague_replaced_is_a_conflict_and_changes_nothing(store):
    first = store.publish("sozialatlas", "a.csv", "x", "Sozialatlas 2025", "", "anna")
    second = store.publish("sozialatlas", "b.csv", "y", "Sozialatlas 2026", "", "bernd")
    with pytest.raises(PublicationConflict) as caught:
        store.withdraw_publication("sozialatlas", "anna", first)  # anna's page still showed her own
    assert caught.value.active["nr"] == second and "bernd" in str(caught.value)
    assert store.active_publication("sozialatlas")["nr"] == second
    assert store.history("veroeffentlichung:sozialatlas")["vorgang"].tolist() == ["veroeffentlicht"] * 2


def test_a_publication_needs_a_source_and_moves_the_version_token(store):
    with pytest.raises(ValidationError):
        store.publish("stadtteile", "x.geojson", official_districts(), "  ", "", "anna")
    before = store.version_token()
    store.publish("stadtteile", "x.geojson", official_districts(), CITY_SOURCE, "", "anna")
    assert store.version_token() != before  # every app process reloads within its check interval


def test_published_districts_replace_the_schematic_ones_everywhere_and_withdrawal_restores_them(settings, store):
    shipped = load_dataset(settings, store)
    assert shipped.schematic and shipped.files[1].publication is None

    number = store.publish("stadtteile", "Stadtbezirke.gpkg", official_districts(), CITY_SOURCE, "", "anna")
    data = load_dataset(settings, store)
    assert not data.schematic and data.district_source == CITY_SOURCE
    assert data.files[1].publication["nr"] == number and data.files[1].publication["dateiname"] == "Stadtbezirke.gpkg"
    assert published_path(settings, "stadtteile").exists()
    assert len(data.districts) == 19 and (data.offers["stadtteil_id"] == shipped.offers["stadtteil_id"]).all()

    store.withdraw_publication("stadtteile", "anna", number)
    again = load_dataset(settings, store)
    assert again.schematic and again.files[1].publication is None
    assert not published_path(settings, "stadtteile").exists()


def test_published_indicators_are_what_the_pages_read(settings, store):
    from geo.data.indicators import district_band

    # data/sozialatlas.csv, line 2: 50,8 %
    assert district_band(load_dataset(settings, store).indicators, "baerenkaempen", "kinderarmut").value == 50.8
    store.publish("sozialatlas", "sozialatlas-2026.xlsx", indicators_with("baerenkaempen", "kinderarmut", "38.5"),
                  "Sozialatlas 2026 (Test)", "", "anna")
    band = district_band(load_dataset(settings, store).indicators, "baerenkaempen", "kinderarmut")
    assert band.value == 38.5


def test_a_store_broken_after_publishing_still_shows_the_published_districts(settings, store, tmp_path):
    store.publish("stadtteile", "Stadtbezirke.gpkg", official_districts(), CITY_SOURCE, "", "anna")
    load_dataset(settings, store)  # keeps the files beside the last good copy of the offers
    store.engine.dispose()
    (tmp_path / "store.sqlite").write_bytes(b"")  # truncate -s 0
    data = load_dataset(settings)
    assert data.store_problem is not None
    assert not data.schematic and data.district_source == CITY_SOURCE
    assert data.files[1].publication["von"] == "anna"


def test_map_poster_and_legend_name_the_published_sources_instead_of_schematic(settings, store):
    from geo.data.districts import geometry_note
    from geo.render.mapbuild import MapOptions, build_map
    from geo.render.poster import poster_html

    store.publish("stadtteile", "Stadtbezirke.gpkg", official_districts(), CITY_SOURCE, "", "anna")
    store.publish("sozialatlas", "sozialatlas-2026.xlsx", indicators_with("baerenkaempen", "kinderarmut", "38.5"),
                  "Sozialatlas der Stadt Minden 2026 (Test)", "", "anna")
    data = load_dataset(settings, store)
    assert geometry_note(data.districts, "en") == f"District borders: {CITY_SOURCE}."
    page = build_map(data.districts, data.offers, data.indicators, MapOptions(
        indicator="kinderarmut", indicator_source=data.published_source("sozialatlas"))).get_root().render()
    assert f"Stadtteilgrenzen: {CITY_SOURCE}." in page and "nicht amtlich" not in page
    assert "Quelle: Sozialatlas der Stadt Minden 2026 (Test)." in page and "1.1.2018" not in page
    poster = poster_html(data, "baerenkaempen", "A4", "de")
    assert CITY_SOURCE in poster and "nicht amtlich" not in poster
