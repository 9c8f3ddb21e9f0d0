"""geo.render.gapmap: the PNG drawn from the grid as a raster (issue 24 §9), its legend and its colours.

The figure is taken from ``gap_map_png`` itself: ``matplotlib.pyplot.close`` is wrapped to keep the figure
it closes, so the tests look at what was really drawn into the PNG.
"""
import io
import math

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
from conftest import HEADER, metric_point_as_latlon, offer_line
from PIL import Image
from shapely.geometry import box

from geo.analysis.coverage import gap_grid, grid_cells, straight_line_radius
from geo.analysis.join import assign_districts
from geo.config import HANDLUNGSFELDER, load_settings
from geo.data.offers import parse_offers
from geo.dataset import load_dataset
from geo.render import gapmap
from geo.render.gapmap import CLASS_COLOURS, gap_map_png, grid_raster


def lab(colour) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour given as "#rrggbb" or an RGB(A) tuple 0–1: the textbook formulas."""
    if isinstance(colour, str):
        colour = tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in colour[:3])
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [v ** (1 / 3) if v > (6 / 29) ** 3 else v / (3 * (6 / 29) ** 2) + 4 / 29 for v in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e(a, b) -> float:
    """CIE76 colour difference; about 2.3 is just noticeable, 40 is far apart."""
    return math.dist(lab(a), lab(b))


def test_colour_difference_by_hand():
    assert delta_e("#000000", "#ffffff") == pytest.approx(100.0, abs=0.01)  # L* 0 → 100
    assert lab("#808080")[0] == pytest.approx(53.59, abs=0.01) and abs(lab("#808080")[1]) < 0.01
    # the old pair of the issue: the darkest YlGn class and the "A" marker
    assert delta_e("#005a32", "#2B6B2F") == pytest.approx(12.8, abs=0.1)


@pytest.fixture
def drawn(monkeypatch):
    """``drawn(*args, **kwargs)`` → (png bytes, figure) of one gap_map_png call. The figure is kept open (a
    closed figure loses its Agg canvas) and closed after the test."""
    kept = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", kept.append)

    def draw(*args, **kwargs):
        before = len(kept)
        png = gap_map_png(*args, **kwargs)
        assert png.startswith(b"\x89PNG") and len(kept) == before + 1
        return png, kept[-1]

    yield draw
    for fig in kept:
        real_close(fig)


def offers_at(districts, *specs):
    lines = [offer_line(i, i, *metric_point_as_latlon(x, y), handlungsfeld=hf) for i, x, y, hf in specs]
    return assign_districts(parse_offers("\n".join([HEADER, *lines])).offers, districts).offers


@pytest.fixture(scope="module")
def shipped():
    data = load_dataset(load_settings({}))
    radius = straight_line_radius(800)
    return data.districts, data.offers, radius, gap_grid(data.districts, data.offers, radius)


# --- grid_raster -----------------------------------------------------------------------------------------

def metric_squares(*specs) -> gpd.GeoDataFrame:
    """Districts (id, bounds) in EPSG:25832, left there: a round trip through EPSG:4326 moves the edges by
    nanometres, which adds a row of sliver pieces to the grid."""
    return gpd.GeoDataFrame({"id": [s[0] for s in specs], "name": [s[0] for s in specs]},
                            geometry=[box(*s[1]) for s in specs], crs="EPSG:25832")


@pytest.fixture
def two_metric_squares():
    return metric_squares(("west", (490000, 5794000, 491000, 5795000)), ("east", (491000, 5794000, 492000, 5795000)))


def test_grid_raster_of_aligned_squares(two_metric_squares):
    # 2 km × 1 km from (490000, 5794000): 8 columns × 4 rows of 250 m cells, 5 × 5 pixels each
    grid = grid_cells(two_metric_squares, 250)
    column = grid["zelle"].str.split("_").str[0].astype(int)
    grid["distanz_m"] = column * 250.0  # 0, 250, …, 1750 m by column
    raster, extent = grid_raster(grid, 600)
    assert raster.shape == (4 * 5, 8 * 5)
    assert extent == pytest.approx((490000, 492000, 5794000, 5795000))
    # r = 600: ≤ 300 → 0 (columns 0, 1), ≤ 600 → 1 (column 2), ≤ 1200 → 2 (columns 3–4), beyond → 3 (5–7)
    expected = np.repeat([0, 0, 1, 2, 2, 3, 3, 3], 5)
    assert (raster == expected[None, :]).all()


def test_grid_raster_rows_start_in_the_south(two_metric_squares):
    grid = grid_cells(two_metric_squares, 250)
    row = grid["zelle"].str.split("_").str[1].astype(int)
    grid["distanz_m"] = np.where(row == 0, 0.0, math.inf)  # only the southern row is near
    raster, _ = grid_raster(grid, 600)
    assert (raster[:5] == 0).all() and (raster[5:] == 3).all()  # imshow(origin="lower"): row 0 at the bottom


def test_grid_raster_splits_a_cell_at_a_district_border():
    # border at x = 501100, 100 m into the cell column 501000–501250 (column 4 from x0 = 500000)
    pair = metric_squares(("l", (500100, 5790100, 501100, 5791100)), ("r", (501100, 5790100, 502100, 5791100)))
    grid = grid_cells(pair, 250)
    grid["distanz_m"] = np.where(grid["stadtteil_id"] == "l", 0.0, math.inf)
    raster, extent = grid_raster(grid, 600)
    # x 500000–502250 (9 columns), y 5790000–5791250 (5 rows)
    assert raster.shape == (25, 45) and extent == pytest.approx((500000, 502250, 5790000, 5791250))
    # pixel centres of column 4 at 501025, 501075 (left of the border: "l", class 0) and 501125, 501175,
    # 501225 (right: "r", class 3), in the pixel rows inside the squares (centres 5790125 … 5791075: rows 2–21)
    assert (raster[2:22, 20:22] == 0).all() and (raster[2:22, 22:25] == 3).all()
    # pixels of a split cell outside both pieces take the largest piece's class ("r", 150 of 250 m) – the
    # drawing is clipped to the districts there
    assert (raster[:2, 20:25] == 3).all() and (raster[22:, 20:25] == 3).all()
    # cells in one district only are filled whole (column 0 reaches 100 m beyond "l", clipped when drawn)
    assert (raster[:, :20] == 0).all() and (raster[:, 25:] == 3).all()
    # the same without the grid's attrs (cell size and origin found from the pieces)
    grid.attrs.clear()
    again, extent_again = grid_raster(grid, 600)
    assert (again == raster).all() and extent_again == pytest.approx(extent)


# --- the PNG ---------------------------------------------------------------------------------------------

def test_png_draws_the_grid_as_one_image_clipped_to_the_city(drawn, two_squares):
    offers = offers_at(two_squares, ("a", 490500, 5794500, "Bildung"))
    grid = gap_grid(two_squares, offers, 300)
    _, fig = drawn(grid, two_squares, offers, 300, "Titel", "Hinweis", "de", dpi=50)
    ax = fig.axes[0]
    assert len(ax.images) == 1
    image = ax.images[0]
    raster, extent = grid_raster(grid, 300)
    assert (np.ma.getdata(image.get_array()) == raster).all()
    assert tuple(image.get_extent()) == pytest.approx(extent)
    assert list(image.get_cmap().colors) == list(CLASS_COLOURS)
    clip = image.get_clip_path()
    assert clip is not None
    # no artist per cell: the 32 cells are not 32 paths anywhere
    assert all(len(c.get_paths()) < 10 for c in ax.collections)
    assert len(ax.patches) <= 2


def test_png_outlines_gaps_and_hatches_wide_gaps_once(drawn, two_squares):
    # one offer in West's south-west quarter, r = 300 m: cells beyond 600 m are wide gaps (class 3)
    offers = offers_at(two_squares, ("a", 490125, 5794125, "Bildung"))
    grid = gap_grid(two_squares, offers, 300)
    _, fig = drawn(grid, two_squares, offers, 300, "Titel", "Hinweis", "de", dpi=50)
    ax = fig.axes[0]
    hatched = [p for p in ax.patches if p.get_hatch()]
    outlined = [p for p in ax.patches if not p.get_hatch()]
    assert len(hatched) == 1 and len(outlined) == 1
    far = grid[grid["distanz_m"] > 600]
    gaps = grid[grid["distanz_m"] > 300]
    assert tuple(hatched[0].get_path().get_extents().extents) == pytest.approx(tuple(far.total_bounds))
    assert tuple(outlined[0].get_path().get_extents().extents) == pytest.approx(tuple(gaps.total_bounds))
    assert hatched[0].get_hatch() == "///"


def test_legend_lies_beside_the_map_not_over_districts_or_names(drawn, shipped):
    districts, offers, radius, grid = shipped
    png, fig = drawn(grid, districts, offers, radius, "Titel", "Hinweis", "de", dpi=60)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    legend = shapely.box(*ax.get_legend().get_window_extent(renderer).extents)
    metric = districts.to_crs(25832)
    for name, polygon in zip(metric["name"], metric.geometry):
        parts = getattr(polygon, "geoms", [polygon])
        on_screen = shapely.union_all([shapely.Polygon(ax.transData.transform(np.asarray(p.exterior.coords)))
                                       for p in parts])
        assert not on_screen.intersects(legend), name  # before: over Häverstädt, Bölhorst and Dützen
    labels = [text for text in ax.texts if text.get_text() in set(metric["name"])]
    assert len(labels) == len(metric)
    for text in labels:
        assert not shapely.box(*text.get_window_extent(renderer).extents).intersects(legend), text.get_text()
    # and the legend is in the PNG: the saved area (bbox_inches="tight", 0.1 in padding) reaches to its right edge
    tight = fig.get_tightbbox(renderer)  # inches
    assert tight.x1 * fig.dpi >= legend.bounds[2] - 1
    assert Image.open(io.BytesIO(png)).width == pytest.approx((tight.width + 0.2) * fig.dpi, abs=2)


def test_no_class_colour_looks_like_a_handlungsfeld_colour(drawn, shipped):
    districts, offers, radius, grid = shipped
    _, fig = drawn(grid, districts, offers, radius, "Titel", "Hinweis", "de", dpi=40)
    ax = fig.axes[0]
    handles = ax.get_legend().legend_handles
    classes = [h.get_facecolor() for h in handles[:len(CLASS_COLOURS)]]
    fields = [h.get_facecolor() for h in handles[len(CLASS_COLOURS):]]
    assert len(fields) == len(HANDLUNGSFELDER)
    # every class swatch is far from every Handlungsfeld swatch (before: "große Lücke" #005a32 and
    # "A" #2B6B2F were 12.8 apart)
    for c in classes:
        for f in fields:
            assert delta_e(c, f) >= 40, (c, f)
    # and the markers on the map: every marker colour is far from every colour of the raster
    markers = [tuple(col.get_facecolor()[0]) for col in ax.collections if len(col.get_facecolor())
               and col.get_facecolor()[0][:3].tolist() != [1.0, 1.0, 1.0]]
    assert markers, "the shipped offers are drawn"
    for m in markers:
        for c in CLASS_COLOURS:
            assert delta_e(m, c) >= 40, (m, c)


def test_class_colours_darken_from_near_to_far():
    lightness = [lab(c)[0] for c in CLASS_COLOURS]
    assert lightness == sorted(lightness, reverse=True) and lightness[0] - lightness[-1] > 50


def test_offers_are_letters_up_to_the_limit_then_dots(drawn, monkeypatch, two_squares):
    offers = offers_at(two_squares, ("a", 490500, 5794500, "Bildung"), ("b", 491900, 5794900, "Wohnen"))
    grid = gap_grid(two_squares, offers, 300)

    def offer_collections(fig):
        return [c for c in fig.axes[0].collections if len(c.get_offsets()) and c.get_offsets().shape[0] <= 2
                and type(c).__name__ == "PathCollection"]

    _, fig = drawn(grid, two_squares, offers, 300, "T", "", "de", dpi=40)
    letters = offer_collections(fig)
    # per field with offers: a circle and a letter marker (Bildung "B", Wohnen "W")
    assert len(letters) == 4
    assert sorted(gapmap.offer_symbol_marker(s) for s in "BW") == [r"$\mathbf{B}$", r"$\mathbf{W}$"]
    monkeypatch.setattr(gapmap, "LETTER_MARKER_LIMIT", 1)
    _, fig = drawn(grid, two_squares, offers, 300, "T", "", "de", dpi=40)
    dots = offer_collections(fig)
    assert len(dots) == 2 and all(c.get_sizes().tolist() == [3.0] for c in dots)
