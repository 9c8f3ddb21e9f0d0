"""Nothing an editor saves is lost (issue section 0), at the level of the store: only changed fields are written,
a moved version is a conflict with both values, a damaged store is refused and never re-seeded, the login lock
and the suggestion limit live in the store, and an oversized seed file is refused.

SQLite files in ``tmp_path`` (the damage cases are about files); the numbers in the assertions are counted by hand
from ``data/angebote.csv``.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.data.problems import DataFileError
from geo.store.accounts import LOCK_S, MAX_FAILURES, LoginLocked, StoreThrottle, User, add_user, login
from geo.store.offer_store import ConflictError, Store, StoreUnavailable, suggestions_table

ROOT = Path(__file__).resolve().parents[2]
ANGEBOTE = ROOT / "data" / "angebote.csv"
SHIPPED_OFFERS = 78
"""Data lines of ``data/angebote.csv`` (the number the damaged store used to be replaced with)."""
PASSWORD = "ein-langes-passwort"


@pytest.fixture
def stores(tmp_path):
    """Open stores on one SQLite file (each call a new ``Store`` object, as a restart or a second app process
    would make); every engine is disposed at the end."""
    opened: list[Store] = []

    def _open(seed: bool = True) -> Store:
        store = Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}", seed_csv=ANGEBOTE if seed else None)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.engine.dispose()


@pytest.fixture
def store(stores) -> Store:
    """A store seeded from data/angebote.csv."""
    return stores()


def persons_changes(store: Store, offer_id: str) -> list[tuple]:
    """The audit rows of ``offer_id`` not written by the seeding: (field, old, new, who, version)."""
    history = store.history(offer_id)
    history = history[history["vorgang"] != "import"]
    return [(r.feld, r.alt, r.neu, r.von, r.version) for r in history.itertuples()]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- only the changed fields are written ----------------------------------------------------------------------

def test_save_changes_writes_only_the_given_field(store):
    """Saving only "Kosten" once also rewrote zielgruppen "Familien" as "Eltern und Familien" (the form's text)."""
    before = store.get("familienfest-weser")
    assert (before["zielgruppen"], before["kosten"], before["version"]) == ("Familien", "unbekannt", 1)

    saved = store.save_changes("familienfest-weser", {"kosten": "kostenlos"}, "anna", 1)

    assert (saved["kosten"], saved["zielgruppen"], saved["version"]) == ("kostenlos", "Familien", 2)
    stored = store.get("familienfest-weser")
    assert {k: v for k, v in stored.items() if k not in ("kosten", "version", "geaendert_am", "geaendert_von")} == {
        k: v for k, v in before.items() if k not in ("kosten", "version", "geaendert_am", "geaendert_von")}
    assert persons_changes(store, "familienfest-weser") == [("kosten", "unbekannt", "kostenlos", "anna", 2)]


def test_the_same_editor_saving_twice_keeps_both_changes(store):
    """The form key once contained the version: the editor's second save of the same form disappeared."""
    first = store.save_changes("familienfest-weser", {"kosten": "kostenlos"}, "anna", 1)
    second = store.save_changes("familienfest-weser", {"hinweis": "Termin 2027 steht fest."}, "anna",
                                first["version"])
    stored = store.get("familienfest-weser")
    assert (stored["kosten"], stored["hinweis"], stored["version"]) == ("kostenlos", "Termin 2027 steht fest.", 3)
    assert second["version"] == 3
    old_hint = ("Jährlich seit 2015, meist an Himmelfahrt (2019: Do 30.5., 13–18 Uhr). Spätere Ausgaben nicht geprüft. "
                "Markierung am Wohnmobilstellplatz auf Kanzlers Weide; Stadtbezirk aus „auf dem rechten Weserufer“ "
                "abgeleitet.")
    assert persons_changes(store, "familienfest-weser") == [
        ("kosten", "unbekannt", "kostenlos", "anna", 2), ("hinweis", old_hint, "Termin 2027 steht fest.", "anna", 3)]


# --- conflicts: both values, nothing overwritten ---------------------------------------------------------------

def test_second_editor_gets_a_conflict_with_both_values_and_can_then_save(store):
    """A and B opened the offer at version 1; A saves first. B once got no message and A's text was kept."""
    original = store.get("hafenschule")["hinweis"]
    store.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 1)

    with pytest.raises(ConflictError) as caught:
        store.save_changes("hafenschule", {"hinweis": "Hinweis von B"}, "bernd", 1)
    error = caught.value
    assert (error.offer_id, error.expected, error.current["version"]) == ("hafenschule", 1, 2)
    assert error.mine == {"hinweis": "Hinweis von B"}
    [row] = error.comparison()
    assert (row["feld"], row["ihr_wert"], row["gespeichert"], row["geaendert_von"]) == (
        "hinweis", "Hinweis von B", "Hinweis von A", "anna")
    assert row["geaendert_am"] == store.get("hafenschule")["geaendert_am"]
    assert (store.get("hafenschule")["hinweis"], store.get("hafenschule")["version"]) == ("Hinweis von A", 2)
    assert "bernd" not in set(store.history()["von"])

    # B decides to keep their value: saved on top of the version the conflict showed
    saved = store.save_changes("hafenschule", error.mine, "bernd", int(error.current["version"]))
    assert (saved["hinweis"], saved["version"]) == ("Hinweis von B", 3)
    assert persons_changes(store, "hafenschule") == [("hinweis", original, "Hinweis von A", "anna", 2),
                                                     ("hinweis", "Hinweis von A", "Hinweis von B", "bernd", 3)]


def test_a_field_nobody_else_changed_is_listed_with_an_empty_author(store):
    """B changed Kosten, A had changed Hinweis: the table shows B's Kosten and the stored one, without an author."""
    store.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 1)
    with pytest.raises(ConflictError) as caught:
        store.save_changes("hafenschule", {"kosten": "5 Euro"}, "bernd", 1)
    assert caught.value.comparison() == [{"feld": "kosten", "ihr_wert": "5 Euro", "gespeichert": "unbekannt",
                                          "geaendert_von": "", "geaendert_am": ""}]
    assert [c["von"] for c in caught.value.changes] == ["anna"]


@pytest.mark.parametrize("action", ["end", "verify", "restore"])
def test_one_click_actions_from_an_outdated_view_are_conflicts(store, action):
    """"Als beendet markieren" from an outdated view once ended the offer without a conflict."""
    from datetime import date

    if action == "restore":
        store.end("hafenschule", "anna", 1)  # version 2, ended
    opened = store.get("hafenschule")
    store.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", opened["version"])
    calls = {"end": lambda: store.end("hafenschule", "bernd", opened["version"]),
             "verify": lambda: store.verify("hafenschule", "bernd", date(2026, 12, 1), opened["version"]),
             "restore": lambda: store.restore("hafenschule", "bernd", opened["version"])}
    with pytest.raises(ConflictError):
        calls[action]()
    stored = store.get("hafenschule")
    assert (stored["status"], stored["zuletzt_geprueft"], stored["version"]) == (
        opened["status"], opened["zuletzt_geprueft"], opened["version"] + 1)
    assert "bernd" not in set(store.history()["von"])


def test_end_with_the_current_version_ends_the_offer(store):
    ended = store.end("hafenschule", "anna", 1)
    assert (ended["status"], ended["version"]) == ("beendet", 2)


def test_a_save_racing_another_between_read_and_write_still_shows_both_values(store, stores, monkeypatch):
    """The version check and the write are two statements: another process may commit in between. The conflict
    then must carry the editor's values and the other's change like any other conflict."""
    import geo.store.offer_store as offer_store

    other = stores(seed=False)  # a second app process on the same file
    real = offer_store.validate_offer
    raced: list[bool] = []

    def validate_while_anna_saves(values, *args, **kwargs):
        if not raced:  # bernd's save has read version 1 and checks the values: anna's save commits now
            raced.append(True)
            other.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 1)
        return real(values, *args, **kwargs)

    monkeypatch.setattr(offer_store, "validate_offer", validate_while_anna_saves)
    with pytest.raises(ConflictError) as caught:
        store.save_changes("hafenschule", {"hinweis": "Hinweis von B"}, "bernd", 1)
    assert caught.value.mine == {"hinweis": "Hinweis von B"}
    assert [(r["feld"], r["ihr_wert"], r["gespeichert"], r["geaendert_von"]) for r in caught.value.comparison()] == [
        ("hinweis", "Hinweis von B", "Hinweis von A", "anna")]
    assert store.get("hafenschule")["hinweis"] == "Hinweis von A"


# --- a damaged store is refused, left as it is and never re-seeded ---------------------------------------------

def real_store_bytes(tmp_path: Path) -> bytes:
    """The bytes of a seeded store with one editor's change (as a store in use looks)."""
    path = tmp_path / "echt.sqlite"
    store = Store.open(f"sqlite:///{path}", seed_csv=ANGEBOTE)
    store.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 1)
    store.engine.dispose()
    return path.read_bytes()


def foreign_sqlite_bytes(tmp_path: Path) -> bytes:
    """A valid SQLite file of another program (a wrong QK_DATENBANK path)."""
    path = tmp_path / "fremd.sqlite"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE kunden (nr INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO kunden (name) VALUES ('Meier')")
    conn.close()
    return path.read_bytes()


def damaged_bytes(damage: str, tmp_path: Path) -> bytes:
    if damage == "leer":
        return b""
    if damage == "16-mb-zufall":
        return os.urandom(16 * 1024 * 1024)
    if damage == "fremde-datenbank":
        return foreign_sqlite_bytes(tmp_path)
    real = real_store_bytes(tmp_path)
    return {"erste-100-bytes": real[:100], "halb": real[:len(real) // 2], "ohne-letzte-1000-bytes": real[:-1000]}[damage]


@pytest.mark.parametrize("damage, reason", [
    ("leer", "leer (0 Bytes)"),
    ("erste-100-bytes", "keine lesbare SQLite-Datenbank"),
    ("halb", "keine lesbare SQLite-Datenbank"),
    ("ohne-letzte-1000-bytes", "beschädigt"),
    ("16-mb-zufall", "keine lesbare SQLite-Datenbank"),
    ("fremde-datenbank", "keine Tabelle „angebote“"),
])
def test_a_damaged_store_is_refused_untouched_and_never_seeded(tmp_path, damage, reason):
    """`truncate -s 0` and a restart once replaced everything with the 78 shipped offers; a malformed file showed
    a raw sqlalchemy traceback."""
    content = damaged_bytes(damage, tmp_path)
    path = tmp_path / "kaputt.sqlite"
    path.write_bytes(content)
    digest = sha256(path)

    for attempt in range(2):  # the first start and a restart: both refuse, neither writes
        with pytest.raises(StoreUnavailable) as caught:
            Store.open(f"sqlite:///{path}", seed_csv=ANGEBOTE)
        assert reason in caught.value.reason, caught.value.reason
        assert caught.value.where == str(path)
        assert "wiederherstellen" in caught.value.restore
        assert sha256(path) == digest, f"attempt {attempt}: the file was changed"
        assert path.stat().st_size == len(content)
    with pytest.raises(StoreUnavailable):
        Store(sa.create_engine(f"sqlite:///{path}"))  # the constructor checks too, not only open()
    assert sha256(path) == digest
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("kaputt")) == ["kaputt.sqlite"]


def test_a_real_store_cut_at_16_mb_is_refused(tmp_path):
    """A store larger than 16 MB (many suggestions) cut at exactly 16 MB, as a full disk or a copy may leave it."""
    path = tmp_path / "gross.sqlite"
    store = Store.open(f"sqlite:///{path}", seed_csv=ANGEBOTE)
    with store.engine.begin() as conn:
        conn.execute(suggestions_table.insert(), [
            {"art": "neu", "text": f"Vorschlag {i} " + "x" * 1900, "am": "2026-01-01T00:00:00+00:00"}
            for i in range(12_000)])
    store.engine.dispose()
    assert path.stat().st_size > 16 * 1024 * 1024
    with path.open("r+b") as handle:
        handle.truncate(16 * 1024 * 1024)
    digest = sha256(path)
    with pytest.raises(StoreUnavailable):
        Store.open(f"sqlite:///{path}", seed_csv=ANGEBOTE)
    assert sha256(path) == digest


def test_emptied_offers_table_with_editors_changes_is_refused_not_reseeded(tmp_path, stores):
    store = stores()
    store.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 1)
    history = len(store.history())
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM angebote"))  # by hand, e.g. a wrong statement in the sqlite3 shell
    store.engine.dispose()
    digest = sha256(tmp_path / "store.sqlite")

    with pytest.raises(StoreUnavailable) as caught:
        stores()  # the next start seeds from the shipped file
    assert "leer" in caught.value.reason and "Verlauf" in caught.value.reason
    assert sha256(tmp_path / "store.sqlite") == digest
    check = stores(seed=False)
    assert (check.count(), len(check.history())) == (0, history)


def test_an_emptied_store_nobody_edited_is_filled_again(tmp_path, stores):
    """The counterpart: without any person's change the shipped offers are all there is, refilling loses nothing."""
    store = stores()
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM angebote"))
        conn.execute(sa.text("DELETE FROM meta"))
    assert stores().count() == SHIPPED_OFFERS


# --- the login lock lives in the store -------------------------------------------------------------------------

@pytest.fixture
def users(tmp_path) -> Path:
    path = tmp_path / "benutzer.toml"
    add_user(path, "anna", PASSWORD, "redaktion")
    add_user(path, "bernd", PASSWORD, "redaktion")
    return path


def test_login_lock_survives_a_restart_and_holds_in_a_second_process(users, stores):
    """The lock once lived in the memory of one process: a restart or the second process let the guessing go on."""
    throttle = StoreThrottle(stores())
    for second in range(MAX_FAILURES):  # failures at 1000 … 1004 s: the fifth locks until 1004 + 900 = 1904
        assert login(users, "anna", "falsch", throttle, now=1000.0 + second) is None
    with pytest.raises(LoginLocked) as locked:
        login(users, "anna", PASSWORD, throttle, now=1010.0)
    assert locked.value.seconds == 894 == LOCK_S - (1010 - 1004)

    restarted = StoreThrottle(stores())  # a new Store object on the same file
    assert restarted.seconds_locked("anna", now=1010.0) == 894
    with pytest.raises(LoginLocked) as locked:
        login(users, "anna", PASSWORD, restarted, now=1500.0)
    assert locked.value.seconds == 404
    second_process = StoreThrottle(stores(seed=False))
    assert second_process.seconds_locked("anna", now=1900.0) == 4
    assert second_process.seconds_locked("bernd", now=1010.0) == 0  # another name is not affected
    assert login(users, "anna", PASSWORD, second_process, now=1905.0) == User("anna", "redaktion")


def test_failures_in_two_processes_add_up(users, stores):
    """Three wrong passwords in one process and two in another are five: the lock is not halved."""
    first, second = StoreThrottle(stores()), StoreThrottle(stores(seed=False))
    for now, throttle in ((1000.0, first), (1001.0, second), (1002.0, first), (1003.0, second)):
        assert login(users, "anna", "falsch", throttle, now=now) is None
    assert first.seconds_locked("anna", now=1003.5) == 0
    assert login(users, "anna", "falsch", first, now=1004.0) is None
    assert second.seconds_locked("anna", now=1004.0) == LOCK_S


def test_failures_recorded_at_the_same_moment_in_two_processes_all_count(users, stores):
    """Both processes only insert: five failures at the same instant from two processes lock the name."""
    first, second = StoreThrottle(stores()), StoreThrottle(stores())
    for throttle in (first, second, first, second, first):
        throttle.record_failure("anna", now=2000.0)
    assert first.seconds_locked("anna", now=2000.0) == second.seconds_locked("anna", now=2000.0) == LOCK_S


def test_a_correct_login_clears_the_counted_failures(users, stores):
    throttle = StoreThrottle(stores())
    for second in range(MAX_FAILURES - 1):
        login(users, "anna", "falsch", throttle, now=1000.0 + second)
    assert login(users, "anna", PASSWORD, throttle, now=1010.0) is not None
    assert throttle.store.login_failures("anna") == []
    login(users, "anna", "falsch", throttle, now=1011.0)
    assert throttle.seconds_locked("anna", now=1011.0) == 0  # one failure after the reset, not five


# --- the seed file's size limit ----------------------------------------------------------------------------------

def test_a_seed_file_over_the_limit_is_refused_and_nothing_imported(tmp_path):
    """With a database configured, an offers file over the 64 MiB limit was once imported on first request."""
    size = ANGEBOTE.stat().st_size
    with pytest.raises(DataFileError) as caught:
        Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}", seed_csv=ANGEBOTE, max_seed_bytes=size - 1)
    assert caught.value.problem.datei == "angebote.csv" and "MiB groß" in caught.value.problem.meldung
    store = Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}")
    assert (store.count(), len(store.history())) == (0, 0)
    # at the limit it is read, and the store fills
    assert Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}", seed_csv=ANGEBOTE,
                      max_seed_bytes=size).count() == SHIPPED_OFFERS


def test_the_app_passes_the_limit_of_geo_dataset(tmp_path, monkeypatch):
    import geo.dataset
    from geo.config import load_settings

    monkeypatch.setattr(geo.dataset, "MAX_OFFERS_FILE_BYTES", 1000)
    settings = load_settings({"QK_DATENBANK": f"sqlite:///{tmp_path / 'store.sqlite'}"})
    with pytest.raises(DataFileError):
        geo.dataset.load_dataset(settings)
    assert Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}").count() == 0


# --- the suggestion limit counts across processes ---------------------------------------------------------------

def test_suggestions_since_counts_those_of_another_process(stores):
    first, second = stores(), stores(seed=False)
    for i in range(3):
        first.suggest("neu", f"Vorschlag {i}")
    old = (datetime.now(UTC) - timedelta(seconds=120)).isoformat(timespec="seconds")
    with first.engine.begin() as conn:  # two minutes old: outside the one-minute window
        conn.execute(suggestions_table.insert().values(art="neu", text="alt", am=old))
    second.suggest("fehler", "Telefonnummer falsch", "hafenschule")
    assert second.suggestions_since(60) == 4
    assert first.suggestions_since(60) == 4
    assert first.suggestions_since(180) == 5


def test_another_process_sees_a_change_through_the_version_token(stores):
    first, second = stores(), stores(seed=False)
    token = second.version_token()
    first.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 1)
    assert second.version_token() != token
    token = second.version_token()
    first.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 2)  # nothing changed: no new version
    assert second.version_token() == token


# --- the app's data: the last good copy instead of the damaged store --------------------------------------------

def test_load_dataset_falls_back_to_the_last_good_copy(tmp_path):
    from geo.config import load_settings
    from geo.dataset import load_dataset, snapshot_path

    settings = load_settings({"QK_DATENBANK": f"sqlite:///{tmp_path / 'store.sqlite'}"})
    first = load_dataset(settings)
    assert first.store_problem is None and first.snapshot_time is None
    assert snapshot_path(settings) == tmp_path / "store-letzter-stand.csv"
    store = Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}")
    store.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 1)
    store.engine.dispose()
    load_dataset(settings)  # reads the change, and keeps it in the copy
    with (tmp_path / "store.sqlite").open("r+b") as handle:
        handle.truncate(0)

    fallback = load_dataset(settings)
    assert isinstance(fallback.store_problem, StoreUnavailable)
    assert fallback.snapshot_time is not None
    assert len(fallback.offers) == SHIPPED_OFFERS
    assert fallback.offers.set_index("id").loc["hafenschule", "hinweis"] == "Hinweis von A"
    assert (tmp_path / "store.sqlite").stat().st_size == 0


def test_load_dataset_without_a_last_good_copy_has_no_offers(tmp_path):
    from geo.config import load_settings
    from geo.dataset import load_dataset

    (tmp_path / "store.sqlite").write_bytes(b"")
    data = load_dataset(load_settings({"QK_DATENBANK": f"sqlite:///{tmp_path / 'store.sqlite'}"}))
    assert isinstance(data.store_problem, StoreUnavailable) and data.snapshot_time is None
    assert len(data.offers) == 0
    assert (tmp_path / "store.sqlite").stat().st_size == 0
    assert not (tmp_path / "store-letzter-stand.csv").exists()
