"""Each measure once (issue 24 §6): the 51 rows of data/massnahmen.csv are 27 measures; the Redaktion's state,
filters, the export and the card of a measure."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from geo.data.measures import (
    EXPORT_COLUMNS,
    export_table,
    filter_monitoring,
    measure_aliases,
    merge_measures,
    offers_by_measure,
    read_measures,
    with_records,
)
from geo.data.problems import DataFileError, Problem
from geo.exchange.table_export import csv_bytes, xlsx_bytes
from geo.render.offer_view import measure_card_html


@pytest.fixture(scope="module")
def merged() -> pd.DataFrame:
    return merge_measures(read_measures())


def test_51_rows_are_27_measures_each_with_both_sources(merged):
    assert len(merged) == 27 and merged["id"].is_unique
    assert merged["id"].str.startswith("ikon-").all()
    assert (merged["weitere_id"] != "").sum() == 24
    assert set(merged.loc[merged["weitere_id"] == "", "id"]) == {"ikon-6.3-4", "ikon-6.3-5", "ikon-6.5-1"}
    row = merged.set_index("id").loc["ikon-6.3-2"]
    assert row["weitere_id"] == "ws1-bildung-1"
    assert row["titel_ws_liste"].startswith("Kinder und Jugendlicher durch zusätzliche Hausaufgabenbetreuung")
    assert row["fristigkeit"] == "mittelfristig"  # the concept has none, the workshop list says mittelfristig
    assert row["quelle"].startswith("Integrationskonzept Minden 2020, Abschn. 6.3")
    assert row["quelle_ws_liste"] == "Mögliche Maßnahmefelder aus der ersten WS-Phase (IKON), Bereich Bildung, Maßnahme 1"
    # Fristigkeiten of the 24 workshop rows (SOURCES.md: 7 / 6 / 5 / 3 / 1, two without); the three
    # concept-only measures have none
    assert merged["fristigkeit"].value_counts().to_dict() == {
        "mittelfristig": 7, "mittel- bis langfristig": 6, "kurzfristig": 5, "langfristig": 3,
        "kurz- bis mittelfristig": 1, "unbekannt": 5}


def test_a_pair_that_does_not_point_back_is_refused(tmp_path):
    frame = pd.read_csv(read_measures.__defaults__[0], dtype=str, keep_default_na=False)
    frame.loc[frame["id"] == "ikon-6.3-2", "gleiche_massnahme"] = "ws1-bildung-2"
    path = tmp_path / "massnahmen.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataFileError, match="verweist nicht zurück"):
        read_measures(path)


def test_an_offer_naming_either_row_of_a_pair_is_listed_once_under_the_measure(merged):
    offers = pd.DataFrame({"id": ["a", "b", "c"], "zeile": [2, 3, 4],
                           "massnahmen": ["ws1-bildung-1", "ikon-6.3-2;ws1-bildung-1", "ikon-9.9-9"]})
    linked, problems = offers_by_measure(offers, measure_aliases(merged))
    assert linked == {"ikon-6.3-2": ["a", "b"]}
    assert [str(p) for p in problems] == [str(Problem("angebote.csv", 4, "massnahmen", "Angebot „c“: Maßnahme „ikon-9.9-9“ gibt es nicht.", "hinweis"))]


def test_state_of_the_redaktion_and_filters(merged):
    records = {"ikon-6.3-2": {"status": "begonnen", "zustaendig": "Schulamt", "fortschritt": "Start",
                              "fortschritt_am": "2026-11-30", "version": 2, "geaendert_am": "2026-11-30T10:00:00+00:00"},
               # kept under the workshop id from before the merge: still found
               "ws1-wohnen-1": {"status": "umgesetzt", "zustaendig": "Wohnungsamt", "fortschritt": "",
                                "fortschritt_am": "", "version": 1, "geaendert_am": "x"}}
    table = with_records(merged, records).set_index("id")
    assert table.loc["ikon-6.3-2", ["status", "zustaendig", "fortschritt_am", "version"]].tolist() == \
        ["begonnen", "Schulamt", "2026-11-30", 2]
    assert table.loc["ikon-6.5-2", ["status", "zustaendig"]].tolist() == ["umgesetzt", "Wohnungsamt"]
    assert table.loc["ikon-6.1-1", ["status", "zustaendig", "version"]].tolist() == ["offen", "", 0]
    table = table.reset_index()
    assert list(filter_monitoring(table, ["begonnen", "umgesetzt"])["id"]) == ["ikon-6.3-2", "ikon-6.5-2"]
    assert list(filter_monitoring(table, [], "wohnungs")["id"]) == ["ikon-6.5-2"]
    assert len(filter_monitoring(table, [], " ")) == 27


def test_export_has_one_row_per_measure_with_its_state_and_offers(merged):
    table = with_records(merged, {"ikon-6.2-1": {"status": "begonnen", "zustaendig": "=Integrationsbüro",
                                                 "fortschritt": "Auftakt", "fortschritt_am": "2026-11-30",
                                                 "version": 1, "geaendert_am": "2026-11-30T10:00:00+00:00"}})
    export = export_table(table, {"ikon-6.2-1": ["o1", "o2"]}, {"o1": "Sprachcafé", "o2": "Nähtreff"})
    assert list(export.columns) == list(EXPORT_COLUMNS) and len(export) == 27
    back = pd.read_csv(io.BytesIO(csv_bytes(export)), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    row = back.set_index("id").loc["ikon-6.2-1"]
    assert (row["status"], row["zustaendig"], row["fortschritt"], row["fortschritt_am"], row["angebote"]) == \
        ("begonnen", "'=Integrationsbüro", "Auftakt", "2026-11-30", "Sprachcafé; Nähtreff")
    assert row["weitere_id"] == "ws1-zusammenleben-aktivierung-5"
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx_bytes({"Maßnahmen": export}, [("Titel", "Maßnahmen")])))
    sheet = book["Maßnahmen"]
    assert [c.value for c in sheet[1]] == list(EXPORT_COLUMNS) and sheet.max_row == 28


def test_card_shows_state_sources_and_escapes(merged):
    row = with_records(merged, {"ikon-6.3-2": {"status": "begonnen", "zustaendig": "Schulamt <b>",
                                               "fortschritt": "Start & Plan", "fortschritt_am": "2026-11-30",
                                               "version": 1, "geaendert_am": ""}}).set_index("id", drop=False)
    card = measure_card_html(row.loc["ikon-6.3-2"].to_dict(), "Bildung", ["Lernhilfe <x>"])
    assert "<dd>begonnen</dd>" in card and "<dd>Schulamt &lt;b&gt;</dd>" in card
    assert '<dd><time datetime="2026-11-30" dir="ltr">2026-11-30</time>: Start &amp; Plan</dd>' in card
    assert "<dd>Lernhilfe &lt;x&gt;</dd>" in card
    assert "<li>ikon-6.3-2: Integrationskonzept Minden 2020, Abschn. 6.3" in card
    assert "<li>ws1-bildung-1: Mögliche Maßnahmefelder aus der ersten WS-Phase (IKON), Bereich Bildung, Maßnahme 1</li>" in card
    assert "Wortlaut in der Workshop-Liste (ws1-bildung-1):" in card
    empty = measure_card_html(row.loc["ikon-6.3-4"].to_dict(), "Bildung", [])
    assert "<dd>noch nicht festgelegt</dd>" in empty and "<dd>noch kein Eintrag</dd>" in empty
    assert "Workshop-Liste (" not in empty and empty.count("<li>") == 1
