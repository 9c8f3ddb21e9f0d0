"""geo.analysis.nearest: straight-line metres in EPSG:25832, walking minutes, order and ties.

The offers are placed in EPSG:25832 metres around a query point Q = (495000, 5795000) (Minden's centre),
so every expected distance is a hand-computed hypot; the functions receive EPSG:4326 lon/lat.
"""
import math

import geopandas as gpd
import numpy as np
import pytest
from conftest import HEADER, offer_line
from pyproj import Geod, Transformer
from shapely.geometry import Point

from geo.analysis.nearest import (
    DETOUR_FACTOR,
    DISTANCE_COLUMN,
    MINUTES_COLUMN,
    WALK_SPEED_KMH,
    distance_m,
    nearest_offers,
    offer_points,
    round_distance_m,
    to_metric,
    walking_minutes,
    within,
)

QX, QY = 495000.0, 5795000.0
_TO_LONLAT = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """(lon, lat) of an EPSG:25832 point, via pyproj directly (independent of geo.analysis.nearest)."""
    lon, lat = _TO_LONLAT.transform(x, y)
    return float(lon), float(lat)


QLON, QLAT = lonlat(QX, QY)


def metric_offers(rows: list[tuple[str, tuple[float, float] | None]]) -> gpd.GeoDataFrame:
    """Offers with the given ids at EPSG:25832 offsets (dx, dy) from Q (``None`` = no location), in EPSG:4326."""
    geoms = [None if off is None else Point(QX + off[0], QY + off[1]) for _, off in rows]
    frame = gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "name": [f"Angebot {r[0]}" for r in rows],
         "lage_genauigkeit": ["unbekannt" if off is None else "adresse" for _, off in rows]},
        geometry=gpd.GeoSeries(geoms, crs="EPSG:25832"), crs="EPSG:25832")
    return frame.to_crs("EPSG:4326")


@pytest.fixture
def offers() -> gpd.GeoDataFrame:
    # table order deliberately not the distance order
    return metric_offers([
        ("west1000", (-1000, 0)),    # hypot(1000, 0) = 1000 m
        ("diag500", (300, 400)),     # hypot(300, 400) = 500 m (3-4-5 triangle)
        ("ohne_ort", None),          # lage_genauigkeit "unbekannt": no geometry
        ("ost300", (300, 0)),        # 300 m
        ("nord400", (0, 400)),       # 400 m
    ])


# --- walking_minutes ---------------------------------------------------------------------------------------------

def test_constants_are_the_stated_assumptions():
    assert WALK_SPEED_KMH == 4.5 and DETOUR_FACTOR == 1.3  # 4.5 km/h = 75 m/min


@pytest.mark.parametrize("metres, minutes", [
    (0, 0),          # 0 m → 0 min
    (75, 2),         # 75 × 1.3 / 75 = 1.3 → ceil 2
    (750, 13),       # 750 × 1.3 / 75 = 13.0 exactly → 13 (not 14 from float noise 13.000000000000002)
    (100, 2),        # 100 × 1.3 / 75 = 1.733 → 2
    (300, 6),        # 300 × 1.3 / 75 = 5.2 → 6
    (400, 7),        # 400 × 1.3 / 75 = 6.933 → 7
    (500, 9),        # 500 × 1.3 / 75 = 8.667 → 9
    (1000, 18),      # 1000 × 1.3 / 75 = 17.333 → 18
    (1500, 26),      # 1500 × 1.3 / 75 = 26.0 exactly → 26
])
def test_walking_minutes_scalar(metres, minutes):
    result = walking_minutes(metres)
    assert result == minutes
    assert isinstance(result, int)


def test_walking_minutes_array():
    result = walking_minutes(np.array([0.0, 75.0, 750.0, 100.0]))
    assert isinstance(result, np.ndarray)
    assert result.tolist() == [0, 2, 13, 2]  # as in the scalar cases above
    assert result.dtype.kind == "i"


# --- nearest_offers ----------------------------------------------------------------------------------------------

def test_nearest_offers_order_distances_and_minutes(offers):
    result = nearest_offers(offers, QLON, QLAT)
    assert list(result["id"]) == ["ost300", "nord400", "diag500", "west1000"]
    assert result[DISTANCE_COLUMN].tolist() == pytest.approx([300, 400, 500, 1000], abs=0.01)
    assert result[MINUTES_COLUMN].tolist() == [6, 7, 9, 18]  # ceil(d × 1.3 / 75), see the parametrized cases
    assert "ohne_ort" not in set(result["id"])
    # the rows keep their labels in the original table (the caller looks them up there)
    assert list(result.index) == [3, 4, 1, 0]
    assert result.crs == offers.crs


def test_nearest_offers_k_limits(offers):
    assert list(nearest_offers(offers, QLON, QLAT, k=2)["id"]) == ["ost300", "nord400"]
    assert list(nearest_offers(offers, QLON, QLAT, k=1)["id"]) == ["ost300"]
    # more than there are located offers: all four located ones
    assert list(nearest_offers(offers, QLON, QLAT, k=50)["id"]) == ["ost300", "nord400", "diag500", "west1000"]


def test_nearest_offers_k_none_returns_all_located(offers):
    result = nearest_offers(offers, QLON, QLAT, k=None)
    assert list(result["id"]) == ["ost300", "nord400", "diag500", "west1000"]


def test_nearest_offers_from_another_point(offers):
    # from 1000 m west of Q, i.e. at the offer west1000: itself 0 m, ost300 at 1300 m,
    # nord400 at hypot(1000, 400) = 1077.033 m, diag500 at hypot(1300, 400) = 1360.147 m
    lon, lat = lonlat(QX - 1000, QY)
    result = nearest_offers(offers, lon, lat, k=None)
    assert list(result["id"]) == ["west1000", "nord400", "ost300", "diag500"]
    assert result[DISTANCE_COLUMN].tolist() == pytest.approx(
        [0, math.hypot(1000, 400), 1300, math.hypot(1300, 400)], abs=0.01)
    # 1077.033 × 1.3 / 75 = 18.67 → 19; 1300 × 1.3 / 75 = 22.53 → 23; 1360.147 × 1.3 / 75 = 23.58 → 24
    assert result[MINUTES_COLUMN].tolist() == [0, 19, 23, 24]


def test_precomputed_points_give_the_same_result(offers):
    points = offer_points(offers)
    assert len(points) == 4  # the unlocated offer is not projected
    a = nearest_offers(offers, QLON, QLAT, k=3)
    b = nearest_offers(offers, QLON, QLAT, k=3, points=points)
    assert list(a["id"]) == list(b["id"]) == ["ost300", "nord400", "diag500"]
    assert a[DISTANCE_COLUMN].tolist() == b[DISTANCE_COLUMN].tolist()


@pytest.mark.filterwarnings("ignore:GeoSeries.notna:UserWarning")  # raised inside geo.analysis.join.has_location
def test_empty_geometry_counts_as_no_location():
    frame = metric_offers([("a", (300, 0)), ("b", (0, 400))])
    frame.loc[1, "geometry"] = Point()  # an empty point, not None
    assert list(nearest_offers(frame, QLON, QLAT)["id"]) == ["a"]


def test_ties_keep_table_order_when_all_are_returned():
    # three offers in one building (identical coordinates) 200 m east, one at 100 m north
    frame = metric_offers([("c", (200, 0)), ("a", (200, 0)), ("n", (0, 100)), ("b", (200, 0))])
    assert list(nearest_offers(frame, QLON, QLAT, k=None)["id"]) == ["n", "c", "a", "b"]
    assert list(nearest_offers(frame, QLON, QLAT, k=4)["id"]) == ["n", "c", "a", "b"]
    assert list(nearest_offers(frame, QLON, QLAT, k=10)["id"]) == ["n", "c", "a", "b"]


def test_ties_at_the_k_cut_keep_table_order():
    # table: a 200 m east, b at (200, 200) = 282.8 m, c and d both 100 m north (same point)
    # nearest first: c (100, first in table), d (100), a (200), b (282.8) → k=1 must be c
    frame = metric_offers([("a", (200, 0)), ("b", (200, 200)), ("c", (0, 100)), ("d", (0, 100))])
    assert list(nearest_offers(frame, QLON, QLAT, k=None)["id"]) == ["c", "d", "a", "b"]
    assert list(nearest_offers(frame, QLON, QLAT, k=1)["id"]) == ["c"]  # got ["d"]


def test_empty_input_and_no_located_offers(offers):
    empty = offers.iloc[0:0]
    result = nearest_offers(empty, QLON, QLAT)
    assert result.empty
    assert DISTANCE_COLUMN in result and MINUTES_COLUMN in result
    unlocated = offers[offers["id"] == "ohne_ort"]
    result = nearest_offers(unlocated, QLON, QLAT, k=None)
    assert result.empty and DISTANCE_COLUMN in result
    assert len(offer_points(empty)) == 0


def test_k_zero_gives_nothing(offers):
    assert nearest_offers(offers, QLON, QLAT, k=0).empty


def test_offers_from_the_project_loader():
    from conftest import metric_point_as_latlon

    from geo.data.offers import parse_offers

    lines = [offer_line("fern", "Fern", *metric_point_as_latlon(QX - 1000, QY)),
             offer_line("nah", "Nah", *metric_point_as_latlon(QX + 300, QY)),
             offer_line("irgendwo", "Irgendwo", 52.29, 8.91, lage="unbekannt")]  # coordinate not used
    load = parse_offers("\n".join([HEADER, *lines]))
    assert load.errors == []
    result = nearest_offers(load.offers, QLON, QLAT, k=None)
    assert list(result["id"]) == ["nah", "fern"]
    assert result[DISTANCE_COLUMN].tolist() == pytest.approx([300, 1000], abs=0.05)  # lat/lon written with 6 decimals


def test_within(offers):
    result = nearest_offers(offers, QLON, QLAT, k=None)
    assert list(within(result, 500)["id"]) == ["ost300", "nord400", "diag500"]  # 500 m itself counts
    assert list(within(result, 399)["id"]) == ["ost300"]
    assert within(result, 100).empty


# --- round_distance_m, distance_m --------------------------------------------------------------------------------

@pytest.mark.parametrize("metres, shown", [
    (1234, 1250),    # above 1 km to 50 m: 1234 / 50 = 24.68 → 25 × 50
    (987, 990),      # below 1 km to 10 m: 98.7 → 99 × 10
    (347, 350),      # 34.7 → 35
    (344, 340),      # 34.4 → 34
    (0, 0),
    (1320, 1300),    # 26.4 → 26 × 50
    (1000, 1000),
    (2480, 2500),    # 49.6 → 50 × 50
])
def test_round_distance_m(metres, shown):
    assert round_distance_m(metres) == shown
    assert isinstance(round_distance_m(metres), int)


def test_distance_m_is_symmetric_and_the_metric_hypot():
    a = lonlat(QX, QY)
    b = lonlat(QX + 300, QY + 400)
    assert distance_m(*a, *b) == pytest.approx(500, abs=0.01)  # hypot(300, 400)
    assert distance_m(*a, *b) == pytest.approx(distance_m(*b, *a), abs=1e-9)
    assert distance_m(*a, *a) == pytest.approx(0, abs=1e-6)
    x, y = to_metric(*b)
    assert (x, y) == pytest.approx((QX + 300, QY + 400), abs=0.001)


def test_distance_is_metres_not_degrees():
    # 0.01° of longitude at 52.3° N: about 111,320 m × cos(52.3°) × 0.01 ≈ 681 m on the ellipsoid.
    lon_a, lon_b, lat = 8.90, 8.91, 52.3
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    (xa, ya), (xb, yb) = to_utm.transform(lon_a, lat), to_utm.transform(lon_b, lat)
    reference = math.hypot(xb - xa, yb - ya)
    geodesic = Geod(ellps="GRS80").inv(lon_a, lat, lon_b, lat)[2]
    assert 675 < reference < 685 and 675 < geodesic < 685
    result = distance_m(lon_a, lat, lon_b, lat)
    assert result == pytest.approx(reference, abs=0.01)
    # near the UTM 32N central meridian (9° E) grid and ellipsoid distances agree to better than 0.1 %
    assert result == pytest.approx(geodesic, rel=1e-3)
    assert result != pytest.approx(0.01, abs=1)
