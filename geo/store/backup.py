"""Backups of the offer store that restore: offers, audit trail, suggestions, measure states, login locks.

SQLite: the SQLite online backup API (a consistent copy while the app keeps running), checked by reopening the
copy. PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` (Debian's ``postgresql-client``). A restore goes
only into an empty store unless the operator says ``overwrite``; a replaced SQLite file is kept beside it.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from geo.store.offer_store import (
    StoreUnavailable,
    audit_table,
    check_sqlite_file,
    default_sqlite_path,
    metadata,
    offers_table,
    sqlite_path,
)


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do (German)."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore handled: the file, and the rows per table (as counted in the result)."""

    path: Path
    rows: dict[str, int]

    def summary(self) -> str:
        counts = ", ".join(f"{table}: {n}" for table, n in self.rows.items())
        return f"{self.path} ({counts})"


def store_url(url: str | None) -> str:
    """The SQLAlchemy URL of the store: ``url``, or the embedded SQLite file for ``None``/``"sqlite"``."""
    return url if url and url != "sqlite" else f"sqlite:///{default_sqlite_path()}"


def default_backup_path(url: str, now: datetime | None = None) -> Path:
    """``var/sicherungen/quartierskarte-<UTC time>.sqlite`` (or ``.pgdump`` for PostgreSQL)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    suffix = ".sqlite" if sqlite_path(url) is not None else ".pgdump"
    return default_sqlite_path().parent / "sicherungen" / f"quartierskarte-{stamp}{suffix}"


def row_counts(url: str) -> dict[str, int]:
    """Rows per table of the store at ``url`` (tables that do not exist count 0)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            existing = set(sa.inspect(conn).get_table_names())
            return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                    if t.name in existing else 0 for t in metadata.sorted_tables}
    finally:
        engine.dispose()


def backup(url: str, target: Path) -> BackupReport:
    """Write a consistent backup of the store at ``url`` to ``target`` (not overwritten if it exists)."""
    if target.exists():
        raise BackupError(f"{target} gibt es schon; eine Sicherung überschreibt nie eine andere.")
    if not target.parent.is_dir():
        raise BackupError(f"Ordner {target.parent} gibt es nicht.")
    source = sqlite_path(url)
    if source is not None:
        try:
            check_sqlite_file(source)
        except StoreUnavailable as exc:
            raise BackupError(f"Die Datenbank ist nicht lesbar, eine Sicherung davon hilft nicht: {exc}") from exc
        if not source.exists():
            raise BackupError(f"Die Datenbank {source} gibt es nicht.")
        _sqlite_copy(source, target)
        return BackupReport(target, row_counts(f"sqlite:///{target}"))
    libpq, env = _libpq_url(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", libpq], "pg_dump", env)
    return BackupReport(target, row_counts(url))


def restore(url: str, source: Path, overwrite: bool = False) -> BackupReport:
    """Restore the backup ``source`` into the store at ``url``.

    Refused when the store holds offers or history, unless ``overwrite``: then a SQLite file is first moved
    aside (``<name>.vor-wiederherstellung-<time>``, never deleted) and PostgreSQL tables are replaced.
    """
    if not source.is_file():
        raise BackupError(f"Sicherung {source} gibt es nicht.")
    target = sqlite_path(url)
    if target is not None:
        if source.suffix == ".pgdump":
            raise BackupError(f"{source} ist eine PostgreSQL-Sicherung; die Datenbank ist SQLite ({target}).")
        try:
            check_sqlite_file(source)
        except StoreUnavailable as exc:
            raise BackupError(f"Die Sicherung ist nicht lesbar: {exc}") from exc
        if target.exists():
            if not overwrite and _holds_data(url, target):
                raise BackupError(f"{target} enthält schon Angebote oder Verlauf. Wiederherstellen nur in eine leere "
                                  "Datenbank – oder ausdrücklich mit --ueberschreiben (die jetzige Datei wird "
                                  "daneben aufbewahrt).")
            kept = target.with_name(f"{target.name}.vor-wiederherstellung-{datetime.now(UTC):%Y%m%d-%H%M%S}")
            shutil.move(target, kept)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target)
        return BackupReport(target, row_counts(url))
    if source.suffix != ".pgdump":
        raise BackupError(f"{source} ist keine PostgreSQL-Sicherung (.pgdump); die Datenbank ist PostgreSQL.")
    if not overwrite and _holds_data(url, None):
        raise BackupError("Die PostgreSQL-Datenbank enthält schon Angebote oder Verlauf. Wiederherstellen nur in "
                          "eine leere Datenbank – oder ausdrücklich mit --ueberschreiben.")
    libpq, env = _libpq_url(url)
    command = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", f"--dbname={libpq}"]
    if overwrite:
        command += ["--clean", "--if-exists"]
    else:
        _drop_empty_tables(url)  # the app creates empty tables on start; pg_restore wants to create them itself
    _run([*command, str(source)], "pg_restore", env)
    return BackupReport(source, row_counts(url))


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy with SQLite's online backup API (pages copied under a read lock: consistent even during writes)."""
    tmp = target.with_name(target.name + ".unfertig")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as src, sqlite3.connect(tmp) as dst:
            src.backup(dst)
        with sqlite3.connect(tmp) as check:
            verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"Die Kopie besteht die SQLite-Prüfung nicht: {verdict}")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def _holds_data(url: str, path: Path | None) -> bool:
    """True if the store has offers or any audit rows (a damaged SQLite file counts as holding data)."""
    if path is not None:
        try:
            check_sqlite_file(path)
        except StoreUnavailable:
            return True
    counts = row_counts(url)
    return counts[offers_table.name] > 0 or counts[audit_table.name] > 0


def _drop_empty_tables(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()


def _libpq_url(url: str) -> tuple[str, dict[str, str]]:
    """``postgresql+psycopg2://…`` → a ``postgresql://…`` URL for the PostgreSQL tools, and the password as
    ``PGPASSWORD`` (a password in the command line would be visible to every user of the server in ``ps``)."""
    parsed = sa.engine.make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(command: list[str], tool: str, env: dict[str, str]) -> None:
    import os

    if shutil.which(tool) is None:
        raise BackupError(f"{tool} fehlt (Debian-Paket postgresql-client).")
    result = subprocess.run(command, capture_output=True, text=True, check=False, env={**os.environ, **env})
    if result.returncode != 0:
        raise BackupError(f"{tool} meldet: {result.stderr.strip()[:500]}")
