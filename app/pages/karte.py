"""Karte: the resident's page — where am I, what is near me, filtered; offers per Handlungsfeld on the map."""
import streamlit as st

from app.cache import cached_map_frame, filtered_offers, handout_bytes, now
from app.state import chosen_offer, lang, public_url, restore_view_from_url, set_offer, tr, write_view_to_url
from app.widgets.exports import filter_text, xlsx_button
from app.widgets.filters import filter_sidebar
from app.widgets.location import location_box, take_map_click
from app.widgets.mapframe import map_frame
from app.widgets.page import (
    data_problem_notice,
    dataset_or_stop,
    footer,
    html_table,
    list_styles,
    pdf_unavailable,
    plain_alert,
    schematic_notice,
)
from app.widgets.suggestion import suggestion_form
from geo.analysis.filters import UNKNOWN_COLUMN
from geo.analysis.join import has_location
from geo.analysis.nearest import IN_DISTRICT_COLUMN, district_at, nearest_offers
from geo.config import MAX_MAP_MARKERS, MAX_TABLE_ROWS
from geo.data.indicators import MAP_INDICATORS
from geo.exchange.csv_export import offers_csv, offers_table
from geo.exchange.table_export import export_file_name, filter_name_parts
from geo.render.mapbuild import MapFocus, focus_bounds
from geo.render.offer_view import distance_text, nearest_item_html, offer_card_html, walking_assumption

NEAREST_SHOWN = 10
NEAR_KM = 2

data = dataset_or_stop()
restore_view_from_url(data)
flt = filter_sidebar(data, with_text=True)
with st.sidebar:
    indicator = st.selectbox(tr("filter.indikator"), ["", *MAP_INDICATORS], key="f_indikator",
                             format_func=lambda k: tr(f"indikator.{k}") if k else tr("indikator.keine"))
ui_lang = lang()

list_styles()
st.title(tr("karte.titel"))
st.write(tr("karte.einleitung"))
schematic_notice(data)
data_problem_notice(data)

st.header(tr("standort.titel"))
location = location_box()

shown = filtered_offers(flt)
n_on_map = int(has_location(shown).sum())
st.markdown(tr("karte.anzahl", n=len(shown), gesamt=len(data.offers), karte=n_on_map, liste=len(shown) - n_on_map))
n_unknown = int((shown[UNKNOWN_COLUMN] != "").sum())
if flt.active_criteria() and n_unknown:
    st.caption(tr("filter.ohne_angabe", n=n_unknown))
if n_on_map > MAX_MAP_MARKERS:
    st.warning(tr("karte.zu_viele", n=n_on_map, max=MAX_MAP_MARKERS))

# measured from the location as a link keeps it (rounded), with the handout's rule for offers in her district
here = location.rounded() if location is not None else None
nearest = (nearest_offers(shown, here.lon, here.lat, k=None, home_district=district_at(data.districts, here.lon, here.lat))
           if here is not None else None)
offer_id = chosen_offer()
district = flt.stadtteil_ids[0] if flt.stadtteil_ids else None
focus = None
if location is not None or offer_id:
    near_points = [(float(r.geometry.y), float(r.geometry.x)) for r in nearest.head(3).itertuples()] if nearest is not None else []
    focus = MapFocus(
        location=(location.lat, location.lon) if location is not None else None,
        location_label=tr("standort.marker"), offer_id=offer_id,
        bounds=focus_bounds([(location.lat, location.lon), *near_points]) if location is not None else None)
# Built once per filter and focus for all visitors. Only taps come back (they set the location): panning and
# zooming must not rerun the script.
take_map_click(map_frame(cached_map_frame(flt, indicator or None, district, ui_lang, locate=True, focus=focus),
                         key="karte", height=520, report_clicks=True))
st.caption(tr("karte.liste_hinweis"))

st.header(tr("naehe.titel"))
if nearest is None:
    st.info(tr("naehe.ohne_standort"), icon=":material/my_location:")
elif nearest.empty:
    st.warning(tr("naehe.keine"))
else:
    st.caption(walking_assumption(ui_lang))
    if float(nearest["distanz_m"].iloc[0]) > NEAR_KM * 1000 and not nearest[IN_DISTRICT_COLUMN].iloc[0]:
        first = nearest.iloc[0]
        plain_alert(tr("naehe.keins_nah", km=NEAR_KM, name=first["name"],
                      stadtteil=first["stadtteil_name"] or first["stadtteil"] or "–",
                      entfernung=distance_text(first["distanz_m"], first["gehminuten"], first["lage_genauigkeit"], ui_lang)))
    st.caption(tr("naehe.mehr", n=min(NEAREST_SHOWN, len(nearest)), gesamt=len(nearest)))
    for _, offer in nearest.head(NEAREST_SHOWN).iterrows():
        with st.container(border=True):
            st.html(nearest_item_html(offer, ui_lang, selected=offer["id"] == offer_id))
            st.button(tr("naehe.gezeigt") if offer["id"] == offer_id else tr("naehe.zeigen"), key=f"zeigen-{offer['id']}",
                      on_click=set_offer, args=(offer["id"],), disabled=offer["id"] == offer_id)
    if len(shown) > n_on_map:
        st.caption(tr("naehe.ohne_ort", n=len(shown) - n_on_map))
    if not pdf_unavailable():
        base = public_url()
        st.download_button(tr("poster.download_handout"), lambda: handout_bytes(location, ui_lang, base, flt),
                           file_name=f"quartierskarte-handzettel-{ui_lang}.pdf", mime="application/pdf",
                           on_click="ignore")

if offer_id:
    chosen = data.offers[data.offers["id"] == offer_id]
    if chosen.empty:
        st.warning(tr("detail.nicht_gefunden"))
    else:
        with st.container(border=True):
            st.html(offer_card_html(chosen.iloc[0], ui_lang, heading_level=2, now=now()))
            st.button(tr("detail.schliessen"), key="detail-zu", on_click=set_offer, args=(None,))
            suggestion_form(offer_id, key="vorschlag-angebot")

st.header(tr("karte.tabelle_titel", n=len(shown)))
if len(shown) > MAX_TABLE_ROWS:
    st.caption(tr("karte.tabelle_gekuerzt", n=MAX_TABLE_ROWS, gesamt=len(shown)))
# A plain HTML table (screen and paper), not st.dataframe: the grid's code (about 35 files) held the map back.
html_table(offers_table(shown.head(MAX_TABLE_ROWS), ui_lang), tr("karte.tabelle_titel", n=len(shown)))
# Callables: the files are built when someone clicks, not on every visit; their names carry the filter and date.
name_parts = [*filter_name_parts(flt), now().date().isoformat()]
col_csv, col_xlsx = st.columns(2)
col_csv.download_button(tr("karte.download"), lambda: offers_csv(shown, ui_lang),
                        file_name=export_file_name("quartierskarte-angebote", name_parts, "csv"), mime="text/csv",
                        on_click="ignore")
xlsx_button(data, lambda: {tr("export.blatt_angebote"): offers_table(shown, ui_lang)}, tr("export.titel_angebote"),
            filter_text(flt, data), {}, export_file_name("quartierskarte-angebote", name_parts, "xlsx"), "k_xlsx",
            col_xlsx)
suggestion_form()
write_view_to_url(flt)
footer()
