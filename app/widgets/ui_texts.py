"""Streamlit's own English labels (skip link, sidebar buttons, multiselect and number-input buttons, the
place search's "Add: …") in the user's language: the texts from ``locales/<lang>.toml`` ``[streamlit]``, put in
place by ``static/qk/qk-ui-texts.js``. What remains English is listed in docs/accessibility.md."""
from __future__ import annotations

import json

import streamlit as st

from geo.config import STATIC_DIR
from geo.i18n import catalogue, html_lang, plural_categories, t

EXACT = {
    "Skip to main content": "streamlit.zum_inhalt",
    "Expand sidebar": "streamlit.seitenleiste_oeffnen",
    "Collapse sidebar": "streamlit.seitenleiste_schliessen",
    "Sidebar": "streamlit.seitenleiste",
    "App pages": "streamlit.seiten",
    "Main menu": "streamlit.hauptmenue",
    "Clear all": "streamlit.alle_entfernen",
    "Selected values": "streamlit.ausgewaehlt",
    "Select all": "streamlit.alle_auswaehlen",
    "Open": "streamlit.liste_oeffnen",
    "Clear value": "streamlit.eingabe_loeschen",
    "No results": "streamlit.keine_treffer",
    "Increment": "streamlit.mehr",
    "Decrement": "streamlit.weniger",
    "Running...": "streamlit.laeuft",
    "Link to heading": "streamlit.link_ueberschrift",
}
"""Streamlit 1.67's English text (an ``aria-label``, ``title`` or option text) → catalogue key."""

PREFIX = {"Remove ": "streamlit.entfernen", "Add: ": "streamlit.suchen", "Help for ": "streamlit.hilfe_zu"}
"""English text before a value (``Remove Kinder``, ``Add: Marktpl``) → catalogue key with ``{x}`` for the value."""

COUNTED = {r"^(\d+) options? available\.$": "streamlit.optionen"}
"""Screen-reader announcements with a number (react-aria's live region, English whatever the browser's language)
→ plural catalogue key (``streamlit.optionen_one`` …)."""


def ui_texts_config(lang: str) -> dict:
    """``window.qkUiTexts`` for ``lang``: ``{"lang": "ar", "exact": {english: text}, "prefix": [[english, "… {x} …"]],
    "counted": [[pattern, {category: "… {n} …"}]]}``."""
    def forms(key: str) -> dict[str, str]:
        own, german = catalogue(lang), catalogue("de")
        return {c: own.get(f"{key}_{c}") or own.get(f"{key}_other") or german[f"{key}_other"]
                for c in plural_categories(lang)}

    return {"lang": html_lang(lang),
            "exact": {english: t(key, lang) for english, key in EXACT.items()},
            "prefix": [[english, t(key, lang)] for english, key in PREFIX.items()],
            "counted": [[pattern, forms(key)] for pattern, key in COUNTED.items()]}


def ui_texts_script(lang: str) -> str:
    """The ``<script>`` that sets the texts of ``lang`` and (re)applies them."""
    config = json.dumps(ui_texts_config(lang), ensure_ascii=False).replace("<", "\\u003c")
    code = (STATIC_DIR / "qk" / "qk-ui-texts.js").read_text(encoding="utf-8")
    return f"<script>window.qkUiTexts = {config};\n{code}</script>"


def streamlit_texts(lang: str) -> None:
    """Put Streamlit's own labels of this page into ``lang`` (call once per run, on every page)."""
    st.html(ui_texts_script(lang), unsafe_allow_javascript=True)
