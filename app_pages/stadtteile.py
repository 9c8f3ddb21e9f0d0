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
name_column = overview.columns[0]
st.dataframe(overview, hide_index=True, width="stretch", column_config={
    name_column: st.column_config.TextColumn(pinned=True),
    tr("uebersicht.einwohner"): st.column_config.NumberColumn(format="localized"),
    tr("uebersicht.je_1000"): st.column_config.NumberColumn(format="%.1f"),
})
st.download_button(tr("stadtteile.download"), spreadsheet_csv(overview), file_name="quartierskarte-stadtteile.csv",
                   mime="text/csv")

st.subheader(tr("stadtteile.herkunft_titel"))
st.write(tr("stadtteile.herkunft_text"))
columns = ["stadtteil", "gebiet", "indikator", "angabe", "wert", "untergrenze", "obergrenze", "stichtag", "methode", "quelle"]
details = data.indicators.loc[data.indicators["indikator"].isin(MAP_INDICATORS), columns].copy()
details["indikator"] = details["indikator"].map(lambda key: tr(f"indikator.{key}"))
st.dataframe(details.rename(columns={c: tr(f"herkunft.{c}") for c in columns}), hide_index=True, width="stretch")
footer()
