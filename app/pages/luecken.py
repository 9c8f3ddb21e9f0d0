"""Versorgungslücken: coverage per Stadtteil, a gap grid and a need-weighted ranking, for Quartiersmanagements."""
from datetime import date

import streamlit as st

from app.cache import cached_map, coverage_for, filtered_offers, now
from app.state import lang, restore_view_from_url, tr, write_view_to_url
from app.widgets.exports import filter_text, xlsx_button
from app.widgets.filters import filter_sidebar
from app.widgets.mapframe import map_document, map_frame
from app.widgets.page import data_problem_notice, dataset_or_stop, footer, print_table, schematic_notice
from geo.analysis.coverage import (
    DEFAULT_CELL_M,
    SAMPLE_M,
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
from geo.exchange.table_export import coverage_records, csv_bytes, export_file_name, filter_name_parts
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
scores = gap_scores(table, data.indicators, need)
st.html(gap_ranking_html(scores, walk_m, need_name, unit, ui_lang))

st.header(tr("luecken.tabelle_titel"))
approximate = approximate_counts(data.districts, offers)
display = coverage_display(table, approximate, need_labels, walk_m, need_name, ui_lang)
st.dataframe(display, hide_index=True, width="stretch")
print_table(display)  # on paper: every row (the grid prints only what is scrolled into view)
st.caption(tr("luecken.tabelle_hinweis"))
# what the numbers do not say belongs next to them, not folded away under the map
st.markdown(tr("luecken.nicht_sagen"))
# the downloads: machine-readable (numbers as numbers, gap score and rank), named after filter, distance, need, date
name_parts = [*filter_name_parts(flt), f"{walk_m}m", need, now().date().isoformat()]
records = coverage_records(table, scores, approximate, walk_m, need, need_labels)
col_csv, col_xlsx = st.columns(2)
col_csv.download_button(tr("luecken.download_tabelle"), lambda: csv_bytes(records),
                        file_name=export_file_name("quartierskarte-versorgung", name_parts, "csv"), mime="text/csv",
                        on_click="ignore")
xlsx_button(data, lambda: {tr("export.blatt_versorgung"): records},
            tr("export.titel_versorgung", gehweg=walk_text, indikator=need_name), filter_text(flt, data),
            {tr("export.meta_gehweg"): walk_m, tr("export.meta_bedarf"): need_name,
             tr("export.meta_hinweis"): tr("export.hinweis_versorgung")},
            export_file_name("quartierskarte-versorgung", name_parts, "xlsx"), "l_xlsx", col_xlsx)

st.header(tr("luecken.karte_titel"))
st.caption(tr("luecken.karte_hinweis", zelle=format_number(DEFAULT_CELL_M, 0, ui_lang)))
district = flt.stadtteil_ids[0] if flt.stadtteil_ids else None
fmap = add_gap_layer(cached_map(flt, None, district, ui_lang), grid, radius, names, ui_lang)
map_frame(map_document(fmap, tr("karte.kartenbereich")), key="luecken", height=560)

fields = flt.handlungsfelder or tuple(hf.name for hf in HANDLUNGSFELDER)
selection = (", ".join(tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[f].key}") for f in fields)
             if len(fields) < len(HANDLUNGSFELDER) else tr("luecken.alle_angebote"))
title = tr("luecken.png_titel", auswahl=selection, gehweg=walk_text)
note = tr("luecken.png_hinweis", datum=date.today().isoformat(), grenzen=geometry_note(data.districts, ui_lang))
st.download_button(tr("luecken.download_png"),
                   lambda: gap_map_png(grid, data.districts, offers, radius, title, note, ui_lang),
                   file_name=export_file_name("quartierskarte-luecken", name_parts, "png"), mime="image/png", on_click="ignore")

with st.expander(tr("luecken.methoden_titel")):
    located = offers[has_location(offers)]
    # every count is computed: the text once said "38 der 43 … nur ihrem Stadtteil zugeordnet" (33 were, 5 had a street)
    precision = located["lage_genauigkeit"].value_counts()
    dates = sorted({str(d) for d in data.indicators.loc[data.indicators["indikator"] == need, "stichtag"] if d})
    published = data.published_source("sozialatlas")
    indicator_dates = "; ".join(tr("luecken.kennzahl_quelle" if published else "luecken.kennzahl",
                                   name=tr(f"indikator.{key}"), quelle=published or "", stichtag=", ".join(sorted(
        {str(d) for d in data.indicators.loc[data.indicators["indikator"] == key, "stichtag"] if d})) or "–")
        for key in MAP_INDICATORS)
    population_dates = sorted(d for d in table["einwohner_stichtag"] if d)
    if population_dates:
        indicator_dates += " " + tr("luecken.einwohner_stichtage", von=population_dates[0], bis=population_dates[-1])
    # each count in the plural form it takes ("1 Angebot hat", "3 Angebote haben")
    placed = " ".join([tr("luecken.lage_verortet", n=len(located), stadtteil=int(precision.get("stadtteil", 0)),
                          strasse=int(precision.get("strasse", 0)), adresse=int(precision.get("adresse", 0))),
                       tr("luecken.lage_ohne_ort", n=len(offers) - len(located))])
    st.markdown(tr("luecken.methoden", umweg=format_number(DETOUR_FACTOR, 1, ui_lang), lage=placed,
                   raster=format_number(SAMPLE_M, 0, ui_lang), kennzahlen=indicator_dates,
                   grenzen=geometry_note(data.districts, ui_lang)))
write_view_to_url(flt)
footer()
