"""Datenquellen: where every figure comes from, and what the data check found."""
import pandas as pd
import streamlit as st

from geo.config import DATA_DIR
from ui import dataset_or_stop, footer, tr

data = dataset_or_stop()
st.title(tr("quellen.titel"))
st.subheader(tr("quellen.pruefung_titel"))
problems = pd.DataFrame([vars(p) for p in data.problems], columns=["datei", "zeile", "spalte", "meldung", "schwere"])
if problems.empty:
    st.success(tr("quellen.keine_probleme"))
else:
    st.write(tr("quellen.probleme", fehler=int((problems["schwere"] == "fehler").sum()),
                hinweise=int((problems["schwere"] == "hinweis").sum())))
    st.dataframe(problems, hide_index=True, width="stretch")
for name, rejected in data.rejected.items():
    if len(rejected):
        st.markdown(tr("quellen.abgelehnt", datei=name, n=len(rejected)))
        st.dataframe(rejected, hide_index=True, width="stretch")

sources = DATA_DIR / "SOURCES.md"
if sources.exists():
    st.markdown(sources.read_text(encoding="utf-8"))  # trusted project file, not user data
footer()
