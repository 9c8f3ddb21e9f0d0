"""Catalogues are complete; exports are safe to open in a spreadsheet."""
import re
import string
from pathlib import Path

import pandas as pd
import pytest

from geo.exchange.csv_export import offers_csv
from geo.formatting import format_number
from geo.i18n import (
    LANGUAGE_ORDER,
    PLURAL_CATEGORIES,
    available_languages,
    catalogue,
    html_lang,
    missing_keys,
    plural_categories,
    plural_category,
    plural_keys,
    t,
    text_direction,
    tn,
)
from geo.text import neutralise_formula

ROOT = Path(__file__).resolve().parent.parent


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def plural_split(key: str) -> tuple[str, str | None]:
    """``("liste.anzahl", "few")`` for ``liste.anzahl_few``; ``(key, None)`` for a key that is no plural form."""
    base, _, suffix = key.rpartition("_")
    return (base, suffix) if suffix in PLURAL_CATEGORIES and base in plural_keys() else (key, None)


def single_number(lang: str, category: str) -> bool:
    """Whether ``category`` covers exactly one whole number in ``lang`` (Arabic ``zero``/``one``/``two``, German
    ``one``; not Russian ``one``: 1, 21, 31 …, not Persian ``one``: 0 and 1)."""
    return sum(plural_category(lang, number) == category for number in range(1000)) == 1


@pytest.mark.parametrize("lang", [code for code in available_languages() if code != "de"])
def test_other_catalogues_only_translate_known_keys_with_same_placeholders(lang):
    german, other = catalogue("de"), catalogue(lang)
    for key, text in other.items():
        base, category = plural_split(key)
        if category is None:
            assert key in german, f"{lang}.toml: {key} gibt es auf Deutsch nicht"
            assert placeholders(text) == placeholders(german[key]), key
            continue
        assert category in plural_categories(lang), f"{lang}.toml: {key}: {lang} kennt die Form {category} nicht"
        expected = placeholders(german[f"{base}_other"])
        # a form for exactly one number may say the number in words ("خدمة واحدة", "خدمتان"): {n} may be missing
        if single_number(lang, category):
            assert placeholders(text) in (expected, expected - {"n"}), key
        else:
            assert placeholders(text) == expected, key


def test_german_plural_forms_have_the_same_placeholders():
    german = catalogue("de")
    for base in plural_keys():
        assert set(plural_categories("de")) == {"one", "other"}
        assert "n" in placeholders(german[f"{base}_other"]), base
        assert placeholders(german[f"{base}_one"]) == placeholders(german[f"{base}_other"]), base
        assert base not in german, f"{base} steht zugleich als einfacher Schlüssel da"


@pytest.mark.parametrize("lang, needed", [
    ("de", ("one", "other")), ("de-einfach", ("one", "other")), ("en", ("one", "other")), ("tr", ("one", "other")),
    ("fa", ("one", "other")), ("ru", ("one", "few", "many", "other")), ("uk", ("one", "few", "many", "other")),
    ("ar", ("zero", "one", "two", "few", "many", "other")),
])
def test_plural_categories_per_language(lang, needed):
    assert plural_categories(lang) == needed


@pytest.mark.parametrize("lang, counts", [
    # CLDR rules, checked by hand against the CLDR plural rules chart
    ("de", {0: "other", 1: "one", 2: "other", 21: "other"}),
    ("fa", {0: "one", 1: "one", 2: "other", 11: "other"}),
    ("ru", {0: "many", 1: "one", 2: "few", 4: "few", 5: "many", 11: "many", 12: "many", 21: "one", 22: "few",
            25: "many", 101: "one", 111: "many"}),
    ("uk", {1: "one", 3: "few", 7: "many", 21: "one", 14: "many"}),
    ("ar", {0: "zero", 1: "one", 2: "two", 3: "few", 10: "few", 11: "many", 99: "many", 100: "other", 102: "other",
            103: "few", 111: "many"}),
])
def test_plural_category(lang, counts):
    assert {n: plural_category(lang, n) for n in counts} == counts


@pytest.mark.parametrize("lang, n, text", [
    ("de", 1, "**1 Angebot** gefunden."), ("de", 0, "**0 Angebote** gefunden."), ("de", 2, "**2 Angebote** gefunden."),
    ("en", 1, "**1 service** found."), ("en", 78, "**78 services** found."),
    ("ru", 1, "Найдено **1 предложение**."), ("ru", 3, "Найдено **3 предложения**."),
    ("ru", 11, "Найдено **11 предложений**."), ("ru", 21, "Найдено **21 предложение**."),
    ("uk", 22, "Знайдено **22 пропозиції**."), ("uk", 5, "Знайдено **5 пропозицій**."),
    ("ar", 0, "**لم يتم العثور على أي خدمة**."), ("ar", 1, "تم العثور على **خدمة واحدة**."),
    ("ar", 2, "تم العثور على **خدمتين**."), ("ar", 7, "تم العثور على **7 خدمات**."),
    ("ar", 15, "تم العثور على **15 خدمة**."), ("ar", 100, "تم العثور على **100 خدمة**."),
    ("fa", 1, "**1 خدمت** پیدا شد."), ("tr", 1, "**1 hizmet** bulundu."),
])
def test_count_sentence_takes_the_form_of_its_number(lang, n, text):
    assert t("liste.anzahl", lang, n=n) == text
    assert tn("liste.anzahl", n, lang) == text


def test_tn_counts_by_another_number_than_n_and_plain_keys_refuse_a_count():
    assert tn("naehe.entfernung", 1, "de-einfach", m=50) == "50 m Luftlinie · etwa 1 Minute zu Fuß"
    assert tn("naehe.entfernung", 2, "ar", m=120) == "120 م في خط مستقيم · نحو دقيقتين مشيا"
    with pytest.raises(KeyError):
        tn("liste.titel", 3)
    with pytest.raises(KeyError):
        t("liste.anzahl", "de")  # a plural message without its count


def test_a_missing_plural_form_falls_back_to_other_then_to_german(monkeypatch, tmp_path):
    import geo.i18n

    (tmp_path / "de.toml").write_text('[a]\nb_one = "ein Ding"\nb_other = "{n} Dinge"\n', encoding="utf-8")
    (tmp_path / "ru.toml").write_text('[a]\nb_one = "{n} вещь"\nb_other = "вещей: {n}"\n', encoding="utf-8")
    (tmp_path / "uk.toml").write_text('[x]\ny = "z"\n', encoding="utf-8")
    monkeypatch.setattr(geo.i18n, "LOCALES_DIR", tmp_path)
    for cached in (geo.i18n.catalogue, geo.i18n.available_languages, geo.i18n.plural_keys):
        cached.cache_clear()
    try:
        assert t("a.b", "ru", n=21) == "21 вещь"
        assert t("a.b", "ru", n=5) == "вещей: 5"  # no _many: the language's _other
        assert t("a.b", "uk", n=1) == "ein Ding"  # nothing in Ukrainian: German, in the German form of 1
        assert missing_keys("ru") == ["a.b_few", "a.b_many"]
        assert missing_keys("de") == []
    finally:
        for cached in (geo.i18n.catalogue, geo.i18n.available_languages, geo.i18n.plural_keys):
            cached.cache_clear()


def test_the_eight_ui_languages_are_shipped_in_picker_order():
    assert list(available_languages())[:8] == list(LANGUAGE_ORDER)
    assert available_languages()["ar"] == "العربية" and available_languages()["de-einfach"] == "Einfache Sprache"


@pytest.mark.parametrize("lang", LANGUAGE_ORDER)
def test_catalogue_is_complete(lang):
    """Missing keys would fall back to German (t() does that); this test lists them so they get translated."""
    missing = missing_keys(lang)
    assert missing == [], f"{lang}.toml: {len(missing)} Schlüssel fehlen (Rückfall auf Deutsch): {missing}"


def test_missing_key_falls_back_to_german(monkeypatch, tmp_path):
    import geo.i18n

    (tmp_path / "de.toml").write_text('[a]\nb = "Deutsch {n}"\nc = "nur Deutsch"\n', encoding="utf-8")
    (tmp_path / "xx.toml").write_text('[a]\nb = "Andere {n}"\n', encoding="utf-8")
    monkeypatch.setattr(geo.i18n, "LOCALES_DIR", tmp_path)
    for cached in (geo.i18n.catalogue, geo.i18n.available_languages, geo.i18n.plural_keys):
        cached.cache_clear()
    try:
        assert t("a.b", "xx", n=1) == "Andere 1"
        assert t("a.c", "xx") == "nur Deutsch"
        assert missing_keys("xx") == ["a.c"]
    finally:
        for cached in (geo.i18n.catalogue, geo.i18n.available_languages, geo.i18n.plural_keys):
            cached.cache_clear()


@pytest.mark.parametrize("lang, direction, tag", [
    ("ar", "rtl", "ar"), ("fa", "rtl", "fa"), ("de", "ltr", "de"), ("de-einfach", "ltr", "de"), ("en", "ltr", "en"),
    ("tr", "ltr", "tr"), ("ru", "ltr", "ru"), ("uk", "ltr", "uk"),
])
def test_text_direction_and_html_lang(lang, direction, tag):
    assert text_direction(lang) == direction
    assert html_lang(lang) == tag


def test_every_key_used_in_code_exists_in_german():
    used = set()
    for path in [*ROOT.glob("geo/**/*.py"), *ROOT.glob("app/**/*.py"), ROOT / "streamlit_app.py"]:
        used |= set(re.findall(r"""\b(?:t|tr|tn)\(\s*["']([a-z_]+\.[a-z_]+)["']""", path.read_text(encoding="utf-8")))
    known = set(catalogue("de")) | plural_keys()
    assert used and used <= known, used - known


def test_german_number_format():
    assert format_number(50.8) == "50,8"
    assert format_number(45.0) == "45"
    assert format_number(83100, 0) == "83.100"


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Sprach-Café", "Sprach-Café"), (3, 3),
])
def test_formula_neutralisation(value, expected):
    assert neutralise_formula(value) == expected


def test_offers_csv_has_bom_german_headings_and_no_live_formula():
    offers = pd.DataFrame([{"name": "=cmd|' /C calc'!A0", "handlungsfeld": "Bildung", "stadtteil_name": "Innenstadt"}])
    text = offers_csv(offers).decode("utf-8")
    assert text.startswith("\ufeffName,Handlungsfeld,Stadtteil,")
    assert "\n'=cmd|" in text
