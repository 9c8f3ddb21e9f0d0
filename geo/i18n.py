"""UI strings from per-language catalogues (``locales/<lang>.toml``).

German is the reference catalogue; another language falls back to German for
keys it does not (yet) translate.

Plural forms: a message shown with a number is stored once per CLDR plural
category of the language, as ``<key>_<category>`` (``liste.anzahl_one``,
``liste.anzahl_other``; Arabic also ``_zero``, ``_two``, ``_few``, ``_many``,
Russian and Ukrainian ``_few`` and ``_many``). :func:`tn` chooses the form with
Babel's plural rule of the language; :func:`t` does the same for a plural key
when it gets the count as ``n``. Every language has ``_other``, the form for any
category it lacks.
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from babel import Locale

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANG = "de"
LANGUAGE_ORDER = ("de", "de-einfach", "en", "ar", "tr", "ru", "uk", "fa")
"""Order in the language picker: German first, then Einfache Sprache; further catalogues follow alphabetically."""


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All strings of one language as a flat ``{"section.key": text}`` dict."""
    path = LOCALES_DIR / f"{lang}.toml"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return _flatten(tomllib.load(handle))


@cache
def available_languages() -> dict[str, str]:
    """Language code → the language's own name, for a language picker (in :data:`LANGUAGE_ORDER`)."""
    codes = sorted((p.stem for p in LOCALES_DIR.glob("*.toml")),
                   key=lambda c: (LANGUAGE_ORDER.index(c) if c in LANGUAGE_ORDER else len(LANGUAGE_ORDER), c))
    return {code: catalogue(code).get("sprache.name", code) for code in codes}


def text_direction(lang: str) -> str:
    """``rtl`` for right-to-left languages (Arabic, Persian), else ``ltr`` (``sprache.richtung``)."""
    return "rtl" if catalogue(lang).get("sprache.richtung") == "rtl" else "ltr"


def html_lang(lang: str) -> str:
    """The BCP-47 tag for ``<html lang>`` (Einfache Sprache is German: ``de``)."""
    return catalogue(lang).get("sprache.html_lang") or lang


PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")
"""CLDR plural categories, the suffixes of plural keys (``_one``, ``_few`` …)."""


@cache
def _plural_rule(lang: str):  # babel.plural.PluralRule
    return Locale.parse(html_lang(lang).replace("-", "_")).plural_form


def plural_category(lang: str, count: float) -> str:
    """The CLDR plural category of ``count`` in ``lang``: ``"one"``, ``"few"``, ``"other"`` … (Babel)."""
    return str(_plural_rule(lang)(count))


def plural_categories(lang: str) -> tuple[str, ...]:
    """The categories ``lang`` distinguishes (``other`` always), in :data:`PLURAL_CATEGORIES` order.

    German, English, Turkish, Persian: one/other; Russian, Ukrainian: one/few/many/other;
    Arabic: all six.
    """
    used = set(_plural_rule(lang).tags) | {"other"}
    return tuple(c for c in PLURAL_CATEGORIES if c in used)


@cache
def plural_keys() -> frozenset[str]:
    """Base keys of the plural messages (``liste.anzahl`` for ``liste.anzahl_other``) in the German catalogue."""
    return frozenset(key.removesuffix("_other") for key in catalogue(DEFAULT_LANG) if key.endswith("_other"))


def missing_keys(lang: str) -> list[str]:
    """Keys that ``lang`` does not translate (they fall back to German): plain keys of the German catalogue
    and, for each plural message, every form of the categories ``lang`` distinguishes."""
    german, own = catalogue(DEFAULT_LANG), catalogue(lang)
    plural = plural_keys()
    needed = {key for key in german if _plural_base(key) not in plural}
    needed |= {f"{base}_{category}" for base in plural for category in plural_categories(lang)}
    return sorted(needed - set(own))


def _plural_base(key: str) -> str:
    base, _, suffix = key.rpartition("_")
    return base if suffix in PLURAL_CATEGORIES else key


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled in.

    For a plural message (``key_one``, ``key_other`` … in the catalogue) the
    form is chosen by the count ``n`` (see :func:`tn`). Raises ``KeyError`` for
    a key missing from the German catalogue, so that a typo fails in tests
    instead of showing a key to users.
    """
    if key in plural_keys():
        if "n" not in values:
            raise KeyError(f"{key} is a plural message: give the count as n, or use tn()")
        return tn(key, values["n"], lang, **values)  # type: ignore[arg-type]
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANG)[key]
    return text.format(**values) if values else text


def tn(key: str, count: float, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The plural message ``key`` in the form that ``count`` takes in ``lang``, placeholders filled in.

    ``{n}`` is ``count`` unless given otherwise. The count only chooses the form:
    ``tn("naehe.entfernung", 7, lang, m=350)`` agrees the words with the
    minutes. A form the language lacks falls back to its ``_other``, then to German.
    """
    if key not in plural_keys():
        raise KeyError(f"{key} is not a plural message (no {key}_other in {DEFAULT_LANG}.toml)")
    own = catalogue(lang)
    text = own.get(f"{key}_{plural_category(lang, count)}") or own.get(f"{key}_other")
    if text is None:
        german = catalogue(DEFAULT_LANG)
        text = german.get(f"{key}_{plural_category(DEFAULT_LANG, count)}") or german[f"{key}_other"]
    return text.format(**{"n": count, **values})


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat
