"""Printing (issue 24 §4): every page prints complete in Chromium's "Print to PDF" (A4) – no sidebar, no
controls, every row and column of the tables – read back from the PDF with pypdf.

``st.dataframe`` is a canvas grid that prints only what is scrolled into view (the comparison table once printed
2 district columns and 10 rows); ``static/qk/qk-print.css`` hides it in print and shows the full HTML table that
``app.widgets.page.print_table`` puts next to it. The comparison page's first PDF page is rendered to
``docs/druck-vergleich.png`` (``pdftoppm``) to look at.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata

import pytest

from tests.e2e.conftest import ROOT, map_frame, wait_for_app, wait_for_map

pypdf = pytest.importorskip("pypdf")

SIDEBAR_JS = """() => {
  const bar = document.querySelector('[data-testid="stSidebar"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const own = main.textContent;  // with the print-only tables
  const sidebar = bar ? bar.innerText.split('\\n').map(s => s.trim()).filter(s => s.length > 3 && !own.includes(s)) : [];
  const controls = [...main.querySelectorAll('[data-testid="stDownloadButton"] button, [data-testid="stWidgetLabel"]')]
    .map(e => e.innerText.trim()).filter(s => s.length > 0);
  return [sidebar, controls];
}"""
"""On screen: the sidebar's own lines (navigation, language picker, filters: those not also in the main part) and
the labels of the main part's controls (download buttons, sliders, selections)."""


def squeeze(text: str) -> str:
    """Text without any whitespace and ligatures (NFKC: the PDF's "ﬀ" is "ff"): a PDF breaks cells into lines
    wherever the column is narrow."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def open_for_print(page, url: str, with_map: bool = False) -> None:
    """Open ``url`` and wait until the whole page is there and its print stylesheet is in place."""
    page.goto(url)
    wait_for_app(page)
    # the footer is the last element of every page: the whole page is there (the comparison page draws charts and
    # small maps before its overview table)
    page.locator(".qk-fusslinks").wait_for(state="attached", timeout=60_000)
    wait_for_app(page)
    if with_map:
        wait_for_map(page)
    # the print stylesheet is put into <head> by the page's script (app/widgets/page.py, PRINT_STYLE_JS): a
    # person cannot print within the first moment after loading, a test can
    page.wait_for_function("() => !!document.getElementById('qk-print-css')", timeout=30_000)


def print_pdf(page, url: str, with_map: bool = False) -> tuple[bytes, str, list[list[str]]]:
    """``(pdf, text of all pages, [sidebar lines, control labels] on screen)`` of one page printed to A4."""
    open_for_print(page, url, with_map)
    sidebar = page.evaluate(SIDEBAR_JS)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    text = "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return pdf, text, sidebar


def assert_no_controls(text: str, screen: list[list[str]]) -> None:
    sidebar, controls = screen
    lines = {line.strip() for line in text.splitlines()}
    assert sidebar, "the sidebar had text on screen"
    # a printed sidebar or control gives its label as a line of its own ("grid_on" and the like are Material
    # icon names, drawn as a glyph, not text)
    printed = [line for line in sidebar + controls if not re.fullmatch(r"[a-z_]+", line) and line in lines]
    if printed:
        (ROOT / "artifacts" / "print").mkdir(parents=True, exist_ok=True)
        (ROOT / "artifacts" / "print" / "failed.txt").write_text(text, encoding="utf-8")
    assert not printed, f"sidebar or controls on paper: {printed}"


def pages_of(pdf: bytes) -> int:
    """The number of A4 pages; the last one ends with the footer's links, so nothing was cut off at the end."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert "Barrierefreiheit" in (pages[-1].extract_text() or "").splitlines()[-1]
    return len(pages)


def test_comparison_page_prints_every_column_and_row_and_every_district(page, streamlit_server):
    from geo.analysis.comparison import FOCUS_DISTRICTS, comparison_table
    from geo.analysis.overview import district_overview
    from geo.config import load_settings
    from geo.dataset import load_dataset

    data = load_dataset(load_settings())
    current = data.offers[data.offers["status"] != "beendet"]
    table = comparison_table(data.districts, current, data.indicators, list(FOCUS_DISTRICTS), 800, "de")
    overview = district_overview(data.districts, data.offers, data.indicators, "de")
    assert len(table.columns) >= 5 and len(table) > 10  # more than the 2 columns and 10 rows that once printed

    pdf, text, sidebar = print_pdf(page, f"{streamlit_server}/stadtteile")
    squeezed = squeeze(text)
    assert_no_controls(text, sidebar)
    missing_columns = [c for c in table.columns if squeeze(str(c)) not in squeezed]
    assert not missing_columns, missing_columns
    missing_rows = [k for k in table.iloc[:, 0] if squeeze(str(k)) not in squeezed]
    assert not missing_rows, missing_rows
    names = [str(n) for n in data.districts["name"]]
    assert len(names) == 19
    missing_districts = [n for n in names if squeeze(n) not in squeezed]
    assert not missing_districts, missing_districts
    # the overview's last rows (the whole city, offers without a place) were cut at 10 rows before
    assert all(squeeze(str(n)) in squeezed for n in overview.iloc[-2:, 0])
    n_pages = pages_of(pdf)
    print(f"comparison page: {n_pages} A4 pages, {len(pdf) // 1024} kB")
    assert 2 <= n_pages <= 20

    out = ROOT / "artifacts" / "print"
    out.mkdir(parents=True, exist_ok=True)
    (out / "vergleich.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        target = ROOT / "docs" / "druck-vergleich"
        subprocess.run(["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "2", str(out / "vergleich.pdf"),
                        str(out / "vergleich")], check=True)
        pngs = sorted(out.glob("vergleich-*.png"))
        assert pngs
        shutil.copyfile(pngs[0], target.with_suffix(".png"))


@pytest.mark.parametrize(("path", "with_map"), [("luecken", True), ("", True), ("angebote", False),
                                                ("datenquellen", False)])
def test_other_pages_print_without_sidebar_and_controls(page, streamlit_server, path, with_map):
    pdf, text, sidebar = print_pdf(page, f"{streamlit_server}/{path}", with_map)
    assert_no_controls(text, sidebar)
    n_pages = pages_of(pdf)
    print(f"/{path}: {n_pages} A4 pages")
    assert 1 <= n_pages <= 30
    if path == "luecken":
        from geo.config import load_settings
        from geo.dataset import load_dataset

        squeezed = squeeze(text)
        # the coverage table: every district's row, and the row of offers without a place
        names = [str(n) for n in load_dataset(load_settings()).districts["name"]]
        assert not [n for n in names if squeeze(n) not in squeezed]
        assert squeeze("nicht zugeordnet (ohne Ort oder außerhalb aller Stadtteile)") in squeezed
        assert "Was die Zahlen nicht sagen" in text


def test_list_page_prints_the_whole_filtered_list_not_only_the_page_on_screen(page, streamlit_server):
    """Angebote shows 25 offers per page on screen; on paper every offer of the filtered list, each once."""
    from geo.analysis.filters import apply_filter
    from geo.config import load_settings
    from geo.dataset import load_dataset
    from geo.render.urlstate import params_to_state

    data = load_dataset(load_settings())
    query = {"hf": "zusammenleben"}
    expected = apply_filter(data.offers, params_to_state(query).filter)
    everything = apply_filter(data.offers, params_to_state({}).filter)
    assert 25 < len(expected) < len(everything)  # more than one page on screen, and the filter leaves some out

    url = f"{streamlit_server}/angebote?" + "&".join(f"{k}={v}" for k, v in query.items())
    pdf, text, sidebar = print_pdf(page, url)
    assert_no_controls(text, sidebar)
    # on paper: every card of the filtered list once (in print media the screen page and the print-only cards)
    assert page.locator("article.qk-angebot").evaluate_all(
        "cards => cards.filter(c => c.getClientRects().length > 0).length") == len(expected)
    squeezed = squeeze(text)
    missing = [n for n in expected["name"] if squeeze(str(n)) not in squeezed]
    assert not missing, missing
    left_out = set(everything["name"]) - set(expected["name"])
    assert left_out and not [n for n in left_out if f"\n{n}\n" in f"\n{text}\n"]
    pages_of(pdf)
    # on screen still one page of 25 cards
    page.emulate_media(media="screen")
    assert page.locator("article.qk-angebot").evaluate_all(
        "cards => cards.filter(c => c.getClientRects().length > 0).length") == 25


def test_map_prints_without_its_buttons_but_with_its_legend(page, streamlit_server):
    """Zoom buttons, layer control and "my location" are screen controls: not on paper; the legend stays."""
    open_for_print(page, f"{streamlit_server}/luecken", with_map=True)
    frame = map_frame(page)
    controls = ".leaflet-control-zoom, .leaflet-control-layers"
    assert frame.locator(controls).count() == 2
    assert frame.locator(".qk-legend").is_visible()
    page.emulate_media(media="print")
    visible = frame.locator(".leaflet-container").evaluate(
        "(map, sel) => [...map.querySelectorAll(sel)].filter(c => c.getClientRects().length > 0).length",
        f"{controls}, .qk-locate")
    assert visible == 0
    assert frame.locator(".qk-legend").is_visible()


def test_comparison_charts_print_as_static_images_as_wide_as_the_paper(page, streamlit_server):
    """The Vega charts print as a canvas scaled and cut to the screen; on paper each is a static image (the
    PNG of the charts download) no wider than the A4 column, nothing of it hidden."""
    from geo.data.indicators import MAP_INDICATORS
    from geo.i18n import t

    open_for_print(page, f"{streamlit_server}/stadtteile")
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() == len(MAP_INDICATORS)
    page.emulate_media(media="print")
    assert not [i for i in range(charts.count()) if charts.nth(i).is_visible()], "the interactive charts print"
    images = page.locator(".qk-print-chart img")
    assert images.count() == len(MAP_INDICATORS)
    a4_column_px = 190 / 25.4 * 96  # A4 minus the print margins (10 mm each side), in CSS pixels
    for i in range(images.count()):
        image = images.nth(i)
        assert image.is_visible()
        size = image.evaluate("img => [img.complete && img.naturalWidth, img.naturalHeight, "
                              "img.getBoundingClientRect().width, img.getBoundingClientRect().height]")
        natural_w, natural_h, width, height = size
        assert natural_w > 0, "image not loaded"
        assert a4_column_px * 0.8 <= width <= a4_column_px, size  # as wide as the paper's column, not wider
        assert abs(height / width - natural_h / natural_w) < 0.01, size  # not squeezed
        # legible: at least 130 image pixels per inch of paper (the PNG has 150)
        assert natural_w / (width / 96) >= 130, size
        title = t(f"indikator.{MAP_INDICATORS[i]}")
        assert image.get_attribute("alt").startswith(title)
    pdf = page.pdf(format="A4", print_background=True)
    out = ROOT / "artifacts" / "print"
    out.mkdir(parents=True, exist_ok=True)
    (out / "vergleich-diagramme.pdf").write_bytes(pdf)
