"""UI strings from per-language catalogues (``locales/<lang>.toml``).

German is the reference catalogue; another language falls back to German for
keys it does not (yet) translate.
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

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


def missing_keys(lang: str) -> list[str]:
    """Keys of the German catalogue that ``lang`` does not translate (they fall back to German)."""
    return sorted(set(catalogue(DEFAULT_LANG)) - set(catalogue(lang)))


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled in.

    Raises ``KeyError`` for a key missing from the German catalogue, so that a
    typo fails in tests instead of showing a key to users.
    """
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANG)[key]
    return text.format(**values) if values else text


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat
