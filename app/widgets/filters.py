"""The resident's filter sidebar, the same on the map, the list and the coverage page."""
from __future__ import annotations

import streamlit as st

from app.state import filter_widget, lang, reset_filters, tr, widget_key
from geo.analysis.filters import OfferFilter, language_options
from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER
from geo.data.attributes import ZIELGRUPPEN
from geo.dataset import Dataset, district_options
from geo.render.data_text import language_name


def filter_sidebar(data: Dataset, with_text: bool = False) -> OfferFilter:
    """The resident's filters in the sidebar (the same on the map and the list page); returns the filter.

    Every option in the user's language (languages of the offers by their CLDR names); no "Select all" row
    (Streamlit writes it in English, and "nothing chosen" already means all).
    """
    names = district_options(data)
    languages = language_options(data.offers)
    with st.sidebar:
        st.header(tr("filter.titel"))
        if with_text:
            st.text_input(tr("filter.suche"), **filter_widget("q"), placeholder=tr("liste.suche_beispiel"))
        st.multiselect(tr("filter.handlungsfeld"), [hf.name for hf in HANDLUNGSFELDER], **filter_widget("hf"),
                       format_func=lambda name: tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[name].key}"),
                       placeholder=tr("filter.alle"), select_all=False)
        st.multiselect(tr("filter.zielgruppe"), list(ZIELGRUPPEN), **filter_widget("zg"),
                       format_func=lambda key: tr(f"zielgruppe.{key}"), placeholder=tr("filter.alle"), select_all=False)
        st.multiselect(tr("filter.sprache"), languages, **filter_widget("sp"), help=tr("filter.sprache_hinweis"),
                       format_func=lambda name: language_name(name, lang()) or name, placeholder=tr("filter.alle"),
                       select_all=False)
        st.checkbox(tr("filter.kostenlos"), **filter_widget("kostenlos"))
        st.checkbox(tr("filter.barrierefrei"), **filter_widget("barrierefrei"))
        st.checkbox(tr("filter.jetzt_offen"), **filter_widget("offen"))
        st.checkbox(tr("filter.nur_belegt"), **filter_widget("belegt"), help=tr("filter.nur_belegt_hilfe"))
        st.selectbox(tr("filter.stadtteil"), ["", *names], **filter_widget("st"),
                     format_func=lambda i: names.get(i, tr("filter.alle_stadtteile")))
        st.checkbox(tr("filter.beendete"), **filter_widget("beendete"))
        st.button(tr("filter.zuruecksetzen"), key="qk_filter_reset", on_click=reset_filters)
    chosen = st.session_state[widget_key("hf")]
    district = st.session_state[widget_key("st")]
    return OfferFilter(
        # nothing chosen = all (the placeholder says "Alle"), never an empty map
        handlungsfelder=tuple(chosen) or None, stadtteil_ids=(district,) if district else None,
        zielgruppen=tuple(st.session_state[widget_key("zg")]), sprachen=tuple(st.session_state[widget_key("sp")]),
        kostenlos=st.session_state[widget_key("kostenlos")], barrierefrei=st.session_state[widget_key("barrierefrei")],
        jetzt_offen=st.session_state[widget_key("offen")], nur_belegt=st.session_state[widget_key("belegt")],
        text=st.session_state[widget_key("q")] if with_text else "", beendete=st.session_state[widget_key("beendete")])
