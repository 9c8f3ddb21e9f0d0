"""The offer store (geo/store/offer_store.py) on both backends: SQLite (a file in tmp_path) and PostgreSQL.

PostgreSQL: ``QK_TEST_DATABASE_URL`` if set (the store's tables are dropped before and after each test), else a
throwaway PostgreSQL 15 cluster started once per session from ``/usr/lib/postgresql/15/bin`` (as user
``postgres`` when running as root). If neither is possible, the PostgreSQL tests are skipped with the reason.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from pgcluster import PgCluster

from geo.data.offers import OFFER_COLUMNS, parse_offers, read_offers
from geo.exchange.csv_export import offers_csv as export_offers_csv
from geo.store.offer_store import MAX_SUGGESTION_CHARS, SYSTEM_USER, ConflictError, Store, ValidationError, metadata
from geo.text import FORMULA_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
ANGEBOTE = ROOT / "data" / "angebote.csv"
IMPORT_20_20 = Path(__file__).resolve().parents[1] / "fixtures" / "import_20_20.csv"
PG_DATABASE = "qk_store_test"
TODAY = date(2026, 12, 1)


# --- PostgreSQL: external database or throwaway cluster ------------------------------------------------------

def _say(config, message: str) -> None:
    """A line on the terminal even while pytest captures output."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(message)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(message)


@pytest.fixture(scope="session")
def postgres_server(request):
    """``(url, None)`` for a usable PostgreSQL database, or ``(None, reason)``."""
    url = os.environ.get("QK_TEST_DATABASE_URL")
    if url:
        yield url, None
        return
    cluster = PgCluster(PG_DATABASE)
    reason = cluster.unavailable_reason()
    if reason:
        yield None, reason
        return
    started = time.perf_counter()
    try:
        url = cluster.start()
    except (subprocess.SubprocessError, OSError, sa.exc.SQLAlchemyError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        cluster.stop()
        yield None, f"could not start a PostgreSQL 15 test cluster: {exc} {detail.strip()[-300:]}"
        return
    _say(request.config, f"\n[test_store] PostgreSQL 15 test cluster started in {time.perf_counter() - started:.1f} s")
    try:
        yield url, None
    finally:
        cluster.stop()


def _drop_all(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, request, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    url, reason = request.getfixturevalue("postgres_server")
    if url is None:
        print(f"PostgreSQL store tests skipped: {reason}")
        pytest.skip(f"PostgreSQL store tests skipped: {reason}")
    _drop_all(url)  # an external QK_TEST_DATABASE_URL may hold tables of an earlier run
    yield url
    _drop_all(url)


@pytest.fixture
def open_store(db_url):
    """Open (more) stores on the test database; every engine is disposed before the tables are dropped."""
    stores: list[Store] = []

    def _open(seed: bool = True) -> Store:
        store = Store.open(db_url, seed_csv=ANGEBOTE if seed else None)
        stores.append(store)
        return store

    yield _open
    for store in stores:
        store.engine.dispose()


@pytest.fixture
def store(open_store) -> Store:
    """A store seeded from data/angebote.csv."""
    return open_store()


# --- helpers -------------------------------------------------------------------------------------------------

def shipped_rows() -> dict[str, dict]:
    with open(ANGEBOTE, encoding="utf-8-sig", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def fixture_rows() -> list[list[str]]:
    with open(IMPORT_20_20, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def offer_values(store: Store, offer_id: str) -> dict:
    return {c: store.get(offer_id)[c] for c in OFFER_COLUMNS}


def new_offer(**changes) -> dict:
    values = dict.fromkeys(OFFER_COLUMNS, "")
    values.update(id="test-neu", name="Neues Testangebot", handlungsfeld="Bildung", lat="52.2900", lon="8.9150",
                  lage_genauigkeit="adresse", quelle="Test", zuletzt_geprueft="2026-11")
    values.update(changes)
    return values


def snapshot(store: Store) -> tuple:
    return store.count(), len(store.history()), store.all_offers().to_dict("records")


# --- seeding -------------------------------------------------------------------------------------------------

def test_seeding_gives_exactly_the_shipped_offers(store, open_store):
    load = read_offers(ANGEBOTE)
    raw = shipped_rows()
    assert len(load.rejected) == 0
    assert store.count() == len(load.offers) == len(raw)
    assert set(store.all_offers()["id"]) == set(load.offers["id"]) == set(raw)

    chosen = "begegnungszentrum-baerenkaempen"
    stored = store.get(chosen)
    for column, value in raw[chosen].items():
        assert stored[column] == value, column
    assert stored["massnahmen"] == ""  # not a column of the shipped file
    assert (stored["version"], stored["geaendert_von"]) == (1, SYSTEM_USER)

    history = store.history()
    assert set(history["von"]) == {SYSTEM_USER}
    assert set(history["vorgang"]) == {"import"}
    assert set(history["version"]) == {1}
    assert set(history["angebot_id"]) == set(raw)
    mine = store.history(chosen)
    assert mine["alt"].isna().all()  # first stored: no old value
    assert dict(zip(mine["feld"], mine["neu"])) == {c: v for c, v in raw[chosen].items() if c != "id" and v}

    again = open_store()  # an existing store is not seeded a second time
    assert again.count() == store.count()
    assert len(again.history()) == len(history)


# --- audit trail ---------------------------------------------------------------------------------------------

def test_save_records_each_changed_field_oldest_first(store):
    offer = store.get("hope-ev")
    before = store.history("hope-ev")
    saved = store.save({**offer, "telefon": "0571 123456", "hinweis": "Neue Sprechzeiten ab Januar."}, "anna",
                       offer["version"])
    assert saved["version"] == offer["version"] + 1
    assert (saved["telefon"], saved["hinweis"], saved["geaendert_von"]) == (
        "0571 123456", "Neue Sprechzeiten ab Januar.", "anna")

    history = store.history("hope-ev")
    assert len(history) == len(before) + 2
    new = history.iloc[len(before):]
    assert sorted((r.feld, r.alt, r.neu, r.von, r.vorgang, r.version) for r in new.itertuples()) == [
        ("hinweis", offer["hinweis"], "Neue Sprechzeiten ab Januar.", "anna", "bearbeitet", offer["version"] + 1),
        ("telefon", offer["telefon"], "0571 123456", "anna", "bearbeitet", offer["version"] + 1),
    ]
    # oldest first: the seeding rows, then anna's; numbers and timestamps ascending
    assert list(history["vorgang"]) == ["import"] * len(before) + ["bearbeitet"] * 2
    assert history["nr"].is_monotonic_increasing and history["nr"].is_unique
    assert history["am"].is_monotonic_increasing
    assert list(store.history().iloc[-2:]["von"]) == ["anna", "anna"]


def test_save_without_change_records_nothing(store):
    offer = store.get("hope-ev")
    n = len(store.history())
    saved = store.save(dict(offer), "anna", offer["version"])
    assert saved["version"] == offer["version"]
    assert len(store.history()) == n


# --- conflicts -----------------------------------------------------------------------------------------------

def test_second_editor_gets_conflict_with_first_editors_change(store):
    first, second = store.get("hafenschule"), store.get("hafenschule")
    version = first["version"]
    store.save({**first, "telefon": "0571 999"}, "anna", version)

    with pytest.raises(ConflictError) as caught:
        store.save({**second, "hinweis": "Von Bernd geändert."}, "bernd", version)
    error = caught.value
    assert error.offer_id == "hafenschule"
    assert error.expected == version
    assert error.current["version"] == version + 1
    assert error.current["telefon"] == "0571 999"
    assert [(c["feld"], c["alt"], c["neu"], c["von"]) for c in error.changes] == [
        ("telefon", first["telefon"], "0571 999", "anna")]

    stored = store.get("hafenschule")
    assert stored["hinweis"] == first["hinweis"]
    assert stored["version"] == version + 1
    assert "bernd" not in set(store.history()["von"])

    # after reloading, the second editor can save on top of the first one's change
    merged = store.save({**stored, "hinweis": "Von Bernd geändert."}, "bernd", stored["version"])
    assert (merged["telefon"], merged["hinweis"], merged["version"]) == ("0571 999", "Von Bernd geändert.", version + 2)


def test_adding_an_existing_id_is_a_conflict(store):
    before = snapshot(store)
    existing = store.get("jekits")
    with pytest.raises(ConflictError) as caught:
        store.save({**existing, "name": "Überschrieben"}, "anna", None)
    assert caught.value.current["name"] == existing["name"]
    assert caught.value.current["version"] == existing["version"]
    assert snapshot(store) == before

    added = store.save(new_offer(), "anna", None)
    assert (added["version"], added["geaendert_von"]) == (1, "anna")
    assert set(store.history("test-neu")["vorgang"]) == {"neu"}


def test_change_of_an_unknown_id_is_not_silently_added(store):
    offer = store.get("jekits")
    with pytest.raises((ConflictError, KeyError, ValidationError)):
        store.save({**offer, "id": "jekits-neu"}, "anna", offer["version"])
    assert store.get("jekits-neu") is None


# --- validation ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, reason", [
    ({"handlungsfeld": "Sport"}, "„Sport“ ist kein Handlungsfeld"),
    ({"lat": "52.02", "lon": "8.53"}, "Koordinate (52.02, 8.53) liegt nicht in Minden."),  # Bielefeld
    ({"lage_genauigkeit": "ungefähr"}, "„ungefähr“ ist ungültig"),
    ({"name": ""}, "Name fehlt."),
], ids=["handlungsfeld", "bielefeld", "lage", "name"])
def test_invalid_offer_is_rejected_with_the_loaders_reason(store, changes, reason):
    before = snapshot(store)
    values = new_offer(**changes)
    loader = parse_offers(_one_row_csv(values), "Formular")
    assert len(loader.offers) == 0
    with pytest.raises(ValidationError) as caught:
        store.save(values, "anna", None)
    assert any(reason in r for r in caught.value.reasons), caught.value.reasons
    assert caught.value.reasons == [p.meldung for p in loader.errors]
    assert store.get("test-neu") is None

    existing = store.get("begegnungszentrum-baerenkaempen")  # an edit of a stored offer is rejected the same way
    with pytest.raises(ValidationError) as caught:
        store.save({**existing, **changes}, "anna", existing["version"])
    assert any(reason in r for r in caught.value.reasons)
    assert snapshot(store) == before


def _one_row_csv(values: dict) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(OFFER_COLUMNS))
    writer.writeheader()
    writer.writerow(values)
    return buffer.getvalue()


def test_invalid_opening_hours_are_kept_as_text_like_the_loader_does(store):
    """Not a rejection: the loader only notes that the hours are not in OSM format (shown as text), and the
    store's rule is "rejected here exactly when the loader rejects"."""
    values = new_offer(oeffnungszeiten="montags vormittags")
    loader = parse_offers(_one_row_csv(values), "Formular")
    assert len(loader.offers) == 1 and not loader.errors
    assert any(p.spalte == "oeffnungszeiten" for p in loader.notices)
    stored = store.save(values, "anna", None)
    assert stored["oeffnungszeiten"] == "montags vormittags"


def test_overlong_id_is_rejected_or_stored_never_a_database_error(store, backend, request):
    # once VARCHAR(200) on PostgreSQL (DataError); all text columns are TEXT now
    values = new_offer(id="x" * 201)
    try:
        stored = store.save(values, "anna", None)
    except ValidationError:
        assert store.get("x" * 201) is None
    else:
        assert stored["id"] == "x" * 201


# --- nothing hard-deleted ------------------------------------------------------------------------------------

def test_end_keeps_the_row_and_restore_brings_back_the_previous_status(store):
    offer = store.get("begegnungszentrum-baerenkaempen")
    assert offer["status"] == "aktiv"
    count = store.count()

    ended = store.end(offer["id"], "anna", offer["version"])
    assert ended["status"] == "beendet"
    assert store.count() == count
    assert offer["id"] in set(store.all_offers()["id"])
    assert offer["id"] not in set(store.stale(date(2040, 1, 1))["id"])  # ended offers need no check
    assert offer_values(store, offer["id"]) == {**{c: offer[c] for c in OFFER_COLUMNS}, "status": "beendet"}

    restored = store.restore(offer["id"], "bernd", ended["version"])
    assert restored["status"] == "aktiv"
    assert restored["version"] == offer["version"] + 2
    status_rows = store.history(offer["id"]).query("feld == 'status'")
    assert [(r.alt, r.neu, r.von) for r in status_rows.itertuples()][-2:] == [
        ("aktiv", "beendet", "anna"), ("beendet", "aktiv", "bernd")]

    # a second end/restore round uses the latest status before ending
    changed = store.save({**restored, "status": "umgezogen"}, "anna", restored["version"])
    ended = store.end(offer["id"], "anna", changed["version"])
    assert store.restore(offer["id"], "anna", ended["version"])["status"] == "umgezogen"


def test_restore_without_a_recorded_previous_status_gives_unklar(store):
    offer = store.get("thomas-wohnzimmer")  # shipped as ended
    assert offer["status"] == "beendet"
    assert store.restore(offer["id"], "anna", offer["version"])["status"] == "unklar"


# --- verification and stale offers ---------------------------------------------------------------------------

def test_stale_lists_never_verified_offers_first_undated_then_oldest_source(store):
    raw = shipped_rows()
    active = {i for i, r in raw.items() if r["status"] != "beendet"}
    stale = store.stale(TODAY)
    # nobody has confirmed a shipped offer with its provider: every offer that has not ended is to be checked
    assert set(stale["id"]) == active and len(active) == 75
    assert stale["monate"].isna().all()
    # among the never verified: the 14 undated sources first, then the oldest source (LAP-Treffpunkt 2012-01-20,
    # Stadtteiltreff Rodenbeck 2015) … the newest last (2025-12 or 2025: a year alone counts from its December)
    undated = sorted(i for i in active if raw[i]["stand_quelle"] == "undatiert")
    assert len(undated) == 14 and list(stale["id"][:14]) == undated
    assert list(stale["id"][14:16]) == ["lap-treffpunkt", "stadtteiltreff-rodenbeck"]
    assert stale["quelle_monate"].dropna().is_monotonic_decreasing
    assert list(stale["id"][-4:]) == ["internationale-frauengruppe-caritas", "mindener-tafel", "rucksack",
                                      "waermestube-st-nikolai"]

    for offer_id in ("lap-treffpunkt", "alz-johanniskirchhof"):  # oldest source, undated source
        offer = store.get(offer_id)
        verified = store.verify(offer_id, "anna", TODAY, offer["version"])
        assert verified["zuletzt_geprueft"] == "2026-12-01"
        assert verified["version"] == offer["version"] + 1
        last = store.history(offer_id).iloc[-1]
        assert (last["feld"], last["alt"], last["neu"], last["von"]) == (
            "zuletzt_geprueft", raw[offer_id]["zuletzt_geprueft"], "2026-12-01", "anna")
    assert set(store.stale(TODAY)["id"]) == active - {"lap-treffpunkt", "alz-johanniskirchhof"}
    later = store.stale(date(2028, 1, 1))  # checked 13 months before: stale again, after every never-checked offer
    assert list(later["id"][-2:]) == ["alz-johanniskirchhof", "lap-treffpunkt"] and list(later["monate"][-2:]) == [13, 13]


# --- CSV import ----------------------------------------------------------------------------------------------

ADDED = [f"import-neu-{n:02d}" for n in range(1, 13)]
UPDATED = ["hope-ev", "hafenschule", "jekits", "rucksack", "iqui", "stadttheater-minden"]
UNCHANGED = ["kulturstrolche", "fachstelle-wohin"]
REJECTED = {  # line in import_20_20.csv → part of the reason (line 4 holds a two-line field, so lines shift)
    3: "Name fehlt.",
    6: "„Sport“ ist kein Handlungsfeld",
    8: "„“ ist kein Handlungsfeld",
    10: "Koordinate (52.02, 8.53) liegt nicht in Minden.",
    12: "Breite und Länge vertauscht?",
    14: "liegt außerhalb Minden (Stadtgrenze",
    16: "Länge „acht Komma neun“ ist keine Zahl.",
    18: "Breite „zweiundfünfzig“ ist keine Zahl.",
    20: "Breite fehlt",
    22: "Länge fehlt",
    24: "„ungefähr“ ist ungültig (erlaubt: adresse",
    26: "„“ ist ungültig (erlaubt: adresse",
    28: "Zeile hat 3 Felder, die Kopfzeile 24",
    30: "Zeile hat 25 Felder, die Kopfzeile 24",
    32: "Feld ist 10001 Zeichen lang (höchstens 10000).",
    34: "id „import-neu-01“ kommt doppelt vor (zuerst in Zeile 2).",
    36: "Breite „inf“ ist keine Zahl.",
    38: "„@SUM(A1)“ ist kein Handlungsfeld",
    40: "Name fehlt.; „irgendwo“ ist ungültig",
    42: "„arbeit“ ist kein Handlungsfeld",
}
GOOD_LINES = {"import-neu-01": 2, "import-neu-02": 4, "hope-ev": 7, "import-neu-05": 15, "kulturstrolche": 17,
              "stadttheater-minden": 37, "import-neu-12": 41}


def check_report(report) -> None:
    assert report.rows_in == 40
    assert report.rows_in == len(report.added) + len(report.updated) + len(report.unchanged) + len(report.rejected)
    assert (len(report.added), len(report.updated), len(report.unchanged), len(report.rejected)) == (12, 6, 2, 20)
    assert sorted(report.added) == sorted(ADDED)
    assert sorted(report.updated) == sorted(UPDATED)
    assert sorted(report.unchanged) == sorted(UNCHANGED)
    reasons = {int(r.zeile): r.grund for r in report.rejected.itertuples()}
    assert sorted(reasons) == sorted(REJECTED)
    for line, part in REJECTED.items():
        assert part in reasons[line], (line, reasons[line])
    for offer_id, line in GOOD_LINES.items():
        assert report.lines[offer_id] == line


def test_import_dry_run_changes_nothing_then_apply_stores_the_predicted_changes(store):
    raw = IMPORT_20_20.read_bytes()
    before = snapshot(store)
    assert len(fixture_rows()) == 41  # header + 40 records

    dry = store.import_csv(raw, "anna", apply=False, source=IMPORT_20_20.name)
    check_report(dry)
    assert snapshot(store) == before

    versions = {i: store.get(i)["version"] for i in UPDATED + UNCHANGED}
    applied = store.import_csv(raw, "anna", apply=True, source=IMPORT_20_20.name)
    check_report(applied)
    assert store.count() == before[0] + 12

    header, *records = fixture_rows()
    by_line = {}
    line = 2
    for record in records:
        by_line[line] = dict(zip(header, record))
        line += 1 + sum(f.count("\n") for f in record)
    for offer_id in ADDED + UPDATED + UNCHANGED:
        row = by_line[applied.lines[offer_id]]
        stored = store.get(offer_id)
        for column in ("name", "telefon", "hinweis", "status", "kosten", "sprachen", "website", "zuletzt_geprueft",
                       "oeffnungszeiten", "beschreibung", "quelle"):
            assert stored[column] == row[column], (offer_id, column)
    assert store.get("import-neu-03")["lat"] == "" and store.get("import-neu-03")["lage_genauigkeit"] == "unbekannt"
    assert (store.get("import-neu-04")["lat"], store.get("import-neu-04")["lon"]) == ("52.289", "8.916")
    assert store.get("import-neu-07")["handlungsfeld"] == "Bildung"
    assert store.get("import-neu-06")["zuletzt_geprueft"] == "31.12.2024"  # loader: notice, kept as text
    assert store.get("import-neu-01")["name"] == "Importiertes Angebot 1"  # not the duplicate's name
    assert store.get("bad-bielefeld") is None and store.get('=HYPERLINK("http://evil","x")') is None
    for offer_id in ADDED:
        assert store.get(offer_id)["version"] == 1
    for offer_id in UPDATED:
        assert store.get(offer_id)["version"] == versions[offer_id] + 1
    for offer_id in UNCHANGED:
        assert store.get(offer_id)["version"] == versions[offer_id]

    new_history = store.history().iloc[before[1]:]
    assert set(new_history["von"]) == {"anna"} and set(new_history["vorgang"]) == {"import"}
    assert set(new_history["angebot_id"]) == set(ADDED + UPDATED)
    assert sorted(store.history("hope-ev").iloc[-2:]["feld"]) == ["hinweis", "telefon"]

    again = store.import_csv(raw, "anna", apply=True)  # idempotent
    assert (len(again.added), len(again.updated), len(again.unchanged), len(again.rejected)) == (0, 0, 20, 20)
    assert len(store.history()) == len(new_history) + before[1]


def test_failing_import_leaves_the_store_as_before(store, monkeypatch):
    before = snapshot(store)
    hope = offer_values(store, "hope-ev")  # updated by the 3rd write of the import
    original, calls = store._write, []

    def failing_write(*args, **kwargs):
        if len(calls) == 5:
            raise RuntimeError("Datenbank weg")
        calls.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "_write", failing_write)
    with pytest.raises(RuntimeError, match="Datenbank weg"):
        store.import_csv(IMPORT_20_20.read_bytes(), "anna", apply=True)
    assert calls == ["import-neu-01", "import-neu-02", "hope-ev", "import-neu-03", "hafenschule"]
    monkeypatch.undo()

    assert snapshot(store) == before
    assert offer_values(store, "hope-ev") == hope
    assert store.get("import-neu-01") is None


# --- formula injection ---------------------------------------------------------------------------------------

def _cells(csv_bytes: bytes) -> list[list[str]]:
    text = csv_bytes.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_formulas_are_neutralised_in_rejected_rows_and_exports(store):
    formula = '=HYPERLINK("http://evil","x")'
    report = store.import_csv(IMPORT_20_20.read_bytes(), "anna", apply=False)
    header, *rows = _cells(report.rejected_csv())
    assert header == ["zeile", "grund", "rohdaten"]
    row = next(r for r in rows if r[0] == "38")
    assert row[2].startswith("'" + formula)
    assert all(not cell.startswith(FORMULA_PREFIXES) for r in rows for cell in r)

    stored = store.save(new_offer(id="formel", name=formula, telefon="+49 571 1234"), "anna", None)
    assert stored["name"] == formula  # stored verbatim as data

    header, *rows = _cells(export_offers_csv(store.all_offers()))  # the app's download (geo.exchange.csv_export)
    name = header.index("Name")
    exported = next(r for r in rows if r[name].endswith(formula))
    assert exported[name] == "'" + formula
    assert exported[header.index("Telefon")] == "'+49 571 1234"
    assert all(not cell.startswith(FORMULA_PREFIXES) for r in rows for cell in r)

    # Store.offers_csv() is the loading format of data/angebote.csv: values verbatim, and it loads back unchanged
    reloaded = parse_offers(store.offers_csv(), "angebote.csv")
    assert len(reloaded.rejected) == 0
    assert reloaded.offers.set_index("id").loc["formel", "name"] == formula


# --- residents' suggestions ----------------------------------------------------------------------------------

def test_suggestions_are_queued_trimmed_kept_verbatim_and_never_offers(store):
    offers_before = store.all_offers().to_dict("records")
    first = store.suggest("fehler", "   Die Telefonnummer stimmt nicht mehr.  \n", offer_id="hope-ev",
                          contact="  anna@example.org ")
    long = store.suggest("neu", "  " + "ä" * (MAX_SUGGESTION_CHARS + 500) + "  ")
    hostile_text = ("<script>alert(1)</script> '; DROP TABLE angebote; -- " + '=HYPERLINK("http://evil","x") '
                    "{{7*7}} ${jndi:ldap://x} \u202eevil")
    hostile = store.suggest("neu", hostile_text, contact="'); DELETE FROM vorschlaege; --")

    queue = store.suggestions().set_index("nr")
    assert list(queue.index) == [first, long, hostile]
    assert set(queue["stand"]) == {"offen"}
    assert queue.loc[first, "text"] == "Die Telefonnummer stimmt nicht mehr."
    assert (queue.loc[first, "art"], queue.loc[first, "angebot_id"], queue.loc[first, "kontakt"]) == (
        "fehler", "hope-ev", "anna@example.org")
    assert queue.loc[long, "text"] == "ä" * MAX_SUGGESTION_CHARS
    assert pd.isna(queue.loc[long, "angebot_id"])
    assert queue.loc[hostile, "text"] == hostile_text
    assert queue.loc[hostile, "kontakt"] == "'); DELETE FROM vorschlaege; --"

    n = len(store.suggestions(None))
    for empty in ("", "   \n\t "):
        with pytest.raises(ValidationError):
            store.suggest("neu", empty)
    with pytest.raises(ValueError):
        store.suggest("spam", "Text")
    assert len(store.suggestions(None)) == n

    store.resolve_suggestion(first, "uebernommen", "anna")
    store.resolve_suggestion(hostile, "abgelehnt", "bernd")
    assert list(store.suggestions()["nr"]) == [long]
    done = store.suggestions("uebernommen")
    assert (list(done["nr"]), list(done["bearbeitet_von"])) == ([first], ["anna"])
    assert list(store.suggestions("abgelehnt")["nr"]) == [hostile]
    assert len(store.suggestions(None)) == 3
    with pytest.raises(ValueError):
        store.resolve_suggestion(long, "offen", "anna")

    assert store.all_offers().to_dict("records") == offers_before  # the queue never reaches the offers
    assert len(store.history()) == len(store.history().query("vorgang == 'import'"))


def test_suggestion_with_a_nul_byte_is_stored_or_rejected_never_a_database_error(store, backend, request):
    # once a psycopg2 ValueError on PostgreSQL: control characters are removed from residents' text now
    try:
        number = store.suggest("neu", "Bitte\x00 prüfen")
    except ValidationError:
        assert len(store.suggestions(None)) == 0
    else:
        assert list(store.suggestions()["nr"]) == [number]


def test_an_unedited_store_follows_a_new_seed_file_an_edited_one_never(tmp_path):
    """A new release of data/angebote.csv refills a store nobody has edited; editors' work is never overwritten."""

    from geo.config import DATA_DIR
    from geo.store.offer_store import Store

    seed = tmp_path / "angebote.csv"
    shutil.copy(DATA_DIR / "angebote.csv", seed)
    store = Store.open(f"sqlite:///{tmp_path / 'qk.sqlite'}", seed)
    assert store.seed(seed) == "unveraendert"
    text = seed.read_text(encoding="utf-8")
    seed.write_text(text.replace("Stadtteilzentrum mit Sitz", "Stadtteilzentrum, Sitz"), encoding="utf-8")
    assert store.seed(seed) == "erneuert"
    assert "Stadtteilzentrum, Sitz" in store.get("begegnungszentrum-baerenkaempen")["beschreibung"]
    offer = store.get("jekits")
    store.save({**offer, "telefon": "0571 1"}, "anna", offer["version"])
    seed.write_text(text, encoding="utf-8")
    assert store.seed(seed) == "unveraendert"
    assert store.get("jekits")["telefon"] == "0571 1"


@pytest.mark.parametrize("changes, fragment", [
    ({"oeffnungszeiten": "Montags 9-12"}, "OpenStreetMap-Format"),
    ({"website": "javascript:alert(1)"}, "http(s)-Adresse"),
    ({"website": "www.example.de"}, "http(s)-Adresse"),
    ({"telefon": "ruf an"}, "keine Telefonnummer"),
    ({"zuletzt_geprueft": "1.12.2026"}, "JJJJ-MM-TT"),
])
def test_the_editor_form_checks_more_strictly_than_an_import(changes, fragment):
    from geo.store.offer_store import editor_problems

    good = {"oeffnungszeiten": "Mo-Fr 09:00-12:00", "website": "https://example.de", "telefon": "0571 123456",
            "zuletzt_geprueft": "2026-12-01"}
    assert editor_problems(good) == []
    problems = editor_problems({**good, **changes})
    assert len(problems) == 1 and fragment in problems[0]
