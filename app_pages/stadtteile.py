"""Stadtteile: population, Sozialatlas bands and offers per Handlungsfeld side by side (for planners)."""
import streamlit as st

from geo.export import spreadsheet_csv
from geo.indicators import MAP_INDICATORS
from geo.overview import district_overview
from ui import dataset_or_stop, footer, lang, schematic_notice, tr

data = dataset_or_stop()
st.title(tr("stadtteile.titel"))
st.write(tr("stadtteile.einleitung"))
schematic_notice(data)

overview = district_overview(data.districts, data.offers, data.indicators, lang())
st.dataframe(overview, hide_index=True, width="stretch")
st.download_button(tr("stadtteile.download"), spreadsheet_csv(overview), file_name="quartierskarte-stadtteile.csv",
                   mime="text/csv")

st.subheader(tr("stadtteile.herkunft_titel"))
st.write(tr("stadtteile.herkunft_text"))
details = data.indicators[data.indicators["indikator"].isin(MAP_INDICATORS)]
st.dataframe(details[["stadtteil", "gebiet", "indikator", "angabe", "wert", "untergrenze", "obergrenze", "stichtag", "methode", "quelle"]],
             hide_index=True, width="stretch")
footer()
