"""Versorgungslücken: coverage per Stadtteil, a gap grid and a need-weighted ranking, for Quartiersmanagements."""
from datetime import date

import streamlit as st
from streamlit_folium import st_folium

from app.cache import cached_map, coverage_for, filtered_offers, now
from app.state import lang, restore_view_from_url, tr, write_view_to_url
from app.widgets.filters import filter_sidebar
from app.widgets.page import data_problem_notice, dataset_or_stop, footer, schematic_notice
from geo.analysis.coverage import (
    DEFAULT_CELL_M,
    approximate_counts,
    coverage_display,
    gap_ranking_html,
    gap_scores,
    straight_line_radius,
)
from geo.analysis.join import has_location
from geo.analysis.nearest import DETOUR_FACTOR
from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER
from geo.data.districts import geometry_note
from geo.data.indicators import MAP_INDICATORS, bands_by_district, indicator_unit
from geo.dataset import district_options
from geo.exchange.csv_export import spreadsheet_csv
from geo.formatting import format_number
from geo.render.gapmap import add_gap_layer, gap_map_png

data = dataset_or_stop()
restore_view_from_url(data)
flt = filter_sidebar(data)
ui_lang = lang()
names = district_options(data)

st.title(tr("luecken.titel"))
st.write(tr("luecken.einleitung"))
schematic_notice(data)
data_problem_notice(data)

col_walk, col_need = st.columns([3, 2])
walk_m = col_walk.slider(tr("luecken.gehweg"), min_value=300, max_value=2000, value=800, step=100, key="l_gehweg")
need = col_need.selectbox(tr("luecken.bedarf"), list(MAP_INDICATORS), key="l_bedarf",
                          format_func=lambda k: tr(f"indikator.{k}"))
radius = straight_line_radius(walk_m)
st.caption(tr("luecken.gehweg_hilfe", gehweg=format_number(walk_m, 0, ui_lang),
              luftlinie=format_number(round(radius / 5) * 5, 0, ui_lang), umweg=format_number(DETOUR_FACTOR, 1, ui_lang)))

offers = filtered_offers(flt)
table, grid = coverage_for(flt, float(walk_m), DEFAULT_CELL_M, now() if flt.jetzt_offen else None)
need_name = tr(f"indikator.{need}")
unit = indicator_unit(data.indicators, need)
bands = bands_by_district(data.indicators, list(data.districts["id"]), need)
need_labels = {d: b.label(unit, ui_lang) for d, b in bands.items() if b is not None}
walk_text = format_number(walk_m, 0, ui_lang)

st.header(tr("luecken.rangfolge_titel"))
st.markdown(tr("luecken.formel", gehweg=walk_text))
st.html(gap_ranking_html(gap_scores(table, data.indicators, need), walk_m, need_name, unit, ui_lang))

st.header(tr("luecken.tabelle_titel"))
display = coverage_display(table, approximate_counts(data.districts, offers), need_labels, walk_m, need_name, ui_lang)
st.dataframe(display, hide_index=True, width="stretch")
st.caption(tr("luecken.tabelle_hinweis"))
st.download_button(tr("luecken.download_tabelle"), lambda: spreadsheet_csv(display),
                   file_name=f"quartierskarte-versorgung-{walk_m}m.csv", mime="text/csv", on_click="ignore")

st.header(tr("luecken.karte_titel"))
st.caption(tr("luecken.karte_hinweis", zelle=format_number(DEFAULT_CELL_M, 0, ui_lang)))
district = flt.stadtteil_ids[0] if flt.stadtteil_ids else None
fmap = add_gap_layer(cached_map(flt, None, district, ui_lang), grid, radius, names, ui_lang)
st_folium(fmap, key="luecken", height=560, use_container_width=True, returned_objects=[])

fields = flt.handlungsfelder or tuple(hf.name for hf in HANDLUNGSFELDER)
selection = (", ".join(tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[f].key}") for f in fields)
             if len(fields) < len(HANDLUNGSFELDER) else tr("luecken.alle_angebote"))
title = tr("luecken.png_titel", auswahl=selection, gehweg=walk_text)
note = tr("luecken.png_hinweis", datum=date.today().isoformat(), grenzen=geometry_note(data.districts, ui_lang))
st.download_button(tr("luecken.download_png"),
                   lambda: gap_map_png(grid, data.districts, offers, radius, title, note, ui_lang),
                   file_name=f"quartierskarte-luecken-{walk_m}m.png", mime="image/png", on_click="ignore")

with st.expander(tr("luecken.methoden_titel")):
    located = offers[has_location(offers)]
    approx = int(located["lage_genauigkeit"].isin(["strasse", "stadtteil"]).sum())
    dates = sorted({str(d) for d in data.indicators.loc[data.indicators["indikator"] == need, "stichtag"] if d})
    published = data.published_source("sozialatlas")
    indicator_dates = "; ".join(tr("luecken.kennzahl_quelle" if published else "luecken.kennzahl",
                                   name=tr(f"indikator.{key}"), quelle=published or "", stichtag=", ".join(sorted(
        {str(d) for d in data.indicators.loc[data.indicators["indikator"] == key, "stichtag"] if d})) or "–")
        for key in MAP_INDICATORS)
    population_dates = sorted(d for d in table["einwohner_stichtag"] if d)
    if population_dates:
        indicator_dates += " " + tr("luecken.einwohner_stichtage", von=population_dates[0], bis=population_dates[-1])
    st.markdown(tr("luecken.methoden", umweg=format_number(DETOUR_FACTOR, 1, ui_lang), ungefaehr=approx,
                   verortet=len(located), ohne_ort=len(offers) - len(located), kennzahlen=indicator_dates,
                   grenzen=geometry_note(data.districts, ui_lang)))
write_view_to_url(flt)
footer()
