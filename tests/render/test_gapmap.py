"""geo.render.gapmap: distance classes, legend texts, the grid layer on the app's map, the PNG."""
import io
import math
import re

import folium
import numpy as np
import pytest
from conftest import HEADER, metric_point_as_latlon, offer_line

from geo.analysis.coverage import gap_grid, straight_line_radius
from geo.analysis.join import assign_districts
from geo.data.offers import parse_offers
from geo.render.gapmap import CLASS_COLOURS, add_gap_layer, class_labels, distance_classes, gap_map_png
from geo.render.mapbuild import build_map

HOSTILE = "<script>alert(1)</script>"


def test_distance_classes_at_the_boundaries():
    r = 600.0
    distances = np.array([0, 299.999, 300, 300.001, 599.999, 600, 600.001, 1200, 1200.001, 1e9, math.inf])
    # ≤ r/2 → 0, ≤ r → 1, ≤ 2r → 2, beyond (and no offer at all) → 3
    assert distance_classes(distances, r).tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3]
    # classes 2 and 3 are exactly the gaps of geo.analysis.coverage.gap_grid (distance > r)
    assert ((distance_classes(distances, r) >= 2) == (distances > r)).all()


def test_distance_classes_of_a_list_and_an_empty_array():
    assert distance_classes([150.0, 150.5, 450.0], 300).tolist() == [0, 1, 2]
    assert distance_classes(np.array([]), 300).tolist() == []


def test_class_labels_in_walking_metres_rounded_to_10_m():
    # the labels give estimated walking metres (straight line × 1.3), the unit of the page's slider:
    # walk 800 m → r = 615.38 m; r/2 × 1.3 = 400, r × 1.3 = 800, 2r × 1.3 = 1600 (German thousands point)
    assert class_labels(straight_line_radius(800), "de") == [
        "bis 400 m", "400–800 m", "Lücke: 800–1.600 m", "große Lücke: über 1.600 m oder kein Angebot"]
    # r = 400 m straight line: 200 × 1.3 = 260, 520, 1040; r = 333 m: 166.5 × 1.3 = 216.45 → 220, 432.9 → 430
    assert class_labels(400, "de") == [
        "bis 260 m", "260–520 m", "Lücke: 520–1.040 m", "große Lücke: über 1.040 m oder kein Angebot"]
    assert class_labels(333, "de")[:2] == ["bis 220 m", "220–430 m"]


def offers_at(districts, *specs):
    """Offers (id, x, y, handlungsfeld) at EPSG:25832 points, joined to the districts."""
    lines = [offer_line(i, i, *metric_point_as_latlon(x, y), handlungsfeld=hf) for i, x, y, hf in specs]
    return assign_districts(parse_offers("\n".join([HEADER, *lines])).offers, districts).offers


@pytest.fixture
def tiny(two_squares):
    offers = offers_at(two_squares, ("a", 490500, 5794500, "Bildung"), ("b", 491900, 5794900, "Wohnen"))
    radius = straight_line_radius(800)
    return two_squares, offers, radius, gap_grid(two_squares, offers, radius)


def script_blocks(html: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", html, flags=re.S)


def test_gap_layer_legend_and_layer_control_order(tiny):
    districts, offers, radius, grid = tiny
    fmap = build_map(districts, offers)
    add_gap_layer(fmap, grid, radius, {"west": "West", "east": "Ost"}, "de")
    html = fmap.get_root().render()
    # the grid layer: one GeoJSON in its own pane, with the layer name in the layer control
    grid_layer = next(c for c in fmap._children.values()
                      if isinstance(c, folium.GeoJson) and c.layer_name.startswith("Raster"))
    grid_var = grid_layer.get_name()
    assert "qk-grid" in html and grid_var in html
    # all 32 cells (2 squares × 16) are in the page, with their tooltips
    assert len(grid_layer.data["features"]) == 32
    assert "chstes passendes Angebot" in html  # "ä" is \\u00e4 in the GeoJSON data
    # the legend with the four classes and their colours (HTML inside a JSON string)
    for colour in CLASS_COLOURS:
        assert colour in html
    assert "Lücke: 800–1.600 m" in html
    # the layer control must be built after the grid layer exists, or the grid is missing from it
    control = next(c for c in fmap._children.values() if isinstance(c, folium.LayerControl))
    control_var = control.get_name()
    scripts = "\n".join(script_blocks(html))
    assert scripts.index(f"var {grid_var} = ") < scripts.index(f"var {control_var}_layers = ")
    overlays = scripts[scripts.index(f"var {control_var}_layers = "):]
    assert re.search(rf'"Raster: Entfernung zum n(ä|\\u00e4)chsten Angebot"\s*:\s*{grid_var}', overlays)
    assert list(fmap._children.values()).count(control) == 1


def test_gap_layer_tooltips_escape_district_names(two_squares):
    districts = two_squares.assign(name=[HOSTILE, "Ost"])
    offers = offers_at(districts, ("a", 490500, 5794500, "Bildung"))
    grid = gap_grid(districts, offers, 300)
    fmap = add_gap_layer(build_map(districts, offers), grid, 300, {"west": HOSTILE, "east": "Ost"}, "de")
    html = fmap.get_root().render()
    assert HOSTILE not in html
    # Ost is farther than 2r from the only offer: "große Lücke"-cells are marked as gaps in the tooltip
    assert "Lücke" in html


def test_gap_layer_without_offers_says_no_offer(two_squares):
    offers = offers_at(two_squares)
    grid = gap_grid(two_squares, offers, 300)
    fmap = add_gap_layer(build_map(two_squares, offers), grid, 300, {"west": "West", "east": "Ost"}, "de")
    assert "kein passendes Angebot mit Ort" in fmap.get_root().render()


def test_gap_map_png_is_a_real_image(tiny):
    districts, offers, radius, grid = tiny
    data = gap_map_png(grid, districts, offers, radius, "Titel", "Hinweis", "de", dpi=50)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG" and image.width > 200 and image.height > 150
    pixels = np.asarray(image.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10  # not a blank page
    # the colours of the occupied classes are drawn: West's cells near the offer are in class 0
    near = np.array([int(CLASS_COLOURS[0][i:i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels.astype(int) - near).sum(axis=2) < 6).sum() > 100  # more than the legend swatch


def test_gap_map_png_without_offers_and_hostile_names(two_squares):
    districts = two_squares.assign(name=[HOSTILE, "Ost"])
    offers = offers_at(districts)
    grid = gap_grid(districts, offers, 300)
    data = gap_map_png(grid, districts, offers, 300, HOSTILE, "", "de", dpi=40)
    assert data.startswith(b"\x89PNG")
