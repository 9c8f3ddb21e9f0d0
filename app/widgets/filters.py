"""The resident's filter sidebar, the same on the map, the list and the coverage page."""
from __future__ import annotations

import streamlit as st

from app.state import FILTER_WIDGETS, tr, widget_key
from geo.analysis.filters import OfferFilter, language_options
from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER
from geo.data.attributes import ZIELGRUPPEN
from geo.dataset import Dataset, district_options


def _reset_filters() -> None:
    """Every filter back to "all offers" (the location and the opened offer stay)."""
    defaults = {"hf": [hf.name for hf in HANDLUNGSFELDER], "zg": [], "sp": [], "st": "", "q": ""}
    for name in FILTER_WIDGETS:
        st.session_state[widget_key(name)] = defaults.get(name, False)


def filter_sidebar(data: Dataset, with_text: bool = False) -> OfferFilter:
    """The resident's filters in the sidebar (the same on the map and the list page); returns the filter."""
    names = district_options(data)
    languages = language_options(data.offers)
    with st.sidebar:
        st.header(tr("filter.titel"))
        if with_text:
            st.text_input(tr("filter.suche"), key=widget_key("q"), placeholder=tr("liste.suche_beispiel"))
        st.multiselect(tr("filter.handlungsfeld"), [hf.name for hf in HANDLUNGSFELDER], key=widget_key("hf"),
                       format_func=lambda name: tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[name].key}"),
                       placeholder=tr("filter.alle"))
        st.multiselect(tr("filter.zielgruppe"), list(ZIELGRUPPEN), key=widget_key("zg"),
                       format_func=lambda key: tr(f"zielgruppe.{key}"), placeholder=tr("filter.alle"))
        st.multiselect(tr("filter.sprache"), languages, key=widget_key("sp"), help=tr("filter.sprache_hinweis"),
                       placeholder=tr("filter.alle"))
        st.checkbox(tr("filter.kostenlos"), key=widget_key("kostenlos"))
        st.checkbox(tr("filter.barrierefrei"), key=widget_key("barrierefrei"))
        st.checkbox(tr("filter.jetzt_offen"), key=widget_key("offen"))
        st.checkbox(tr("filter.nur_belegt"), key=widget_key("belegt"), help=tr("filter.nur_belegt_hilfe"))
        st.selectbox(tr("filter.stadtteil"), ["", *names], key=widget_key("st"),
                     format_func=lambda i: names.get(i, tr("filter.alle_stadtteile")))
        st.checkbox(tr("filter.beendete"), key=widget_key("beendete"))
        st.button(tr("filter.zuruecksetzen"), key="qk_filter_reset", on_click=_reset_filters)
    chosen = st.session_state[widget_key("hf")]
    district = st.session_state[widget_key("st")]
    return OfferFilter(
        # nothing chosen = all (the placeholder says "Alle"), never an empty map
        handlungsfelder=tuple(chosen) or None, stadtteil_ids=(district,) if district else None,
        zielgruppen=tuple(st.session_state[widget_key("zg")]), sprachen=tuple(st.session_state[widget_key("sp")]),
        kostenlos=st.session_state[widget_key("kostenlos")], barrierefrei=st.session_state[widget_key("barrierefrei")],
        jetzt_offen=st.session_state[widget_key("offen")], nur_belegt=st.session_state[widget_key("belegt")],
        text=st.session_state[widget_key("q")] if with_text else "", beendete=st.session_state[widget_key("beendete")])
