"""Stadtteile im Vergleich: 2–6 chosen districts side by side with the city as reference (for planners),
then the overview of all districts and where each figure comes from."""
import altair as alt
import streamlit as st

from app.cache import chart_png, now
from app.state import lang, tr
from app.widgets.exports import xlsx_button
from app.widgets.page import (
    dataset_or_stop,
    footer,
    plain_alert,
    png_img_html,
    print_chart,
    print_table,
    schematic_notice,
)
from geo.analysis.comparison import (
    FOCUS_DISTRICTS,
    MAX_CHOSEN,
    MIN_CHOSEN,
    chart_frame,
    chart_values,
    charts_png,
    chosen_ids,
    comparison_records,
    comparison_table,
    requested_ids,
    small_multiples_png,
)
from geo.analysis.overview import CITY_ID, district_overview
from geo.data.districts import geometry_note
from geo.data.indicators import MAP_INDICATORS
from geo.dataset import district_options
from geo.exchange.table_export import csv_bytes, export_file_name

COMPARISON_PARAM = "auswahl"
WALK_PARAM = "gehweg"
WALK_MIN, WALK_MAX, WALK_STEP, WALK_DEFAULT = 300, 2000, 100, 800


def walk_from_link(value: str | None) -> int:
    """The walking distance a link asks for, on the slider's steps; the default for anything else."""
    try:
        metres = int(value or WALK_DEFAULT)
    except ValueError:
        return WALK_DEFAULT
    return min(WALK_MAX, max(WALK_MIN, round(metres / WALK_STEP) * WALK_STEP))


data = dataset_or_stop()
ui_lang = lang()
names = district_options(data)
st.title(tr("vergleich.titel"))
st.write(tr("vergleich.einleitung"))
schematic_notice(data)

# The selection and the walking distance live in the URL (?auswahl=baerenkaempen,rodenbeck&gehweg=800) so that a
# planner can mail the link.
if "v_auswahl" not in st.session_state:
    requested, unknown = requested_ids((st.query_params.get(COMPARISON_PARAM) or "").split(","), names)
    st.session_state["v_auswahl"] = chosen_ids(requested or list(FOCUS_DISTRICTS), list(names))
    st.session_state["v_unbekannt"] = unknown
    st.session_state["v_gehweg"] = walk_from_link(st.query_params.get(WALK_PARAM))
if st.session_state.get("v_unbekannt"):
    plain_alert(tr("vergleich.unbekannt", liste=", ".join(st.session_state["v_unbekannt"]),
                   gezeigt=", ".join(names[i] for i in st.session_state["v_auswahl"])))
picked = st.multiselect(tr("vergleich.auswahl"), list(names), key="v_auswahl", format_func=names.get,
                        max_selections=MAX_CHOSEN, placeholder=tr("filter.alle"))
if len(picked) < MIN_CHOSEN:
    st.info(tr("vergleich.auswahl_hinweis"))
ids = chosen_ids(picked, list(names))
st.query_params[COMPARISON_PARAM] = ",".join(ids)
walk_m = st.slider(tr("vergleich.gehweg"), min_value=WALK_MIN, max_value=WALK_MAX, step=WALK_STEP, key="v_gehweg")
st.query_params[WALK_PARAM] = str(walk_m)

current = data.offers[data.offers["status"] != "beendet"]
st.header(tr("vergleich.tabelle_titel"))
table = comparison_table(data.districts, current, data.indicators, ids, walk_m, ui_lang)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={tr("vergleich.kennzahl"): st.column_config.TextColumn(pinned=True)})
print_table(table)  # on paper: every column and row (the grid prints only what is scrolled into view)
# the downloads: one row per area and measure, numbers in their own columns, bands as bands (not display text)
# built when someone clicks (the coverage behind it takes a third of a second), not on every run of the page
def records():
    return comparison_records(data.districts, current, data.indicators, ids, walk_m, ui_lang)


today = now().date().isoformat()
name_parts = [*ids, f"{walk_m}m", today]
col_csv, col_xlsx = st.columns(2)
col_csv.download_button(tr("vergleich.download"), lambda: csv_bytes(records()), on_click="ignore",
                        file_name=export_file_name("quartierskarte-vergleich", name_parts, "csv"), mime="text/csv")
xlsx_button(data, lambda: {tr("export.blatt_vergleich"): records()}, tr("export.titel_vergleich"),
            tr("handzettel.alle"), {tr("export.meta_auswahl"): ", ".join(names[i] for i in ids),
                                    tr("export.meta_gehweg"): walk_m, tr("export.meta_hinweis"): tr("export.hinweis_vergleich")},
            export_file_name("quartierskarte-vergleich", name_parts, "xlsx"), "v_xlsx", col_xlsx)

st.header(tr("vergleich.diagramme_titel"))
st.caption(tr("vergleich.diagramme_hinweis"))
city_label = tr("vergleich.stadt")
series = []
for key in MAP_INDICATORS:
    values, city = chart_values(data.indicators, data.districts, ids, key, ui_lang)
    series.append((tr(f"indikator.{key}"), values, city))
for title, values, city in series:
    frame = chart_frame(values)
    frame["form"] = frame["form"].map(lambda f: tr(f"vergleich.form_{f}"))
    frame["text_x"] = frame["high"].fillna(0)
    # every chosen district gets a row, also one without a figure (its label says "keine Angabe")
    y = alt.Y("name:N", sort=[v.name for v in values], title=None, scale=alt.Scale(domain=[v.name for v in values]),
              axis=alt.Axis(labelOverlap=False, labelLimit=220, labelFontSize=12))
    x = alt.X("low:Q", title="%", scale=alt.Scale(domain=[0, 100]))
    base = alt.Chart(frame).encode(y=y)
    # Marks without ARIA roles (Vega would give each an unnamed "graphics-symbol"); the chart has a description
    # and the same figures follow as text.
    exact = base.transform_filter(alt.datum.form == tr("vergleich.form_wert")).mark_bar(color="#1F5BA6", aria=False).encode(
        x=alt.X("high:Q", title="%", scale=alt.Scale(domain=[0, 100])))
    band = base.transform_filter(alt.datum.form == tr("vergleich.form_spanne")).mark_bar(
        color="#1F5BA6", opacity=0.3, stroke="#0b2f5e", strokeDash=[4, 2], aria=False).encode(x=x, x2="high:Q")
    spans = base.transform_filter(alt.datum.form == tr("vergleich.form_spanne"))
    ends = alt.layer(spans.mark_tick(color="#0b2f5e", thickness=2, aria=False).encode(x=x),
                     spans.mark_tick(color="#0b2f5e", thickness=2, aria=False).encode(x=alt.X("high:Q", title="%")))
    labels = base.mark_text(align="left", dx=4, color="#1b1b1b", aria=False).encode(
        x=alt.X("text_x:Q", title="%"), text="label:N", tooltip=["name:N", "label:N", "form:N"])
    layers = [band, ends, exact, labels]
    if city is not None:
        layers.append(alt.Chart({"values": [{"x": city}]}).mark_rule(color="#8a1c1c", strokeDash=[6, 3], aria=False)
                      .encode(x="x:Q"))
    description = f"{title}: " + "; ".join(f"{v.name}: {v.label}" for v in values)
    st.altair_chart(alt.layer(*layers).properties(title=title, height=40 * len(values) + 30, description=description),
                    width="stretch")
    # on paper the chart as a static image as wide as A4 (the widget prints as a cut, scaled canvas)
    print_chart(chart_png(title, tuple(values), city, city_label, tr("export.achse_prozent")), description)
    # the same figures as text for screen readers and for reading without the chart
    st.caption(" · ".join(f"{v.name}: {v.label}" for v in values))
chart_rows = data.indicators[data.indicators["indikator"].isin(MAP_INDICATORS)
                             & data.indicators["stadtteil_id"].isin([*ids, CITY_ID])]
chart_note = tr("export.diagramm_fuss", einheit="%", datum=today,
                quelle=data.published_source("sozialatlas") or " | ".join(dict.fromkeys(
                    str(q) for q in chart_rows["quelle"] if str(q))) or "–",
                stichtag=", ".join(sorted({str(d) for d in chart_rows["stichtag"] if str(d)})) or "–")
st.download_button(tr("vergleich.download_png"),
                   lambda: charts_png(series, city_label, note=chart_note, unit_label=tr("export.achse_prozent")),
                   file_name=export_file_name("quartierskarte-diagramme", name_parts, "png"), mime="image/png",
                   on_click="ignore")

st.header(tr("vergleich.karten_titel"))
st.caption(tr("vergleich.karten_hinweis", grenzen=geometry_note(data.districts, ui_lang)))
# st.image writes no alt text: the image goes in as HTML with a description (WCAG 1.1.1)
st.html(png_img_html(small_multiples_png(data.districts, current, ids, ui_lang),
                     tr("vergleich.karten_alt", liste=", ".join(names[i] for i in ids))))

st.header(tr("vergleich.alle_titel"))
st.write(tr("stadtteile.einleitung"))
overview = district_overview(data.districts, data.offers, data.indicators, ui_lang)
name_column = overview.columns[0]
st.dataframe(overview, hide_index=True, width="stretch", column_config={
    name_column: st.column_config.TextColumn(pinned=True),
    tr("uebersicht.einwohner"): st.column_config.NumberColumn(format="localized"),
    tr("uebersicht.je_1000"): st.column_config.NumberColumn(format="%.1f"),
})
print_table(overview)
col_csv, col_xlsx = st.columns(2)
col_csv.download_button(tr("stadtteile.download"), csv_bytes(overview),
                        file_name=export_file_name("quartierskarte-stadtteile", [today], "csv"), mime="text/csv")
xlsx_button(data, lambda: {tr("export.blatt_stadtteile"): overview}, tr("export.titel_stadtteile"),
            tr("handzettel.alle"), {}, export_file_name("quartierskarte-stadtteile", [today], "xlsx"), "s_xlsx",
            col_xlsx)

st.header(tr("stadtteile.herkunft_titel"))
st.write(tr("stadtteile.herkunft_text"))
columns = ["stadtteil", "gebiet", "indikator", "angabe", "wert", "untergrenze", "obergrenze", "stichtag", "methode", "quelle"]
details = data.indicators.loc[data.indicators["indikator"].isin(MAP_INDICATORS), columns].copy()
details["indikator"] = details["indikator"].map(lambda key: tr(f"indikator.{key}"))
st.dataframe(details.rename(columns={c: tr(f"herkunft.{c}") for c in columns}), hide_index=True, width="stretch")
print_table(details.rename(columns={c: tr(f"herkunft.{c}") for c in columns}))
footer()
