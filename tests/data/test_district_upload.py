"""geo.data.district_upload: an editor's Stadtbezirke file read safely, checked against the app, published as GeoJSON.

Geometries are 1 km × 1 km squares in EPSG:25832 near Minden (y 5793000–5794000), so every area, overlap and
share below is computed by hand: the current districts are Bärenkämpen x 491000–492000, Königstor
x 492000–493000 and Leteln-Aminghausen x 493000–494000; the test outline is their 3 km² bounding box.
"""
from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.analysis.district_change import assign_offers
from geo.data import district_upload
from geo.data.district_upload import (
    DistrictUpload,
    check_district_upload,
    known_districts,
    read_district_upload,
    suggest_id_column,
    summary_lines,
)
from geo.data.districts import read_districts
from geo.data.problems import DataFileError

Y0, Y1 = 5793000, 5794000
OUTLINE = box(491000, Y0, 494000, Y1)  # EPSG:25832, 3 km²


def square(x0: float, x1: float | None = None, y0: float = Y0, y1: float = Y1):
    return box(x0, y0, x0 + 1000 if x1 is None else x1, y1)


@pytest.fixture
def current() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"id": ["baerenkaempen", "koenigstor", "leteln-aminghausen"],
         "name": ["Bärenkämpen", "Königstor", "Leteln-Aminghausen"],
         "geometrie": ["schematisch"] * 3, "quelle": ["Test"] * 3},
        geometry=[square(491000), square(492000), square(493000)], crs="EPSG:25832")
    return frame.to_crs("EPSG:4326")


@pytest.fixture
def indicators() -> pd.DataFrame:
    # Innenstadt has values but no polygon yet; "minden" is the whole city, no district.
    return pd.DataFrame({
        "stadtteil_id": ["baerenkaempen", "koenigstor", "leteln-aminghausen", "innenstadt", "minden"],
        "stadtteil": ["Bärenkämpen", "Königstor", "Leteln-Aminghausen", "Innenstadt", "Stadt Minden (gesamt)"],
        "indikator": ["kinderarmut"] * 5, "wert": ["50,8", "45", "30", "33", "20"],
    })


def official(names: list[str], geometries: list, **columns) -> gpd.GeoDataFrame:
    """Stadtbezirke as a city's GIS would deliver them: own column names, EPSG:25832."""
    return gpd.GeoDataFrame({"BEZIRK": names, **columns}, geometry=geometries, crs="EPSG:25832")


def as_upload(frame: gpd.GeoDataFrame, name_column: str = "BEZIRK") -> DistrictUpload:
    columns = [c for c in frame.columns if c != "geometry"]
    return DistrictUpload("bezirke.gpkg", "GeoPackage", "bezirke", ["bezirke"], frame, columns, name_column, None)


def check(upload: DistrictUpload, current, indicators, offers=None, **kwargs):
    kwargs.setdefault("outline", OUTLINE)
    kwargs.setdefault("quelle", "Stadt Minden, Stadtbezirke 2024")
    return check_district_upload(upload, upload.name_column or "BEZIRK", current, indicators, offers,
                                 assign_offers=assign_offers, **kwargs)


THREE = official(["Baerenkaempen", "Koenigstoor", "Leteln"], [square(491000), square(492000), square(493000)],
                 NR=["01", "02", "03"])
ASSIGNED = {"Koenigstoor": "koenigstor", "Leteln": "leteln-aminghausen"}


def shapefile_zip(frame: gpd.GeoDataFrame, folder: Path, stem: str = "bezirke", drop: tuple[str, ...] = (),
                  rename=lambda name: name) -> bytes:
    """The parts of a Shapefile written by GDAL, zipped (``drop``: suffixes left out; ``rename``: member names)."""
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_file(folder / f"{stem}.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob(f"{stem}.*")):
            if path.suffix not in drop:
                archive.write(path, rename(path.name))
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refusal(raw: bytes, filename: str = "bezirke.zip") -> str:
    with pytest.raises(DataFileError) as info:
        read_district_upload(raw, filename)
    assert info.value.problem.datei == filename.split("/")[-1]
    return str(info.value)


# --------------------------------------------------------------------------- formats


def test_reads_geojson_and_suggests_the_name_column_by_its_values(tmp_path, current, indicators):
    # "NAME" holds other text; the district names are in "LABEL", which only its values give away.
    frame = THREE.rename(columns={"BEZIRK": "LABEL"}).assign(NAME=["Verwaltung", "Verwaltung", "Verwaltung"])
    path = tmp_path / "bezirke.geojson"
    frame.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    upload = read_district_upload(path.read_bytes(), "C:\\Users\\red\\bezirke.geojson",
                                  known=known_districts(current, indicators))
    assert (upload.filename, upload.format, upload.layer, upload.layers) == (
        "bezirke.geojson", "GeoJSON", "bezirke", ["bezirke"])
    assert upload.frame.crs.to_epsg() == 4326 and len(upload.frame) == 3
    assert upload.text_columns == ["LABEL", "NR", "NAME"]
    assert upload.name_column == "LABEL"
    assert upload.id_column is None  # "01", "02" are no ids of the app


def test_without_known_names_the_column_called_like_a_name_is_suggested(tmp_path):
    path = tmp_path / "b.geojson"
    THREE.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    assert read_district_upload(path.read_bytes(), "b.geojson").name_column == "BEZIRK"


def test_reads_geopackage_with_two_layers_and_picks_the_polygon_layer(tmp_path):
    path = tmp_path / "stadt.gpkg"
    gpd.GeoDataFrame({"name": ["Rathaus"]}, geometry=[Point(491500, 5793500)], crs="EPSG:25832").to_file(
        path, layer="punkte", driver="GPKG")
    THREE.to_file(path, layer="bezirke", driver="GPKG")
    raw = path.read_bytes()
    upload = read_district_upload(raw, "stadt.dat")  # by content, not by name
    assert upload.format == "GeoPackage"
    assert sorted(upload.layers) == ["bezirke", "punkte"] and upload.layer == "bezirke"
    assert upload.frame.crs.to_epsg() == 25832  # kept as read; the check transforms
    assert list(upload.frame["BEZIRK"]) == ["Baerenkaempen", "Koenigstoor", "Leteln"]
    chosen = read_district_upload(raw, "stadt.gpkg", layer="punkte")
    assert chosen.layer == "punkte" and list(chosen.frame.geom_type) == ["Point"]
    with pytest.raises(DataFileError) as info:
        read_district_upload(raw, "stadt.gpkg", layer="gebaeude")
    message = str(info.value)
    assert "Ebene „gebaeude“ gibt es in der Datei nicht" in message and "„bezirke“" in message


def test_reads_zipped_shapefile_with_folder_and_upper_case_suffixes(tmp_path):
    frame = official(["Bärenkämpen", "Königstor"], [square(491000), square(492000)])
    raw = shapefile_zip(frame, tmp_path / "shp", rename=lambda n: "Daten/" + n.replace(".shp", ".SHP"))
    upload = read_district_upload(raw, "bezirke.zip")
    assert upload.format == "Shapefile (ZIP)" and upload.layer == "Daten/bezirke"
    assert upload.frame.crs.to_epsg() == 25832
    assert list(upload.frame["BEZIRK"]) == ["Bärenkämpen", "Königstor"]  # .cpg says UTF-8
    assert upload.notices == []


def test_utf8_shapefile_without_cpg_is_read_as_utf8_with_a_notice(tmp_path):
    frame = official(["Bärenkämpen"], [square(491000)])
    upload = read_district_upload(shapefile_zip(frame, tmp_path / "shp", drop=(".cpg",)), "bezirke.zip")
    assert list(upload.frame["BEZIRK"]) == ["Bärenkämpen"]  # not "BÃ¤renkÃ¤mpen"
    assert ".cpg-Datei fehlt" in upload.notices[0].meldung


def test_several_shapefiles_in_one_zip_are_layers(tmp_path):
    first = shapefile_zip(official(["Nord"], [square(491000)]), tmp_path / "a", stem="alt")
    second = shapefile_zip(official(["Süd"], [square(492000)]), tmp_path / "b", stem="neu")
    members = {}
    for raw in (first, second):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members.update({name: archive.read(name) for name in archive.namelist()})
    raw = zip_of(members)
    upload = read_district_upload(raw, "bezirke.zip")
    assert upload.layers == ["alt", "neu"] and upload.layer == "alt"
    assert list(read_district_upload(raw, "bezirke.zip", layer="neu").frame["BEZIRK"]) == ["Süd"]


def test_zip_with_one_geopackage_is_read_as_that_file(tmp_path):
    path = tmp_path / "bezirke.gpkg"
    THREE.to_file(path, layer="stadtbezirke", driver="GPKG")
    upload = read_district_upload(zip_of({"download/bezirke.gpkg": path.read_bytes()}), "download.zip")
    assert upload.format == "GeoPackage (ZIP)" and upload.layer == "stadtbezirke" and len(upload.frame) == 3


def test_shapefile_without_prj_is_refused(tmp_path):
    raw = shapefile_zip(THREE, tmp_path / "shp", drop=(".prj",))
    message = refusal(raw)
    assert "Die .prj-Datei fehlt" in message and "bezirke.prj" in message


def test_shapefile_with_unreadable_prj_is_refused(tmp_path):
    raw = shapefile_zip(THREE, tmp_path / "shp", drop=(".prj",))
    raw = zip_of({**{n: zipfile.ZipFile(io.BytesIO(raw)).read(n) for n in zipfile.ZipFile(io.BytesIO(raw)).namelist()},
                  "bezirke.prj": b"kein Koordinatensystem"})
    assert "Die .prj-Datei zu „bezirke.shp“ enthält kein lesbares Koordinatensystem" in refusal(raw)


def test_shapefile_without_dbf_is_refused(tmp_path):
    assert "fehlt bezirke.dbf" in refusal(shapefile_zip(THREE, tmp_path / "shp", drop=(".dbf",)))


def test_lone_shp_file_asks_for_the_zip(tmp_path):
    THREE.to_file(tmp_path / "bezirke.shp")
    assert "als ZIP-Datei hochladen" in refusal((tmp_path / "bezirke.shp").read_bytes(), "bezirke.shp")


def test_geojson_with_metre_coordinates_and_no_crs_is_refused():
    collection = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Bärenkämpen"},
        "geometry": {"type": "Polygon", "coordinates": [[[491000, Y0], [492000, Y0], [492000, Y1], [491000, Y0]]]}}]}
    message = refusal(json.dumps(collection).encode(), "bezirke.geojson")
    assert "keine Längen- und Breitengrade" in message and "EPSG:25832" in message


# --------------------------------------------------------------------------- refused files


@pytest.mark.parametrize(("raw", "filename", "expected"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "bericht.pdf", "ein PDF-Dokument"),
    (b"id;name\n1;Innenstadt\n", "bezirke.csv", "kein GeoJSON"),
    (b"<?xml version='1.0'?><kml></kml>", "bezirke.kml", "KML oder GML"),
    (b"", "leer.geojson", "Die Datei ist leer."),
])
def test_non_geodata_is_refused_naming_the_file(raw, filename, expected):
    message = refusal(raw, filename)
    assert message.startswith(f"{filename}: ") and expected in message


def test_broken_geojson_gives_gdal_reason_without_temporary_path():
    message = refusal(b'{"type": "FeatureCollection", "features": [', "bezirke.geojson")
    assert "kann nicht als Geodaten gelesen werden (" in message
    assert "stadtbezirke-" not in message and tempfile.gettempdir() not in message


def test_too_large_upload_is_refused(monkeypatch):
    monkeypatch.setattr(district_upload, "MAX_UPLOAD_BYTES", 100)
    assert "höchstens" in refusal(b"{" + b" " * 200 + b"}", "gross.geojson")


def test_zip_with_path_traversal_is_refused():
    for name in ("../x.shp", "/etc/x.shp", "..\\x.shp", "C:/x.shp"):
        assert "zeigt aus dem Ordner heraus" in refusal(zip_of({name: b"x", "x.dbf": b"x"})), name


def test_zip_with_too_many_members_is_refused():
    raw = zip_of({f"teil{i}.txt": b"x" for i in range(district_upload.MAX_ZIP_MEMBERS + 1)})
    assert "51 Einträge" in refusal(raw)


def test_zip_bomb_is_refused_by_its_compression_ratio():
    raw = zip_of({"bezirke.shp": bytes(20 * 1024 * 1024), "bezirke.shx": b"x", "bezirke.dbf": b"x"})
    assert len(raw) < 100_000
    message = refusal(raw)
    assert "„bezirke.shp“ ist" in message and "-fach gepackt" in message


def test_zip_larger_than_the_unpacked_limit_is_refused(monkeypatch):
    monkeypatch.setattr(district_upload, "MAX_UNPACKED_BYTES", 1000)
    assert "entpackt" in refusal(zip_of({"a.shp": bytes(600), "a.dbf": bytes(600)}))


def test_password_protected_zip_is_refused():
    # zipfile cannot encrypt; set the "encrypted" flag bit that an encrypting archiver sets, in the local header
    # (offset 6) and the central directory entry (offset 8). The content does not matter for the refusal.
    raw = bytearray(zip_of({"bezirke.shp": b"x"}))
    central = raw.index(b"PK\x01\x02")
    raw[6] |= 0x1
    raw[central + 8] |= 0x1
    assert "mit einem Passwort geschützt" in refusal(bytes(raw))


def test_zip_in_zip_is_refused():
    assert "wieder eine ZIP-Datei" in refusal(zip_of({"bezirke.json": zip_of({"a.txt": b"x"})}))


def test_temporary_files_are_removed(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    read_district_upload(shapefile_zip(THREE, tmp_path / "shp"), "bezirke.zip")
    refusal(shapefile_zip(THREE, tmp_path / "shp2", drop=(".prj",)))
    assert list(scratch.iterdir()) == []


# --------------------------------------------------------------------------- the check


def test_known_districts_are_polygons_and_sozialatlas_without_the_city(current, indicators):
    assert known_districts(current, indicators) == {
        "baerenkaempen": "Bärenkämpen", "koenigstor": "Königstor", "leteln-aminghausen": "Leteln-Aminghausen",
        "innenstadt": "Innenstadt"}


def test_near_misses_are_suggested_not_matched(current, indicators):
    result = check(as_upload(THREE), current, indicators)
    assert result.matched == {"Baerenkaempen": "baerenkaempen"}
    assert [(m.name, m.suggestions[0]) for m in result.unmatched] == [
        ("Koenigstoor", ("koenigstor", "Königstor")), ("Leteln", ("leteln-aminghausen", "Leteln-Aminghausen"))]
    assert result.new_names == ["Koenigstoor", "Leteln"]
    assert list(result.districts["id"]) == ["baerenkaempen", "koenigstoor", "leteln"]
    assert list(result.districts["name"]) == ["Bärenkämpen", "Koenigstoor", "Leteln"]  # the app's spelling kept
    assert [i for i, _ in result.missing] == ["koenigstor", "leteln-aminghausen", "innenstadt"]
    assert result.missing_with_indicators == result.missing
    messages = [p.meldung for p in result.notices]
    assert "„Königstor“ fehlt in der Datei: seine Sozialatlas-Werte würden auf der Karte keinem Polygon mehr " \
           "zugeordnet und nicht mehr gezeigt." in messages
    assert "„Leteln“ passt zu keinem bekannten Stadtteil und würde neu angelegt (ohne Sozialatlas-Werte)." in messages
    assert result.blocking == []  # new districts are allowed; the editor sees the list


def test_assignments_attach_near_misses_to_known_districts(current, indicators):
    result = check(as_upload(THREE), current, indicators, assignments=ASSIGNED)
    assert result.matched == {"Baerenkaempen": "baerenkaempen", **ASSIGNED}
    assert list(result.districts["id"]) == ["baerenkaempen", "koenigstor", "leteln-aminghausen"]
    assert list(result.districts["name"]) == ["Bärenkämpen", "Königstor", "Leteln-Aminghausen"]
    assert list(result.districts["geometrie"]) == ["importiert"] * 3
    assert list(result.districts["quelle"]) == ["Stadt Minden, Stadtbezirke 2024"] * 3
    assert result.districts.crs.to_epsg() == 4326
    assert result.new_names == [] and result.missing == [("innenstadt", "Innenstadt")]
    assert result.blocking == [] and result.publishable
    assert len(result.unmatched) == 2  # still listed, so the page can show the choice again


def test_assignment_to_none_keeps_a_new_district_even_if_it_matched(current, indicators):
    result = check(as_upload(THREE), current, indicators, assignments={**ASSIGNED, "Baerenkaempen": None})
    assert list(result.districts["id"]) == ["baerenkaempen-neu", "koenigstor", "leteln-aminghausen"]


def test_upload_names_can_be_kept(current, indicators):
    result = check(as_upload(THREE), current, indicators, assignments=ASSIGNED, keep_known_names=False)
    assert list(result.districts["name"]) == ["Baerenkaempen", "Koenigstoor", "Leteln"]


def test_two_features_for_one_district_block(current, indicators):
    result = check(as_upload(THREE), current, indicators, assignments={"Koenigstoor": "baerenkaempen"})
    assert result.duplicate_targets == {"baerenkaempen": ["Baerenkaempen", "Koenigstoor"]}
    assert result.blocking == ["„Baerenkaempen“ und „Koenigstoor“ würden beide dem Stadtteil „Bärenkämpen“ "
                               "zugeordnet; jeder Stadtteil darf nur einmal vorkommen. Bitte die Zuordnung ändern "
                               "oder die Polygone in der Datei zusammenfassen."]
    assert not result.publishable


def test_assignment_to_an_unknown_id_blocks(current, indicators):
    result = check(as_upload(THREE), current, indicators, assignments={"Leteln": "leteln-neu"})
    assert any("„leteln-neu“" in b for b in result.blocking)


def test_missing_quelle_blocks(current, indicators):
    result = check(as_upload(THREE), current, indicators, assignments=ASSIGNED, quelle="  ")
    assert len(result.blocking) == 1 and "Quelle" in result.blocking[0]


def test_nothing_matched_blocks(current, indicators):
    frame = official(["Alpha", "Beta"], [square(491000), square(492000)])
    result = check(as_upload(frame), current, indicators)
    assert len(result.blocking) == 1 and "Kein Stadtbezirk der Datei passt" in result.blocking[0]
    assert "„BEZIRK“" in result.blocking[0]


def test_no_polygon_blocks_and_says_what_the_layer_holds(current, indicators):
    frame = official(["Baerenkaempen", "Koenigstoor"], [Point(491500, 5793500), Point(492500, 5793500)])
    result = check(as_upload(frame), current, indicators)
    assert result.blocking == ["Keine gültigen Stadtteil-Polygone gefunden. Die Ebene enthält: 2 × Point."]
    assert result.districts.empty


def test_wrong_name_column_raises(current, indicators):
    with pytest.raises(DataFileError, match="Namensspalte „NAME“ fehlt"):
        check_district_upload(as_upload(THREE), "NAME", current, indicators, None, outline=OUTLINE,
                              assign_offers=assign_offers)


def test_rejected_and_repaired_features_are_reported(current, indicators):
    bowtie = gpd.GeoSeries.from_wkt(["POLYGON ((493000 5793000, 494000 5794000, 494000 5793000, 493000 5794000, "
                                     "493000 5793000))"])[0]
    speck = box(493500, 5793500, 493500.001, 5793500.001)  # 1 mm², gone on the 1e-7° grid
    frame = official(["Baerenkaempen", None, "Leteln", "Krümel"], [square(491000), square(492000), bowtie, speck])
    result = check(as_upload(frame), current, indicators, assignments={"Leteln": "leteln-aminghausen"})
    assert result.rejected.to_dict("records") == [{"zeile": 2, "name": "", "grund": "Name fehlt."},
                                                  {"zeile": 4, "name": "Krümel",
                                                   "grund": "Polygon ist kleiner als 1 cm."}]
    assert list(result.districts["id"]) == ["baerenkaempen", "leteln-aminghausen"]
    messages = [p.meldung for p in result.notices]
    assert any("„Leteln“ ist ungültig" in m and "repariert" in m for m in messages)
    assert "2 Objekte werden nicht übernommen (siehe Liste)." in messages
    assert result.districts.is_valid.all() and result.blocking == []


def test_overlap_area_and_offers_that_change_district(current, indicators):
    # Bärenkämpen grows 100 m east into Königstor: 100 m × 1000 m = 100,000 m² overlap, 1.1 km² (+10 %).
    # Leteln-Aminghausen is not in the file.
    frame = official(["Baerenkaempen", "Koenigstoor"], [square(491000, 492100), square(492000)])
    points = [(491500, 5793500), (492050, 5793500), (493500, 5793500), (495500, 5793500)]
    offers = gpd.GeoDataFrame(
        {"id": ["o1", "o2", "o3", "o4", "o5"], "name": ["Eins", "Zwei", "Drei", "Vier", "Ohne Ort"]},
        geometry=[Point(xy) for xy in points] + [None], crs="EPSG:25832").to_crs("EPSG:4326")
    offers = assign_offers(offers, current)  # as the app holds them
    result = check(as_upload(frame), current, indicators, offers, assignments={"Koenigstoor": "koenigstor"})

    assert "„Baerenkaempen“ und „Koenigstoor“ überlappen sich (100.000 m²)." in [p.meldung for p in result.notices]
    # o2 lies in both new polygons: the first in file order wins, as in the app's join.
    assert result.offer_changes.to_dict("records") == [
        {"id": "o2", "name": "Zwei", "stadtteil_id_bisher": "koenigstor", "stadtteil_bisher": "Königstor",
         "stadtteil_id_neu": "baerenkaempen", "stadtteil_neu": "Bärenkämpen"},
        {"id": "o3", "name": "Drei", "stadtteil_id_bisher": "leteln-aminghausen",
         "stadtteil_bisher": "Leteln-Aminghausen", "stadtteil_id_neu": "", "stadtteil_neu": ""}]
    assert result.offers_outside == 2  # o3 and o4; o5 has no location
    assert "2 Angebote lägen danach in keinem Stadtteil." in [p.meldung for p in result.notices]

    areas = result.areas.set_index("id")
    assert list(areas.index) == ["baerenkaempen", "koenigstor", "leteln-aminghausen"]
    assert areas.loc["baerenkaempen", "flaeche_bisher_km2"] == pytest.approx(1.0, abs=1e-4)
    assert areas.loc["baerenkaempen", "flaeche_neu_km2"] == pytest.approx(1.1, abs=1e-4)
    assert areas.loc["baerenkaempen", "aenderung_prozent"] == pytest.approx(10.0, abs=0.01)
    assert areas.loc["koenigstor", "aenderung_prozent"] == pytest.approx(0.0, abs=0.01)
    assert areas.loc["leteln-aminghausen", "flaeche_bisher_km2"] == pytest.approx(1.0, abs=1e-4)
    assert pd.isna(areas.loc["leteln-aminghausen", "flaeche_neu_km2"])
    assert pd.isna(areas.loc["leteln-aminghausen", "aenderung_prozent"])

    assert summary_lines(result)[0] == "2 Stadtbezirke, 2 zugeordnet, 0 neu, 2 Angebote wechseln den Stadtteil"
    assert "Fehlen: Leteln-Aminghausen, Innenstadt" in summary_lines(result)


def test_new_only_district_has_no_current_area(current, indicators):
    result = check(as_upload(THREE), current, indicators)
    areas = result.areas.set_index("id")
    assert pd.isna(areas.loc["leteln", "flaeche_bisher_km2"])
    assert areas.loc["leteln", "flaeche_neu_km2"] == pytest.approx(1.0, abs=1e-4)
    assert list(areas.index) == ["baerenkaempen", "koenigstoor", "leteln", "koenigstor", "leteln-aminghausen"]


def test_gap_between_districts_is_reported(current, indicators):
    # Four bars around the empty square x 492000–493000, y 5794000–5795000: a 1 km² gap. Vertices every
    # 1000 m, so shared borders stay shared in EPSG:4326 (a straight edge there is a slight curve here).
    bars = [box(491000, 5793000, 494000, 5794000), box(491000, 5794000, 492000, 5795000),
            box(493000, 5794000, 494000, 5795000), box(491000, 5795000, 494000, 5796000)]
    frame = official(["Baerenkaempen", "Koenigstoor", "Leteln", "Nord"], [b.segmentize(1000) for b in bars])
    result = check(as_upload(frame), current, indicators, assignments=ASSIGNED)
    assert "Zwischen den Stadtteilen liegen Lücken (1.000.000 m²)." in [p.meldung for p in result.notices]


def test_city_outline_coverage_in_square_metres_and_percent(current, indicators):
    # Two of the three squares of the 3 km² outline, plus one square east of it.
    frame = official(["Baerenkaempen", "Koenigstoor", "Neustadt"],
                     [square(491000), square(492000), square(494000)])
    result = check(as_upload(frame), current, indicators, assignments={"Koenigstoor": "koenigstor"})
    assert result.outline_area_m2 == pytest.approx(3_000_000, rel=1e-9)
    assert result.uncovered_m2 == pytest.approx(1_000_000, rel=1e-4)
    assert result.outside_m2 == pytest.approx(1_000_000, rel=1e-4)
    assert result.uncovered_percent == pytest.approx(100 / 3, rel=1e-4)
    assert result.outside_percent == pytest.approx(100 / 3, rel=1e-4)
    # The m² carry a few metres of reprojection (an edge straight in degrees bends slightly in metres).
    uncovered, outside = (next(p.meldung for p in result.notices if p.meldung.startswith(start))
                          for start in ("33,3 % des Stadtgebiets liegen in keinem Stadtbezirk (1.000.",
                                        "33,3 % der Stadtbezirksfläche liegen außerhalb des Stadtgebiets (1.000."))
    assert "m² = 1 km²). Der Stadtumriss (BKG VG250) ist vereinfacht" in uncovered
    assert outside.endswith(" m² = 1 km²).")


def test_the_real_outline_is_the_default(current, indicators):
    result = check_district_upload(as_upload(THREE), "BEZIRK", current, indicators, None, assignments=ASSIGNED,
                                   quelle="Test", assign_offers=assign_offers)
    assert result.outline_area_m2 == pytest.approx(101.1e6, rel=1e-2)  # Minden, BKG VG250
    assert result.uncovered_m2 == pytest.approx(result.outline_area_m2 - 3e6, rel=1e-3)
    assert result.blocking == []


def test_polygons_far_from_minden_block(current, indicators):
    frame = official(["Baerenkaempen"], [box(391000, 5793000, 392000, 5794000)])  # 100 km west
    result = check(as_upload(frame), current, indicators)
    assert result.blocking == ["Die Polygone liegen nicht im Stadtgebiet von Minden. Ist das Koordinatensystem der "
                               "Datei richtig angegeben?"]


def test_id_column_with_the_apps_ids_matches_other_names(current, indicators):
    frame = THREE.assign(SID=["baerenkaempen", "koenigstor", "leteln-aminghausen"])
    assert suggest_id_column(frame, known_districts(current, indicators), exclude="BEZIRK") == "SID"
    result = check(as_upload(frame), current, indicators, id_column="SID")
    assert list(result.districts["id"]) == ["baerenkaempen", "koenigstor", "leteln-aminghausen"]


def test_undecided_names_are_new_districts_when_asked_also_with_a_matching_id_column(current, indicators):
    """The Redaktion checks once per run with the editor's choices so far: a name without match and without a
    choice is a new district there (its box shows "neu anlegen"), also when the id column would match it."""
    frame = THREE.assign(SID=["baerenkaempen", "koenigstor", "leteln-aminghausen"])
    result = check(as_upload(frame), current, indicators, id_column="SID", undecided_new=True)
    assert list(result.districts["id"])[0] == "baerenkaempen"  # matched by its name
    assert sorted(result.new_names) == ["Koenigstoor", "Leteln"]
    assert [m.name for m in result.unmatched] == ["Koenigstoor", "Leteln"]
    # the same as deciding "new" for each, which the page did in a second check
    decided = check(as_upload(frame), current, indicators, id_column="SID",
                    assignments={"Koenigstoor": None, "Leteln": None})
    assert list(decided.districts["id"]) == list(result.districts["id"]) and decided.new_names == result.new_names
    chosen = check(as_upload(frame), current, indicators, id_column="SID", undecided_new=True,
                   assignments={"Koenigstoor": "koenigstor"})
    assert sorted(chosen.new_names) == ["Leteln"]


def test_geojson_text_reads_back_identically(tmp_path, current, indicators):
    # Rounding to 7 decimals must not change what read_districts sees; a MultiPolygon stays one.
    frame = official(["Baerenkaempen", "Koenigstoor", "Leteln"],
                     [square(491000), square(492000), square(493000).union(box(494500, Y0, 494600, Y0 + 100))])
    result = check(as_upload(frame), current, indicators, assignments=ASSIGNED)
    text = result.geojson_text()
    collection = json.loads(text)
    coordinates = json.dumps([f["geometry"]["coordinates"] for f in collection["features"]])
    assert max(len(n.split(".")[1]) for n in coordinates.replace("[", " ").replace("]", " ").replace(",", " ").split()
               if "." in n) <= 7
    assert collection["features"][0]["properties"] == {
        "id": "baerenkaempen", "name": "Bärenkämpen", "geometrie": "importiert",
        "quelle": "Stadt Minden, Stadtbezirke 2024"}
    path = tmp_path / "stadtteile.geojson"
    path.write_text(text, encoding="utf-8")
    again = read_districts(path)
    assert again.problems == [] and again.rejected.empty
    pd.testing.assert_frame_equal(pd.DataFrame(again.districts.drop(columns="geometry")),
                                  pd.DataFrame(result.districts.drop(columns="geometry")))
    assert list(again.districts.geometry.to_wkb()) == list(result.districts.geometry.to_wkb())
    assert list(again.districts.geom_type) == ["Polygon", "Polygon", "MultiPolygon"]


def test_summary_lines_name_the_file_and_the_source(current, indicators):
    lines = summary_lines(check(as_upload(THREE), current, indicators, assignments=ASSIGNED))
    assert lines[:3] == ["3 Stadtbezirke, 3 zugeordnet, 0 neu, 0 Angebote wechseln den Stadtteil",
                         "Datei: bezirke.gpkg, Ebene „bezirke“, Namensspalte „BEZIRK“",
                         "Quelle: Stadt Minden, Stadtbezirke 2024"]
    assert "Fehlen: Innenstadt" in lines
