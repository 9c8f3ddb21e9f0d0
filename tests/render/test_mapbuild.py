"""geo.render.mapbuild: layers, escaping, local assets, legend."""
import json
import re

import folium
import pandas as pd
from conftest import HEADER, metric_point_as_latlon, offer_line

from geo.analysis.join import assign_districts
from geo.config import HANDLUNGSFELDER
from geo.data.indicators import Band
from geo.data.offers import parse_offers
from geo.i18n import t
from geo.render.mapbuild import MapOptions, OfferLayer, band_colours, build_map, offer_rows

HOSTILE = "<img src=x onerror=alert(1)>"


def offers_for(two_squares, *specs):
    lines = [offer_line(i, name, *metric_point_as_latlon(490500, 5794500), handlungsfeld=hf) for i, name, hf in specs]
    return assign_districts(parse_offers("\n".join([HEADER, *lines])).offers, two_squares).offers


def render(fmap: folium.Map) -> str:
    return fmap.get_root().render()


def layers(fmap):
    return [c for c in fmap._children.values() if isinstance(c, OfferLayer)]


def test_one_layer_per_handlungsfeld_with_its_offers(two_squares):
    offers = offers_for(two_squares, ("a", "Kurs", "Bildung"), ("b", "Treff", "Zusammenleben und Teilhabe"),
                        ("c", "Kurs 2", "Bildung"))
    fmap = build_map(two_squares, offers)
    found = layers(fmap)
    assert len(found) == len(HANDLUNGSFELDER) == 4
    assert [len(layer.data) for layer in found] == [1, 2, 0, 0]
    assert [re.sub(r"<span[^>]*>\w</span>", "", layer.layer_name) for layer in found] == [
        "Zusammenleben und Teilhabe (1)", "Bildung (2)", "Arbeitsmarktintegration (0)", "Wohnen (0)"]
    assert any(isinstance(c, folium.LayerControl) for c in fmap._children.values())


def test_hostile_offer_text_never_appears_as_markup(two_squares):
    offers = offers_for(two_squares, ("a", HOSTILE, "Bildung"))
    html = render(build_map(two_squares, offers))
    assert HOSTILE not in html
    assert "onerror=alert(1)" in html  # present, but only inside escaped JSON data
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html


def test_hostile_district_name_is_escaped_in_tooltip(two_squares):
    districts = two_squares.assign(name=["<b>West</b>", "Ost"])
    html = render(build_map(districts, offers_for(two_squares)))
    assert "<b>West</b>" not in html
    assert "\\u0026lt;b\\u0026gt;West\\u0026lt;/b\\u0026gt;" in html or "&lt;b&gt;West&lt;/b&gt;" in html


def test_all_assets_are_local_and_no_tiles_by_default(two_squares):
    html = render(build_map(two_squares, offers_for(two_squares, ("a", "Kurs", "Bildung"))))
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links and all(link.startswith("app/static/") for link in links)
    assert "tileLayer" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "https://cdn" not in html


def test_map_loads_no_jquery_and_its_script_never_calls_it(two_squares):
    """jQuery (87 KB) was loaded and parsed before every map, though only folium's HTML popups and "objects in
    front" call it: the maps use neither (the choropleth, the focus and the locate button included)."""
    from geo.render.mapbuild import MapFocus, add_focus

    fmap = add_focus(build_map(two_squares, offers_for(two_squares, ("a", "Kurs", "Bildung")), None,
                               MapOptions(locate=True)), MapFocus(location=(52.29, 8.91), offer_id="a"))
    html = render(fmap)
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links and not [link for link in links if "jquery" in link.lower()]
    assert "$(" not in html and "jQuery" not in html


def test_tile_server_is_a_setting(two_squares):
    from geo.config import TileSettings
    fmap = build_map(two_squares, offers_for(two_squares), options=MapOptions(tiles=TileSettings("/tiles/{z}/{x}/{y}.png", "© Test")))
    assert "/tiles/{z}/{x}/{y}.png" in render(fmap)


def test_schematic_note_and_choropleth_legend(two_squares):
    import pandas as pd
    indicators = pd.DataFrame([
        dict(stadtteil_id="west", stadtteil="West", gebiet="West", indikator="kinderarmut", einheit="%", wert="",
             untergrenze="45", obergrenze="", untergrenze_inklusiv="false", obergrenze_inklusiv="", angabe="mehr als 45%",
             stichtag="2018", quelle="q", methode="m")])
    html = render(build_map(two_squares, offers_for(two_squares), indicators, MapOptions(indicator="kinderarmut")))
    assert "Stadtteilgrenzen schematisch" in html
    # the legend reaches the page as JSON text
    assert json.dumps("über 45\u202f%")[1:-1] in html and "keine Angabe" in html


def test_band_colours_light_to_dark():
    colours = band_colours([Band(value=50.8), Band(upper=10), Band(lower=10, upper=20)])
    assert [colours[b] for b in (Band(upper=10), Band(lower=10, upper=20), Band(value=50.8))] == ["#fee8c8", "#fc8d59", "#7f0000"]


def test_offer_rows_follow_the_browser_field_order(two_squares):
    offers = offers_for(two_squares, ("a", "Kurs", "Bildung"))
    row = offer_rows(offers)[0]
    # the offer id is last: QK.focus finds the marker chosen in the nearest-offers list by it
    assert row[2] == "Kurs" and row[5] == "West" and row[6] == "adresse" and row[12] == "a" and len(row) == 13


def test_pack_rows_stores_each_text_once_and_rounds_coordinates():
    from geo.render.mapbuild import pack_rows

    rows = [[52.123456789, 8.9, "A", "Stadt Minden", "", "2020"], [52.2, 8.987654321, "B", "Stadt Minden", "", "2020"]]
    assert pack_rows(rows) == {"s": ["A", "Stadt Minden", "", "2020", "B"],
                               "r": [[52.123457, 8.9, 0, 1, 2, 3], [52.2, 8.987654, 4, 1, 2, 3]]}


def test_script_json_keeps_template_syntax_and_script_end_out():
    from geo.render.mapbuild import script_json

    text = script_json({"a": ["{{ x }}", "{% raw %}", "{#", "</script>", "{ok}"]})
    assert "{{" not in text and "{%" not in text and "{#" not in text and "</" not in text
    assert json.loads(text) == {"a": ["{{ x }}", "{% raw %}", "{#", "</script>", "{ok}"]}


def test_the_popup_says_how_current_an_offer_is_in_words():
    from geo.render.data_text import stand_text

    assert stand_text(pd.Series({"zuletzt_geprueft": "", "stand_quelle": "2024-06"})) == \
        "2024-06 (laut Quelle, beim Träger nicht bestätigt)"
    assert stand_text(pd.Series({"zuletzt_geprueft": "2026-12-01", "stand_quelle": "2024-06"}), "en") == \
        "confirmed with the provider on 2026-12-01"
    assert stand_text(pd.Series({"zuletzt_geprueft": "", "stand_quelle": "undatiert"}), "ar") == t("stand.undatiert", "ar")
    assert stand_text(pd.Series({"zuletzt_geprueft": "", "stand_quelle": ""})) == ""
