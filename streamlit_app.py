"""Quartierskarte Minden – entry point: page setup and navigation."""
from pathlib import Path

import streamlit as st

from app.pages.rechtliches import barrierefreiheit, datenschutz, impressum
from app.state import lang, tr
from app.widgets.page import failover_notice, keep_language, language_picker, preload_map_assets
from app.widgets.ui_texts import streamlit_texts

# A local favicon: icon names and emoji would make Streamlit fetch an image from a font CDN.
st.set_page_config(page_title=tr("app.titel"), page_icon=str(Path(__file__).parent / "static/qk/favicon.png"), layout="wide")
language_picker()
keep_language()
streamlit_texts(lang())  # Streamlit's own English labels (skip link, sidebar, multiselect buttons) in the user's language
failover_notice()
navigation = st.navigation([
    st.Page("app/pages/karte.py", title=tr("seite.karte"), icon=":material/map:", default=True),
    st.Page("app/pages/angebote.py", title=tr("seite.angebote"), icon=":material/list:", url_path="angebote"),
    st.Page("app/pages/luecken.py", title=tr("seite.luecken"), icon=":material/grid_on:", url_path="luecken"),
    st.Page("app/pages/stadtteile.py", title=tr("seite.stadtteile"), icon=":material/bar_chart:", url_path="stadtteile"),
    st.Page("app/pages/massnahmen.py", title=tr("seite.massnahmen"), icon=":material/checklist:", url_path="massnahmen"),
    st.Page("app/pages/drucken.py", title=tr("seite.drucken"), icon=":material/print:", url_path="drucken"),
    st.Page("app/pages/redaktion.py", title=tr("seite.redaktion"), icon=":material/edit_note:", url_path="redaktion"),
    st.Page("app/pages/datenquellen.py", title=tr("seite.datenquellen"), icon=":material/menu_book:", url_path="datenquellen"),
    # legal pages: linked from every page's footer
    st.Page(impressum, title=tr("rechtliches.impressum"), icon=":material/info:", url_path="impressum"),
    st.Page(datenschutz, title=tr("rechtliches.datenschutz"), icon=":material/shield:", url_path="datenschutz"),
    st.Page(barrierefreiheit, title=tr("rechtliches.barrierefreiheit"), icon=":material/accessibility:",
            url_path="barrierefreiheit"),
])
if navigation.url_path in ("", "luecken"):  # the pages that open with a map
    preload_map_assets()
navigation.run()
