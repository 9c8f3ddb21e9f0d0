"""Angebote: every offer as an accessible list with search — the map's content without the map."""
import streamlit as st

from app.cache import filtered_offers, now
from app.state import lang, restore_view_from_url, tr, write_view_to_url
from app.widgets.exports import filter_text, xlsx_button
from app.widgets.filters import filter_sidebar
from app.widgets.page import dataset_or_stop, footer, list_styles, print_cards, schematic_notice
from geo.analysis.filters import UNKNOWN_COLUMN
from geo.analysis.search import query_words
from geo.exchange.csv_export import offers_csv, offers_table
from geo.exchange.geojson_export import offers_geojson
from geo.exchange.hsds import hsds_json
from geo.exchange.table_export import export_file_name, filter_name_parts
from geo.render.offer_view import offer_card_html
from geo.text import german_sort_key

PAGE_SIZE = 25
data = dataset_or_stop()
restore_view_from_url(data)
# The same filters as on the map (plus the text search), so list and map show the same offers.
flt = filter_sidebar(data, with_text=True)

list_styles()
st.title(tr("liste.titel"))
st.write(tr("liste.einleitung"))
schematic_notice(data)

shown = filtered_offers(flt)
searched = bool(query_words(flt.text))
if not searched:  # with search words the list keeps the search's order: best match first
    shown = shown.sort_values("name", key=lambda s: s.map(german_sort_key))
st.markdown(tr("liste.anzahl", n=len(shown)))
if len(shown) > 1:  # the order the list is in
    st.caption(tr("liste.sortiert_relevanz" if searched else "liste.sortiert_name"))
n_unknown = int((shown[UNKNOWN_COLUMN] != "").sum())
if flt.active_criteria() and n_unknown:
    st.caption(tr("filter.ohne_angabe", n=n_unknown))

pages = max(1, -(-len(shown) // PAGE_SIZE))
page = st.number_input(tr("liste.seite", n=pages), min_value=1, max_value=pages, value=1) if pages > 1 else 1
ui_lang = lang()
moment = now()
start, end = (page - 1) * PAGE_SIZE, page * PAGE_SIZE
# On paper the whole filtered list, not only the page on screen: the offers before and after it are printed
# from blocks hidden on screen (static/qk/qk-print.css), so every card exists once in the page.
print_cards(shown.iloc[:start], ui_lang, moment)
for _, offer in shown.iloc[start:end].iterrows():
    with st.container(border=True):
        # HTML with every value escaped, not Markdown: Markdown would turn any URL in any field into a link.
        st.html(offer_card_html(offer, ui_lang, heading_level=2, now=moment))
print_cards(shown.iloc[end:], ui_lang, moment)
st.header(tr("liste.export_titel"))
st.caption(tr("liste.export_text"))
col_csv, col_xlsx, col_geojson, col_hsds = st.columns(4)
# callables: the files are built when someone clicks, not on every visit; the names carry the filter and date
name_parts = [*filter_name_parts(flt), moment.date().isoformat()]
col_csv.download_button("CSV", lambda: offers_csv(shown, ui_lang),
                        file_name=export_file_name("quartierskarte-angebote", name_parts, "csv"), mime="text/csv",
                        on_click="ignore")
xlsx_button(data, lambda: {tr("export.blatt_angebote"): offers_table(shown, ui_lang)}, tr("export.titel_angebote"),
            filter_text(flt, data), {}, export_file_name("quartierskarte-angebote", name_parts, "xlsx"), "a_xlsx",
            col_xlsx)
col_geojson.download_button("GeoJSON", lambda: offers_geojson(shown),
                            file_name=export_file_name("quartierskarte-angebote", name_parts, "geojson"),
                            mime="application/geo+json", on_click="ignore")
col_hsds.download_button("HSDS 3.0 (JSON)", lambda: hsds_json(shown, data.districts),
                         file_name="quartierskarte-hsds-services.json", mime="application/json", on_click="ignore")
write_view_to_url(flt)
footer()
