"""Robustness: hostile offer files never crash the loader, and every record is accounted for.

Property tests (hypothesis) generate offer CSV files with Python's ``csv``
module from drawn rows, so the test knows how many records were written and
on which line each starts (counted from the written text: ``\\r\\n``, ``\\r``
and ``\\n`` each end one line). The loader must then put every non-blank
record either into ``offers`` or into ``rejected`` under that start line, and
give every rejected line at least one ``fehler``.
"""
from __future__ import annotations

import csv
import io
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.analysis.join import assign_districts
from geo.config import HANDLUNGSFELDER, MINDEN_BBOX, load_settings
from geo.data.indicators import INDICATOR_COLUMNS, read_indicators
from geo.data.offers import LAGE_GENAUIGKEITEN, OFFER_COLUMNS, parse_offers
from geo.data.problems import DataFileError
from geo.dataset import load_dataset
from geo.render.mapbuild import build_map

SETTINGS = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</script><script>alert(2)</script>",
    "<!--",
    "]]>",
    "${alert(1)}",
    "javascript:alert(1)",
)
JINJA = ("{{ this }}", "Kurs {{ Anmeldung", "{% raw %}", "{# Kommentar")
"""Jinja syntax: folium re-parses rendered scripts as templates, so such text must be escaped as data."""
HTML_HOSTILE = tuple(h for h in HOSTILE if re.search(r"[<>\"']", h))
"""Hostile strings that JSON/HTML escaping must change (``javascript:…`` is plain text to JSON)."""

TEXT_COLUMNS = ("name", "traeger", "kategorie", "zielgruppen", "sprachen", "kosten", "adresse", "stadtteil",
                "oeffnungszeiten", "website", "telefon", "beschreibung", "beschreibung_einfach",
                "zuletzt_geprueft", "quelle", "hinweis", "massnahmen")
HF_NAMES = [hf.name for hf in HANDLUNGSFELDER]
LON_MIN, LAT_MIN, LON_MAX, LAT_MAX = MINDEN_BBOX
LINE_BREAK = re.compile(r"\r\n|\r|\n")

# ---------------------------------------------------------------------------------------------- strategies

SPECIAL_CHARS = st.sampled_from(list(',;"\'\r\n\x00\t \ufeff<>&\\\x0b\x0c\x1c\x85\xa0\u2028\x7f'))
RANDOM_TEXT = st.text(st.one_of(SPECIAL_CHARS, st.characters(codec="utf-8")), max_size=25)
LONG_TEXT = st.builds(lambda chunk, n: (chunk or "x") * (10_001 // max(len(chunk), 1) + n),
                      st.sampled_from(["x", "ä", "<script>alert(1)</script>", 'a"b\nc', ";,", " "]),
                      st.integers(0, 3))
HOSTILE_TEXT = st.builds(lambda pre, h, post: pre + h + post,
                         st.sampled_from(["", " ", "Café ", '"', "\n"]), st.sampled_from(HOSTILE),
                         st.sampled_from(["", " ", "\r\n", "\x00", ";"]))
LOADER_HOSTILE_TEXT = st.one_of(HOSTILE_TEXT, st.sampled_from(JINJA))


def _coord(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False)


def _fmt(value: float, comma: bool) -> str:
    text = f"{value:.6f}"
    return text.replace(".", ",") if comma else text


@st.composite
def coordinates(draw) -> tuple[str, str]:
    kind = draw(st.sampled_from(["ok"] * 6 + ["swapped", "outside", "garbage"]))
    lat, lon = draw(_coord(LAT_MIN, LAT_MAX)), draw(_coord(LON_MIN, LON_MAX))
    comma = draw(st.booleans())
    if kind == "swapped":
        lat, lon = lon, lat
    elif kind == "outside":
        lat, lon = draw(_coord(-90, 90)), draw(_coord(-180, 180))
    if kind == "garbage":
        return tuple(draw(st.sampled_from(["", "nan", "inf", "-inf", "1e400", "nördlich", "52.29.1", "0x34",
                                           "52,29,1", " 52.29 ", "NaN", "1_0"])) for _ in range(2))
    return _fmt(lat, comma), _fmt(lon, comma)


CHAOS = st.one_of(RANDOM_TEXT, LOADER_HOSTILE_TEXT, st.just(""), LONG_TEXT)
FREE_TEXT = st.one_of(st.just(""), LOADER_HOSTILE_TEXT, RANDOM_TEXT,
                      st.sampled_from(["Mo-Fr 09:00-12:00", "https://example.org", "2024-01", "ja", "Bärenkämpen"]))
PLAUSIBLE = {
    "id": st.sampled_from(["a", "b", "c", "d", "e", "f", " a ", "b\x00", "x-1"]),
    "name": st.one_of(st.sampled_from(["Sprach-Café", "Bärenkämpen-Treff"]), LOADER_HOSTILE_TEXT),
    "handlungsfeld": st.sampled_from([*HF_NAMES, "bildung", "  Wohnen ", "zusammenleben  und teilhabe"]),
    "lage_genauigkeit": st.sampled_from([*LAGE_GENAUIGKEITEN, "ADRESSE"]),
    "barrierefrei": st.sampled_from(["ja", "nein", "unbekannt", "", "vielleicht"]),
}
"""Values the loader accepts (or only notes) per column; everything else gets :data:`FREE_TEXT`."""


@st.composite
def headers(draw) -> list[str]:
    columns = list(draw(st.permutations(OFFER_COLUMNS)))
    if draw(st.booleans()):  # keep the canonical order most of the time
        columns = list(OFFER_COLUMNS)
    if draw(st.integers(0, 4)) == 0:  # missing columns (possibly required ones)
        drop = draw(st.sets(st.sampled_from(OFFER_COLUMNS), max_size=4))
        columns = [c for c in columns if c not in drop]
    if draw(st.integers(0, 4)) == 0:
        columns.append(draw(st.sampled_from(["extra", "Bemerkung", "<b>x</b>"])))
    if draw(st.integers(0, 5)) == 0:
        columns = [c.upper() for c in columns]
    assume(len(columns) >= 2)
    return columns


@st.composite
def rows_for(draw, header: list[str]) -> list[str]:
    """A record: mostly a plausible offer, with some fields or its shape broken."""
    values = {column: draw(PLAUSIBLE.get(column.lower(), FREE_TEXT)) for column in header}
    lat, lon = draw(coordinates())
    values.update({c: (lat if c.lower() == "lat" else lon) for c in header if c.lower() in ("lat", "lon")})
    damage = draw(st.integers(0, 5))
    if damage == 0:  # everything is chaos
        values = {column: draw(CHAOS) for column in header}
    elif damage == 1:  # a few broken fields (wrong types, 10,000+ characters, hostile text …)
        for column in draw(st.lists(st.sampled_from(header), min_size=1, max_size=3, unique=True)):
            values[column] = draw(CHAOS)
    fields = [values[c] for c in header]
    shape = draw(st.integers(0, 9))
    if shape == 0:  # missing trailing columns
        fields = fields[:draw(st.integers(0, len(fields) - 1))]
    elif shape == 1:  # too many columns
        fields = fields + draw(st.lists(st.one_of(HOSTILE_TEXT, RANDOM_TEXT), min_size=1, max_size=3))
    elif shape == 2:  # blank record: all fields empty / whitespace
        fields = [draw(st.sampled_from(["", " ", "\t", "\x00", "\r\n "])) for _ in fields]
    return fields


@st.composite
def offer_files(draw):
    """(raw input for parse_offers, written text, expected start lines of non-blank records)."""
    header = draw(headers())
    rows = draw(st.lists(rows_for(header), max_size=8))
    delimiter = draw(st.sampled_from([",", ";"]))
    terminator = draw(st.sampled_from(["\r\n", "\n"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    mode = draw(st.sampled_from(["str", "str-bom", "utf-8", "utf-8-bom", "cp1252", "latin-1", "cp1252-bom"]))
    encoding = {"cp1252": "cp1252", "latin-1": "latin-1", "cp1252-bom": "cp1252"}.get(mode, "utf-8")

    def encodable(value: str) -> str:
        value = value.encode(encoding, "replace").decode(encoding)
        if terminator == "\n" and quoting == csv.QUOTE_MINIMAL:
            value = value.replace("\r", "")  # csv.writer would leave a lone \r unquoted: not valid CSV
        return value

    chunks: list[str] = []
    records: list[tuple[int, list[str]]] = []  # (index of chunk, fields)

    def write(fields: list[str]) -> str:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=delimiter, lineterminator=terminator, quoting=quoting).writerow(fields)
        return buffer.getvalue()

    chunks.append(write(header))
    for fields in rows:
        for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 3)) == 0 else 0):
            chunks.append(draw(st.sampled_from(["\r\n", "\n", "  \n", terminator])))  # empty lines
        fields = [encodable(f) for f in fields]
        records.append((len(chunks), fields))
        chunks.append(write(fields))
    if draw(st.booleans()):
        chunks.append(draw(st.sampled_from(["\r\n", "\n\n", ""])))
    text = "".join(chunks)

    if mode.startswith("str"):
        raw: bytes | str = ("\ufeff" if mode == "str-bom" else "") + text
        decode = None
    else:
        body = text.encode(encoding)
        raw = (b"\xef\xbb\xbf" if mode.endswith("-bom") else b"") + body
        try:
            body.decode("utf-8")
            decode = "utf-8"
        except UnicodeDecodeError:
            decode = "cp1252"

    def loaded_as(value: str) -> str:
        """The field as the loader sees it after decoding and removing NUL bytes."""
        if decode is not None:
            value = value.encode(encoding).decode(decode, errors="replace")
        return value.replace("\x00", "")

    expected = []
    for index, fields in records:
        if any(loaded_as(f).strip() for f in fields):
            start = 1 + sum(len(LINE_BREAK.findall(c)) for c in chunks[:index])
            expected.append(start)
    return raw, text, expected


def data_line(sep: str = ",", **values: str) -> str:
    """One record in canonical column order with a valid offer; ``values`` override (written as given)."""
    row = {c: "" for c in OFFER_COLUMNS}
    row.update(id="a", name="A", handlungsfeld="Bildung", lat="52.29", lon="8.91", lage_genauigkeit="adresse")
    row.update(values)
    return sep.join(row[c] for c in OFFER_COLUMNS)


def _check_accounting(result, expected_lines: list[int]) -> None:
    accepted = [int(z) for z in result.offers["zeile"]]
    rejected = [int(z) for z in result.rejected["zeile"]]
    assert len(accepted) + len(rejected) == len(expected_lines), (accepted, rejected, expected_lines)
    assert sorted(accepted + rejected) == expected_lines, (accepted, rejected, expected_lines)
    error_lines = {p.zeile for p in result.errors}
    file_error = None in error_lines  # one message for the whole file (e.g. header without required columns)
    for line in rejected:
        assert line in error_lines or file_error, f"rejected line {line} has no fehler: {[str(p) for p in result.problems]}"
    for problem in result.errors:
        assert problem.zeile is None or problem.zeile not in accepted, str(problem)


# ------------------------------------------------------------------------------------------ offer loader


@SETTINGS
@given(offer_files())
def test_every_record_is_loaded_or_rejected_with_its_start_line(case):
    raw, _text, expected = case
    result = parse_offers(raw, "hostile.csv")
    _check_accounting(result, expected)
    _check_accepted_offers_are_clean(result)
    assert all(p.datei == "hostile.csv" for p in result.problems)


def _check_accepted_offers_are_clean(result):
    offers = result.offers
    assert offers["id"].is_unique
    for _, row in offers.iterrows():
        assert row["id"] and row["name"] and "\x00" not in "".join(str(row[c]) for c in OFFER_COLUMNS)
        assert row["handlungsfeld"] in HF_NAMES
        assert row["lage_genauigkeit"] in LAGE_GENAUIGKEITEN
        assert all(len(str(row[c])) <= 10_000 for c in OFFER_COLUMNS)
        if row["lage_genauigkeit"] == "unbekannt":
            assert row.geometry is None
        else:
            assert LAT_MIN <= row["lat"] <= LAT_MAX and LON_MIN <= row["lon"] <= LON_MAX
            assert (row.geometry.x, row.geometry.y) == (row["lon"], row["lat"])


@SETTINGS
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_arbitrary_bytes_or_text_never_crash(raw):
    result = parse_offers(raw, "zufall.csv")
    rejected = [int(z) for z in result.rejected["zeile"] if pd.notna(z)]  # a binary file has no lines
    error_lines = {p.zeile for p in result.errors}
    assert None in error_lines or error_lines >= set(rejected)
    assert len(set(rejected) | set(result.offers["zeile"])) == len(rejected) + len(result.offers)


def test_ten_thousand_and_one_characters_are_rejected_ten_thousand_accepted():
    head = ",".join(OFFER_COLUMNS)

    def line(id_, name):
        values = {c: "" for c in OFFER_COLUMNS}
        values.update(id=id_, name=name, handlungsfeld="Bildung", lat="52.29", lon="8.91", lage_genauigkeit="adresse")
        return ",".join(values[c] for c in OFFER_COLUMNS)

    result = parse_offers("\n".join([head, line("a", "x" * 10_000), line("b", "y" * 10_001), line("c", "z" * 200_000)]))
    assert list(result.offers["zeile"]) == [2]
    assert list(result.rejected["zeile"]) == [3, 4]
    assert {(p.zeile, p.spalte) for p in result.errors} == {(3, "name"), (4, "name")}


def test_nul_bytes_and_quoted_newlines_keep_line_numbers():
    head = ",".join(OFFER_COLUMNS)
    good = {c: "" for c in OFFER_COLUMNS}
    good.update(handlungsfeld="Bildung", lat="52.29", lon="8.91", lage_genauigkeit="adresse")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(OFFER_COLUMNS)
    writer.writerow([{**good, "id": "a", "name": "A\x00", "beschreibung": 'zwei\nZeilen "zitiert"'}[c]
                     for c in OFFER_COLUMNS])   # lines 2-3
    writer.writerow([{**good, "id": "b\x00", "name": ""}[c] for c in OFFER_COLUMNS])  # line 4: rejected
    writer.writerow([{**good, "id": "c", "name": "C", "adresse": "\r\n\r\n"}[c] for c in OFFER_COLUMNS])  # 5-7
    writer.writerow([{**good, "id": "d", "name": "D"}[c] for c in OFFER_COLUMNS])  # line 8
    assert head in buffer.getvalue()
    result = parse_offers(buffer.getvalue().encode("utf-8"))
    assert list(result.offers["zeile"]) == [2, 5, 8]
    assert list(result.rejected["zeile"]) == [4]
    assert result.offers["name"].iloc[0] == "A"


def test_nul_between_cr_and_lf_does_not_shift_line_numbers():
    text = ",".join(OFFER_COLUMNS) + "\n" + data_line(id="a", name='"x\r\x00\ny"') + "\n" + data_line(id="b") + "\n"
    result = parse_offers(text)  # the name of "a" spans lines 2-4 in an editor; "b" starts on line 5
    assert sorted(result.offers["zeile"]) == [2, 5]


def test_semicolon_file_with_blank_first_line():
    text = "\r\n" + ";".join(OFFER_COLUMNS) + "\r\n" + data_line(";", lat="52,29", lon="8,91") + "\r\n"
    result = parse_offers(text)
    assert list(result.offers["zeile"]) == [3] and result.errors == []


# --------------------------------------------------------------------------------------------- map HTML


def tiny_districts(names=("West", "Ost")) -> gpd.GeoDataFrame:
    """Two 0.02° × 0.02° boxes side by side around (52.29, 8.91), EPSG:4326."""
    return gpd.GeoDataFrame(
        {"id": ["west", "ost"], "name": list(names), "geometrie": ["schematisch", "importiert"],
         "quelle": ["Test", "Test"]},
        geometry=[box(8.89, 52.28, 8.91, 52.30), box(8.91, 52.28, 8.93, 52.30)],
        crs="EPSG:4326",
    )


@st.composite
def hostile_valid_rows(draw) -> list[str]:
    """An offer the loader accepts, with hostile text in every free-text field."""
    values = {c: draw(st.one_of(LOADER_HOSTILE_TEXT, LOADER_HOSTILE_TEXT, RANDOM_TEXT)) for c in TEXT_COLUMNS}
    values["id"] = draw(st.one_of(st.sampled_from(HOSTILE + JINJA), st.text(min_size=1, max_size=5)))
    values["name"] = draw(LOADER_HOSTILE_TEXT)
    values["handlungsfeld"] = draw(st.sampled_from(HF_NAMES))
    values["lage_genauigkeit"] = draw(st.sampled_from(LAGE_GENAUIGKEITEN))
    values["lat"] = _fmt(draw(_coord(52.275, 52.305)), False)
    values["lon"] = _fmt(draw(_coord(8.885, 8.935)), False)
    values["barrierefrei"] = draw(st.sampled_from(["ja", "nein", "", *HOSTILE]))
    values["status"] = draw(st.sampled_from(["aktiv", "beendet", "", *HOSTILE]))
    values["stand_quelle"] = draw(st.sampled_from(["2019-05", "", *HOSTILE]))
    return [values[c] for c in OFFER_COLUMNS]


def render_map(offers, districts) -> str:
    return build_map(districts, assign_districts(offers, districts).offers).get_root().render()


def embedded_offer_rows(page: str) -> list[list]:
    """All marker rows of the page, decoded from the packed ``var packed = {...}`` JSON of each offer layer."""
    decoder, rows = json.JSONDecoder(), []
    for match in re.finditer(r"var packed = ", page):
        value, _end = decoder.raw_decode(page, match.end())
        rows.extend([r[0], r[1], *(value["s"][i] for i in r[2:])] for r in value["r"])
    return rows


def assert_no_hostile_markup(page: str) -> None:
    for needle in HTML_HOSTILE:
        assert needle not in page, needle
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page, re.IGNORECASE)
    assert "branca.element" not in page, "template syntax in data was evaluated"
    for syntax in ("{{", "{%", "{#"):
        assert syntax not in page, syntax


@pytest.mark.slow  # 200 maps built: about 12 s
@SETTINGS
@given(st.lists(hostile_valid_rows(), min_size=1, max_size=4))
def test_map_html_never_contains_hostile_text_verbatim(rows):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(OFFER_COLUMNS)
    writer.writerows(rows)
    offers = parse_offers(buffer.getvalue()).offers
    assume(not offers.empty)
    page = render_map(offers, tiny_districts())
    assert_no_hostile_markup(page)
    # Every accepted offer with a location reaches the page unchanged, as JSON data.
    located = offers[offers.geometry.notna()]
    embedded = embedded_offer_rows(page)
    assert sorted(r[2] for r in embedded) == sorted(located["name"])
    assert sorted(r[8] for r in embedded) == sorted(located["website"])


@pytest.mark.parametrize("name", [*JINJA, "{{ 7*7 }}", "}}{{", "{{{{"])
def test_template_syntax_in_offer_text_is_data(name):
    offers = parse_offers(",".join(OFFER_COLUMNS) + "\n" + data_line(name=name, lat="52.2812", lon="8.9062")).offers
    page = render_map(offers, tiny_districts())
    assert [r[2] for r in embedded_offer_rows(page)] == [name]
    assert_no_hostile_markup(page)


def test_private_use_character_in_offer_text_survives():
    text = ",".join(OFFER_COLUMNS) + "\n" + data_line(name="A\ue000B", lat="52.2812", lon="8.9062")
    offers = parse_offers(text).offers
    assert [r[2] for r in embedded_offer_rows(render_map(offers, tiny_districts()))] == ["A\ue000B"]


@pytest.mark.parametrize("name", ["{{ this }}", "Kurs {{ Anmeldung", "{# Kommentar"])
def test_template_syntax_in_district_names_is_data(name):
    offers = parse_offers(",".join(OFFER_COLUMNS) + "\n" + data_line(lat="52.2812", lon="8.9062")).offers
    page = render_map(offers, tiny_districts((name, "Ost")))
    assert_no_hostile_markup(page)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_district_names_are_escaped(name):
    offers = parse_offers(",".join(OFFER_COLUMNS) + "\n" + data_line(lat="52.2812", lon="8.9062")).offers
    page = render_map(offers, tiny_districts((name, "Ost")))
    assert_no_hostile_markup(page)
    assert [r[5] for r in embedded_offer_rows(page)] == [name.strip()]


# ------------------------------------------------------------------------------------ start-up data files

INDICATOR_HEADER = ",".join(INDICATOR_COLUMNS)


@pytest.fixture
def data_dir(tmp_path):
    tiny_districts().to_file(tmp_path / "stadtteile.geojson", driver="GeoJSON")
    values = {c: "" for c in OFFER_COLUMNS}
    values.update(id="a", name="A", handlungsfeld="Bildung", lat="52.29", lon="8.90", lage_genauigkeit="adresse")
    (tmp_path / "angebote.csv").write_text(",".join(OFFER_COLUMNS) + "\n" + ",".join(values[c] for c in OFFER_COLUMNS)
                                           + "\n", encoding="utf-8")
    (tmp_path / "sozialatlas.csv").write_text(
        INDICATOR_HEADER + "\nwest,West,West,kinderarmut,%,12,,,,,12 %,2018-01-01,Test,Test\n", encoding="utf-8")
    return tmp_path


def env_for(directory, **names) -> dict[str, str]:
    files = {"QK_STADTTEILE": "stadtteile.geojson", "QK_ANGEBOTE": "angebote.csv", "QK_SOZIALATLAS": "sozialatlas.csv"}
    files.update(names)
    return {key: str(directory / name) for key, name in files.items()}


def test_valid_start_up_files_load(data_dir):
    dataset = load_dataset(load_settings(env_for(data_dir)))
    assert list(dataset.offers["stadtteil_id"]) == ["west"]
    assert len(dataset.indicators) == 1


def test_missing_offers_file_names_the_file(data_dir):
    with pytest.raises(DataFileError) as info:
        load_dataset(load_settings(env_for(data_dir, QK_ANGEBOTE="fehlt_angebote.csv")))
    assert "fehlt_angebote.csv" in str(info.value)
    assert "Traceback" not in str(info.value)


def test_offers_path_is_a_directory(data_dir):
    (data_dir / "ordner.csv").mkdir()
    with pytest.raises(DataFileError, match="ordner.csv"):
        load_dataset(load_settings(env_for(data_dir, QK_ANGEBOTE="ordner.csv")))


def test_missing_district_file_names_the_file(data_dir):
    with pytest.raises(DataFileError, match="keine_stadtteile.geojson"):
        load_dataset(load_settings(env_for(data_dir, QK_STADTTEILE="keine_stadtteile.geojson")))


NOT_GEODATA = [b"", b"\x00" * 64, b"\x89PNG\r\n\x1a\n" + bytes(range(256)), b"{}", b"[]", b"{\"type\": \"Feature",
               b'{"type": "FeatureCollection", "features": []}', b"id,name\n1,2\n", "<html>ä</html>".encode("cp1252")]


@pytest.mark.parametrize("content", NOT_GEODATA, ids=range(len(NOT_GEODATA)))
def test_district_file_that_is_not_geodata(data_dir, content):
    (data_dir / "kaputt.geojson").write_bytes(content)
    with pytest.raises(DataFileError) as info:
        load_dataset(load_settings(env_for(data_dir, QK_STADTTEILE="kaputt.geojson")))
    assert "kaputt.geojson" in str(info.value)


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(min_size=1, max_size=200))
def test_random_bytes_as_district_file(data_dir, content):
    path = data_dir / "zufall.geojson"
    path.write_bytes(content)
    with pytest.raises(DataFileError) as info:
        load_dataset(load_settings(env_for(data_dir, QK_STADTTEILE="zufall.geojson")))
    assert "zufall.geojson" in str(info.value)


MISSING_COLUMN_CASES = [
    *[[c for c in INDICATOR_COLUMNS if c != drop] for drop in INDICATOR_COLUMNS],
    ["stadtteil_id"], ["Stadtteil_ID", "wert"], [c.upper() for c in INDICATOR_COLUMNS],
]


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("keep", MISSING_COLUMN_CASES, ids=range(len(MISSING_COLUMN_CASES)))
def test_sozialatlas_missing_columns_names_the_file(data_dir, keep, delimiter):
    path = data_dir / "atlas_kaputt.csv"
    path.write_text(delimiter.join(keep) + "\n" + delimiter.join("1" for _ in keep) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_dataset(load_settings(env_for(data_dir, QK_SOZIALATLAS="atlas_kaputt.csv")))
    assert "atlas_kaputt.csv" in str(info.value)
    if delimiter == ",":
        missing = [c for c in INDICATOR_COLUMNS if c not in keep]
        assert all(c in str(info.value) for c in missing)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n"])
def test_empty_sozialatlas_names_the_file(data_dir, content):
    (data_dir / "leer.csv").write_bytes(content)
    with pytest.raises(DataFileError, match="leer.csv"):
        load_dataset(load_settings(env_for(data_dir, QK_SOZIALATLAS="leer.csv")))


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=200))
def test_random_bytes_as_sozialatlas_give_a_message_or_load(data_dir, content):
    (data_dir / "atlas_zufall.csv").write_bytes(content)
    try:
        read_indicators(data_dir / "atlas_zufall.csv", {"west", "ost"})
    except DataFileError as exc:
        assert "atlas_zufall.csv" in str(exc)
