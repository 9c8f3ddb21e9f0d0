"""Posters and handouts as a reader meets them (issue 24 §5 and the poster part of §2): no QR code to a local
address (renderer, command and page), the data's own dates instead of the print date, body text of at least
12 pt on an A3 poster, and several offers at one point drawn as a numbered group with leader lines."""
import io
import math
import re
from datetime import date
from pathlib import Path

import pytest

from geo.config import load_settings
from geo.dataset import load_dataset
from geo.render.poster import (
    data_dates_html,
    district_offers,
    marker_layout,
    poster_html,
    poster_pdf,
    public_url_problem,
)

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://karte.example.org"
TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def data():
    return load_dataset(load_settings({}))


# --------------------------------------------------------------------------- which addresses may go into a QR code

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8501", "http://127.0.1.1", "http://localhost:8501", "http://LOCALHOST.:8501",
    "http://[::1]:8501", "http://0.0.0.0:8501", "http://10.0.0.5", "http://172.16.3.4:8501", "http://192.168.178.20",
    "http://169.254.1.1", "http://100.64.0.1", "http://[fd00::1]", "http://[fe80::1]", "http://quartierskarte:8501",
    "http://karte.local", "http://app.localhost", "http://router.fritz.box.lan", "http://nas.home.arpa",
    "ftp://karte.example.org", "karte.example.org", "", None,
])
def test_local_or_private_addresses_never_go_into_a_qr_code(url):
    assert public_url_problem(url)


@pytest.mark.parametrize("url", ["https://karte.example.org", "https://www.minden.de/quartierskarte",
                                 "http://93.184.216.34:8501", "https://[2001:4860:4860::8888]/"])
def test_public_addresses_do(url):
    assert public_url_problem(url) is None


def test_poster_with_a_local_address_has_no_qr_code_and_does_not_print_the_address(data):
    local = poster_html(data, "baerenkaempen", "A3", "de", "http://127.0.0.1:8501", TODAY)
    assert "127.0.0.1" not in local and "data:image/svg+xml" not in local
    assert "Die aktuelle Karte im Internet" not in local
    public = poster_html(data, "baerenkaempen", "A3", "de", PUBLIC, TODAY)
    assert f"{PUBLIC}/?st=baerenkaempen" in public and "data:image/svg+xml" in public


@pytest.mark.slow
def test_rendered_poster_with_a_local_address_has_no_readable_qr_code(data, tmp_path):
    from test_poster import decoded_qr_codes, pdf_text

    pdf = poster_pdf(data, "Bärenkämpen", "A4", "de", "http://localhost:8501", TODAY)
    assert decoded_qr_codes(pdf, tmp_path) == []
    text = pdf_text(pdf)
    assert "localhost" not in text and "Kita Sieben Bauern" in text  # the rest of the poster is there


# --------------------------------------------------------------------------- the command refuses a local address

@pytest.fixture
def fake_rendering(monkeypatch):
    import geo.render.poster

    calls = []
    for name in ("poster_pdf", "handout_pdf"):
        monkeypatch.setattr(geo.render.poster, name,
                            lambda *a, _name=name, **_: calls.append((_name, a)) or b"%PDF-1.7\n")
    return calls


@pytest.mark.parametrize("command", [["poster", "--stadtteil", "Bärenkämpen"], ["handout", "--ort", "52.289,8.916"]])
@pytest.mark.parametrize("url_args, env", [([], ""), (["--url", "http://127.0.0.1:8501"], ""),
                                           ([], "http://192.168.1.10:8501")])
def test_command_refuses_a_local_address_and_says_what_to_set(command, url_args, env, tmp_path, capsys, monkeypatch,
                                                              fake_rendering):
    from geo.__main__ import main

    monkeypatch.setenv("QK_OEFFENTLICHE_URL", env)
    target = tmp_path / "x.pdf"
    assert main([*command, *url_args, "-o", str(target)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "QK_OEFFENTLICHE_URL" in out.err and "--url" in out.err and "--ohne-qr" in out.err
    assert out.err.startswith("Fehler: kein QR-Code möglich – ")
    assert not target.exists() and fake_rendering == []


def test_command_takes_the_public_address_from_the_setting_or_prints_without_qr_code_when_asked(
        tmp_path, capsys, monkeypatch, fake_rendering):
    from geo.__main__ import main

    monkeypatch.setenv("QK_OEFFENTLICHE_URL", PUBLIC)
    assert main(["poster", "--stadtteil", "Bärenkämpen", "-o", str(tmp_path / "a.pdf")]) == 0
    monkeypatch.setenv("QK_OEFFENTLICHE_URL", "")
    assert main(["handout", "--ort", "52.289,8.916", "--ohne-qr", "-o", str(tmp_path / "b.pdf")]) == 0
    assert [(name, args[-1] if name == "poster_pdf" else args[3]) for name, args in fake_rendering] == [
        ("poster_pdf", PUBLIC), ("handout_pdf", None)]


# --------------------------------------------------------------------------- the page says what to set

@pytest.mark.slow
@pytest.mark.parametrize("setting, notice", [("", True), (PUBLIC, False)])
def test_print_page_names_the_setting_when_the_address_is_local(setting, notice, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QK_OEFFENTLICHE_URL", setting)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app/pages/drucken.py"), default_timeout=60).run()
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning]
    assert any("QK_OEFFENTLICHE_URL" in w and "keinen QR-Code" in w for w in warnings) is notice, warnings


# --------------------------------------------------------------------------- the data's dates, not the print date

def test_poster_prints_the_dates_of_its_data_not_the_print_date_as_stand(data):
    # Bärenkämpen, hand-checked in data/angebote.csv: stand_quelle 2024-12, 2017-10-11, undatiert, 2024-12;
    # zuletzt_geprueft empty everywhere
    assert sorted(str(n.row["stand_quelle"]) for n in district_offers(data, "baerenkaempen")) == [
        "2017-10-11", "2024-12", "2024-12", "undatiert"]
    document = poster_html(data, "baerenkaempen", "A4", "de", PUBLIC, TODAY)
    assert "Stand der Daten" not in document
    assert ('Stand der Angaben laut Quellen: <bdi dir="ltr">2017-10-11</bdi> bis <bdi dir="ltr">2024-12</bdi>.'
            in document)
    assert "Angaben ohne Datum in der Quelle: 1." in document
    assert "Beim Träger ist noch keine Angabe bestätigt." in document
    assert 'Gedruckt am <bdi dir="ltr">2026-12-01</bdi>.' in document


def test_confirmed_dates_are_counted_and_the_latest_named(data):
    rows = [n.row.copy() for n in district_offers(data, "baerenkaempen")]
    rows[0]["zuletzt_geprueft"], rows[2]["zuletzt_geprueft"] = "2026-11-20", "2026-10-02"
    text = data_dates_html(rows, "de", TODAY)
    assert 'Beim Träger bestätigt: 2 von 4, zuletzt am <bdi dir="ltr">2026-11-20</bdi>.' in text
    one = data_dates_html(rows[:1], "en", TODAY)
    assert one.startswith('Information as of (according to the source): <bdi dir="ltr">2024-12</bdi>.')


# --------------------------------------------------------------------------- readable from a metre away

def font_sizes(pdf: bytes, page: int = 0) -> list[tuple[float, str]]:
    """(size in pt, text) of each text run on the page, the size with the text and current matrices applied."""
    import pypdf

    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((size * math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1]), text.strip()))

    pypdf.PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return runs


@pytest.mark.slow
def test_a3_poster_body_text_is_at_least_12_pt(data):
    pdf = poster_pdf(data, "Bärenkämpen", "A3", "de", PUBLIC, TODAY)
    runs = font_sizes(pdf)
    assert sum(len(text) for _, text in runs) > 2000
    # everything – title, map legend, list, dates, sources – at 12 pt or more; only the page counter "1 / 1" is small
    assert [(round(size, 1), text) for size, text in runs if size < 11.95 and not re.fullmatch(r"[\d /]+", text)] == []
    for offer in district_offers(data, "baerenkaempen"):
        first_word = str(offer.row["name"]).split()[0]
        assert [s for s, text in runs if first_word in text and s < 11.95] == [], offer.row["name"]


@pytest.mark.slow
def test_a3_poster_of_a_small_district_fits_one_page(data):
    import pypdf

    pdf = poster_pdf(data, "Bärenkämpen", "A3", "de", PUBLIC, TODAY)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1


@pytest.mark.slow
def test_a4_poster_of_a_small_district_fits_one_page(data, tmp_path):
    import pypdf
    from test_poster import decoded_qr_codes

    pdf = poster_pdf(data, "Bärenkämpen", "A4", "de", PUBLIC, TODAY)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # with everything: every offer, the dates and sources, the QR code
    for offer in district_offers(data, "baerenkaempen"):
        assert "".join(str(offer.row["name"]).split()) in "".join(text.split())
    assert "Gedruckt am 2026-12-01" in text and "Quellen:" in text
    assert f"{PUBLIC}/?st=baerenkaempen" in decoded_qr_codes(pdf, tmp_path)


@pytest.mark.slow
def test_a4_poster_of_a_busy_district_keeps_title_and_qr_code_on_page_one_and_no_row_is_cut(data, tmp_path):
    import pypdf
    from test_poster import decoded_qr_codes

    pdf = poster_pdf(data, "Innenstadt", "A4", "de", PUBLIC, TODAY)
    pages = [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 2
    assert pages[0].startswith("Angebote in Innenstadt")
    assert "Die aktuelle Karte im Internet" in pages[0]
    assert f"{PUBLIC}/?st=innenstadt" in decoded_qr_codes(pdf, tmp_path, last_page=1)
    # each row whole on one page: its name and the first and last words of its description on the same page
    offers = district_offers(data, "innenstadt")
    assert len(offers) > 15
    for offer in offers:
        name = " ".join(str(offer.row["name"]).split())
        words = str(offer.row["beschreibung_einfach"] or offer.row["beschreibung"]).split()
        first, last = " ".join(words[:2]), words[min(len(words), 30) - 1]
        holding = [i for i, page in enumerate(pages) if name[:25] in page]
        assert len(holding) == 1, (name, holding)
        assert first in pages[holding[0]] and last.rstrip(".,…") in pages[holding[0]], (name, first, last)


# --------------------------------------------------------------------------- offers at one point: a numbered group

def test_offers_at_one_point_are_a_numbered_group_beside_it_with_leader_lines(data):
    offers = district_offers(data, "baerenkaempen")  # all four placed at the district's reference point
    point = (1000.0, 2000.0)
    extent = (0.0, 0.0, 4000.0, 4000.0)
    markers = marker_layout({point: offers}, extent)
    assert [m.label for m in markers] == ["1", "2", "3", "4"]
    step = 0.075 * 4000
    for m in markers:
        assert m.point == point and m.label_xy != point  # drawn beside the point, a leader line joins them
        assert extent[0] < m.label_xy[0] < extent[2] and extent[1] < m.label_xy[1] < extent[3]
    assert min(math.dist(a.label_xy, b.label_xy) for a in markers for b in markers if a is not b) >= step * 0.99
    # the Handlungsfeld colour per offer, not one grey marker for the group
    from geo.config import HANDLUNGSFELD_BY_NAME
    assert [m.colour for m in markers] == [HANDLUNGSFELD_BY_NAME[o.row["handlungsfeld"]].color for o in offers]


def test_single_offers_stay_on_their_point_and_groups_avoid_them(data):
    offers = district_offers(data, "baerenkaempen")
    extent = (0.0, 0.0, 4000.0, 4000.0)
    single, shared = (2000.0, 2300.0), (2000.0, 2000.0)  # the single marker sits where the group would go first
    markers = marker_layout({single: offers[:1], shared: offers[1:]}, extent)
    assert markers[0].label_xy == single
    group = [m.label_xy for m in markers[1:]]
    assert min(math.dist(single, spot) for spot in group) >= 0.075 * 4000 * 0.95


def test_poster_map_no_longer_joins_the_numbers_into_one_label(data):
    document = poster_html(data, "baerenkaempen", "A4", "de", PUBLIC, TODAY)
    assert "1, 2, 3, 4" not in document  # matplotlib writes the labels as glyph paths with the text in a comment
