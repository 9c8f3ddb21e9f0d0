"""geo.analysis.join: point in polygon on hand-made squares (EPSG:25832)."""
from conftest import HEADER, metric_point_as_latlon, offer_line

from geo.analysis.join import assign_districts, offer_counts
from geo.data.offers import parse_offers


def offers_at(*points):
    lines = [offer_line(name, name, *metric_point_as_latlon(x, y), handlungsfeld=hf, stadtteil=stated)
             for name, x, y, hf, stated in points]
    return parse_offers("\n".join([HEADER, *lines]), "t.csv").offers


def test_points_get_the_district_that_contains_them(two_squares):
    offers = offers_at(("a", 490500, 5794500, "Bildung", "West"), ("b", 491500, 5794500, "Wohnen", "Ost"),
                       ("c", 491999, 5794001, "Bildung", ""))
    result = assign_districts(offers, two_squares, "t.csv")
    assert list(result.offers["stadtteil_id"]) == ["west", "east", "east"]
    assert list(result.offers["stadtteil_name"]) == ["West", "Ost", "Ost"]
    assert result.outside.empty and result.problems == []
    assert result.offers.crs.to_epsg() == 4326


def test_outside_offer_is_kept_and_reported(two_squares):
    offers = offers_at(("weit", 495000, 5794500, "Bildung", ""))
    result = assign_districts(offers, two_squares, "t.csv")
    assert list(result.outside["id"]) == ["weit"] and len(result.offers) == 1
    assert str(result.problems[0]) == "t.csv, Zeile 2, Spalte „lat“: „weit“ liegt in keinem Stadtteil-Polygon."


def test_point_on_shared_border_goes_to_first_district_once(two_squares):
    offers = offers_at(("rand", 491000, 5794500, "Bildung", ""))
    result = assign_districts(offers, two_squares)
    assert list(result.offers["stadtteil_id"]) in (["west"], ["east"])
    assert len(result.offers) == 1


def test_stated_district_differing_from_polygon_gives_notice(two_squares):
    result = assign_districts(offers_at(("a", 490500, 5794500, "Bildung", "Ost")), two_squares, "t.csv")
    assert result.problems[0].meldung == "„a“: angegeben „Ost“, die Koordinate liegt aber in „West“."


def test_offer_counts_per_district_and_field(two_squares):
    offers = offers_at(("a", 490500, 5794500, "Bildung", ""), ("b", 490600, 5794500, "Bildung", ""),
                       ("c", 491500, 5794500, "Wohnen", ""))
    joined = assign_districts(offers, two_squares).offers
    counts = offer_counts(joined, two_squares, ["Bildung", "Wohnen", "Arbeitsmarktintegration"])
    assert counts.to_dict("index") == {
        "west": {"Bildung": 2, "Wohnen": 0, "Arbeitsmarktintegration": 0, "gesamt": 2},
        "east": {"Bildung": 0, "Wohnen": 1, "Arbeitsmarktintegration": 0, "gesamt": 1},
    }
