"""Streamlit glue shared by all pages: cached data, language, notices, footer.

Pages stay thin: they read widgets, call :mod:`geo`, and show results.
"""
from __future__ import annotations

import copy
import json

import streamlit as st

import folium
import geopandas as gpd

from geo.config import MAX_MAP_MARKERS, Settings, load_settings
from geo.dataset import Dataset, load_dataset
from geo.filters import filter_offers
from geo.join import has_location
from geo.mapbuild import MapOptions, build_map
from geo.text import german_sort_key
from geo.i18n import DEFAULT_LANG, available_languages, t
from geo.problems import DataFileError


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def dataset() -> Dataset:
    """The loaded data, shared by all sessions (read-only)."""
    return load_dataset(settings())


LANG_STATE = "qk_lang"


def district_options(data: Dataset) -> dict[str, str]:
    """District id → name, in German alphabetical order (Königstor before Kutenhausen)."""
    pairs = sorted(zip(data.districts["id"], data.districts["name"]), key=lambda pair: german_sort_key(pair[1]))
    return dict(pairs)


def shown_offers(fields: tuple[str, ...] | None, district_ids: tuple[str, ...] | None, text: str = "",
                 show_ended: bool = False) -> gpd.GeoDataFrame:
    """The offers a page shows for these filters (ended offers only on request)."""
    return filter_offers(dataset().offers, fields, district_ids, text, include_ended=show_ended)


def cached_map(fields: tuple[str, ...], district_ids: tuple[str, ...] | None, show_ended: bool,
               indicator: str | None, focus_district: str | None, ui_lang: str) -> folium.Map:
    """The map for one filter state: built once for all sessions, handed out as a copy.

    A copy because ``st_folium`` renames the map's elements in place; a
    second render of the same object then carries both names and the map
    stays blank. Copying the built map costs a fraction of building it
    (marker data is one packed JSON string).
    """
    return copy.deepcopy(_built_map(fields, district_ids, show_ended, indicator, focus_district, ui_lang))


@st.cache_resource(show_spinner=False, max_entries=64)
def _built_map(fields: tuple[str, ...], district_ids: tuple[str, ...] | None, show_ended: bool,
               indicator: str | None, focus_district: str | None, ui_lang: str) -> folium.Map:
    """The built map for one filter state, shared by all sessions: a visit must not rebuild an unchanged map.

    Above :data:`~geo.config.MAX_MAP_MARKERS` located offers the map shows
    districts only (the page says so and the list holds every offer).
    """
    data = dataset()
    shown = shown_offers(fields, district_ids, "", show_ended)
    if int(has_location(shown).sum()) > MAX_MAP_MARKERS:
        shown = shown.iloc[0:0]
    return build_map(data.districts, shown, data.indicators, MapOptions(
        indicator=indicator, tiles=settings().tiles, lang=ui_lang, focus_district=focus_district))


def lang() -> str:
    """Current UI language: ``?lang=`` in the URL, else the one chosen earlier in this session, else German.

    Streamlit drops query parameters when the user switches pages in the
    sidebar, so the session remembers the language.
    """
    code = st.query_params.get("lang")
    if code in available_languages():
        st.session_state[LANG_STATE] = code
        return code
    return st.session_state.get(LANG_STATE, DEFAULT_LANG)


def keep_language() -> None:
    """Put the session's language back into the URL (so links stay shareable) and into ``<html lang>``.

    Streamlit's page template says ``lang="en"`` whatever the content; screen
    readers pick the voice from it (WCAG 3.1.1).
    """
    code = lang()
    if code != DEFAULT_LANG and st.query_params.get("lang") != code:
        st.query_params["lang"] = code
    st.html(f"<script>document.documentElement.lang = {json.dumps(code)};</script>", unsafe_allow_javascript=True)


def tr(key: str, **values: object) -> str:
    return t(key, lang(), **values)


def language_picker() -> None:
    languages = available_languages()
    codes = list(languages)
    choice = st.sidebar.selectbox(tr("app.sprache"), codes, index=codes.index(lang()), format_func=languages.get)
    if choice != lang():
        st.session_state[LANG_STATE] = choice
        if choice == DEFAULT_LANG:
            st.query_params.pop("lang", None)
        else:
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
    """A short line for users, full details on the Datenquellen page.

    A file-level error (empty, binary, header missing) is an error, not a
    footnote: the map would otherwise just look empty.
    """
    for problem in data.problems:
        if problem.schwere == "fehler" and problem.zeile is None:
            st.error(tr("app.dateifehler", meldung=str(problem)))
    n_rejected = sum(len(r) for r in data.rejected.values())
    if n_rejected:
        st.warning(tr("app.abgelehnte_zeilen", n=n_rejected))


def footer() -> None:
    """Credits for the data actually loaded: the shipped sources, or the operator's own files by name."""
    data = dataset()
    parts = []
    for loaded in data.files:
        if loaded.shipped:
            key = "stadtteile_schematisch" if loaded.role == "stadtteile" and data.schematic else loaded.role
            parts.append(tr(f"fusszeile.{key}"))
        else:
            parts.append(tr("fusszeile.eigene_datei", rolle=tr(f"fusszeile.rolle_{loaded.role}"), datei=loaded.path.name))
    st.divider()
    st.caption(" · ".join([tr("app.titel"), *parts, tr("fusszeile.schluss")]))
