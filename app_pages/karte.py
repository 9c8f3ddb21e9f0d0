"""Karte: offers per Handlungsfeld on the Stadtteil map, with filters and a table of what is shown."""
import streamlit as st
from streamlit_folium import st_folium

from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER
from geo.export import offers_csv, offers_table
from geo.filters import filter_offers
from geo.indicators import MAP_INDICATORS
from geo.mapbuild import MapOptions, build_map
from ui import data_problem_notice, dataset_or_stop, footer, lang, schematic_notice, settings, tr

data = dataset_or_stop()
names = dict(zip(data.districts["id"], data.districts["name"]))

with st.sidebar:
    st.header(tr("filter.titel"))
    chosen_fields = st.multiselect(
        tr("filter.handlungsfeld"), [hf.name for hf in HANDLUNGSFELDER], default=[hf.name for hf in HANDLUNGSFELDER],
        format_func=lambda name: tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[name].key}"),
    )
    district = st.selectbox(tr("filter.stadtteil"), ["", *sorted(names, key=names.get)],
                            format_func=lambda i: names.get(i, tr("filter.alle_stadtteile")))
    indicator = st.selectbox(tr("filter.indikator"), ["", *MAP_INDICATORS],
                             format_func=lambda k: tr(f"indikator.{k}") if k else tr("indikator.keine"))

st.title(tr("karte.titel"))
st.write(tr("karte.einleitung"))
schematic_notice(data)
data_problem_notice(data)

shown = filter_offers(data.offers, chosen_fields, [district] if district else None)
st.markdown(tr("karte.anzahl", n=len(shown), gesamt=len(data.offers)))

fmap = build_map(data.districts, shown, data.indicators, MapOptions(
    indicator=indicator or None, tiles=settings().tiles, lang=lang(), focus_district=district or None))
# returned_objects=[]: panning and zooming must not rerun the script.
st_folium(fmap, key="karte", height=600, use_container_width=True, returned_objects=[])
st.caption(tr("karte.liste_hinweis"))

st.subheader(tr("karte.tabelle_titel", n=len(shown)))
st.dataframe(offers_table(shown, lang()), hide_index=True, width="stretch")
st.download_button(tr("karte.download"), offers_csv(shown, lang()), file_name="quartierskarte-angebote.csv",
                   mime="text/csv")
footer()
