"""geo.analysis.coverage: covered shares, coverage table, grid, distances and gap scores on hand-made squares.

All geometry is defined in EPSG:25832 (metres) and handed to the functions in EPSG:4326, as the app does.
The buffers are 64-gons (``quad_segs=16``); where a number depends on that, the polygon is computed by hand:
area of a regular n-gon with circumradius r = ½·n·r²·sin(2π/n).
"""
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.analysis import coverage
from geo.analysis.coverage import (
    BUFFER_QUAD_SEGS,
    UNASSIGNED_ID,
    GapScore,
    approximate_counts,
    band_interval,
    coverage_display,
    coverage_table,
    covered_shares,
    distances_to_nearest,
    gap_grid,
    gap_ranking_html,
    gap_scores,
    grid_cells,
    offer_xy,
    sample_points,
    straight_line_radius,
)
from geo.analysis.join import assign_districts
from geo.data.indicators import INDICATOR_COLUMNS, Band, read_indicators
from geo.i18n import t

# The square "West": x 500000–501000, y 5790000–5791000 (1 km², aligned to 250-m multiples); "Ost" east of it.
WEST = (500000, 5790000, 501000, 5791000)
OST = (501000, 5790000, 502000, 5791000)
CENTRE = (500500, 5790500)
SW_CORNER = (500000, 5790000)
N = 4 * BUFFER_QUAD_SEGS  # 64 vertices per buffer


def ngon_area(r: float, n: int = N) -> float:
    """Area of the buffer polygon: ½·n·r²·sin(2π/n)."""
    return 0.5 * n * r * r * math.sin(2 * math.pi / n)


def circle_segment(r: float, d: float) -> float:
    """Area of the part of a circle of radius r beyond a chord at distance d from its centre."""
    return r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)


def ngon_segment(r: float, d: float, n: int = N) -> float:
    """Area of the 64-gon (vertices at angles k·2π/n, as GEOS puts them) with x ≥ d, by hand:
    Sutherland–Hodgman clip against the half-plane x ≥ d, then the shoelace formula."""
    pts = [(r * math.cos(2 * math.pi * k / n), r * math.sin(2 * math.pi * k / n)) for k in range(n)]
    out = []
    for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1]):
        if x1 >= d:
            out.append((x1, y1))
        if (x1 >= d) != (x2 >= d):
            s = (d - x1) / (x2 - x1)
            out.append((d, y1 + s * (y2 - y1)))
    return 0.5 * abs(sum(xa * yb - xb * ya for (xa, ya), (xb, yb) in zip(out, out[1:] + out[:1])))


def squares(*specs) -> gpd.GeoDataFrame:
    """Districts (id, name, bounds in EPSG:25832), returned in EPSG:4326."""
    return gpd.GeoDataFrame(
        {"id": [s[0] for s in specs], "name": [s[1] for s in specs],
         "geometrie": ["schematisch"] * len(specs), "quelle": ["Test"] * len(specs)},
        geometry=[box(*s[2]) for s in specs], crs="EPSG:25832").to_crs("EPSG:4326")


def offers(*specs) -> gpd.GeoDataFrame:
    """Offers (id, x, y, stadtteil_id[, handlungsfeld[, lage_genauigkeit]]) in EPSG:25832 metres, returned in
    EPSG:4326; ``x = None`` is an offer without a location."""
    rows, geoms = [], []
    for spec in specs:
        id_, x, y, district = spec[:4]
        hf = spec[4] if len(spec) > 4 else "Bildung"
        lage = spec[5] if len(spec) > 5 else ("adresse" if x is not None else "unbekannt")
        rows.append({"id": id_, "name": id_, "handlungsfeld": hf, "lage_genauigkeit": lage, "stadtteil_id": district})
        geoms.append(None if x is None else Point(x, y))
    frame = pd.DataFrame(rows, columns=["id", "name", "handlungsfeld", "lage_genauigkeit", "stadtteil_id"])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:25832").to_crs("EPSG:4326")


@pytest.fixture
def west():
    return squares(("w", "West", WEST))


@pytest.fixture
def west_ost():
    return squares(("w", "West", WEST), ("o", "Ost", OST))


# --- straight_line_radius / covered_shares, buffer method (the reference) ------------------------------------

def test_straight_line_radius_divides_by_the_detour_factor():
    assert straight_line_radius(800) == pytest.approx(800 / 1.3)  # 615.38 m
    assert straight_line_radius(0) == 0


def test_centre_offer_covers_a_circle(west):
    share = covered_shares(west, offers(("a", *CENTRE, "w")), 300, method="puffer")
    # 64-gon: ½·64·300²·sin(2π/64) = 282 289.36 m² of 1 000 000 m² → 0.282289
    assert share["w"] == pytest.approx(ngon_area(300) / 1e6, rel=1e-9)
    assert share["w"] == pytest.approx(0.282289, abs=1e-6)
    # the circle π·300²/1e6 = 0.282743; the polygon is within 0.3 % of it (0.16 % below)
    assert share["w"] == pytest.approx(math.pi * 300**2 / 1e6, rel=3e-3)


def test_corner_offer_covers_a_quarter_circle(west):
    share = covered_shares(west, offers(("b", *SW_CORNER, "w")), 300, method="puffer")
    # the 64-gon has vertices on both axes, so exactly a quarter of it lies in the square: 282 289.36 / 4
    assert share["w"] == pytest.approx(ngon_area(300) / 4 / 1e6, rel=1e-6)
    # quarter circle: π·300²/4/1e6 = 0.070686
    assert share["w"] == pytest.approx(math.pi * 300**2 / 4 / 1e6, rel=3e-3)


def test_two_offers_without_overlap_add_up(west):
    # centre and corner are √(500² + 500²) = 707 m apart > 2 × 300 m: no overlap, 0.282289 + 0.070572 = 0.352862
    share = covered_shares(west, offers(("a", *CENTRE, "w"), ("b", *SW_CORNER, "w")), 300, method="puffer")
    assert share["w"] == pytest.approx(1.25 * ngon_area(300) / 1e6, rel=1e-6)
    assert share["w"] == pytest.approx(0.352862, abs=1e-5)


def test_overlapping_buffers_are_not_counted_twice(west):
    # the same point twice covers what it covers once
    one = covered_shares(west, offers(("a", *CENTRE, "w")), 300, method="puffer")["w"]
    two = covered_shares(west, offers(("a", *CENTRE, "w"), ("a2", *CENTRE, "w")), 300, method="puffer")["w"]
    assert two == pytest.approx(one, rel=1e-12)


def test_walk_800_m_from_the_centre_is_a_circle_clipped_by_the_square(west):
    r = straight_line_radius(800)  # 615.38 m: beyond the edges (500 m) but short of the corners (707 m)
    share = covered_shares(west, offers(("a", *CENTRE, "w")), r, method="puffer")["w"]
    assert 0 < share < 1
    # circle minus the four segments beyond the edges (they do not overlap, r < 707 m):
    # π·r² − 4·(r²·acos(500/r) − 500·√(r² − 500²)) = 1 189 720 − 4 × 56 318 = 964 447 m² → 0.9644
    circle_clip = (math.pi * r * r - 4 * circle_segment(r, 500)) / 1e6
    assert share == pytest.approx(circle_clip, rel=3e-3)
    assert share == pytest.approx(0.9644, abs=5e-4)
    # second reference: the same 64-gon clipped by shapely
    reference = Point(CENTRE).buffer(r, quad_segs=16).intersection(box(*WEST)).area / 1e6
    assert share == pytest.approx(reference, rel=1e-9)


def test_radius_800_m_from_the_centre_covers_the_whole_square(west):
    # the corners are √(500² + 500²) = 707.1 m away; the 64-gon's inner radius is 800·cos(π/64) = 799.0 m
    share = covered_shares(west, offers(("a", *CENTRE, "w")), 800, method="puffer")["w"]
    assert share == pytest.approx(1.0, rel=1e-9)


def test_no_offers_cover_nothing(west):
    assert covered_shares(west, offers(), 300, method="puffer")["w"] == 0.0
    # an offer without a location covers nothing either
    assert covered_shares(west, offers(("x", None, None, "")), 300, method="puffer")["w"] == 0.0


def test_offer_outside_covers_a_circular_segment(west):
    # 200 m east of the east edge (x = 501000): the buffer reaches 100 m into the square
    share = covered_shares(west, offers(("aussen", 501200, 5790500, "")), 300, method="puffer")["w"]
    # circle: 300²·acos(200/300) − 200·√(300² − 200²) = 75 696.2 − 44 721.4 = 30 974.8 m² → 0.030975
    assert share == pytest.approx(circle_segment(300, 200) / 1e6, rel=5e-3)
    # The 64-gon's deficit against the circle sits on the arc, which is 27 % of the circumference but bounds
    # only 11 % of the area here, so the segment is 0.39 % smaller (not within 0.3 %). Exactly, by hand:
    assert share == pytest.approx(ngon_segment(300, 200) / 1e6, rel=1e-7)
    assert share == pytest.approx(0.030853, abs=1e-6)


# --- coverage_table -------------------------------------------------------------------------------------

def table_offers():
    # a: centre of West; b: south-west corner of West (assigned to West); ohne: no location;
    # aussen: 200 m east of Ost's east edge (x 502000) – in no district, but covers a segment of Ost
    return offers(("a", *CENTRE, "w"), ("b", *SW_CORNER, "w", "Wohnen", "stadtteil"),
                  ("ohne", None, None, ""), ("aussen", 502200, 5790500, "", "Bildung", "strasse"))


def test_coverage_table_counts_rates_and_shares(west_ost):
    population = {"w": (4000.0, "2020-12-31")}
    minors = {"w": (800.0, "2020-12-31")}
    table = coverage_table(west_ost, table_offers(), 300, population, minors, method="puffer")
    assert list(table["stadtteil_id"]) == ["w", "o", UNASSIGNED_ID]
    rows = table.set_index("stadtteil_id")
    assert rows.loc["w", "name"] == "West" and rows.loc["o", "name"] == "Ost"
    assert list(rows["angebote"]) == [2, 0, 2]  # West: a, b; Ost: none; not assigned: ohne + aussen
    # 2 offers / 4000 inhabitants × 1000 = 0.5; 2 / 800 minors × 1000 = 2.5
    assert rows.loc["w", "je_1000_einwohner"] == pytest.approx(0.5)
    assert rows.loc["w", "je_1000_minderjaehrige"] == pytest.approx(2.5)
    assert rows.loc["w", "einwohner"] == 4000 and rows.loc["w", "einwohner_stichtag"] == "2020-12-31"
    # unknown population / minors: NaN, never 0
    for col in ("einwohner", "je_1000_einwohner", "minderjaehrige", "je_1000_minderjaehrige"):
        assert math.isnan(rows.loc["o", col]), col
    assert rows.loc["o", "einwohner_stichtag"] == ""
    # West: centre 64-gon + a quarter of the corner one (the latter reaches neither Ost nor the outside offer)
    assert rows.loc["w", "anteil_versorgt"] == pytest.approx(1.25 * ngon_area(300) / 1e6, rel=1e-6)
    # Ost: only the segment of the outside offer (200 m beyond its edge): 30 852.9 m² of 1 km²
    assert rows.loc["o", "anteil_versorgt"] == pytest.approx(ngon_segment(300, 200) / 1e6, rel=1e-7)
    # the "nicht zugeordnet" row has no area, no population
    assert math.isnan(rows.loc[UNASSIGNED_ID, "anteil_versorgt"])
    assert math.isnan(rows.loc[UNASSIGNED_ID, "je_1000_einwohner"])


def test_coverage_table_uses_the_grid_method_by_default(west_ost):
    table = coverage_table(west_ost, table_offers(), 300, {}).set_index("stadtteil_id")
    # the true circles: West 1.25 × π·300² = 353 429 m² → 0.353429; Ost the segment 30 974.8 m² → 0.030975
    # (two circles centred on sample-grid corners: twice the tolerance of one)
    assert table.loc["w", "anteil_versorgt"] == pytest.approx(1.25 * math.pi * 300**2 / 1e6, abs=2 * GRID_TOLERANCE)
    assert table.loc["o", "anteil_versorgt"] == pytest.approx(circle_segment(300, 200) / 1e6, abs=GRID_TOLERANCE)
    assert math.isnan(table.loc[UNASSIGNED_ID, "anteil_versorgt"])
    buffered = coverage_table(west_ost, table_offers(), 300, {}, method="puffer").set_index("stadtteil_id")
    # everything but the share is the same in both methods
    pd.testing.assert_frame_equal(table.drop(columns="anteil_versorgt"), buffered.drop(columns="anteil_versorgt"))


def test_coverage_table_with_districts_assigned_by_the_join(west_ost):
    # the same offers with stadtteil_id from geo.analysis.join instead of by hand
    raw = table_offers().drop(columns="stadtteil_id")
    joined = assign_districts(raw, west_ost).offers
    table = coverage_table(west_ost, joined, 300, {})
    assert list(table["angebote"]) == [2, 0, 2]


def test_coverage_table_without_minors_and_with_zero_population(west_ost):
    table = coverage_table(west_ost, table_offers(), 300, {"w": (0.0, "2020"), "o": (1000.0, "2020")})
    rows = table.set_index("stadtteil_id")
    assert math.isnan(rows.loc["w", "je_1000_einwohner"])  # 0 inhabitants: no rate, not a division by zero
    assert rows.loc["o", "je_1000_einwohner"] == 0.0  # 0 offers / 1000 inhabitants is a real 0
    assert rows["minderjaehrige"].isna().all() and rows["je_1000_minderjaehrige"].isna().all()


def test_coverage_table_without_any_offer(west_ost):
    table = coverage_table(west_ost, offers(), 300, {"w": (4000.0, "2020")})
    assert list(table["angebote"]) == [0, 0, 0]
    assert list(table["anteil_versorgt"].iloc[:2]) == [0.0, 0.0]
    assert table.set_index("stadtteil_id").loc["w", "je_1000_einwohner"] == 0.0


# --- covered_shares, grid method (the default) ----------------------------------------------------------
# Sample points every 25 m (centres of 25 m squares), a covered fraction per square from the distance to the
# nearest offer. Against the exact circles this is within 0.07 percentage points on these squares (worst where
# a circle is centred on a corner of the sample grid, as CENTRE and SW_CORNER are); 0.04 points over 40
# random layouts (checked once against 512-segment buffers, not part of the tests).

GRID_TOLERANCE = 7e-4  # 0.07 percentage points


def test_grid_corner_offer_covers_a_quarter_circle(west):
    share = covered_shares(west, offers(("b", *SW_CORNER, "w")), 300)["w"]
    # by hand: a quarter of a circle of 300 m in a 1 km square: π·300²/4 = 70 685.8 m² → 0.070686
    assert share == pytest.approx(0.070686, abs=GRID_TOLERANCE)
    assert share == pytest.approx(math.pi * 300**2 / 4 / 1e6, abs=3e-4)  # measured: 0.070845, 0.016 points off


def test_grid_centre_offer_covers_a_circle(west):
    share = covered_shares(west, offers(("a", *CENTRE, "w")), 300)["w"]
    # π·300² = 282 743.3 m² of 1 km²
    assert share == pytest.approx(0.282743, abs=GRID_TOLERANCE)


def test_grid_walk_800_m_from_the_centre_is_a_circle_clipped_by_the_square(west):
    r = straight_line_radius(800)
    share = covered_shares(west, offers(("a", *CENTRE, "w")), r)["w"]
    # π·r² − 4 segments beyond the edges = 964 447 m² (see the buffer test above)
    assert share == pytest.approx((math.pi * r * r - 4 * circle_segment(r, 500)) / 1e6, abs=GRID_TOLERANCE)


def test_grid_radius_800_m_from_the_centre_covers_the_whole_square_exactly(west):
    # the farthest 250 m cell centre is √(375² + 375²) = 530.3 m away, its corners 530.3 + 176.8 = 707.1 m:
    # less than 800 − 12.5 m, so every cell counts as covered throughout without measuring its points
    assert covered_shares(west, offers(("a", *CENTRE, "w")), 800)["w"] == pytest.approx(1.0, abs=1e-12)


def test_grid_offer_outside_covers_a_circular_segment(west):
    share = covered_shares(west, offers(("aussen", 501200, 5790500, "")), 300)["w"]
    # 300²·acos(200/300) − 200·√(300² − 200²) = 30 974.8 m² → 0.030975
    assert share == pytest.approx(0.030975, abs=GRID_TOLERANCE)


def test_grid_two_offers_without_overlap_add_up_and_overlap_counts_once(west):
    both = covered_shares(west, offers(("a", *CENTRE, "w"), ("b", *SW_CORNER, "w")), 300)["w"]
    corner = covered_shares(west, offers(("b", *SW_CORNER, "w")), 300)["w"]
    centre = covered_shares(west, offers(("a", *CENTRE, "w")), 300)["w"]
    # 707 m apart > 2 × 300 m: the shares add up; by hand 1.25 × π·300² → 0.353429
    assert both == pytest.approx(centre + corner, rel=1e-12)
    assert both == pytest.approx(0.353429, abs=2 * GRID_TOLERANCE)
    twice = covered_shares(west, offers(("a", *CENTRE, "w"), ("a2", *CENTRE, "w")), 300)["w"]
    assert twice == pytest.approx(centre, rel=1e-12)


def test_grid_without_offers_covers_nothing(west):
    assert covered_shares(west, offers(), 300)["w"] == 0.0
    assert covered_shares(west, offers(("x", None, None, "")), 300)["w"] == 0.0


def test_grid_share_of_a_square_cut_by_the_grid_uses_exact_areas():
    # a square offset by 100 m against the 250 m cells: 25 pieces of 5 sizes (see test_grid_of_an_offset_square…);
    # an offer at its south-west corner covers the same quarter circle as in an aligned square
    offset = squares(("v", "Versetzt", (500100, 5790100, 501100, 5791100)))
    share = covered_shares(offset, offers(("b", 500100, 5790100, "v")), 300)["v"]
    assert share == pytest.approx(math.pi * 300**2 / 4 / 1e6, abs=GRID_TOLERANCE)
    samples = sample_points(offset)
    assert samples.area == pytest.approx([1e6], rel=1e-12)  # the weights add up to the exact area
    assert samples.weight.sum() == pytest.approx(1e6, rel=1e-12)
    # 100 m of a 250 m cell hold 4 of its 10 sample columns: 40 × 40 points in all, each standing for 625 m²
    assert len(samples.x) == 1600 and samples.weight == pytest.approx(np.full(1600, 625.0))


def test_grid_district_smaller_than_a_sample_square():
    # 10 m × 10 m: no 25 m sample centre falls inside, so its interior point stands for all of it
    tiny = squares(("k", "Klein", (500000, 5790000, 500010, 5790010)))
    samples = sample_points(tiny)
    assert len(samples.x) == 1 and samples.weight == pytest.approx([100.0])
    x, y = samples.x[0], samples.y[0]
    assert (500000 < x < 500010) and (5790000 < y < 5790010)
    # the covered fraction of that point's 25 m square: 1 from 300 − 12.5 m inwards, 0 from 300 + 12.5 m outwards,
    # linear in between – so ½ for an offer exactly 300 m away
    assert covered_shares(tiny, offers(("a", x + 250, y, "")), 300)["k"] == pytest.approx(1.0)
    assert covered_shares(tiny, offers(("a", x + 300, y, "")), 300)["k"] == pytest.approx(0.5)
    assert covered_shares(tiny, offers(("a", x + 305, y, "")), 300)["k"] == pytest.approx(0.3)  # ½ − 5/25
    assert covered_shares(tiny, offers(("a", x + 990, y, "")), 300)["k"] == 0.0


def test_grid_shares_of_two_districts_split_by_a_cell(west_ost):
    # an offer on the shared border (x = 501000) covers a half circle on each side: π·300²/2 → 0.141372 each
    shares = covered_shares(west_ost, offers(("m", 501000, 5790500, "w")), 300)
    assert shares["w"] == pytest.approx(0.141372, abs=GRID_TOLERANCE)
    assert shares["o"] == pytest.approx(shares["w"], rel=1e-9)  # mirror images


def test_grid_both_ways_of_measuring_points_agree(west_ost, monkeypatch):
    # numpy over (point, candidate) pairs, in small chunks, and the spatial index point by point: the same numbers
    layout = offers(("a", *CENTRE, "w"), ("b", *SW_CORNER, "w"), ("c", 501700, 5790300, "o"),
                    ("aussen", 502200, 5790500, ""))
    pairs = covered_shares(west_ost, layout, 400)
    monkeypatch.setattr(coverage, "_PAIR_CHUNK", 1000)
    chunked = covered_shares(west_ost, layout, 400)
    monkeypatch.setattr(coverage, "PAIRS_PER_POINT_LIMIT", 0)
    per_point = covered_shares(west_ost, layout, 400)
    pd.testing.assert_series_equal(pairs, chunked, rtol=0, atol=1e-12)
    pd.testing.assert_series_equal(pairs, per_point, rtol=0, atol=1e-12)


def test_no_districts_no_shares():
    for method in ("raster", "puffer"):
        assert covered_shares(squares(), offers(("a", *CENTRE, "")), 300, method=method).empty


def test_unknown_method_is_an_error(west):
    with pytest.raises(ValueError, match="raster"):
        covered_shares(west, offers(), 300, method="kreise")  # type: ignore[arg-type]


def test_offer_xy_is_the_projection_of_to_crs():
    layout = offers(("a", *CENTRE, "w"), ("x", None, None, ""), ("b", *SW_CORNER, "w"))
    xy = offer_xy(layout)
    expected = layout.geometry[layout.geometry.notna()].to_crs(25832)
    assert xy == pytest.approx(np.column_stack([expected.x, expected.y]), abs=1e-9)
    assert xy == pytest.approx(np.array([CENTRE, SW_CORNER]), abs=1e-6)  # and back where they were made
    assert offer_xy(offers()).shape == (0, 2)


def test_sample_points_are_cached_per_geometry(west):
    assert sample_points(west) is sample_points(west.copy())
    assert sample_points(west) is not sample_points(squares(("w", "West", (500000, 5790000, 501000, 5791250))))


# --- grid_cells ----------------------------------------------------------------------------------------

def test_grid_of_an_aligned_square_has_16_full_cells(west):
    grid = grid_cells(west, 250)
    assert grid.crs.to_epsg() == 25832
    # 1000 m / 250 m = 4 columns × 4 rows, each 250² = 62 500 m²
    assert len(grid) == 16
    assert grid["flaeche_m2"].to_numpy() == pytest.approx(np.full(16, 62_500.0), rel=1e-9)
    assert set(grid["stadtteil_id"]) == {"w"}
    assert sorted(grid["zelle"]) == sorted(f"{c}_{r}" for c in range(4) for r in range(4))


def test_grid_of_an_offset_square_is_cut_at_its_edges():
    offset = squares(("v", "Versetzt", (500100, 5790100, 501100, 5791100)))
    grid = grid_cells(offset, 250)
    # columns 500000–500250 … 501000–501250: 5 × 5 = 25 pieces; widths 150, 250, 250, 250, 100
    assert len(grid) == 25
    assert grid["flaeche_m2"].sum() == pytest.approx(1e6, rel=1e-9)
    areas = sorted(grid["flaeche_m2"].round(3))
    # 150×150, 150×100 twice, 100×100, 150×250 ×6, 100×250 ×6, 250×250 ×9
    expected = sorted([22_500, 15_000, 15_000, 10_000] + [37_500] * 6 + [25_000] * 6 + [62_500] * 9)
    assert areas == pytest.approx(expected, abs=1e-3)


def test_cells_on_a_shared_border_are_split_between_the_districts():
    # border at x = 501100, inside the cell column 501000–501250
    pair = squares(("l", "Links", (500100, 5790100, 501100, 5791100)),
                   ("r", "Rechts", (501100, 5790100, 502100, 5791100)))
    grid = grid_cells(pair, 250)
    assert grid["flaeche_m2"].sum() == pytest.approx(2e6, rel=1e-9)
    for district in ("l", "r"):
        assert grid.loc[grid["stadtteil_id"] == district, "flaeche_m2"].sum() == pytest.approx(1e6, rel=1e-9)
    shared = grid[grid.geometry.centroid.x.between(501000, 501250)]
    # each of the 5 cells of that column is split: 100 m to "l", 150 m to "r"
    assert len(shared) == 10
    assert shared.groupby("zelle")["stadtteil_id"].apply(sorted).map(tuple).unique().tolist() == [("l", "r")]
    for district, width in (("l", 100), ("r", 150)):
        part = shared[shared["stadtteil_id"] == district]
        border = part.geometry.bounds["maxx" if district == "l" else "minx"].to_numpy()
        assert border == pytest.approx(np.full(5, 501100))
        # row heights 150 (5790100–5790250), 250, 250, 250, 100 (5791000–5791100)
        expected = sorted(width * h for h in (150, 250, 250, 250, 100))
        assert sorted(part["flaeche_m2"].round(3)) == pytest.approx(expected)
    # every piece lies in exactly its own district
    metric = pair.to_crs(25832).set_index("id").geometry
    for piece, district in zip(grid.geometry, grid["stadtteil_id"]):
        assert metric[district].buffer(1e-6).contains(piece)


# --- distances_to_nearest / gap_grid ---------------------------------------------------------------------

def cell_at(grid: gpd.GeoDataFrame, x: float, y: float) -> int:
    """Row position of the piece whose centroid is (x, y)."""
    c = grid.geometry.centroid
    hits = np.flatnonzero((np.abs(c.x - x) < 1e-3) & (np.abs(c.y - y) < 1e-3))
    assert len(hits) == 1, (x, y)
    return int(hits[0])


def test_distances_from_cell_centres_to_the_nearest_offer(west):
    grid = grid_cells(west, 250)
    dist = distances_to_nearest(grid, offers(("a", *CENTRE, "w")))
    # a full cell's point_on_surface is its centre; offer at (500500, 5790500)
    # cell 500000–500250 × 5790000–5790250, centre (500125, 5790125): √(375² + 375²) = 530.33 m
    assert dist[cell_at(grid, 500125, 5790125)] == pytest.approx(math.hypot(375, 375), abs=1e-6)
    # cell 500250–500500 × 5790250–5790500, centre (500375, 5790375): √(125² + 125²) = 176.78 m
    assert dist[cell_at(grid, 500375, 5790375)] == pytest.approx(math.hypot(125, 125), abs=1e-6)
    # cell 500750–501000 × 5790250–5790500, centre (500875, 5790375): √(375² + 125²) = 395.28 m
    assert dist[cell_at(grid, 500875, 5790375)] == pytest.approx(math.hypot(375, 125), abs=1e-6)
    assert sorted(np.round(dist, 2)) == sorted([176.78] * 4 + [395.28] * 8 + [530.33] * 4)


def test_distance_goes_to_the_nearest_of_several_offers(west):
    grid = grid_cells(west, 250)
    # an offer without a location is ignored; the corner offer is nearer to the corner cell
    dist = distances_to_nearest(grid, offers(("a", *CENTRE, "w"), ("b", *SW_CORNER, "w"), ("x", None, None, "")))
    assert dist[cell_at(grid, 500125, 5790125)] == pytest.approx(math.hypot(125, 125), abs=1e-6)
    assert dist[cell_at(grid, 500875, 5790875)] == pytest.approx(math.hypot(375, 375), abs=1e-6)


def test_distances_of_split_pieces_use_the_piece_centre():
    offset = squares(("v", "Versetzt", (500100, 5790100, 501100, 5791100)))
    grid = grid_cells(offset, 250)
    dist = distances_to_nearest(grid, offers(("a", 500600, 5790600, "v")))
    # the corner piece 500100–500250 × 5790100–5790250 (150 m × 150 m), centre (500175, 5790175):
    # √(425² + 425²) = 601.04 m from the offer in the square's centre
    assert dist[cell_at(grid, 500175, 5790175)] == pytest.approx(math.hypot(425, 425), abs=1e-6)
    # the piece 501000–501100 × 5791000–5791100 (100 m × 100 m), centre (501050, 5791050): √(450² + 450²)
    assert dist[cell_at(grid, 501050, 5791050)] == pytest.approx(math.hypot(450, 450), abs=1e-6)


def test_gap_flag_is_distance_beyond_the_radius(west):
    grid = gap_grid(west, offers(("a", *CENTRE, "w")), 400)
    # 176.78 and 395.28 m ≤ 400 m: 12 cells covered; the 4 corner cells at 530.33 m are gaps
    assert int(grid["luecke"].sum()) == 4
    assert (grid.loc[grid["luecke"], "distanz_m"] > 400).all()
    assert (grid.loc[~grid["luecke"], "distanz_m"] <= 400).all()
    assert int(gap_grid(west, offers(("a", *CENTRE, "w")), 300)["luecke"].sum()) == 12  # only the inner 4 within 300 m


def test_gap_grid_without_offers_is_infinitely_far_everywhere(west):
    grid = gap_grid(west, offers(), 300)
    assert len(grid) == 16 and np.isinf(grid["distanz_m"]).all() and grid["luecke"].all()
    assert np.isinf(distances_to_nearest(grid_cells(west), offers(("x", None, None, "")))).all()


def test_gap_grid_reuses_a_given_grid_without_changing_it(west):
    cells = grid_cells(west, 250)
    before = cells.copy()
    reused = gap_grid(west, offers(("a", *CENTRE, "w")), 400, cells=cells)
    fresh = gap_grid(west, offers(("a", *CENTRE, "w")), 400)
    pd.testing.assert_frame_equal(pd.DataFrame(reused.drop(columns="geometry")),
                                  pd.DataFrame(fresh.drop(columns="geometry")))
    assert list(cells.columns) == list(before.columns)  # no distanz_m / luecke added to the shared grid


# --- band_interval / gap_scores --------------------------------------------------------------------------

def test_band_interval():
    assert band_interval(Band(value=50.8)) == pytest.approx((0.508, 0.508))
    assert band_interval(Band(lower=45, lower_inclusive=False)) == pytest.approx((0.45, 1.0))  # "über 45 %"
    assert band_interval(Band(upper=10, upper_inclusive=False)) == pytest.approx((0.0, 0.10))  # "unter 10 %"
    assert band_interval(Band(lower=10, upper=20)) == pytest.approx((0.10, 0.20))
    assert band_interval(Band(value=0.0)) == (0.0, 0.0)
    assert band_interval(None) is None


INDICATOR_HEADER = ",".join(INDICATOR_COLUMNS)


def indicator_table(tmp_path, *lines: str) -> pd.DataFrame:
    """Rows ``id,indikator,wert,untergrenze,obergrenze,untergrenze_inklusiv,obergrenze_inklusiv`` as a
    sozialatlas.csv (read with geo.data.indicators.read_indicators, all text)."""
    rows = []
    for line in lines:
        sid, ind, wert, lo, hi, lo_inc, hi_inc = line.split(",")
        rows.append(f"{sid},{sid},{sid},{ind},%,{wert},{lo},{hi},{lo_inc},{hi_inc},Test,2018-01-01,Test,Test")
    (tmp_path / "s.csv").write_text("\n".join([INDICATOR_HEADER, *rows]) + "\n", encoding="utf-8")
    return read_indicators(tmp_path / "s.csv").indicators


def score_table(*rows) -> pd.DataFrame:
    """A coverage_table-like frame: (id, name, angebote, anteil_versorgt) plus the "nicht zugeordnet" row."""
    frame = pd.DataFrame(rows, columns=["stadtteil_id", "name", "angebote", "anteil_versorgt"])
    unassigned = pd.DataFrame([[UNASSIGNED_ID, "", 3, math.nan]], columns=frame.columns)
    return pd.concat([frame, unassigned], ignore_index=True)


def test_gap_scores_hand_computed_and_ordered(tmp_path):
    indicators = indicator_table(
        tmp_path,
        "a,kinderarmut,50.8,,,,",         # exact 50.8 %
        "b,kinderarmut,,45,,false,",      # über 45 %
        "d,kinderarmut,,10,20,true,true",  # 10–20 %
        "f,kinderarmut,,25.4,40,true,true",  # 25,4–40 %
        "c,auslaender_minderjaehrige,30,,,,",  # another indicator only: c has no need figure
    )
    table = score_table(("a", "Anna", 2, 0.5), ("b", "Berta", 1, 0.4), ("c", "Cäsar", 0, 0.0),
                        ("d", "Dora", 0, 0.0), ("e", "Emil", 1, 0.75), ("f", "Friedrich", 0, 0.0))
    scores = gap_scores(table, indicators, "kinderarmut")
    assert all(isinstance(s, GapScore) for s in scores)
    by_id = {s.stadtteil_id: s for s in scores}
    assert UNASSIGNED_ID not in by_id
    # a: 0.508 × (1 − 0.5) = 0.254 (exact, low = high)
    assert (by_id["a"].low, by_id["a"].high) == pytest.approx((0.254, 0.254))
    # b: [0.45, 1.0] × (1 − 0.4) = [0.27, 0.60]
    assert (by_id["b"].low, by_id["b"].high) == pytest.approx((0.27, 0.60))
    # d: [0.10, 0.20] × 1 = [0.10, 0.20]
    assert (by_id["d"].low, by_id["d"].high) == pytest.approx((0.10, 0.20))
    # f: [0.254, 0.40] × 1 – same lower bound as a, higher upper bound
    assert (by_id["f"].low, by_id["f"].high) == pytest.approx((0.254, 0.40))
    assert by_id["f"].low == by_id["a"].low  # 0.254 both ways in binary, so the upper bound decides
    assert by_id["b"].uncovered == pytest.approx(0.6) and by_id["b"].n_offers == 1
    # c and e have no kinderarmut figure: unranked, last, by uncovered share (c 1.0, e 0.25)
    assert by_id["c"].need is None and math.isnan(by_id["c"].low)
    # order: b (0.27) > f (0.254, up to 0.40) > a (0.254, up to 0.254) > d (0.10); then c, e
    assert [s.stadtteil_id for s in scores] == ["b", "f", "a", "d", "c", "e"]


def test_gap_scores_ties_are_broken_by_name(tmp_path):
    indicators = indicator_table(tmp_path, "x,kinderarmut,40,,,,", "y,kinderarmut,40,,,,")
    table = score_table(("y", "Alpha", 0, 0.5), ("x", "Beta", 0, 0.5))
    assert [s.name for s in gap_scores(table, indicators)] == ["Alpha", "Beta"]


def test_gap_scores_of_a_real_coverage_table(west_ost, tmp_path):
    # West: 35.29 % covered (see test_coverage_table_counts_rates_and_shares), need 20 % → 0.2 × 0.64714 = 0.1294
    # Ost: 3.09 % covered, need unknown → unranked
    indicators = indicator_table(tmp_path, "w,kinderarmut,20,,,,")
    scores = gap_scores(coverage_table(west_ost, table_offers(), 300, {}, method="puffer"), indicators)
    assert [s.stadtteil_id for s in scores] == ["w", "o"]
    assert scores[0].low == pytest.approx(0.2 * (1 - 1.25 * ngon_area(300) / 1e6), rel=1e-6)
    assert scores[0].low == pytest.approx(0.1294, abs=1e-4)
    assert scores[0].n_offers == 2 and scores[1].need is None


# --- approximate_counts / coverage_display / gap_ranking_html --------------------------------------------

def test_approximate_counts_per_district(west_ost):
    # b lies only at its Stadtteil's reference point; "aussen" (strasse) is in no district
    assert approximate_counts(west_ost, table_offers()) == {"w": 1, "o": 0}
    assert approximate_counts(west_ost, offers()) == {}


def test_coverage_display_german_numbers_and_na(west_ost):
    table = coverage_table(west_ost, table_offers(), 300, {"w": (12_345.0, "2020-12-31")}, method="puffer")
    shown = coverage_display(table, approximate_counts(west_ost, table_offers()), {"w": "50,8\u202f%"}, 800,
                             "Kinderarmut", "de")
    col = lambda key, **kw: t(f"luecken.{key}", "de", **kw)  # noqa: E731
    assert list(shown[col("spalte_stadtteil")]) == ["Ost", "West", col("nicht_zugeordnet")]  # German order
    ost, west, unassigned = (shown.iloc[i] for i in range(3))
    assert west[col("spalte_einwohner")] == "12.345"
    # 2 / 12 345 × 1000 = 0.162 → "0,16"
    assert west[col("spalte_je_1000")] == "0,16"
    # 100 × 0.352862 = 35.29 % → "35,3"; Ost: 100 × 0.030853 = 3.09 → "3,1"
    assert west[col("spalte_versorgt", gehweg="800")] == "35,3"
    assert ost[col("spalte_versorgt", gehweg="800")] == "3,1"
    assert west[col("spalte_bedarf", indikator="Kinderarmut")] == "50,8\u202f%"
    assert ost[col("spalte_bedarf", indikator="Kinderarmut")] == t("band.keine_angabe", "de")
    # unknown figures are "n/a", not 0
    for key in ("spalte_einwohner", "spalte_je_1000", "spalte_je_1000_minderjaehrige"):
        assert ost[col(key)] == "n/a", key
    assert west[col("spalte_je_1000_minderjaehrige")] == "n/a"
    assert west[col("spalte_ungefaehr")] == "1" and ost[col("spalte_ungefaehr")] == "0"
    assert unassigned[col("spalte_angebote")] == "2"
    assert unassigned[col("spalte_einwohner")] == "" and unassigned[col("spalte_versorgt", gehweg="800")] == ""
    assert all(d is object or d == "object" for d in shown.dtypes) or all(pd.api.types.is_string_dtype(d) for d in shown.dtypes)


HOSTILE = "<script>alert(1)</script>"


def test_gap_ranking_html_escapes_names_and_separates_unranked(tmp_path):
    indicators = indicator_table(tmp_path, "a,kinderarmut,50.8,,,,", "b,kinderarmut,,45,,false,")
    table = score_table(("a", HOSTILE, 2, 0.5), ("b", "Berta", 1, 0.4), ("c", "Cäsar <b>", 0, 0.0))
    html = gap_ranking_html(gap_scores(table, indicators), 800, "Kinderarmut", "%", "de")
    assert HOSTILE not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Cäsar &lt;b&gt;" in html
    ranked = html[html.index("<ol"):html.index("</ol>")]
    unranked = html[html.index("<ul"):html.index("</ul>")]
    assert ranked.count("<li>") == 2 and unranked.count("<li>") == 1
    # b (0.27–0.6) before a (0.254 → "0,25"); the range of b is shown, a single value for a
    assert ranked.index("Berta") < ranked.index("&lt;script&gt;")
    assert "0,27–0,6" in ranked and "Lückenwert 0,25 " in ranked
    assert "über 45\u202f%" in ranked and "50,8\u202f%" in ranked
    assert "Cäsar" in unranked and "Cäsar" not in ranked


def test_gap_ranking_html_without_unranked_has_no_list():
    html = gap_ranking_html([GapScore("a", "A", Band(value=10.0), 0.1, 0.1, 1.0, 0)], 800, "K", "%", "de")
    assert html.startswith('<ol class="qk-rangfolge">') and "<ul" not in html


def test_population_given_only_as_a_band_is_unknown_not_a_crash(tmp_path, west_ost):
    from geo.analysis.overview import latest_population

    header = ",".join(INDICATOR_COLUMNS)
    (tmp_path / "s.csv").write_text(
        header + "\nw,West,West,einwohner,Anzahl,,1000,2000,true,true,1000 bis 2000,2020-12-31,Test,Test\n",
        encoding="utf-8")
    load = read_indicators(tmp_path / "s.csv", {"w", "o"})
    assert load.problems == []  # the file is accepted
    population = latest_population(load.indicators)
    assert "w" not in population  # a band is not an exact population
    assert math.isnan(coverage_table(west_ost, offers(), 300, population).loc[0, "je_1000_einwohner"])
