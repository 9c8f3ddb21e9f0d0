"""geo.render.offer_view: offer text stays text; only a checked website becomes a link."""
import re

import pytest

from geo.render.offer_view import offer_card_html
from geo.text import safe_http_url, tel_href


def links(html_text: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', html_text)


@pytest.mark.parametrize("value, expected", [
    ("https://www.caritas-minden.de/beratung", "https://www.caritas-minden.de/beratung"),
    ("http://www.stadtbibliothek.minden.de", "http://www.stadtbibliothek.minden.de"),
    ("HTTPS://jhgs-minden.de", "HTTPS://jhgs-minden.de"),
    ("javascript:alert(1)", None),
    ("www.caritas-minden.de", None),          # no scheme: shown as text, not guessed
    ("https://", None),
    ('https://x.de/" onmouseover="alert(1)', None),
    ("https://x.de/a b", None),
    ('=HYPERLINK("http://evil","x")', None),
    ("", None),
])
def test_safe_http_url(value, expected):
    assert safe_http_url(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("0571 837910", "tel:+49571837910"),
    ("0571/9726264 (huculvi.de, undatiert)", "tel:+495719726264"),
    ("0571 829 08 16 (St. Marien); 0571 269 93 (Petri)", "tel:+495718290816"),
    ("+49 571 89679", "tel:+4957189679"),
    ("807-16000", None),                      # no area code: cannot be dialled from a mobile phone as written
    ("ruf mich an", None),
])
def test_tel_href(value, expected):
    assert tel_href(value) == expected


def test_website_is_the_only_link_and_keeps_its_exact_address():
    offer = {"name": "Caritas", "handlungsfeld": "Zusammenleben und Teilhabe",
             "website": "https://www.caritas-minden.de/hilfe-und-beratung/migration",
             "beschreibung": "Mehr unter https://evil.example/phish und www.evil.example"}
    html_text = offer_card_html(offer)
    # the backslash escaping of Markdown broke this link before (href "https://www%5C.caritas%5C-minden…")
    assert links(html_text) == ["https://www.caritas-minden.de/hilfe-und-beratung/migration"]
    assert "Mehr unter https://evil.example/phish und www.evil.example" in html_text


def test_formula_and_markup_in_text_fields_stay_text():
    offer = {"name": "<img src=x onerror=alert(1)>", "handlungsfeld": "Bildung",
             "traeger": '=HYPERLINK("http://evil","x")', "adresse": "[klick](http://evil)",
             "website": "javascript:alert(1)"}
    html_text = offer_card_html(offer)
    assert links(html_text) == []
    assert "<img" not in html_text and "&lt;img src=x onerror=alert(1)&gt;" in html_text
    assert "=HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)" in html_text
    assert "[klick](http://evil)" in html_text
    assert "javascript:alert(1)" in html_text  # shown, not linked


def test_status_precision_and_source_date_are_shown():
    offer = {"name": "KIZ", "handlungsfeld": "Zusammenleben und Teilhabe", "lage_genauigkeit": "stadtteil",
             "status": "umgezogen", "stand_quelle": "2019-05", "quelle": "owl-journal.de", "hinweis": "früher Am Markt"}
    html_text = offer_card_html(offer)
    assert "Umgezogen laut Quelle" in html_text
    assert "nur der Stadtteil ist bekannt" in html_text
    assert "Stand laut Quelle: 2019-05 · Quelle: owl-journal.de" in html_text
    assert "Hinweis: früher Am Markt" in html_text


def test_offer_text_is_marked_german_inside_an_english_page():
    html_text = offer_card_html({"name": "Sprachcafé", "handlungsfeld": "Bildung"}, "en")
    assert '<h3><span lang="de" dir="ltr">Sprachcafé</span></h3>' in html_text
    assert "<strong>Education</strong>" in html_text
