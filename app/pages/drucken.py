"""Zum Ausdrucken: the analog Quartierskarte — district poster (A3/A4) and personal handout as PDF."""
from datetime import date

import streamlit as st

from app.cache import handout_bytes, poster_bytes
from app.state import chosen_location, lang, public_url, tr
from app.widgets.page import dataset_or_stop, footer, pdf_unavailable
from geo.dataset import district_options
from geo.i18n import available_languages

data = dataset_or_stop()
names = district_options(data)
languages = available_languages()
st.title(tr("poster.titel_seite"))
st.write(tr("poster.einleitung_seite"))
problem = pdf_unavailable()
if problem:
    st.error(tr("poster.nicht_verfuegbar", grund=problem))
    st.stop()

col_district, col_format, col_lang = st.columns([3, 1, 2])
district = col_district.selectbox(tr("poster.stadtteil"), list(names), format_func=names.get, key="p_stadtteil",
                                  index=list(names).index("baerenkaempen") if "baerenkaempen" in names else 0)
page_format = col_format.radio(tr("poster.format"), ["A4", "A3"], key="p_format", horizontal=True)
print_lang = col_lang.selectbox(tr("poster.sprache"), list(languages), format_func=languages.get, key="p_lang",
                                index=list(languages).index(lang()))
base = public_url()
today = date.today().isoformat()
st.download_button(tr("poster.download_poster"),
                   lambda: poster_bytes(district, page_format, print_lang, base, today),
                   file_name=f"quartierskarte-{district}-{page_format}-{print_lang}.pdf", mime="application/pdf",
                   on_click="ignore", type="primary")

location = chosen_location()
if location is None:
    st.info(tr("poster.handout_hinweis"))
else:
    st.download_button(tr("poster.download_handout"), lambda: handout_bytes(location, print_lang, base),
                       file_name=f"quartierskarte-handzettel-{print_lang}.pdf", mime="application/pdf",
                       on_click="ignore")
footer()
