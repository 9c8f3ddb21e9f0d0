"""The handout follows what the resident chose (issue 25 §5) and marks every data text (§1, PDFs):

* only offers matching her filter, per chosen Handlungsfeld, the choice named on the page, and a QR link that
  carries the filter;
* the hours column prints the hours or "unbekannt", and every offer has its date ("Stand") as the data gives it;
* one distance rule for the nearest list and the PDF: an offer known only by her own district is "in your
  district", never "0 m" (list) or "ca. 40 m" (PDF, measured from the rounded location);
* every data text (offer fields, place and district names, sources) sits in ``<bdi lang="de" dir="ltr">``, also
  inside a translated sentence, so that an Arabic or Persian handout keeps its punctuation.

Expected names and values are hand-checked in ``data/angebote.csv``. The PDF tests are slow (WeasyPrint renders,
pypdf reads the text, zxing reads the QR code); the HTML tests run in the quick loop.
"""
from __future__ import annotations

from datetime import date, datetime
from html.parser import HTMLParser

import pytest

from geo.analysis.filters import OfferFilter, apply_filter
from geo.analysis.join import has_location
from geo.analysis.location import Location
from geo.analysis.nearest import IN_DISTRICT_COLUMN, district_at, nearest_offers
from geo.config import load_settings
from geo.data.attributes import TIMEZONE
from geo.dataset import load_dataset
from geo.i18n import t
from geo.render.offer_view import nearest_item_html
from geo.render.poster import filter_summary_html, handout_html, handout_pdf, poster_html

BASE = "https://karte.example.org"  # a public address: a local one gets no QR code (test_poster_paper.py)
TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=TIMEZONE)  # a Tuesday afternoon
BAERENKAEMPEN = Location(52.304722, 8.888333, "ort", "Bärenkämpen", "stadtteil")
"""The place "Bärenkämpen" of the location search: the district's reference point, where the offers known only
by this district stand. A link rounds it to 52.305,8.888 (38 m away)."""
CHOICE = OfferFilter(handlungsfelder=("Bildung",), zielgruppen=("kinder",), kostenlos=True, jetzt_offen=True)
"""Education, for children, free, open now: the issue's example."""
CHOSEN_NAMES = ["Kita Sieben Bauern", "Nachhilfe der Tafel",
                "Internationale Sprachfördergruppe an der Kurt-Tucholsky-Gesamtschule"]
"""The three nearest Bildung offers for children that are not known to cost or to be closed (none of the five
located ones states its cost or hours, so all stay in, marked); the fourth and fifth, Stadtbibliothek Minden
(same point as the Sprachfördergruppe, later in the table) and Kita Rodenbeck, are beyond three per field."""
IN_DISTRICT = "In Ihrem Stadtteil – der genaue Ort ist nicht bekannt"


def _de(text: str) -> str:
    from html import escape

    return f'<bdi lang="de" dir="ltr">{escape(text)}</bdi>'


@pytest.fixture(scope="module")
def data():
    return load_dataset(load_settings({}))


# --- HTML: quick ------------------------------------------------------------------------------------------

class _Marked(HTMLParser):
    """Splits a document's text into what lies inside an isolating ``<bdi dir>`` (German data text
    ``<bdi lang="de" dir="ltr">``, web addresses and dates ``<bdi dir="ltr">``) and what does not, and collects
    every ``<bdi>``'s attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.inside: list[str] = []
        self.outside: list[str] = []
        self.bdis: list[dict[str, str | None]] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "title", "script"):
            self.skip += 1
        if tag == "bdi":
            attributes = dict(attrs)
            self.bdis.append(attributes)
            self.stack.append(attributes.get("dir") in ("ltr", "rtl"))

    def handle_endtag(self, tag):
        if tag in ("style", "title", "script"):
            self.skip -= 1
        if tag == "bdi":
            self.stack.pop()

    def handle_data(self, text):
        if not self.skip:
            (self.inside if any(self.stack) else self.outside).append(text)


def marked(document: str) -> _Marked:
    parser = _Marked()
    parser.feed(document)
    return parser


def test_handout_lists_only_offers_matching_the_choice(data):
    document = handout_html(data, BAERENKAEMPEN, "de", BASE, TODAY, CHOICE, NOW)
    text = marked(document)
    listed = [f"<strong>{_de(n)}</strong>" for n in data.offers["name"]]
    names = sorted((n for n, tag in zip(data.offers["name"], listed) if tag in document),
                   key=lambda n: document.index(f"<strong>{_de(n)}</strong>"))
    # only the chosen offers, nearest first; Jobcenter and Wärmestube (in the handout) are gone
    assert names == CHOSEN_NAMES
    assert "Jobcenter" not in document and "Wärmestube" not in document
    # only the chosen Handlungsfeld has a heading
    headings = [t(f"handlungsfeld.{key}") for key in ("bildung", "arbeit", "wohnen", "zusammenleben")]
    assert [h for h in headings if f"</span>{h}</h2>" in document] == ["Bildung"]
    # and the choice is named on the page, with the moment "open now" refers to
    assert "Ihre Auswahl: Bildung · Kinder · kostenlos · geöffnet am " in "".join(text.outside)
    assert '<bdi dir="ltr">01.12.2026</bdi> um <bdi dir="ltr">14:00</bdi> Uhr' in document


def test_open_now_needs_the_time(data):
    with pytest.raises(ValueError, match="now"):
        handout_html(data, BAERENKAEMPEN, "de", BASE, TODAY, CHOICE)


def test_choice_in_words_names_every_criterion_and_marks_data_text(data):
    flt = OfferFilter(handlungsfelder=("Wohnen", "Bildung"), zielgruppen=("frauen",), sprachen=("Arabisch",),
                      stadtteil_ids=("baerenkaempen",), barrierefrei=True, nur_belegt=True, text="شقة Miete")
    summary = filter_summary_html(flt, "de", data.districts, NOW)
    assert summary == ('Bildung · Wohnen · Frauen und Mädchen · Sprache: <bdi lang="de" dir="ltr">Arabisch</bdi> · '
                       'Stadtteil <bdi lang="de" dir="ltr">Bärenkämpen</bdi> · barrierefrei · '
                       'nur Angebote mit passender Angabe · Suche: <bdi dir="rtl">شقة Miete</bdi>')
    assert filter_summary_html(OfferFilter(), "ar") == t("handzettel.alle", "ar")
    # all Handlungsfelder chosen is no restriction; a hostile search text is escaped
    every = OfferFilter(handlungsfelder=("Bildung", "Arbeitsmarktintegration", "Wohnen", "Zusammenleben und Teilhabe"),
                        text="<b>x</b>")
    assert filter_summary_html(every, "de") == 'Suche: <bdi dir="ltr">&lt;b&gt;x&lt;/b&gt;</bdi>'


def test_hours_column_prints_the_hours_or_unknown(data):
    # at Königstor's reference point the three nearest Zusammenleben offers include the Tafel, the one offer
    # with opening hours in the data ("Tu,Fr 09:00-12:00,12:30-14:30"); the other two have none
    koenigstor = data.offers.loc[data.offers["name"] == "Mindener Tafel – Lebensmittelausgabe"].iloc[0].geometry
    location = Location(koenigstor.y, koenigstor.x, "karte")
    flt = OfferFilter(handlungsfelder=("Zusammenleben und Teilhabe",))
    for lang in ("de", "ar"):
        document = handout_html(data, location, lang, BASE, TODAY, flt)
        label = t("popup.zeiten", lang)
        assert document.count(f'{label}: <bdi lang="de" dir="ltr">Tu,Fr 09:00-12:00,12:30-14:30</bdi>') == 1
        assert document.count(f"{label}: {t('handzettel.zeiten_unbekannt', lang)}") == 2, lang


def test_every_offer_has_its_date_as_the_data_gives_it(data):
    """Each offer's "Stand": the source's date and the last check, each named, as far as the data has them."""
    from dataclasses import replace

    offers = data.offers.copy()
    dates = {"Kita Sieben Bauern": ("2024-12", "2026-11"), "Nachhilfe der Tafel": ("2020", ""),
             "Internationale Sprachfördergruppe an der Kurt-Tucholsky-Gesamtschule": ("", "")}
    for name, (source, checked) in dates.items():
        offers.loc[offers["name"] == name, ["stand_quelle", "zuletzt_geprueft"]] = [source, checked]
    document = handout_html(replace(data, offers=offers), BAERENKAEMPEN, "de", BASE, TODAY, CHOICE, NOW)
    assert f"<th>{t('handzettel.stand')}</th>" in document
    rows = document.split("<tr>")[1:]
    stands = [row.split('<td class="stand">')[1].split("</td>")[0] for row in rows if '<td class="stand">' in row]
    assert stands == ['laut Quelle: <bdi dir="ltr">2024-12</bdi><br>zuletzt geprüft: <bdi dir="ltr">2026-11</bdi>',
                      'laut Quelle: <bdi dir="ltr">2020</bdi>',
                      "unbekannt"]
    arabic = handout_html(replace(data, offers=offers), BAERENKAEMPEN, "ar", BASE, TODAY, CHOICE, NOW)
    assert t("handzettel.stand_quelle", "ar", datum='<bdi dir="ltr">2020</bdi>') in arabic


def test_one_distance_rule_for_the_nearest_list_and_the_handout(data):
    """The issue: the list said "about 0 m / 0 minutes" for offers at the district point she chose, the PDF
    "40 m". Both now say "in your district"; offers known only by another district keep their "ca." distance."""
    assert district_at(data.districts, BAERENKAEMPEN.lon, BAERENKAEMPEN.lat) == "baerenkaempen"
    assert district_at(data.districts, 0.0, 0.0) is None
    current = data.offers[(data.offers["status"] != "beendet") & has_location(data.offers)]
    here = BAERENKAEMPEN.rounded()
    nearest = nearest_offers(current, here.lon, here.lat, k=None, home_district="baerenkaempen")
    flagged = nearest[nearest[IN_DISTRICT_COLUMN]]
    # the four offers known only as "Bärenkämpen" (38 m from the rounded point), and nothing else
    assert sorted(flagged["name"]) == ["Begegnungszentrum Bärenkämpen (Stadtteilzentrum)",
                                       "Interkultureller Garten Bärenkämpen", "Jugendhaus Geschwister Scholl",
                                       "Kita Sieben Bauern"]
    assert round(float(flagged["distanz_m"].iloc[0])) == 38
    # without the resident's district nothing is flagged (the column is always there)
    assert not nearest_offers(current, here.lon, here.lat, k=None)[IN_DISTRICT_COLUMN].any()
    kita = nearest[nearest["name"] == "Kita Sieben Bauern"].iloc[0]
    tafel = nearest[nearest["name"] == "Nachhilfe der Tafel"].iloc[0]  # known only as Königstor, 1.5 km
    for lang in ("de", "ar"):
        item = nearest_item_html(kita, lang)
        assert t("naehe.im_stadtteil", lang) in item and " m " not in item.replace("&nbsp;", " ")
        far = nearest_item_html(tafel, lang)
        assert t("naehe.im_stadtteil", lang) not in far
    assert "1,5 km" in nearest_item_html(tafel, "de") and "27 Min." in nearest_item_html(tafel, "de")
    # the handout: the same words for the Kita, the same distance for the Tafel, from the exact or rounded point
    for location in (BAERENKAEMPEN, here):
        document = handout_html(data, location, "de", BASE, TODAY, CHOICE, NOW)
        kita_row = document[document.index("Kita Sieben Bauern"):].split("</tr>")[0]
        assert IN_DISTRICT in kita_row and "40 m" not in kita_row and "0 m" not in kita_row
        tafel_row = document[document.index("Nachhilfe der Tafel"):].split("</tr>")[0]
        assert "1,5 km" in tafel_row and "27 Min." in tafel_row


@pytest.mark.parametrize("lang", ["ar", "fa", "de"])
def test_every_data_text_in_the_handout_is_marked_german_left_to_right(data, lang):
    flt = OfferFilter(sprachen=("Arabisch",), stadtteil_ids=("baerenkaempen",))
    document = handout_html(data, BAERENKAEMPEN, lang, BASE, TODAY, flt)
    text = marked(document)
    outside = "".join(text.outside)
    # the place she chose (before: "Für: Bärenkämpen (…)" as one plain string), the district and the language
    # in the choice, every offer field
    assert "Bärenkämpen" not in outside and "Arabisch" not in outside
    shown = apply_filter(data.offers, flt)
    listed = [name for name in shown["name"] if _de(name) in document]
    assert listed, "the handout lists offers in Bärenkämpen with Arabic"
    assert all(name not in outside for name in shown["name"])
    for column in ("adresse", "telefon", "beschreibung_einfach"):
        for value in shown[column].dropna():
            assert not str(value).strip() or str(value)[:40] not in outside, (column, value)
    # every <bdi lang="de"> says its direction
    assert all(b.get("dir") == "ltr" for b in text.bdis if b.get("lang") == "de")
    assert f'<html lang="{lang}" dir="{"ltr" if lang == "de" else "rtl"}">' in document


@pytest.mark.slow  # the poster draws its map with matplotlib
def test_every_data_text_on_the_poster_is_marked(data):
    document = poster_html(data, "baerenkaempen", "A4", "ar", BASE, TODAY)
    outside = "".join(marked(document).outside)
    # the district in the title (before: the whole title one plain string) and every offer name
    assert "Bärenkämpen" not in outside
    assert '<bdi lang="de" dir="ltr">Bärenkämpen</bdi>' in document.split("</h1>")[0]


# --- PDF: slow --------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("lang", ["de", "ar"])
def test_handout_pdf_follows_the_choice_and_its_qr_code_carries_it(data, lang, tmp_path):
    from test_poster import decoded_qr_codes, name_in_text, pdf_text

    pdf = handout_pdf(data, BAERENKAEMPEN, lang, BASE, TODAY, CHOICE, NOW)
    text = pdf_text(pdf)
    for name in CHOSEN_NAMES:
        assert name_in_text(name, text, lang), name
    for other in ("Jobcenter", "Wärmestube", "Stadtbibliothek", "Begegnungszentrum"):
        assert other not in text, other
    flat = "".join(text.split())
    # hours and the district rule, in the page's language
    assert "".join(f"{t('popup.zeiten', lang)}: {t('handzettel.zeiten_unbekannt', lang)}".split()) in flat
    assert "".join(t("naehe.im_stadtteil", lang).split()) in flat
    assert "2024-12" in flat  # Kita Sieben Bauern's Stand laut Quelle
    query = "hf=bildung&zg=kinder&kostenlos=1&offen=1&ort=52.305,8.888" + ("" if lang == "de" else f"&lang={lang}")
    assert decoded_qr_codes(pdf, tmp_path) == [f"{BASE}/?{query}"]


@pytest.mark.slow
def test_handout_pdf_with_a_search_text(data, tmp_path):
    from test_poster import decoded_qr_codes, pdf_text

    flt = OfferFilter(text="Kita")
    pdf = handout_pdf(data, BAERENKAEMPEN, "de", BASE, TODAY, flt)
    text = " ".join(pdf_text(pdf).split())
    assert "Ihre Auswahl: Suche: Kita" in text
    assert "Kita Sieben Bauern" in text and "Jugendhaus" not in text
    assert decoded_qr_codes(pdf, tmp_path) == [f"{BASE}/?q=Kita&ort=52.305,8.888"]
