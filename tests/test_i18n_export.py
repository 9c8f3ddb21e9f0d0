"""Catalogues are complete; exports are safe to open in a spreadsheet."""
import re
import string
from pathlib import Path

import pandas as pd
import pytest

from geo.exchange.csv_export import offers_csv
from geo.formatting import format_number
from geo.i18n import LANGUAGE_ORDER, available_languages, catalogue, html_lang, missing_keys, t, text_direction
from geo.text import neutralise_formula

ROOT = Path(__file__).resolve().parent.parent


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", [code for code in available_languages() if code != "de"])
def test_other_catalogues_only_translate_known_keys_with_same_placeholders(lang):
    german, other = catalogue("de"), catalogue(lang)
    assert set(other) <= set(german), set(other) - set(german)
    for key, text in other.items():
        assert placeholders(text) == placeholders(german[key]), key


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
    geo.i18n.catalogue.cache_clear()
    geo.i18n.available_languages.cache_clear()
    try:
        assert t("a.b", "xx", n=1) == "Andere 1"
        assert t("a.c", "xx") == "nur Deutsch"
        assert missing_keys("xx") == ["a.c"]
    finally:
        geo.i18n.catalogue.cache_clear()
        geo.i18n.available_languages.cache_clear()


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
        used |= set(re.findall(r"""\b(?:t|tr)\(\s*["']([a-z_]+\.[a-z_]+)["']""", path.read_text(encoding="utf-8")))
    assert used and used <= set(catalogue("de")), used - set(catalogue("de"))


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
