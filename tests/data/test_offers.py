"""geo.data.offers: every record is loaded or rejected with file, line and column."""
import pytest
from conftest import HEADER, offer_line

from geo.data.offers import OFFER_COLUMNS, parse_offers

GOOD = offer_line("a", "Sprach-Café", 52.29, 8.91)


def load(*lines: str, header: str = HEADER):
    return parse_offers("\n".join([header, *lines]) + "\n", "test.csv")


def only_error(result):
    assert len(result.errors) == 1, [str(p) for p in result.problems]
    return result.errors[0]


def test_good_row_is_loaded_with_point_geometry():
    result = load(GOOD)
    assert result.errors == []
    assert list(result.offers["id"]) == ["a"]
    assert result.offers.crs.to_epsg() == 4326
    assert (result.offers.geometry.x.iloc[0], result.offers.geometry.y.iloc[0]) == (8.91, 52.29)
    assert result.offers["zeile"].iloc[0] == 2
    assert set(OFFER_COLUMNS) <= set(result.offers.columns)


def test_missing_name_is_rejected_with_line_and_column():
    result = load(GOOD, offer_line("b", "", 52.29, 8.91))
    err = only_error(result)
    assert (err.datei, err.zeile, err.spalte) == ("test.csv", 3, "name")
    assert str(err) == "test.csv, Zeile 3, Spalte „name“: Name fehlt."
    assert list(result.rejected["zeile"]) == [3]


def test_unknown_handlungsfeld_lists_allowed_values():
    err = only_error(load(offer_line("b", "X", 52.29, 8.91, handlungsfeld="Sport")))
    assert err.spalte == "handlungsfeld"
    assert "„Sport“ ist kein Handlungsfeld" in err.meldung and "„Wohnen“" in err.meldung


def test_handlungsfeld_matching_ignores_case_and_spaces():
    result = load(offer_line("b", "X", 52.29, 8.91, handlungsfeld="zusammenleben  und teilhabe"))
    assert result.offers["handlungsfeld"].iloc[0] == "Zusammenleben und Teilhabe"


def test_non_numeric_coordinate():
    line = GOOD.replace("52.290000", "nördlich")
    err = only_error(load(line))
    assert (err.zeile, err.spalte, err.meldung) == (2, "lat", "Breite „nördlich“ ist keine Zahl.")


def test_swapped_coordinates_get_a_hint():
    err = only_error(load(offer_line("b", "X", 8.91, 52.29)))
    assert err.meldung == "Koordinate (8.91, 52.29) liegt nicht in Minden. Breite und Länge vertauscht?"


def test_coordinate_outside_minden():
    err = only_error(load(offer_line("b", "Berlin", 52.52, 13.40)))
    assert err.meldung == "Koordinate (52.52, 13.4) liegt nicht in Minden."


def test_decimal_comma_is_accepted():
    line = offer_line("b", "X", 52.29, 8.91).replace("52.290000,8.910000", '"52,29","8,91"')
    result = load(line)
    assert result.errors == [] and result.offers["lat"].iloc[0] == 52.29


def test_invalid_precision_is_rejected():
    err = only_error(load(offer_line("b", "X", 52.29, 8.91, lage="genau")))
    assert err.spalte == "lage_genauigkeit"


def test_duplicate_id_rejects_the_later_row_and_names_the_first():
    result = load(GOOD, offer_line("a", "Zweites", 52.29, 8.91))
    err = only_error(result)
    assert (err.zeile, err.spalte) == (3, "id")
    assert "zuerst in Zeile 2" in err.meldung
    assert list(result.offers["name"]) == ["Sprach-Café"]


def test_wrong_field_count_is_rejected():
    err = only_error(load(GOOD, "x,y,z"))
    assert err.zeile == 3 and "3 Felder, die Kopfzeile 24" in err.meldung


def test_missing_required_column_rejects_every_row():
    result = load("a,X,Bildung,52.29", header="id,name,handlungsfeld,lat")
    err = only_error(result)
    assert "Pflichtspalte(n) fehlen" in err.meldung and "lon" in err.meldung and "lage_genauigkeit" in err.meldung
    assert len(result.rejected) == 1 and result.offers.empty


def test_notices_keep_the_row():
    line = offer_line("b", "X", 52.29, 8.91, barrierefrei="vielleicht", oeffnungszeiten="Montags 9-12",
                      website="www.example.org", zuletzt_geprueft="23.11.2026")
    result = load(line)
    assert result.errors == []
    assert {p.spalte for p in result.notices} == {"barrierefrei", "oeffnungszeiten", "website", "zuletzt_geprueft"}
    assert result.offers["barrierefrei"].iloc[0] == "unbekannt"


def test_valid_opening_hours_give_no_notice():
    result = load(offer_line("b", "X", 52.29, 8.91, oeffnungszeiten="Mo 15:00-18:00"))
    assert result.problems == []


def test_line_numbers_count_quoted_line_breaks():
    multi = offer_line("b", "X", 52.29, 8.91, beschreibung='"Zeile eins\nZeile zwei"')
    result = load(multi, offer_line("c", "", 52.29, 8.91))
    assert only_error(result).zeile == 4


def test_excel_semicolon_bom_and_windows_1252():
    text = "\n".join([HEADER.replace(",", ";"), offer_line("b", "Bärenkämpen-Treff", 52.29, 8.91).replace(",", ";")])
    result = parse_offers("\ufeff".encode("utf-8") + text.encode("cp1252"), "excel.csv")
    assert result.errors == []
    assert result.offers["name"].iloc[0] == "Bärenkämpen-Treff"
    assert [p.meldung for p in result.notices][0].startswith("Datei ist nicht UTF-8-kodiert")


def test_every_record_is_loaded_or_rejected():
    lines = [GOOD, offer_line("b", "", 1, 2), "kaputt", offer_line("c", "Ok", 52.3, 8.9), offer_line("a", "Dup", 52.3, 8.9)]
    result = load(*lines)
    assert len(result.offers) + len(result.rejected) == 5
    assert sorted([*result.offers["zeile"], *result.rejected["zeile"]]) == [2, 3, 4, 5, 6]


def test_html_in_text_fields_is_kept_verbatim_for_later_escaping():
    result = load(offer_line("b", "<script>alert(1)</script>", 52.29, 8.91))
    assert result.offers["name"].iloc[0] == "<script>alert(1)</script>"


@pytest.mark.parametrize("raw", [b"", b"\xef\xbb\xbf", "  \n\n\r\n", b";;;\r\n;;;\r\n"])  # the last one: empty rows saved by a spreadsheet
def test_empty_file_is_one_file_error(raw):
    result = parse_offers(raw, "leer.csv")
    assert [str(p) for p in result.problems] == ["leer.csv: Datei ist leer; sie enthält keine Angebote."]
    assert result.file_errors == result.errors and result.offers.empty and result.rejected_rows == 0


def test_unknown_location_needs_no_coordinates_and_has_no_point():
    line = offer_line("b", "Stadtweit", 0, 0, lage="unbekannt").replace("0.000000,0.000000", ",")
    result = load(line)
    assert result.problems == []
    assert result.offers.geometry.iloc[0] is None


def test_missing_coordinates_require_unknown_location():
    line = offer_line("b", "X", 0, 0, lage="stadtteil").replace("0.000000,0.000000", ",")
    result = load(line)
    assert [p.meldung for p in result.errors] == ["Breite fehlt (oder Lage „unbekannt“ angeben).",
                                                  "Länge fehlt (oder Lage „unbekannt“ angeben)."]


def test_formula_guard_from_an_export_is_removed_on_load():
    result = load(offer_line("b", "'=SUMME(A1)", 52.29, 8.91), offer_line("c", "'Zitat'", 52.29, 8.91))
    assert list(result.offers["name"]) == ["=SUMME(A1)", "'Zitat'"]


# --- issue 12: file-level faults get one message; nothing is removed silently; the real city outline ---------

def test_png_file_is_one_file_error():
    raw = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    result = parse_offers(raw, "bild.csv")
    assert [str(p) for p in result.errors] == [
        "bild.csv: Datei ist keine CSV-Textdatei, sondern ein PNG-Bild. Bitte als CSV (UTF-8) speichern."]
    assert len(result.rejected) == 1 and result.offers.empty


def test_random_binary_with_many_nul_bytes_is_one_file_error():
    raw = bytes([0, 1, 2, 3, 200, 10]) * 200  # 1,200 bytes, 4 of 6 are control characters
    result = parse_offers(raw, "zufall.csv")
    assert len(result.problems) == 1 and result.problems[0].zeile is None
    assert "unbekannte Binärdaten" in result.problems[0].meldung


def test_csv_with_a_few_nul_bytes_stays_text():
    result = parse_offers((HEADER + "\n" + GOOD + "\n").encode().replace(b"Sprach", b"Spr\x00ach"), "t.csv")
    assert list(result.offers["name"]) == ["Sprach-Café"] and result.errors == []


def test_header_less_file_is_one_error_and_every_line_is_listed_as_rejected():
    lines = [offer_line(i, i, 52.29, 8.91) for i in ("a", "b", "c")]
    result = parse_offers("\n".join(lines) + "\n", "ohnekopf.csv")
    assert len(result.errors) == 1 and result.errors[0].zeile is None
    assert result.errors[0].meldung.startswith("Keine Kopfzeile mit den Pflichtspalten id, name, handlungsfeld, lat, lon, "
                                               "lage_genauigkeit; die erste Zeile lautet: „a | a | ")
    assert list(result.rejected["zeile"]) == [1, 2, 3]  # nothing lost, but one message, not three
    assert len(result.problems) == 1  # no "unknown columns" notice listing the data values of line 1


def test_header_only_file_is_a_file_error():
    result = parse_offers(HEADER + "\n", "leer.csv")
    assert [str(p) for p in result.errors] == ["leer.csv: Datei enthält keine Angebote (nur die Kopfzeile)."]


def test_missing_optional_columns_are_named_once():
    header = "id,name,handlungsfeld,lat,lon,lage_genauigkeit"
    result = load("a,A,Bildung,52.29,8.91,adresse", header=header)
    assert result.errors == [] and len(result.offers) == 1
    notice = result.notices[0]  # the other notice: "Quelle fehlt." for line 2
    assert notice.zeile == 1 and notice.meldung.startswith("Spalten fehlen und bleiben leer: traeger, kategorie, ")
    assert notice.meldung.endswith("status, stand_quelle, hinweis.")


def test_removed_formula_guard_and_control_characters_are_reported():
    line = offer_line("a", "Kurs\x07 A", 52.29, 8.91, traeger="'=SUMME(A1)")
    result = load(line)
    assert list(result.offers["traeger"]) == ["=SUMME(A1)"] and list(result.offers["name"]) == ["Kurs A"]
    assert {(p.zeile, p.spalte, p.meldung) for p in result.notices} == {
        (2, "name", "Steuerzeichen (unsichtbare Zeichen) wurden entfernt."),
        (2, "traeger", "Führendes Apostroph (Formelschutz einer Tabellenkalkulation) wurde entfernt."),
    }


def test_coordinate_outside_the_city_outline_is_rejected_even_inside_the_old_box():
    # 52.30, 8.78 lies inside the former bounding box (8.75–9.07, 52.20–52.40) but west of Minden's
    # boundary (Hille); 52.2914, 8.9131 is the Innenstadt reference point.
    result = load(offer_line("draussen", "A", 52.30, 8.78), offer_line("drin", "B", 52.291389, 8.913056))
    assert list(result.offers["id"]) == ["drin"]
    err = only_error(result)
    assert (err.zeile, err.spalte) == (2, "lat")
    assert err.meldung == "Koordinate (52.3, 8.78) liegt außerhalb Minden (Stadtgrenze laut BKG VG250)."
    assert list(result.rejected["zeile"]) == [2]


def test_status_vocabulary_and_source_date():
    result = load(offer_line("a", "A", 52.29, 8.91, status="Beendet", stand_quelle="2019-05"),
                  offer_line("b", "B", 52.29, 8.91, status="geschlossen", stand_quelle="ca. 2019"),
                  offer_line("c", "C", 52.29, 8.91))
    assert list(result.offers["status"]) == ["beendet", "unklar", "unklar"]
    assert {(p.zeile, p.spalte) for p in result.notices} == {(3, "status"), (3, "stand_quelle")}


def test_utf16_export_is_named_as_such():
    raw = (HEADER + "\n" + GOOD + "\n").encode("utf-16")  # with BOM, as Excel's "Unicode-Text" writes it
    result = parse_offers(raw, "unicode.csv")
    assert [str(p) for p in result.problems] == [
        "unicode.csv: Datei ist keine CSV-Textdatei, sondern eine UTF-16-Textdatei (z. B. Excel „Unicode-Text“). "
        "Bitte als CSV (UTF-8) speichern."]
    assert result.rejected_rows == 1


def test_rejected_rows_count_lines_not_error_messages():
    # line 3: two faults (name and Handlungsfeld), line 4: one fault → 2 rejected rows, 3 error messages
    result = load(GOOD, offer_line("b", "", 52.29, 8.91, handlungsfeld="Sport"), offer_line("c", "C", 52.29, 8.91, lage="genau"))
    assert (result.rejected_rows, len(result.errors)) == (2, 3)
    grouped = result.errors_by_line()
    assert list(grouped) == [3, 4]
    assert [p.spalte for p in grouped[3]] == ["name", "handlungsfeld"] and [p.spalte for p in grouped[4]] == ["lage_genauigkeit"]
    assert list(result.rejected["grund"])[0] == "Name fehlt.; „Sport“ ist kein Handlungsfeld (erlaubt: „Zusammenleben und " \
        "Teilhabe“, „Bildung“, „Arbeitsmarktintegration“, „Wohnen“)."


def test_file_error_comes_first_in_errors_by_line():
    result = parse_offers("a,A,Bildung,52.29,8.91,adresse\nb,B,Bildung,52.29,8.91,adresse\n", "ohnekopf.csv")
    assert list(result.errors_by_line()) == [None] and result.rejected_rows == 2


@pytest.mark.parametrize("lat, lon, inside", [
    # Hand-checked against data/minden_gemeinde.geojson: the parallel 52.30° N crosses the outline at
    # 8.82059° E and 8.98903° E only (shapely intersection of the line 8.7–9.1° E with the polygon);
    # the outline's own bounding box is 8.7921–8.9983° E, 52.2467–52.3649° N.
    (52.30, 8.815, False),  # ~380 m west of the boundary, inside the outline's and the old box
    (52.30, 8.825, True),   # ~290 m east of the same boundary crossing
    (52.25, 8.95, False),   # inside both boxes, but 52.25° N is inside only between 8.86489 and 8.88855° E
    (52.291389, 8.913056, True),  # Innenstadt reference point
])
def test_outline_decides_inside_or_outside(lat, lon, inside):
    result = load(offer_line("x", "X", lat, lon))
    assert len(result.offers) == int(inside)
    if not inside:
        assert str(only_error(result)) == (f"test.csv, Zeile 2, Spalte „lat“: Koordinate ({lat}, {lon}) liegt außerhalb "
                                          "Minden (Stadtgrenze laut BKG VG250).")


def test_outline_path_can_be_replaced(tmp_path):
    # A deployment may ship another outline (Settings.gemeinde_path): here a square around 52.30 N, 8.815 E only.
    square = tmp_path / "gemeinde.geojson"
    square.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": '
                      '{"type": "Polygon", "coordinates": [[[8.81, 52.29], [8.82, 52.29], [8.82, 52.31], [8.81, 52.31], '
                      '[8.81, 52.29]]]}}]}', encoding="utf-8")
    text = "\n".join([HEADER, offer_line("a", "A", 52.30, 8.815), offer_line("b", "B", 52.291389, 8.913056)]) + "\n"
    result = parse_offers(text, "t.csv", outline_path=square)
    assert list(result.offers["id"]) == ["a"] and list(result.rejected["zeile"]) == [3]
