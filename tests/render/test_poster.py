"""geo.render.poster: district poster and handout PDFs in German and Arabic — page size, every offer in the text,
the QR code read back from the rendered page, clear errors, wrapping of long names."""
import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from geo.analysis.location import Location
from geo.config import load_settings
from geo.dataset import load_dataset
from geo.render.poster import (
    PosterError,
    district_offers,
    find_district,
    handout_pdf,
    poster_html,
    poster_pdf,
    render_pdf,
)

pytestmark = pytest.mark.slow  # WeasyPrint renders every PDF, pdftoppm and zxing read them back

pypdf = pytest.importorskip("pypdf", reason="pypdf (requirements-test.txt) reads the PDF text")
BASE = "https://karte.example.org"  # a public address: a local one gets no QR code (test_poster_paper.py)
TODAY = date(2026, 12, 1)
PT_PER_MM = 72 / 25.4


@pytest.fixture(scope="module")
def data():
    return load_dataset(load_settings({}))


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def name_in_text(name: str, text: str, lang: str) -> bool:
    """The name is in the extracted text. pypdf breaks long names across lines, so whitespace is ignored;
    in a right-to-left page it returns the brackets of an embedded German run mirrored (the rendered page is
    right, see docs/poster-beispiel-ar.png), so there each word must be present, in order."""
    flat = "".join(text.split())
    if lang not in ("ar", "fa"):
        return "".join(name.split()) in flat
    position = 0
    for word in re.findall(r"\w+", name):
        position = flat.find(word, position)
        if position < 0:
            return False
        position += len(word)
    return True


def page_size_mm(pdf: bytes) -> tuple[float, float]:
    box = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width) / PT_PER_MM), round(float(box.height) / PT_PER_MM)


def decoded_qr_codes(pdf: bytes, tmp_path: Path, last_page: int | None = None) -> list[str]:
    """Render every page (or the pages up to ``last_page``) at 100 dpi with pdftoppm and read the QR codes with
    zxing-cpp."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (requirements-test.txt) reads the QR code")
    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm missing: Debian package poppler-utils (scripts/install.sh --test)")
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    last = ["-l", str(last_page)] if last_page else []
    subprocess.run(["pdftoppm", "-r", "100", "-png", *last, str(source), str(tmp_path / "page")], check=True)
    texts = []
    for png in sorted(tmp_path.glob("page*.png")):
        texts += [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    return texts


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_poster_of_a_focus_district(data, lang, tmp_path):
    pdf = poster_pdf(data, "Bärenkämpen", "A3", lang, BASE, TODAY)
    assert page_size_mm(pdf) == (297, 420)
    text = pdf_text(pdf)
    offers = district_offers(data, "baerenkaempen")
    assert offers
    for offer in offers:
        assert name_in_text(offer.row["name"], text, lang), offer.row["name"]
    expected = f"{BASE}/?st=baerenkaempen" + ("" if lang == "de" else f"&lang={lang}")
    assert expected in decoded_qr_codes(pdf, tmp_path)


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_handout_for_a_location(data, lang, tmp_path):
    location = Location(52.304722, 8.888333, "ort", "Bärenkämpen", "stadtteil")
    pdf = handout_pdf(data, location, lang, BASE, TODAY)
    assert page_size_mm(pdf) == (210, 297)
    text = pdf_text(pdf)
    from geo.analysis.join import has_location
    from geo.analysis.nearest import nearest_offers

    current = data.offers[(data.offers["status"] != "beendet") & has_location(data.offers)]
    nearest = nearest_offers(current, location.lon, location.lat, k=None)
    for field in nearest["handlungsfeld"].unique():
        for name in nearest[nearest["handlungsfeld"] == field]["name"].head(3):
            assert name_in_text(name, text, lang), name
    assert f"{BASE}/?ort=52.305,8.888" + ("" if lang == "de" else f"&lang={lang}") in decoded_qr_codes(pdf, tmp_path)


def test_arabic_poster_is_right_to_left_with_shaped_text(data):
    document = poster_html(data, "baerenkaempen", "A4", "ar", BASE, TODAY)
    assert '<html lang="ar" dir="rtl">' in document
    assert '<bdi lang="de" dir="ltr">' in document  # German offer text keeps its own direction
    text = pdf_text(render_pdf(document))
    # pypdf returns Arabic in logical order: the Arabic name of a Handlungsfeld is in the text as written
    from geo.i18n import t
    assert t("handlungsfeld.bildung", "ar") in text


def test_unknown_district_or_language_lists_the_valid_values(data):
    with pytest.raises(PosterError, match="Möglich: Bärenkämpen, Bölhorst"):
        find_district(data.districts, "Atlantis")
    with pytest.raises(PosterError, match="Möglich: de, de-einfach, en, ar"):
        poster_html(data, "baerenkaempen", "A4", "xx", BASE, TODAY)
    assert find_district(data.districts, "baerenkaempen") == find_district(data.districts, "BÄRENKÄMPEN") == "baerenkaempen"


def test_district_without_offers_says_so_and_lists_offers_nearby(data):
    empty = [d for d in data.districts["id"] if not district_offers(data, d)]
    assert empty, "the shipped data has districts without offers (e.g. Päpinghausen)"
    text = pdf_text(poster_pdf(data, empty[0], "A4", "de", BASE, TODAY))
    assert "derzeit kein Angebot mit bekanntem Ort" in text
    assert "Die nächsten Angebote in der Nähe" in text


def test_long_names_wrap_inside_the_page(data, monkeypatch):
    from weasyprint import HTML

    long_name = "Sehr langer Angebotsname " * 12 + "Unzerbrechlicheswortohneleerzeichen" * 6
    offers = data.offers.copy()
    first = offers.index[(offers["stadtteil_id"] == "baerenkaempen") & (offers["status"] != "beendet")][0]
    offers.loc[first, "name"] = long_name
    monkeypatch.setattr(data, "offers", offers)
    rendered = HTML(string=poster_html(data, "baerenkaempen", "A4", "de", BASE, TODAY)).render()
    page = rendered.pages[0]
    width = page.width

    def boxes(box):
        yield box
        for child in getattr(box, "children", []) or []:
            yield from boxes(child)

    right_edges = [b.position_x + b.margin_width() for b in boxes(page._page_box) if hasattr(b, "margin_width")]
    assert max(right_edges) <= width + 0.5
