"""Issue 25 §3: offers in the user's language – fixed vocabularies translated, free text as entered and marked
German with its own direction, counts in the right plural form."""
from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser

import pandas as pd
import pytest

from geo.exchange.csv_export import offers_csv, offers_table
from geo.i18n import LANGUAGE_ORDER, catalogue, t
from geo.render.data_text import Piece, display_value, language_name, t_html, value_html, value_pieces
from geo.render.offer_view import distance_text, nearest_item_html, offer_card_html

TUTORING = {
    "id": "nachhilfe-tafel", "name": "Nachhilfe der Tafel", "traeger": "Tafel", "handlungsfeld": "Bildung",
    "kategorie": "Nachhilfe", "zielgruppen": "Kinder;Jugendliche", "sprachen": "Arabisch;Persisch",
    "kosten": "unbekannt", "barrierefrei": "unbekannt", "adresse": "Hohenzollernring 36, Minden",
    "stadtteil_name": "Königstor", "lage_genauigkeit": "stadtteil", "telefon": "0571 9726264",
    "beschreibung_einfach": "Der Punkt auf der Karte zeigt nur ungefähr, wo das Angebot ist.",
    "beschreibung": "Laut Integrationskonzept bietet die Tafel bereits Nachhilfe an.",
    "hinweis": "Zeiten nicht genannt.", "quelle": "Integrationskonzept Minden 2020", "stand_quelle": "2026-11",
    "zuletzt_geprueft": "2026-11-24", "status": "unklar",
}
FREE_TEXT = ("name", "traeger", "adresse", "beschreibung_einfach", "beschreibung", "hinweis", "quelle")
NOW = datetime(2026, 12, 1, 10, 0)


class TextLanguages(HTMLParser):
    """Every text of an HTML fragment with the ``lang`` and ``dir`` of the innermost element that sets them."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None, str | None]] = []
        self.texts: list[tuple[str, str | None, str | None]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        outer_lang, outer_dir = (self.stack[-1][1], self.stack[-1][2]) if self.stack else (None, None)
        self.stack.append((tag, a.get("lang", outer_lang), a.get("dir", outer_dir)))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if data.strip():
            lang, direction = (self.stack[-1][1], self.stack[-1][2]) if self.stack else (None, None)
            self.texts.append((data, lang, direction))


def text_languages(fragment: str) -> list[tuple[str, str | None, str | None]]:
    parser = TextLanguages()
    parser.feed(fragment)
    return parser.texts


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_card_in_arabic_and_persian_isolates_every_free_text_as_german_left_to_right(lang):
    texts = text_languages(offer_card_html(TUTORING, lang, heading_level=2, now=NOW))
    for key in FREE_TEXT:
        marked = [(text, text_lang, direction) for text, text_lang, direction in texts if text == TUTORING[key]]
        assert marked == [(TUTORING[key], "de", "ltr")], (key, texts)
    # the example: the full stop stays inside the isolated German sentence
    assert ('Der Punkt auf der Karte zeigt nur ungefähr, wo das Angebot ist.', "de", "ltr") in texts
    # phone number and dates: left to right, without a language (they are not German words)
    assert ("0571 9726264", None, "ltr") in texts and ("2026-11-24", None, "ltr") in texts


def test_card_in_arabic_shows_the_vocabularies_in_arabic():
    card = offer_card_html(TUTORING, "ar", heading_level=2, now=NOW)
    assert "<strong>التعليم</strong> · دروس تقوية</p>" in card          # Handlungsfeld · category
    assert "<dd>الأطفال، الشباب</dd>" in card                            # Kinder;Jugendliche
    assert "<dd>العربية، الفارسية</dd>" in card                          # languages by their CLDR names
    assert card.count("<dd>لا توجد معلومات</dd>") == 2                    # cost and barrier-free "unbekannt"
    for german in ("Kinder", "Jugendliche", "unbekannt", "Nachhilfe<", "Bildung", "Arabisch"):
        assert german not in card, german


@pytest.mark.parametrize("lang, field, category, groups, unknown", [
    ("en", "Education", "Tutoring", "children, young people", "no information"),
    ("ru", t("handlungsfeld.bildung", "ru"), "Репетиторство", "дети, подростки", "нет данных"),
    ("uk", t("handlungsfeld.bildung", "uk"), "Репетиторство", "діти, підлітки", "немає даних"),
    ("tr", t("handlungsfeld.bildung", "tr"), "Ek ders", "çocuklar, gençler", "bilgi yok"),
    ("de-einfach", t("handlungsfeld.bildung", "de-einfach"), "Hilfe beim Lernen", "Kinder, Jugendliche", "keine Angabe"),
])
def test_card_vocabularies_in_other_languages(lang, field, category, groups, unknown):
    card = offer_card_html(TUTORING, lang)
    assert f"<strong>{field}</strong> · {category}</p>" in card
    assert f"<dd>{groups}</dd>" in card and f"<dd>{unknown}</dd>" in card


def test_german_card_has_no_language_marks_but_translated_values():
    card = offer_card_html(TUTORING, "de", now=NOW)
    assert 'lang="' not in card and 'dir="' not in card
    assert "<dd>Kinder, Jugendliche</dd>" in card and "<dd>Arabisch, Persisch</dd>" in card
    assert card.count("<dd>keine Angabe</dd>") == 2
    # Einfache Sprache is German too: no marks
    assert 'lang="' not in offer_card_html(TUTORING, "de-einfach")


def test_items_outside_the_lists_stay_as_entered_and_marked():
    assert value_pieces("zielgruppen", "Kinder; Männerchor ;", "en") == [Piece("children", True),
                                                                         Piece("Männerchor", False)]
    assert value_html("zielgruppen", "Kinder;Männerchor", "ar") == 'الأطفال، <span lang="de" dir="ltr">Männerchor</span>'
    assert value_html("kosten", "30 Euro Teilnehmerbeitrag (2017)", "en") == (
        '<span lang="de" dir="ltr">30 Euro Teilnehmerbeitrag (2017)</span>')
    assert display_value("kosten", "kostenlos", "fa") == "رایگان"
    assert display_value("barrierefrei", "ja", "uk") == "так"
    assert display_value("kategorie", "Sozialkaufhaus", "en") == "Social store"
    assert display_value("kategorie", "Töpferkurs", "en") == "Töpferkurs"
    assert value_pieces("zielgruppen", "", "en") == []


def test_hostile_values_stay_text_in_every_piece():
    hostile = '<img src=x onerror=alert(1)>'
    assert value_html("kategorie", hostile, "ar") == (
        '<span lang="de" dir="ltr">&lt;img src=x onerror=alert(1)&gt;</span>')
    assert "<img" not in value_html("zielgruppen", f"Kinder;{hostile}", "en")
    assert "<img" not in offer_card_html({**TUTORING, "quelle": hostile, "kategorie": hostile}, "fa", now=NOW)


@pytest.mark.parametrize("name, lang, shown", [
    ("Arabisch", "fa", "عربی"), ("Persisch", "ar", "الفارسية"), ("Dari", "fa", "دری"), ("Ukrainisch", "ru", "украинский"),
    ("Türkisch", "en", "Turkish"), ("Deutsch", "tr", "Almanca"), ("Russisch", "de", "Russisch"),
    ("Farsi", "en", "Persian"), ("Klingonisch", "en", "Klingon"), ("Quatschisch", "en", None),
])
def test_language_names_come_from_cldr(name, lang, shown):
    assert language_name(name, lang) == shown


def test_sentence_with_data_inside_marks_only_the_data():
    html_text = t_html("liste.stand_quelle", "ar", stand="2026", quelle='<span lang="de" dir="ltr">Quelle &amp; Co</span>')
    assert html_text == 'التاريخ حسب المصدر: 2026 · المصدر: <span lang="de" dir="ltr">Quelle &amp; Co</span>'


def test_nearest_item_translates_the_field_and_marks_the_district():
    item = nearest_item_html({"name": "Sprachcafé", "handlungsfeld": "Bildung", "stadtteil_name": "Bärenkämpen",
                              "distanz_m": 120.0, "gehminuten": 2, "lage_genauigkeit": "adresse"}, "ar")
    assert 'التعليم · <span lang="de" dir="ltr">Bärenkämpen</span>' in item
    assert "نحو دقيقتين مشيا" in item  # two minutes: the Arabic dual


@pytest.mark.parametrize("lang, minutes, expected", [
    ("ar", 1, "120 م في خط مستقيم · نحو دقيقة واحدة مشيا"),
    ("ar", 2, "120 م في خط مستقيم · نحو دقيقتين مشيا"),
    ("ar", 5, "120 م في خط مستقيم · نحو 5 دقائق مشيا"),
    ("ar", 12, "120 م في خط مستقيم · نحو 12 دقيقة مشيا"),
    ("de-einfach", 1, "120 m Luftlinie · etwa 1 Minute zu Fuß"),
    ("de-einfach", 3, "120 m Luftlinie · etwa 3 Minuten zu Fuß"),
    ("de", 1, "120 m Luftlinie · etwa 1 Min. zu Fuß"),
])
def test_walking_time_agrees_with_the_minutes(lang, minutes, expected):
    assert distance_text(120, minutes, "adresse", lang) == expected


def test_table_shows_vocabularies_in_the_language_and_free_text_as_entered():
    offers = pd.DataFrame([TUTORING, {**TUTORING, "name": "Café", "kosten": "kostenlos", "barrierefrei": "ja",
                                      "zielgruppen": "Ehrenamtliche;Frauen", "handlungsfeld": "Wohnen",
                                      "lage_genauigkeit": "adresse", "status": "aktiv"}])
    table = offers_table(offers, "en")
    assert table.to_dict("records")[0] == {
        "Name": "Café", "Field of action": t("handlungsfeld.wohnen", "en"), "District": "Königstor",
        "Address": "Hohenzollernring 36, Minden", "Location exact to": "address", "Provider": "Tafel",
        "For whom": "volunteers, women", "Languages": "Arabic, Persian", "Cost": "free of charge",
        "Opening hours": "", "Accessible": "yes", "Website": "", "Phone": "0571 9726264",
        "Status": t("status.aktiv", "en"), "As of (source)": "2026-11", "Note": "Zeiten nicht genannt.",
        "As of": "2026-11-24"}
    second = offers_table(offers, "ar").iloc[1]
    assert list(second.iloc[[1, 4, 6, 7, 8, 10]]) == [
        "التعليم", "الحي", "الأطفال، الشباب", "العربية، الفارسية", "لا توجد معلومات", "لا توجد معلومات"]
    assert second.iloc[0] == "Nachhilfe der Tafel"


def test_csv_download_in_a_language_has_the_translated_labels():
    text = offers_csv(pd.DataFrame([TUTORING]), "ru").decode("utf-8")
    assert "дети, подростки" in text and "арабский, персидский" in text and "Репетиторство" not in text  # no category column
    assert "Kinder;Jugendliche" not in text and "unbekannt" not in text
    assert "Nachhilfe der Tafel" in text and "Laut Integrationskonzept" not in text  # description is no column


def test_every_vocabulary_value_of_the_shipped_offers_is_translated():
    from geo.config import load_settings
    from geo.dataset import load_dataset

    offers = load_dataset(load_settings()).offers
    free = {"kosten"}  # cost is free text apart from "kostenlos" and "unbekannt"
    for column in ("handlungsfeld", "kategorie", "zielgruppen", "sprachen", "kosten", "barrierefrei",
                   "lage_genauigkeit", "status"):
        for value in offers[column].dropna().unique():
            for lang in LANGUAGE_ORDER:
                untranslated = [p.text for p in value_pieces(column, value, lang) if not p.translated]
                assert column in free or untranslated == [], (column, value, lang, untranslated)


@pytest.mark.parametrize("section", ["wert", "kategorie_name", "zielgruppe_wert", "streamlit"])
def test_new_sections_are_translated_in_every_language(section):
    german = {k for k in catalogue("de") if k.startswith(section + ".")}
    assert german
    for lang in LANGUAGE_ORDER:
        assert german <= set(catalogue(lang)), (lang, german - set(catalogue(lang)))
        if lang not in ("de", "de-einfach") and section != "wert":
            same = [k for k in german if catalogue(lang)[k] == catalogue("de")[k] and "{" not in catalogue("de")[k]]
            # names that are the same word in German and English/Turkish: Sport, Religion, Kita
            assert len(same) <= 3, (lang, same)


def test_streamlit_texts_config_has_every_text_in_the_language():
    from app.widgets.ui_texts import EXACT, PREFIX, ui_texts_config, ui_texts_script

    config = ui_texts_config("ar")
    assert config["lang"] == "ar" and set(config["exact"]) == set(EXACT)
    assert config["exact"]["Skip to main content"] == "انتقل إلى المحتوى الرئيسي"
    assert dict(config["prefix"])["Add: "] == "بحث: {x}" and len(config["prefix"]) == len(PREFIX)
    [(pattern, forms)] = config["counted"]
    assert set(forms) == {"zero", "one", "two", "few", "many", "other"} and forms["few"] == "{n} خيارات متاحة."
    assert set(ui_texts_config("ru")["counted"][0][1]) == {"one", "few", "many", "other"}
    # German is translated too (Streamlit's texts are English); no "<" from a catalogue can end the script early
    assert ui_texts_config("de")["exact"]["Expand sidebar"] == "Seitenleiste öffnen"
    script = ui_texts_script("fa")
    assert script.startswith("<script>window.qkUiTexts = {") and script.count("</script>") == 1
