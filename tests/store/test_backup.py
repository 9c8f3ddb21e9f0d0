"""geo.store.backup and ``python -m geo sicherung / wiederherstellen``: a store with edits, ended offers,
suggestions, measure states, login locks and history is backed up, lost, restored — and every row is back.

SQLite always; PostgreSQL (pg_dump/pg_restore) on the throwaway cluster of test_offer_store.py (slow).
"""
# ruff: noqa: F811  (the store fixtures are imported from test_offer_store and then named as test arguments)
from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_offer_store import ANGEBOTE, backend, db_url, open_store, postgres_server, store  # noqa: F401

from geo.__main__ import main
from geo.store.accounts import StoreThrottle
from geo.store.backup import BackupError, backup, restore
from geo.store.offer_store import Store, metadata, sqlite_path


def every_row(url: str) -> dict[str, list[tuple]]:
    """All rows of all store tables, ordered by their primary key: what a restore must bring back exactly."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {table.name: [tuple(row) for row in conn.execute(
                sa.select(table).order_by(*table.primary_key.columns))] for table in metadata.sorted_tables}
    finally:
        engine.dispose()


def lived_in(store: Store) -> None:
    """A store after some weeks of editing: edits, an ended offer, suggestions, a measure's status, a lock."""
    first, second = sorted(store.all_offers()["id"])[:2]
    offer = store.get(first)
    changed = store.save_changes(first, {"hinweis": "Geprüft am Telefon", "kosten": "kostenlos"}, "anna",
                                 offer["version"])
    store.verify(first, "bernd", date(2026, 12, 1), changed["version"])
    store.end(second, "anna", store.get(second)["version"])
    store.suggest("neu", "Sprachcafé im Gemeindehaus fehlt", None, "mail@example.org")
    number = store.suggest("fehler", "Telefonnummer falsch", first)
    store.resolve_suggestion(number, "uebernommen", "bernd")
    store.set_measure_state("ikon-6.3-1", "begonnen", "anna", "offen")
    store.save_measure("ikon-6.2-1", {"zustaendig": "Integrationsbüro", "fortschritt": "Auftakttreffen",
                                      "fortschritt_am": "2026-11-30"}, "bernd", 0)
    throttle = StoreThrottle(store)
    for _ in range(5):
        throttle.record_failure("mallory", now=1_000.0)


def lose(url: str) -> None:
    """The disaster: the SQLite file is gone, or every table of the PostgreSQL database is dropped."""
    path = sqlite_path(url)
    if path is not None:
        path.unlink()
        return
    engine = sa.create_engine(url)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()


def test_backup_restores_every_row_after_the_store_is_lost(store, db_url, tmp_path):
    lived_in(store)
    before = every_row(db_url)
    assert len(before["aenderungen"]) > 78 and len(before["vorschlaege"]) == 2
    assert before["anmeldefehler"] and len(before["massnahmen_stand"]) == 2
    assert any("Auftakttreffen" in row for row in before["massnahmen_stand"])
    suffix = ".sqlite" if sqlite_path(db_url) else ".pgdump"
    report = backup(db_url, tmp_path / f"sicherung{suffix}")
    assert report.rows["angebote"] == 78 and report.rows["vorschlaege"] == 2
    store.engine.dispose()
    lose(db_url)

    restored = restore(db_url, tmp_path / f"sicherung{suffix}")
    assert restored.rows == report.rows
    assert every_row(db_url) == before
    # the restored store works as a store: the lock still holds, edits continue at the right version
    reopened = Store.open(db_url, seed_csv=ANGEBOTE)
    assert StoreThrottle(reopened).seconds_locked("mallory", now=1_010.0) == 15 * 60 - 10
    first = sorted(reopened.all_offers()["id"])[0]
    assert reopened.get(first)["hinweis"] == "Geprüft am Telefon"
    reopened.engine.dispose()


def test_restore_refuses_a_store_with_data_unless_told(store, db_url, tmp_path):
    suffix = ".sqlite" if sqlite_path(db_url) else ".pgdump"
    backup(db_url, tmp_path / f"a{suffix}")
    first = sorted(store.all_offers()["id"])[0]
    store.save_changes(first, {"hinweis": "nach der Sicherung"}, "anna", store.get(first)["version"])
    with pytest.raises(BackupError, match="enthält schon Angebote oder Verlauf"):
        restore(db_url, tmp_path / f"a{suffix}")
    assert store.get(first)["hinweis"] == "nach der Sicherung"
    store.engine.dispose()
    restore(db_url, tmp_path / f"a{suffix}", overwrite=True)
    assert Store(sa.create_engine(db_url)).get(first)["hinweis"] != "nach der Sicherung"
    path = sqlite_path(db_url)
    if path is not None:  # the replaced file is kept beside the store, never deleted
        kept = list(path.parent.glob(f"{path.name}.vor-wiederherstellung-*"))
        assert len(kept) == 1 and Store(sa.create_engine(f"sqlite:///{kept[0]}")).get(first)["hinweis"] == \
            "nach der Sicherung"


def test_backup_never_overwrites_and_refuses_a_damaged_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'qk.sqlite'}"
    Store.open(url, seed_csv=ANGEBOTE).engine.dispose()
    backup(url, tmp_path / "eins.sqlite")
    with pytest.raises(BackupError, match="gibt es schon"):
        backup(url, tmp_path / "eins.sqlite")
    (tmp_path / "qk.sqlite").write_bytes(b"")
    with pytest.raises(BackupError, match="nicht lesbar"):
        backup(url, tmp_path / "zwei.sqlite")
    assert not (tmp_path / "zwei.sqlite").exists()


def test_a_damaged_store_is_restored_with_overwrite_and_kept_aside(tmp_path):
    url = f"sqlite:///{tmp_path / 'qk.sqlite'}"
    Store.open(url, seed_csv=ANGEBOTE).engine.dispose()
    backup(url, tmp_path / "gut.sqlite")
    (tmp_path / "qk.sqlite").write_bytes(b"")  # truncate -s 0
    with pytest.raises(BackupError, match="--ueberschreiben"):
        restore(url, tmp_path / "gut.sqlite")
    restore(url, tmp_path / "gut.sqlite", overwrite=True)
    assert Store(sa.create_engine(url)).count() == 78
    kept = list(tmp_path.glob("qk.sqlite.vor-wiederherstellung-*"))
    assert len(kept) == 1 and kept[0].stat().st_size == 0


def test_command_line_round_trip(tmp_path, monkeypatch, capsys):
    db = tmp_path / "qk.sqlite"
    monkeypatch.setenv("QK_DATENBANK", f"sqlite:///{db}")
    store = Store.open(f"sqlite:///{db}", seed_csv=ANGEBOTE)
    lived_in(store)
    store.engine.dispose()
    before = every_row(f"sqlite:///{db}")
    assert main(["sicherung", "-o", str(tmp_path / "s.sqlite")]) == 0
    assert "Gesichert:" in capsys.readouterr().out
    digest = hashlib.sha256((tmp_path / "s.sqlite").read_bytes()).hexdigest()
    assert main(["sicherung", "-o", str(tmp_path / "s.sqlite")]) == 1  # never overwritten
    assert hashlib.sha256((tmp_path / "s.sqlite").read_bytes()).hexdigest() == digest
    assert main(["wiederherstellen", "--von", str(tmp_path / "s.sqlite")]) == 1
    assert "enthält schon" in capsys.readouterr().err
    db.unlink()
    assert main(["wiederherstellen", "--von", str(tmp_path / "s.sqlite")]) == 0
    assert every_row(f"sqlite:///{db}") == before
    assert main(["wiederherstellen", "--von", str(tmp_path / "fehlt.sqlite")]) == 1
    assert "gibt es nicht" in capsys.readouterr().err


def test_sqlite_backup_of_a_store_in_use_is_consistent(tmp_path):
    """The online backup API copies under a read lock: a write committed during the backup is either wholly
    in the copy or wholly not — never half an edit."""
    url = f"sqlite:///{tmp_path / 'qk.sqlite'}"
    store = Store.open(url, seed_csv=ANGEBOTE)
    first = sorted(store.all_offers()["id"])[0]
    open_connection = store.engine.connect()  # the app holds connections open while the backup runs
    store.save_changes(first, {"hinweis": "eins", "kosten": "zwei"}, "anna", store.get(first)["version"])
    backup(url, tmp_path / "s.sqlite")
    open_connection.close()
    copy = Store(sa.create_engine(f"sqlite:///{tmp_path / 's.sqlite'}")).get(first)
    assert (copy["hinweis"], copy["kosten"]) == ("eins", "zwei")


def test_default_backup_folder_is_created(tmp_path, monkeypatch, capsys):
    import geo.store.backup as backup_module

    monkeypatch.setenv("QK_DATENBANK", f"sqlite:///{tmp_path / 'qk.sqlite'}")
    Store.open(f"sqlite:///{tmp_path / 'qk.sqlite'}", seed_csv=ANGEBOTE).engine.dispose()
    monkeypatch.setattr(backup_module, "default_sqlite_path", lambda: tmp_path / "var" / "quartierskarte.sqlite")
    assert main(["sicherung"]) == 0
    written = list((tmp_path / "var" / "sicherungen").glob("quartierskarte-*.sqlite"))
    assert len(written) == 1 and Path(written[0]).stat().st_size > 0
