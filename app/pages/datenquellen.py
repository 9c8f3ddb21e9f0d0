"""Datenquellen: which data is loaded, what the data check found, and where every figure comes from."""
import pandas as pd
import streamlit as st

from app.state import tr
from app.widgets.page import dataset_or_stop, footer, loaded_file_origin, print_table
from geo.config import DATA_DIR
from geo.data.sources_doc import sources_without

data = dataset_or_stop()
st.title(tr("quellen.titel"))
st.write(tr("quellen.einleitung"))

st.header(tr("quellen.geladen_titel"))
loaded_rows = {"angebote": len(data.offers), "stadtteile": len(data.districts), "sozialatlas": len(data.indicators)}
for loaded in data.files:
    rejected = len(data.rejected.get(loaded.path.name, ()))
    origin = loaded_file_origin(loaded)
    st.markdown(tr("quellen.datei_zeile", rolle=tr(f"fusszeile.rolle_{loaded.role}"), n=loaded_rows[loaded.role],
                   abgelehnt=rejected, herkunft=origin))

st.header(tr("quellen.pruefung_titel"))
columns = ["datei", "zeile", "spalte", "meldung", "schwere"]
problems = pd.DataFrame([vars(p) for p in data.problems], columns=columns)
n_rejected = sum(len(r) for r in data.rejected.values())
if problems.empty and not n_rejected:
    st.success(tr("quellen.keine_probleme"))
else:
    st.write(tr("quellen.probleme", zeilen=n_rejected, fehler=int((problems["schwere"] == "fehler").sum()),
                hinweise=int((problems["schwere"] == "hinweis").sum())))
    problems["schwere"] = problems["schwere"].map(lambda s: tr(f"quellen.schwere_{s}"))
    problems["zeile"] = problems["zeile"].astype("Int64")
    st.dataframe(problems.rename(columns={c: tr(f"quellen.spalte_{c}") for c in columns}), hide_index=True, width="stretch")
    print_table(problems.rename(columns={c: tr(f"quellen.spalte_{c}") for c in columns}))
for name, rejected in data.rejected.items():
    if len(rejected):
        st.markdown(tr("quellen.abgelehnt", datei=name, n=len(rejected)))
        st.dataframe(rejected.rename(columns={c: tr(f"quellen.spalte_{c}") for c in rejected.columns}),
                     hide_index=True, width="stretch")
        print_table(rejected.rename(columns={c: tr(f"quellen.spalte_{c}") for c in rejected.columns}))

sources = DATA_DIR / "SOURCES.md"
if sources.exists():
    replaced = [f"data/{f.shipped_path.name}" for f in data.files if not f.shipped]
    with st.expander(tr("quellen.nachweise_titel")):
        # Trusted project file, not user data; sections about replaced files are left out.
        st.markdown(sources_without(sources.read_text(encoding="utf-8"), replaced))
footer()
