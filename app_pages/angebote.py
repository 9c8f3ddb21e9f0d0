"""Angebote: every offer as an accessible list with search — the map's content without the map."""
import streamlit as st

from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER, STATIC_DIR
from geo.offer_view import offer_card_html
from geo.text import german_sort_key
from ui import dataset_or_stop, district_options, footer, lang, schematic_notice, shown_offers, tr

PAGE_SIZE = 25
data = dataset_or_stop()
names = district_options(data)

st.html(f"<style>{(STATIC_DIR / 'qk' / 'qk-liste.css').read_text(encoding='utf-8')}</style>")
st.title(tr("liste.titel"))
st.write(tr("liste.einleitung"))
schematic_notice(data)

col_text, col_field, col_district = st.columns([2, 2, 2])
text = col_text.text_input(tr("liste.suche"), placeholder=tr("liste.suche_beispiel"))
field = col_field.selectbox(tr("filter.handlungsfeld"), ["", *[hf.name for hf in HANDLUNGSFELDER]],
                            format_func=lambda n: tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[n].key}") if n else tr("filter.alle_handlungsfelder"))
district = col_district.selectbox(tr("filter.stadtteil"), ["", *names], format_func=lambda i: names.get(i, tr("filter.alle_stadtteile")))
show_ended = st.checkbox(tr("filter.beendete"), value=False)

shown = shown_offers((field,) if field else None, (district,) if district else None, text, show_ended)
shown = shown.sort_values("name", key=lambda s: s.map(german_sort_key))
st.markdown(tr("liste.anzahl", n=len(shown)))

pages = max(1, -(-len(shown) // PAGE_SIZE))
page = st.number_input(tr("liste.seite", n=pages), min_value=1, max_value=pages, value=1) if pages > 1 else 1
ui_lang = lang()
for _, offer in shown.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE].iterrows():
    with st.container(border=True):
        # HTML with every value escaped, not Markdown: Markdown would turn any URL in any field into a link.
        st.html(offer_card_html(offer, ui_lang))
footer()
