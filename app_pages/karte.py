"""Karte: offers per Handlungsfeld on the Stadtteil map, with filters and a table of what is shown."""
import streamlit as st
from streamlit_folium import st_folium

from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER, MAX_MAP_MARKERS, MAX_TABLE_ROWS
from geo.export import offers_csv, offers_table
from geo.indicators import MAP_INDICATORS
from geo.join import has_location
from ui import (cached_map, data_problem_notice, dataset_or_stop, district_options, footer, lang,
                schematic_notice, shown_offers, tr)

data = dataset_or_stop()
names = district_options(data)

with st.sidebar:
    st.header(tr("filter.titel"))
    chosen_fields = st.multiselect(
        tr("filter.handlungsfeld"), [hf.name for hf in HANDLUNGSFELDER], default=[hf.name for hf in HANDLUNGSFELDER],
        format_func=lambda name: tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[name].key}"),
    )
    district = st.selectbox(tr("filter.stadtteil"), ["", *names], format_func=lambda i: names.get(i, tr("filter.alle_stadtteile")))
    indicator = st.selectbox(tr("filter.indikator"), ["", *MAP_INDICATORS],
                             format_func=lambda k: tr(f"indikator.{k}") if k else tr("indikator.keine"))
    show_ended = st.checkbox(tr("filter.beendete"), value=False)

st.title(tr("karte.titel"))
st.write(tr("karte.einleitung"))
schematic_notice(data)
data_problem_notice(data)

fields = tuple(chosen_fields)
districts = (district,) if district else None
shown = shown_offers(fields, districts, "", show_ended)
n_on_map = int(has_location(shown).sum())
st.markdown(tr("karte.anzahl", n=len(shown), gesamt=len(data.offers), karte=n_on_map, liste=len(shown) - n_on_map))

if n_on_map > MAX_MAP_MARKERS:
    st.warning(tr("karte.zu_viele", n=n_on_map, max=MAX_MAP_MARKERS))
fmap = cached_map(fields, districts, show_ended, indicator or None, district or None, lang())
# returned_objects=[]: panning and zooming must not rerun the script.
st_folium(fmap, key="karte", height=600, use_container_width=True, returned_objects=[])
st.caption(tr("karte.liste_hinweis"))

st.subheader(tr("karte.tabelle_titel", n=len(shown)))
if len(shown) > MAX_TABLE_ROWS:
    st.caption(tr("karte.tabelle_gekuerzt", n=MAX_TABLE_ROWS, gesamt=len(shown)))
st.dataframe(offers_table(shown.head(MAX_TABLE_ROWS), lang()), hide_index=True, width="stretch")
ui_lang = lang()
# A callable: the CSV is built when someone clicks, not on every visit.
st.download_button(tr("karte.download"), lambda: offers_csv(shown, ui_lang), file_name="quartierskarte-angebote.csv",
                   mime="text/csv", on_click="ignore")
footer()
