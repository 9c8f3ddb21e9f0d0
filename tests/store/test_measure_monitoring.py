"""The Redaktion's state of a measure (issue 24 §6): status, responsible body, last progress note and date,
audited field by field with the version rule of the offers; an older store without the new columns gets them.

SQLite always; PostgreSQL on the throwaway cluster of test_offer_store.py (slow).
"""
# ruff: noqa: F811  (the store fixtures are imported from test_offer_store and then named as test arguments)
from __future__ import annotations

import pytest
import sqlalchemy as sa
from test_offer_store import ANGEBOTE, backend, db_url, open_store, postgres_server, store  # noqa: F401

from geo.store.offer_store import ConflictError, Store, ValidationError, audit_table, measures_table


def test_each_changed_field_is_one_audit_row_and_the_version_counts(store):
    version = store.save_measure("ikon-6.2-1", {"status": "begonnen", "zustaendig": "Integrationsbüro",
                                                "fortschritt": "Auftakt mit 12 Vereinen", "fortschritt_am": "2026-11-30"},
                                 "anna", 0)
    assert version == 1
    record = store.measure_records()["ikon-6.2-1"]
    assert {k: record[k] for k in ("status", "zustaendig", "fortschritt", "fortschritt_am", "version", "geaendert_von")} \
        == {"status": "begonnen", "zustaendig": "Integrationsbüro", "fortschritt": "Auftakt mit 12 Vereinen",
            "fortschritt_am": "2026-11-30", "version": 1, "geaendert_von": "anna"}
    history = store.history("massnahme:ikon-6.2-1")
    assert sorted(zip(history["feld"], history["alt"], history["neu"], history["version"])) == [
        ("fortschritt", "", "Auftakt mit 12 Vereinen", 1), ("fortschritt_am", "", "2026-11-30", 1),
        ("status", "offen", "begonnen", 1), ("zustaendig", "", "Integrationsbüro", 1)]
    # a second save with one changed and one unchanged field: one audit row, version 2
    assert store.save_measure("ikon-6.2-1", {"status": "begonnen", "fortschritt": "Zweites Treffen"}, "bernd", 1) == 2
    last = store.history("massnahme:ikon-6.2-1").iloc[-1]
    assert (last["feld"], last["alt"], last["neu"], last["von"], last["version"]) == \
        ("fortschritt", "Auftakt mit 12 Vereinen", "Zweites Treffen", "bernd", 2)
    assert len(store.history("massnahme:ikon-6.2-1")) == 5
    assert store.measure_states() == {"ikon-6.2-1": "begonnen"}


def test_a_colleagues_save_in_between_is_a_conflict_and_nothing_is_written(store):
    store.save_measure("ikon-6.3-4", {"zustaendig": "Stadtbibliothek"}, "anna", 0)
    with pytest.raises(ConflictError) as caught:
        store.save_measure("ikon-6.3-4", {"zustaendig": "VHS"}, "bernd", 0)
    exc = caught.value
    assert exc.current["zustaendig"] == "Stadtbibliothek" and exc.current["version"] == 1
    assert exc.comparison() == [{"feld": "zustaendig", "ihr_wert": "VHS", "gespeichert": "Stadtbibliothek",
                                 "geaendert_von": "anna", "geaendert_am": exc.changes[0]["am"]}]
    assert store.measure_records()["ikon-6.3-4"]["zustaendig"] == "Stadtbibliothek"
    assert len(store.history("massnahme:ikon-6.3-4")) == 1
    # saving anyway = saving over the version now stored
    assert store.save_measure("ikon-6.3-4", {"zustaendig": "VHS"}, "bernd", 1) == 2


def test_invalid_values_are_refused(store):
    for changes in ({"status": "fertig"}, {"fortschritt_am": "30.11.2026"}, {"fortschritt": "x" * 2001},
                    {"titel": "anders"}):
        with pytest.raises(ValidationError):
            store.save_measure("ikon-6.1-1", changes, "anna", 0)
    assert store.measure_records() == {}
    # control characters are stripped, surrounding blanks too
    store.save_measure("ikon-6.1-1", {"zustaendig": "  Fachbereich\x07 Soziales "}, "anna", 0)
    assert store.measure_records()["ikon-6.1-1"]["zustaendig"] == "Fachbereich Soziales"


def test_set_measure_state_keeps_working_over_any_version(store):
    store.save_measure("ikon-6.3-1", {"fortschritt": "läuft"}, "anna", 0)
    store.set_measure_state("ikon-6.3-1", "umgesetzt", "bernd", "offen")
    record = store.measure_records()["ikon-6.3-1"]
    assert (record["status"], record["fortschritt"], record["version"]) == ("umgesetzt", "läuft", 2)


def test_a_store_from_before_the_monitoring_gets_the_new_columns(db_url):
    """The table as it was (id, stand, geaendert_am, geaendert_von) with a row in it: opening the store adds the
    columns, keeps the row (version 1, empty owner/progress) and the measure can be edited on."""
    Store.open(db_url, seed_csv=ANGEBOTE).engine.dispose()
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE massnahmen_stand"))
            conn.execute(sa.text("CREATE TABLE massnahmen_stand (id TEXT PRIMARY KEY, stand TEXT NOT NULL, "
                                 "geaendert_am TEXT NOT NULL, geaendert_von TEXT NOT NULL)"))
            conn.execute(sa.text("INSERT INTO massnahmen_stand VALUES ('ikon-6.3-1', 'begonnen', "
                                 "'2026-11-01T10:00:00+00:00', 'anna')"))
    finally:
        engine.dispose()
    store = Store.open(db_url, seed_csv=ANGEBOTE)
    try:
        columns = {c["name"] for c in sa.inspect(store.engine).get_columns(measures_table.name)}
        assert columns == {c.name for c in measures_table.columns}
        record = store.measure_records()["ikon-6.3-1"]
        assert (record["status"], record["zustaendig"], record["version"]) == ("begonnen", "", 1)
        assert store.save_measure("ikon-6.3-1", {"zustaendig": "Schulamt"}, "bernd", 1) == 2
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(audit_table).where(
                audit_table.c.angebot_id == "massnahme:ikon-6.3-1")).scalar_one() == 1
        Store(store.engine)  # opening again adds nothing and fails on nothing
    finally:
        store.engine.dispose()
