"""Zum Ausdrucken: the analog Quartierskarte — district poster (A3/A4) and personal handout as PDF."""
from datetime import date

import streamlit as st

from app.cache import handout_bytes, now, poster_bytes
from app.state import chosen_location, lang, public_url, restore_view_from_url, tr, view_filter, write_view_to_url
from app.widgets.page import dataset_or_stop, footer, pdf_unavailable
from geo.dataset import district_options
from geo.i18n import available_languages
from geo.render.data_text import t_html
from geo.render.poster import filter_summary_html, public_url_problem

data = dataset_or_stop()
restore_view_from_url(data)  # a link to this page (…/drucken?ort=…&hf=…) brings its view along
flt = view_filter()  # the resident's filters and search text from the map and the list
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
base: str | None = public_url()
if public_url_problem(base):
    # never a QR code to 127.0.0.1 or a private network on paper: print without one and tell the operator what to set
    st.warning(tr("plakat.adresse_fehlt", adresse=base))
    base = None
today = date.today().isoformat()
st.download_button(tr("poster.download_poster"),
                   lambda: poster_bytes(district, page_format, print_lang, base, today),
                   file_name=f"quartierskarte-{district}-{page_format}-{print_lang}.pdf", mime="application/pdf",
                   on_click="ignore", type="primary")

location = chosen_location()
if location is None:
    st.info(tr("poster.handout_hinweis"))
else:
    st.write(tr("handzettel.seite"))
    # the choice in words; district names, languages and the search text are data: escaped and marked
    st.html(f'<p class="qk-auswahl">{t_html("handzettel.auswahl", lang(), auswahl=filter_summary_html(flt, lang(), data.districts, now()))}</p>')
    st.download_button(tr("poster.download_handout"), lambda: handout_bytes(location, print_lang, base, flt),
                       file_name=f"quartierskarte-handzettel-{print_lang}.pdf", mime="application/pdf",
                       on_click="ignore")
write_view_to_url(flt)
footer()
