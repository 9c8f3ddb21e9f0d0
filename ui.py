"""Streamlit glue shared by all pages: cached data, language, notices, footer.

Pages stay thin: they read widgets, call :mod:`geo`, and show results.
"""
from __future__ import annotations

import html

import streamlit as st

from geo.config import Settings, load_settings
from geo.dataset import Dataset, load_dataset
from geo.i18n import DEFAULT_LANG, available_languages, t
from geo.problems import DataFileError


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def dataset() -> Dataset:
    """The loaded data, shared by all sessions (read-only)."""
    return load_dataset(settings())


def lang() -> str:
    """Current UI language (``?lang=`` in the URL, else German)."""
    code = st.query_params.get("lang", DEFAULT_LANG)
    return code if code in available_languages() else DEFAULT_LANG


def tr(key: str, **values: object) -> str:
    return t(key, lang(), **values)


def language_picker() -> None:
    languages = available_languages()
    codes = list(languages)
    choice = st.sidebar.selectbox(tr("app.sprache"), codes, index=codes.index(lang()), format_func=languages.get)
    if choice != lang():
        st.query_params["lang"] = choice
        st.rerun()


def dataset_or_stop() -> Dataset:
    """The dataset, or a clear German message naming the broken file (no traceback)."""
    try:
        return dataset()
    except DataFileError as exc:
        st.error(tr("app.datenfehler", meldung=str(exc.problem)))
        st.stop()


def schematic_notice(data: Dataset) -> None:
    if data.schematic:
        st.info(tr("app.hinweis_schematisch"), icon=":material/info:")


def data_problem_notice(data: Dataset) -> None:
    """A short line for users, full details on the Datenquellen page."""
    n_rejected = sum(len(r) for r in data.rejected.values())
    if n_rejected:
        st.warning(tr("app.abgelehnte_zeilen", n=n_rejected))


def footer() -> None:
    st.divider()
    st.caption(tr("app.fusszeile"))


def escape_md(text: object) -> str:
    """Text safe for ``st.markdown``: no HTML, no Markdown links or images from data."""
    escaped = html.escape(str(text), quote=False)
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|~>" else c for c in escaped)
