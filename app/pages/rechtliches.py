"""Impressum, Datenschutz, Barrierefreiheit: the operator's Markdown files (config/rechtliches/), one page each."""
import streamlit as st

from app.cache import settings
from app.state import lang, tr
from app.widgets.page import footer
from geo.data.legal import legal_text


def legal_page(name: str) -> None:
    try:
        text, text_lang = legal_text(name, lang(), settings().legal_dir)
    except FileNotFoundError as exc:
        st.title(tr(f"rechtliches.{name}"))
        st.error(tr("rechtliches.fehlt", datei=str(exc)))
    else:
        if text_lang != lang():
            st.caption(tr("rechtliches.nur_deutsch"))
        st.markdown(text)
    footer()


def impressum() -> None:
    legal_page("impressum")


def datenschutz() -> None:
    legal_page("datenschutz")


def barrierefreiheit() -> None:
    legal_page("barrierefreiheit")
