"""The offer store: SQLite by default (created on first use, seeded from ``data/angebote.csv``), PostgreSQL with
the same code when a database URL is configured. Every change is recorded field by field in an audit table;
nothing is hard-deleted; two editors saving the same offer get a conflict instead of a silent overwrite.

SQLAlchemy Core, text columns (the offer columns of :data:`geo.data.offers.OFFER_COLUMNS` are text in the CSV too).
Validation is the offer loader's (:func:`geo.data.offers.parse_offers`): a row the CSV loader rejects is rejected
here as well, with the same reason.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from geo.data.offers import MAX_OFFERS_FILE_BYTES, OFFER_COLUMNS, OUTLINE_PATH, parse_offers
from geo.text import neutralise_formula, strip_control_chars

SYSTEM_USER = "system"
"""Author of changes that no person made (the first seeding from the shipped CSV)."""

metadata = sa.MetaData()
offers_table = sa.Table(
    "angebote", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    *(sa.Column(name, sa.Text, nullable=False, server_default="") for name in OFFER_COLUMNS if name != "id"),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("geaendert_am", sa.Text, nullable=False),
    sa.Column("geaendert_von", sa.Text, nullable=False),
)
audit_table = sa.Table(
    "aenderungen", metadata,
    sa.Column("nr", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("angebot_id", sa.Text, nullable=False, index=True),
    sa.Column("feld", sa.Text, nullable=False),
    sa.Column("alt", sa.Text, nullable=True),
    sa.Column("neu", sa.Text, nullable=True),
    sa.Column("von", sa.Text, nullable=False),
    sa.Column("am", sa.Text, nullable=False),
    sa.Column("vorgang", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the offer's version after this change (1 = first stored)
)
suggestions_table = sa.Table(
    "vorschlaege", metadata,
    sa.Column("nr", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("angebot_id", sa.Text, nullable=True),
    sa.Column("art", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("kontakt", sa.Text, nullable=False, server_default=""),
    sa.Column("am", sa.Text, nullable=False),
    sa.Column("stand", sa.Text, nullable=False, server_default="offen"),
    sa.Column("bearbeitet_von", sa.Text, nullable=False, server_default=""),
)
measures_table = sa.Table(
    "massnahmen_stand", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("stand", sa.Text, nullable=False),
    sa.Column("geaendert_am", sa.Text, nullable=False),
    sa.Column("geaendert_von", sa.Text, nullable=False),
    sa.Column("zustaendig", sa.Text, nullable=False, server_default=""),
    sa.Column("fortschritt", sa.Text, nullable=False, server_default=""),
    sa.Column("fortschritt_am", sa.Text, nullable=False, server_default=""),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
)
"""State of the measures of the Integrationskonzept as edited by the Redaktion (the CSV keeps the source's
"offen"): status, responsible body, last progress note and its date; changes go to the audit table field by
field with ``angebot_id = "massnahme:<id>"``. The last four columns came later: :meth:`Store.__init__` adds
them to a store that lacks them (``create_all`` does not add columns)."""
MEASURE_TEXT_LIMIT = 2_000
meta_table = sa.Table(
    "meta", metadata,
    sa.Column("schluessel", sa.Text, primary_key=True),
    sa.Column("wert", sa.Text, nullable=False),
)
"""``seed_sha256``: fingerprint of the file the store was seeded from."""
login_failures_table = sa.Table(
    "anmeldefehler", metadata,
    sa.Column("nr", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False, index=True),
    sa.Column("am", sa.Float, nullable=False),
)
"""One row per failed login (Unix seconds): in the store, so that a restart or a second app process neither
forgets nor halves a lock. Only inserted and deleted — two processes failing at the same moment both count
(see :class:`geo.store.accounts.StoreThrottle`)."""
publications_table = sa.Table(
    "veroeffentlichungen", metadata,
    sa.Column("nr", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("art", sa.Text, nullable=False, index=True),
    sa.Column("dateiname", sa.Text, nullable=False),
    sa.Column("inhalt", sa.Text, nullable=False),
    sa.Column("quelle", sa.Text, nullable=False),
    sa.Column("pruefung", sa.Text, nullable=False, server_default=""),
    sa.Column("von", sa.Text, nullable=False),
    sa.Column("am", sa.Text, nullable=False),
    sa.Column("zurueckgenommen_von", sa.Text, nullable=False, server_default=""),
    sa.Column("zurueckgenommen_am", sa.Text, nullable=False, server_default=""),
)
"""Districts and indicators published in the Redaktion (``art``: :data:`PUBLICATION_KINDS`), normalised
(GeoJSON in EPSG:4326, Sozialatlas CSV). The newest row of a kind that was not withdrawn is the one in use;
withdrawing it brings back the one before (or the shipped file). Rows are never deleted: this table is the
trail of who published what, and the audit table gets a row for every step as well."""
PUBLICATION_KINDS = ("stadtteile", "sozialatlas")
SUGGESTION_KINDS = ("neu", "fehler")
SUGGESTION_STATES = ("offen", "uebernommen", "abgelehnt")
MAX_SUGGESTION_CHARS = 2_000


class ConflictError(Exception):
    """Someone else saved the offer since it was opened: ``current`` is their version, ``changes`` what they
    changed (audit rows), ``mine`` the values this save wanted to write (field → value; empty for a new offer
    whose id is taken). Nothing was written: the caller shows both and lets the editor decide."""

    def __init__(self, offer_id: str, expected: int, current: dict, changes: list[dict],
                 mine: dict[str, str] | None = None):
        super().__init__(f"Angebot „{offer_id}“ wurde inzwischen geändert (Version {current['version']}, "
                         f"geöffnet war {expected}).")
        self.offer_id, self.expected, self.current, self.changes = offer_id, expected, current, changes
        self.mine = dict(mine or {})

    def comparison(self) -> list[dict[str, str]]:
        """One row per field this save wanted to change: the value the editor entered, the value stored now and
        who changed it since the editor opened the offer (empty if nobody did)."""
        last_change = {row["feld"]: row for row in self.changes}
        return [{"feld": name, "ihr_wert": value, "gespeichert": str(self.current.get(name, "") or ""),
                 "geaendert_von": last_change[name]["von"] if name in last_change else "",
                 "geaendert_am": last_change[name]["am"] if name in last_change else ""}
                for name, value in self.mine.items()]


class PublicationConflict(Exception):
    """The publication an editor wanted to withdraw is no longer the one in use (a colleague published or
    withdrew in between); nothing was changed. ``active`` is the one in use now (``None``: the shipped file)."""

    def __init__(self, kind: str, expected: int | None, active: dict | None):
        self.kind, self.expected, self.active = kind, expected, active
        now = f"Nr. {active['nr']} von {active['von']} ({active['am']})" if active else "die mitgelieferte Datei"
        super().__init__(f"Inzwischen gilt eine andere Veröffentlichung ({now}); nichts wurde zurückgenommen.")


class StoreUnavailable(Exception):
    """The store exists but cannot be read (empty file, damaged file, tables missing, server unreachable).

    Never answered by re-seeding: the shipped offers would silently replace everything the editors entered.
    ``reason`` says what was found, ``where`` which file or server (without password), ``restore`` what to do.
    """

    def __init__(self, reason: str, where: str):
        self.reason, self.where = reason, where
        self.restore = ("Die Angebotsdatenbank wurde nicht verändert. Wiederherstellen: App anhalten, die letzte "
                        "Sicherung einspielen (`python -m geo wiederherstellen`, siehe docs/betrieb.md) oder – nur "
                        "bei einer neuen Installation ohne eigene Daten – die Datei löschen; beim nächsten Start "
                        "wird sie aus den mitgelieferten Angeboten neu angelegt.")
        super().__init__(f"Angebotsdatenbank {where}: {reason}")


class ValidationError(ValueError):
    """The offer does not pass the loader's checks; ``reasons`` as the loader states them."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_sqlite_path() -> Path:
    """Outside the git-tracked data: ``var/quartierskarte.sqlite`` in the project (ignored by git)."""
    from geo.config import PROJECT_DIR

    return PROJECT_DIR / "var" / "quartierskarte.sqlite"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (``None`` for an in-memory database or another backend)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def check_sqlite_file(path: Path) -> None:
    """Raise :class:`StoreUnavailable` unless ``path`` is missing (a new store) or a readable store.

    A file of 0 bytes is what ``truncate`` or a full disk leaves behind; SQLite would take it for a new, empty
    database, and the seeding would then replace every edit with the shipped offers.
    """
    import sqlite3

    if not path.exists():
        return
    where = str(path)
    if path.stat().st_size == 0:
        raise StoreUnavailable("die Datei ist leer (0 Bytes) – abgeschnitten oder nie fertig geschrieben.", where)
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise StoreUnavailable(f"die Datei ist keine lesbare SQLite-Datenbank ({exc}).", where) from exc
    if verdict != "ok":
        raise StoreUnavailable(f"die Datei ist beschädigt (SQLite-Prüfung: {verdict[:200]}).", where)
    if offers_table.name not in tables:
        raise StoreUnavailable(f"die Datei enthält keine Tabelle „{offers_table.name}“.", where)


def engine_for(url: str | None = None) -> sa.Engine:
    """An engine for ``url`` (any SQLAlchemy URL, e.g. ``postgresql+psycopg2://…``), or the default SQLite file."""
    if not url:
        path = default_sqlite_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    if url.startswith("sqlite"):
        # several app processes (and test runs) may open the file at once: wait for a lock instead of failing
        return sa.create_engine(url, future=True, connect_args={"timeout": 30})
    return sa.create_engine(url, future=True)


def _csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(OFFER_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    writer.writerows({c: row.get(c, "") or "" for c in OFFER_COLUMNS} for row in rows)
    return buffer.getvalue()


def validate_offer(values: dict, outline_path: str | Path = OUTLINE_PATH) -> dict:
    """The offer as the loader would accept it (text values), or :class:`ValidationError` with its reasons."""
    load = parse_offers(_csv_text([values]), "Formular", outline_path)
    if len(load.offers) != 1:
        raise ValidationError([p.meldung for p in load.errors] or ["ungültig"])
    return _text_row(load.offers.iloc[0])


def _text_row(row: pd.Series) -> dict:
    out = {}
    for c in OFFER_COLUMNS:
        value = row.get(c, "")
        if c in ("lat", "lon"):
            out[c] = "" if value is None or value != value else repr(float(value))
        else:
            out[c] = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return out


def editor_problems(values: dict) -> list[str]:
    """Stricter checks for the editors' form than for imported files (where these are notices, and the text is
    kept): opening hours in OpenStreetMap syntax, an absolute http(s) website, a dialable phone number, dates
    as ``JJJJ``, ``JJJJ-MM`` or ``JJJJ-MM-TT`` (``stand_quelle`` also ``undatiert``, never after a retrieval date
    cited in ``quelle``)."""
    import opening_hours

    from geo.data.offers import _DATE, stand_quelle_problem
    from geo.text import safe_http_url, tel_href

    problems = []
    hours = str(values.get("oeffnungszeiten", "") or "").strip()
    if hours and not opening_hours.validate(hours):
        problems.append(f"Öffnungszeiten „{hours}“ sind nicht im OpenStreetMap-Format (z. B. „Mo-Fr 09:00-12:00“).")
    website = str(values.get("website", "") or "").strip()
    if website and safe_http_url(website) is None:
        problems.append(f"Website „{website}“ ist keine vollständige http(s)-Adresse.")
    phone = str(values.get("telefon", "") or "").strip()
    if phone and tel_href(phone) is None:
        problems.append(f"Telefon „{phone}“ ist keine Telefonnummer (z. B. „0571 123456“).")
    checked = str(values.get("zuletzt_geprueft", "") or "").strip()
    if checked and not _DATE.match(checked):
        problems.append(f"zuletzt_geprueft „{checked}“: bitte JJJJ, JJJJ-MM oder JJJJ-MM-TT.")
    if stand_problem := stand_quelle_problem(str(values.get("stand_quelle", "") or ""), str(values.get("quelle", "") or "")):
        problems.append(stand_problem)
    return problems


@dataclass
class ImportReport:
    """What an import does or would do, per line: ``added``/``updated``/``unchanged`` ids and ``rejected``
    rows (line, reason, raw record). ``rows_in`` = added + updated + unchanged + rejected, always."""

    rows_in: int
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    lines: dict[str, int] = field(default_factory=dict)
    """Offer id → line in the imported file."""

    def rejected_csv(self) -> bytes:
        """The rejected rows as a downloadable CSV (UTF-8 with BOM, formulas neutralised)."""
        frame = self.rejected.map(neutralise_formula) if len(self.rejected) else self.rejected
        return ("\ufeff" + frame.to_csv(index=False)).encode("utf-8")


def _add_missing_columns(engine: sa.Engine, table: sa.Table) -> None:
    """Add the columns of ``table`` that the database's table lacks (each with its server default, so that the
    rows already there get it); the same statement for SQLite and PostgreSQL."""
    with engine.begin() as conn:
        present = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            default = str(column.server_default.arg) if column.server_default is not None else ""  # type: ignore[attr-defined]
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN {column.name} {kind} NOT NULL '
                                 f"DEFAULT '{default}'"))


class Store:
    """Offers, their change history and residents' suggestions in one database."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        where = engine.url.render_as_string(hide_password=True)
        path = sqlite_path(str(engine.url))
        if path is not None:
            check_sqlite_file(path)
        try:
            with engine.connect() as conn:
                existing = set(sa.inspect(conn).get_table_names())
            ours = {table.name for table in metadata.sorted_tables}
            if existing & ours and offers_table.name not in existing:
                raise StoreUnavailable(f"die Tabelle „{offers_table.name}“ fehlt, andere Tabellen der Quartierskarte "
                                       f"sind da ({', '.join(sorted(existing & ours))}).", where)
            metadata.create_all(engine)
            _add_missing_columns(engine, measures_table)
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(f"nicht erreichbar ({str(exc.orig).strip().splitlines()[0]}).", where) from exc
        except sa.exc.DatabaseError as exc:
            raise StoreUnavailable(f"nicht lesbar ({str(exc.orig).strip().splitlines()[0]}).", where) from exc

    @classmethod
    def open(cls, url: str | None = None, seed_csv: str | Path | None = None,
             max_seed_bytes: int = MAX_OFFERS_FILE_BYTES) -> Store:
        """Open (and create) the store and seed it from ``seed_csv`` (see :meth:`seed`).

        Raises :class:`StoreUnavailable` for a store that exists but cannot be read (it is left untouched) and
        :class:`geo.data.problems.DataFileError` for a seed file above ``max_seed_bytes``.
        """
        store = cls(engine_for(url))
        if seed_csv is not None:
            store.seed(Path(seed_csv), max_seed_bytes)
        return store

    def version_token(self) -> str:
        """Changes whenever anything in the offers changes (every write adds audit rows): a cheap query that
        lets each app process notice another process's edit."""
        with self.engine.connect() as conn:
            last = conn.execute(sa.select(sa.func.max(audit_table.c.nr))).scalar()
            count = conn.execute(sa.select(sa.func.count()).select_from(offers_table)).scalar_one()
            # a reseed deletes the seeding's audit rows, so their numbers can come back: the seed file's
            # fingerprint tells that case apart
            seed = conn.execute(sa.select(meta_table.c.wert).where(meta_table.c.schluessel == "seed_sha256")).scalar()
        return f"{last or 0}:{count}:{(seed or '')[:12]}"

    def edited(self) -> bool:
        """True once a person (not the seeding) has changed an offer (a measure's status does not count: the
        seeding never touches measures)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(audit_table.c.nr).where(
                (audit_table.c.von != SYSTEM_USER) & ~audit_table.c.angebot_id.startswith("massnahme:")
            ).limit(1)).first() is not None

    def seed(self, path: Path, max_bytes: int = MAX_OFFERS_FILE_BYTES) -> str:
        """Fill an empty store from ``path`` — and refill a store that nobody has edited yet when ``path`` changed
        (a new release of the shipped data). A store with editors' changes is never overwritten: from then on
        it is the master, and a new file goes in through the import with its dry run. Returns what happened:
        ``"gefuellt"``, ``"erneuert"`` or ``"unveraendert"``."""
        import hashlib

        from geo.data.offers import check_file_size

        if self.count() == 0 and self.edited():
            raise StoreUnavailable("die Tabelle der Angebote ist leer, der Verlauf zeigt aber Änderungen der "
                                   "Redaktion – sie wird nicht aus der mitgelieferten Datei neu gefüllt.",
                                   self.engine.url.render_as_string(hide_password=True))
        check_file_size(path, max_bytes)  # the same limit as for reading the file without a database
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        with self.engine.connect() as conn:
            stored = conn.execute(sa.select(meta_table.c.wert).where(meta_table.c.schluessel == "seed_sha256")).scalar()
        if stored == digest or (stored is not None and self.edited()):
            return "unveraendert"
        if stored is None and self.count() and self.edited():
            return "unveraendert"
        try:
            with self.engine.begin() as conn:
                # Write first, read after: the write lock makes a second process that seeds at the same time
                # wait (SQLite busy timeout) and then see this seeding; on PostgreSQL the loser fails on the key.
                conn.execute(meta_table.delete().where(meta_table.c.schluessel == "seed_lock"))
                again = conn.execute(sa.select(meta_table.c.wert).where(meta_table.c.schluessel == "seed_sha256")).scalar()
                if again == digest:
                    return "unveraendert"
                refill = conn.execute(sa.select(sa.func.count()).select_from(offers_table)).scalar_one() > 0
                conn.execute(offers_table.delete())
                conn.execute(audit_table.delete().where(audit_table.c.von == SYSTEM_USER))  # only the old seeding
                conn.execute(meta_table.delete().where(meta_table.c.schluessel == "seed_sha256"))
                conn.execute(meta_table.insert().values(schluessel="seed_sha256", wert=digest))
                self._import_rows(conn, raw, SYSTEM_USER, path.name, apply=True)
        except sa.exc.IntegrityError:
            return "unveraendert"  # another process seeded the same file a moment earlier
        return "erneuert" if refill else "gefuellt"

    # --- reading ----------------------------------------------------------------------------------------

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(offers_table)).scalar_one())

    def get(self, offer_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(offers_table).where(offers_table.c.id == offer_id)).mappings().first()
        return dict(row) if row else None

    def all_offers(self) -> pd.DataFrame:
        """Every offer (ended ones too) with the offer columns and ``version``, ordered by id."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(offers_table).order_by(offers_table.c.id)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=[*OFFER_COLUMNS, "version", "geaendert_am", "geaendert_von"])

    def offers_csv(self) -> str:
        """The current offers as CSV text in the columns of ``data/angebote.csv`` (what the app loads)."""
        return _csv_text(self.all_offers().to_dict("records"))

    def history(self, offer_id: str | None = None) -> pd.DataFrame:
        """The audit trail, oldest first: who, when, which field, old and new value, which operation."""
        query = sa.select(audit_table).order_by(audit_table.c.nr)
        if offer_id is not None:
            query = query.where(audit_table.c.angebot_id == offer_id)
        with self.engine.connect() as conn:
            return pd.DataFrame([dict(r) for r in conn.execute(query).mappings()],
                                columns=[c.name for c in audit_table.columns])

    def stale(self, today: date, months: int = 12) -> pd.DataFrame:
        """Offers (not ended) not verified for more than ``months`` months: never verified first, then the oldest check.

        ``monate`` counts from ``zuletzt_geprueft`` (empty: never verified); ``quelle_monate`` from ``stand_quelle``.
        Among the never verified, an undated source (``undatiert`` or none) comes first, then the oldest source.
        """
        from geo.data.attributes import months_since

        def age(value: object) -> int | None:
            return months_since(value, datetime(today.year, today.month, today.day))

        frame = self.all_offers()
        frame = frame[frame["status"] != "beendet"]
        frame = frame.assign(monate=frame["zuletzt_geprueft"].map(age), quelle_monate=frame["stand_quelle"].map(age))
        stale = frame[frame["monate"].isna() | (frame["monate"] > months)]
        return stale.sort_values(["monate", "quelle_monate", "id"], ascending=[False, False, True], na_position="first")

    # --- writing ----------------------------------------------------------------------------------------

    def _write(self, conn, offer_id: str, old: dict | None, new: dict, user: str, operation: str) -> int:
        """Insert or update one offer inside ``conn``'s transaction and log every changed field; returns the
        number of changed fields."""
        stamp = now_iso()
        version = 1 if old is None else old["version"] + 1
        changed = [c for c in OFFER_COLUMNS if c != "id" and (old or {}).get(c, "") != new.get(c, "")]
        if old is None:
            conn.execute(offers_table.insert().values(
                **{c: new.get(c, "") for c in OFFER_COLUMNS}, version=1, geaendert_am=stamp, geaendert_von=user))
            changed = [c for c in OFFER_COLUMNS if c != "id" and new.get(c, "")]
        elif changed:
            result = conn.execute(offers_table.update().where(
                (offers_table.c.id == offer_id) & (offers_table.c.version == old["version"])).values(
                **{c: new.get(c, "") for c in changed}, version=old["version"] + 1, geaendert_am=stamp,
                geaendert_von=user))
            if result.rowcount != 1:
                # someone saved between our read and this write: the same conflict as any other (both values and
                # who changed what), else the editor would see an empty comparison and "save anyway" save nothing
                raise ConflictError(offer_id, old["version"], self._current(conn, offer_id),
                                    self._changes_since(conn, offer_id, old["version"]),
                                    {c: new.get(c, "") for c in changed})
        if changed:
            conn.execute(audit_table.insert(), [
                {"angebot_id": offer_id, "feld": c, "alt": None if old is None else old.get(c, ""),
                 "neu": new.get(c, ""), "von": user, "am": stamp, "vorgang": operation, "version": version}
                for c in changed])
        return len(changed)

    def _current(self, conn, offer_id: str) -> dict:
        return dict(conn.execute(sa.select(offers_table).where(offers_table.c.id == offer_id)).mappings().one())

    def save(self, values: dict, user: str, expected_version: int | None) -> dict:
        """Add (``expected_version=None``) or change an offer after validation; returns the stored offer.

        Raises :class:`ValidationError` for an invalid offer and :class:`ConflictError` when the offer's
        version is no longer ``expected_version`` (the error carries the other editor's changes).
        """
        clean = validate_offer(values)
        with self.engine.begin() as conn:
            stored = conn.execute(sa.select(offers_table).where(offers_table.c.id == clean["id"])).mappings().first()
            old = dict(stored) if stored else None
            if expected_version is not None and old is None:
                # an edit whose id is not stored (e.g. the id field was changed): never silently a new offer
                raise ValidationError([f"Ein Angebot mit der id „{clean['id']}“ gibt es nicht; die id eines "
                                       "Angebots lässt sich nicht ändern."])
            if expected_version is None and old is not None:
                raise ConflictError(clean["id"], 0, old, self._changes_since(conn, clean["id"], 0))
            # both None (a new offer) or both set (an edit): the two mixed cases were refused above
            if old is not None and expected_version is not None and old["version"] != expected_version:
                raise ConflictError(clean["id"], expected_version, old,
                                    self._changes_since(conn, clean["id"], expected_version))
            self._write(conn, clean["id"], old, clean, user, "neu" if old is None else "bearbeitet")
        saved = self.get(clean["id"])
        assert saved is not None  # written in the transaction committed just above
        return saved

    def save_changes(self, offer_id: str, changes: dict[str, str], user: str, expected_version: int) -> dict:
        """Change only the fields in ``changes`` of the offer the editor opened at ``expected_version``.

        Every other field keeps what is stored (a form that shows a field differently from how it is stored
        must not rewrite it). The merged offer passes the loader's checks or :class:`ValidationError` is raised.
        If anyone saved the offer since ``expected_version``, nothing is written and :class:`ConflictError`
        carries both sides — the editor's values and the stored ones with who changed them. Returns the stored
        offer (unchanged if ``changes`` changes nothing).
        """
        changes = {k: ("" if v is None else str(v)) for k, v in changes.items() if k in OFFER_COLUMNS and k != "id"}
        with self.engine.begin() as conn:
            stored = conn.execute(sa.select(offers_table).where(offers_table.c.id == offer_id)).mappings().first()
            if stored is None:
                raise ValidationError([f"Ein Angebot mit der id „{offer_id}“ gibt es nicht."])
            old = dict(stored)
            if old["version"] != expected_version:
                raise ConflictError(offer_id, expected_version, old,
                                    self._changes_since(conn, offer_id, expected_version), changes)
            clean = validate_offer({**{c: old.get(c, "") for c in OFFER_COLUMNS}, **changes})
            # the loader normalises some fields (numbers, spacing): take its value only for the changed ones
            new = {**{c: old.get(c, "") for c in OFFER_COLUMNS}, **{c: clean[c] for c in changes}}
            self._write(conn, offer_id, old, new, user, "bearbeitet")
        saved = self.get(offer_id)
        assert saved is not None  # written in the transaction committed just above
        return saved

    def _changes_since(self, conn, offer_id: str, version: int) -> list[dict]:
        """Audit rows of the changes made after ``version``: what the other editor changed."""
        rows = conn.execute(sa.select(audit_table).where(
            (audit_table.c.angebot_id == offer_id) & (audit_table.c.version > version)).order_by(audit_table.c.nr))
        return [dict(r) for r in rows.mappings()]

    def verify(self, offer_id: str, user: str, today: date, expected_version: int) -> dict:
        """"Noch aktuell": sets ``zuletzt_geprueft`` to ``today`` (one click, audited)."""
        return self.save_changes(offer_id, {"zuletzt_geprueft": today.isoformat()}, user, expected_version)

    def end(self, offer_id: str, user: str, expected_version: int) -> dict:
        """End an offer (status ``beendet``): it leaves the map, stays in the store and can be restored."""
        return self.save_changes(offer_id, {"status": "beendet"}, user, expected_version)

    def restore(self, offer_id: str, user: str, expected_version: int) -> dict:
        """Undo :meth:`end`: the status before it ended (see :meth:`status_before_end`)."""
        return self.save_changes(offer_id, {"status": self.status_before_end(offer_id)}, user, expected_version)

    def status_before_end(self, offer_id: str) -> str:
        """The status an offer had before it was last ended, from the audit trail (``unklar`` if none)."""
        history = self.history(offer_id)
        ended = history[(history["feld"] == "status") & (history["neu"] == "beendet")]
        return ended["alt"].iloc[-1] if len(ended) and ended["alt"].iloc[-1] else "unklar"

    def import_csv(self, raw: bytes | str, user: str, apply: bool = False, source: str = "import.csv") -> ImportReport:
        """Check (and with ``apply=True`` carry out) a CSV import with the columns of ``data/angebote.csv``.

        Dry run first: per line "will be added / updated / unchanged / rejected" with the loader's reason.
        Applying is one transaction: if anything fails midway, the store is as before.
        """
        with self.engine.begin() as conn:
            report = self._import_rows(conn, raw, user, source, apply)
            if not apply:
                conn.rollback()
        return report

    def _import_rows(self, conn, raw: bytes | str, user: str, source: str, apply: bool) -> ImportReport:
        load = parse_offers(raw, source)
        n_in = len(load.offers) + len(load.rejected)
        report = ImportReport(rows_in=n_in, rejected=load.rejected.copy())
        seen: dict[str, int] = {}
        keep = []
        for _, row in load.offers.iterrows():
            line = int(row["zeile"]) if "zeile" in row and row["zeile"] == row["zeile"] else 0
            if row["id"] in seen:  # the same id twice in one file: the second is rejected, never silently merged
                report.rejected = pd.concat([report.rejected, pd.DataFrame([{
                    "zeile": line, "grund": f"id „{row['id']}“ steht schon in Zeile {seen[row['id']]}."}])],
                    ignore_index=True)
                continue
            seen[row["id"]] = line
            keep.append(_text_row(row))
            report.lines[row["id"]] = line
        existing = {r["id"]: dict(r) for r in conn.execute(sa.select(offers_table)).mappings()}
        for new in keep:
            old = existing.get(new["id"])
            if old is None:
                report.added.append(new["id"])
            elif any(old.get(c, "") != new.get(c, "") for c in OFFER_COLUMNS if c != "id"):
                report.updated.append(new["id"])
            else:
                report.unchanged.append(new["id"])
            if apply:
                self._write(conn, new["id"], old, new, user, "import")
        return report

    # --- spreadsheet imports -----------------------------------------------------------------------------

    def import_mapping(self) -> dict[str, str | None]:
        """The column mappings of earlier spreadsheet imports (their header → our column, or ``None`` for a column
        the editor chose not to import — internal remarks must stay out next time too)."""
        import json

        with self.engine.connect() as conn:
            stored = conn.execute(sa.select(meta_table.c.wert).where(meta_table.c.schluessel == "import_zuordnung")).scalar()
        try:
            mapping = json.loads(stored) if stored else {}
        except ValueError:
            return {}
        if not isinstance(mapping, dict):
            return {}
        return {str(k): (v if v in OFFER_COLUMNS else None) for k, v in mapping.items()}

    def save_import_mapping(self, mapping: dict[str, str | None]) -> None:
        """Remember a spreadsheet's column mapping (merged into the earlier ones: another list may use other names)."""
        import json

        merged = {**self.import_mapping(), **{k: (v if v in OFFER_COLUMNS else None) for k, v in mapping.items()}}
        with self.engine.begin() as conn:
            conn.execute(meta_table.delete().where(meta_table.c.schluessel == "import_zuordnung"))
            conn.execute(meta_table.insert().values(schluessel="import_zuordnung",
                                                    wert=json.dumps(merged, ensure_ascii=False, sort_keys=True)))

    # --- published districts and indicators ---------------------------------------------------------------

    def publish(self, kind: str, filename: str, content: str, source: str, check: str, user: str) -> int:
        """Put ``content`` (already checked and normalised) in use for ``kind``; returns its number.

        ``source`` says whose data it is (shown on pages, posters and exports), ``check`` summarises the check
        the editor saw. Audited as ``veroeffentlichung:<kind>`` with the number before and after.
        """
        if kind not in PUBLICATION_KINDS:
            raise ValueError(f"art must be one of {PUBLICATION_KINDS}")
        if not source.strip():
            raise ValidationError(["Bitte die Quelle angeben (wessen Daten, Stand, Lizenz)."])
        stamp = now_iso()
        with self.engine.begin() as conn:
            before = self._active_publication(conn, kind)
            result = conn.execute(publications_table.insert().values(
                art=kind, dateiname=strip_control_chars(filename)[:300], inhalt=content,
                quelle=strip_control_chars(source).strip()[:1000], pruefung=check, von=user, am=stamp))
            key = result.inserted_primary_key
            assert key is not None
            number = int(key[0])
            conn.execute(audit_table.insert().values(
                angebot_id=f"veroeffentlichung:{kind}", feld="veroeffentlichung",
                alt=str(before["nr"]) if before else "mitgeliefert", neu=str(number), von=user, am=stamp,
                vorgang="veroeffentlicht", version=number))
        return number

    def withdraw_publication(self, kind: str, user: str, expected: int) -> dict | None:
        """Withdraw publication ``expected`` of ``kind``; returns the one in use afterwards (``None``: the shipped
        file). Raises :class:`PublicationConflict` if ``expected`` is not the one in use any more."""
        stamp = now_iso()
        with self.engine.begin() as conn:
            active = self._active_publication(conn, kind)
            if active is None or active["nr"] != expected:
                raise PublicationConflict(kind, expected, active)
            changed = conn.execute(publications_table.update().where(
                (publications_table.c.nr == expected) & (publications_table.c.zurueckgenommen_am == "")
            ).values(zurueckgenommen_von=user, zurueckgenommen_am=stamp)).rowcount
            if changed != 1:  # a colleague's withdrawal won the race
                raise PublicationConflict(kind, expected, self._active_publication(conn, kind))
            after = self._active_publication(conn, kind)
            conn.execute(audit_table.insert().values(
                angebot_id=f"veroeffentlichung:{kind}", feld="veroeffentlichung", alt=str(expected),
                neu=str(after["nr"]) if after else "mitgeliefert", von=user, am=stamp, vorgang="zurueckgenommen",
                version=expected))
        return after

    def active_publication(self, kind: str) -> dict | None:
        """The publication of ``kind`` in use (all columns), or ``None`` when the shipped file is."""
        with self.engine.connect() as conn:
            return self._active_publication(conn, kind)

    @staticmethod
    def _active_publication(conn, kind: str) -> dict | None:
        row = conn.execute(sa.select(publications_table).where(
            (publications_table.c.art == kind) & (publications_table.c.zurueckgenommen_am == "")
        ).order_by(publications_table.c.nr.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def publications(self, kind: str | None = None) -> pd.DataFrame:
        """Every publication (without its content), newest first, with ``aktiv`` marking the one in use."""
        columns = [c for c in publications_table.columns if c.name != "inhalt"]
        query = sa.select(*columns).order_by(publications_table.c.nr.desc())
        if kind is not None:
            query = query.where(publications_table.c.art == kind)
        with self.engine.connect() as conn:
            frame = pd.DataFrame([dict(r) for r in conn.execute(query).mappings()], columns=[c.name for c in columns])
            active = {k: self._active_publication(conn, k) for k in PUBLICATION_KINDS}
        in_use = {p["nr"] for p in active.values() if p}
        frame.insert(0, "aktiv", frame["nr"].isin(in_use))
        return frame

    # --- measures ----------------------------------------------------------------------------------------

    def measure_states(self) -> dict[str, str]:
        """Measure id → status set by the Redaktion (measures never edited are not listed)."""
        with self.engine.connect() as conn:
            return {r.id: r.stand for r in conn.execute(sa.select(measures_table.c.id, measures_table.c.stand))}

    def measure_records(self) -> dict[str, dict]:
        """Measure id → its state as the Redaktion left it: ``status``, ``zustaendig``, ``fortschritt``,
        ``fortschritt_am``, ``version``, ``geaendert_am``, ``geaendert_von`` (measures never edited are not listed)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(measures_table)).mappings().all()
        return {r["id"]: self._measure_record(r) for r in rows}

    @staticmethod
    def _measure_record(row) -> dict:
        return {"status": row["stand"], "zustaendig": row["zustaendig"], "fortschritt": row["fortschritt"],
                "fortschritt_am": row["fortschritt_am"], "version": int(row["version"]),
                "geaendert_am": row["geaendert_am"], "geaendert_von": row["geaendert_von"]}

    def save_measure(self, measure_id: str, changes: dict[str, str], user: str, expected_version: int,
                     source_state: str = "offen") -> int:
        """Change a measure's ``status``, ``zustaendig``, ``fortschritt`` and/or ``fortschritt_am`` (ISO date);
        one audit row per changed field, like an offer. ``expected_version`` is the version the editor opened
        (0: never edited, the status then counts as ``source_state``); if a colleague saved in between, nothing
        is written and :class:`ConflictError` shows their values and changes. Returns the new version."""
        from geo.data.measures import MONITORING_FIELDS, STATUS

        unknown = sorted(set(changes) - set(MONITORING_FIELDS))
        if unknown:
            raise ValidationError([f"unbekanntes Feld {', '.join(unknown)}."])
        clean = {k: strip_control_chars(str(v)).strip() for k, v in changes.items()}
        reasons = []
        if "status" in clean and clean["status"] not in STATUS:
            reasons.append(f"„{clean['status']}“ ist kein Stand ({', '.join(STATUS)}).")
        if clean.get("fortschritt_am"):
            try:
                date.fromisoformat(clean["fortschritt_am"])
            except ValueError:
                reasons.append(f"„{clean['fortschritt_am']}“ ist kein Datum (JJJJ-MM-TT).")
        reasons += [f"{k}: höchstens {MEASURE_TEXT_LIMIT} Zeichen." for k, v in clean.items()
                    if len(v) > MEASURE_TEXT_LIMIT]
        if reasons:
            raise ValidationError(reasons)
        key = f"massnahme:{measure_id}"
        stamp = now_iso()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(measures_table).where(measures_table.c.id == measure_id)).mappings().first()
            current = self._measure_record(row) if row else {"status": source_state, "zustaendig": "",
                                                              "fortschritt": "", "fortschritt_am": "", "version": 0}
            if current["version"] != expected_version:
                since = conn.execute(sa.select(audit_table).where(
                    (audit_table.c.angebot_id == key) & (audit_table.c.version > expected_version)
                ).order_by(audit_table.c.nr)).mappings().all()
                raise ConflictError(key, expected_version, current, [dict(r) for r in since], clean)
            changed = {k: v for k, v in clean.items() if v != str(current[k] or "")}
            if not changed:
                return int(current["version"])
            version = int(current["version"]) + 1
            values: dict[str, object] = {("stand" if k == "status" else k): v for k, v in changed.items()}
            values.update(geaendert_am=stamp, geaendert_von=user, version=version)
            if row:
                done = conn.execute(measures_table.update().where(
                    (measures_table.c.id == measure_id) & (measures_table.c.version == expected_version)).values(**values))
                if done.rowcount != 1:  # a colleague's save got in between the read and this write
                    raise ConflictError(key, expected_version, current, [], clean)
            else:
                conn.execute(measures_table.insert().values({"id": measure_id, "stand": current["status"], **values}))
            conn.execute(audit_table.insert(), [
                {"angebot_id": key, "feld": k, "alt": str(current[k] or ""), "neu": v, "von": user, "am": stamp,
                 "vorgang": "massnahme", "version": version} for k, v in changed.items()])
        return version

    def set_measure_state(self, measure_id: str, state: str, user: str, old_state: str) -> None:
        """Set a measure's status (one of :data:`geo.data.measures.STATUS`) over whatever version is stored,
        audited like an offer field (:meth:`save_measure` with the version check left out)."""
        record = self.measure_records().get(measure_id)
        self.save_measure(measure_id, {"status": state}, user, record["version"] if record else 0, old_state)

    # --- login throttling ------------------------------------------------------------------------------

    def login_failures(self, name: str) -> list[float]:
        """The failed logins of ``name`` still kept (Unix seconds, oldest first)."""
        with self.engine.connect() as conn:
            return [float(x) for x in conn.execute(sa.select(login_failures_table.c.am).where(
                login_failures_table.c.name == name).order_by(login_failures_table.c.am)).scalars()]

    def add_login_failure(self, name: str, at: float, keep_after: float) -> None:
        """Record a failed login and drop this name's failures from before ``keep_after``."""
        with self.engine.begin() as conn:
            conn.execute(login_failures_table.insert().values(name=name, am=at))
            conn.execute(login_failures_table.delete().where(
                (login_failures_table.c.name == name) & (login_failures_table.c.am < keep_after)))

    def clear_login_failures(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(login_failures_table.delete().where(login_failures_table.c.name == name))

    # --- residents' suggestions -------------------------------------------------------------------------

    def suggestions_since(self, seconds: float) -> int:
        """How many suggestions all visitors sent in the last ``seconds`` (for the app-wide rate limit)."""
        since = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(suggestions_table)
                                    .where(suggestions_table.c.am >= since)).scalar_one())

    def suggest(self, kind: str, text: str, offer_id: str | None = None, contact: str = "") -> int:
        """A resident's suggestion or error report: lands in the review queue, never on the map."""
        if kind not in SUGGESTION_KINDS:
            raise ValueError(f"art must be one of {SUGGESTION_KINDS}")
        # residents' text: control characters (NUL is refused by PostgreSQL) removed, length capped
        text = strip_control_chars(text).strip()[:MAX_SUGGESTION_CHARS]
        contact = strip_control_chars(contact).strip()[:300]
        if not text:
            raise ValidationError(["Bitte beschreiben Sie Ihren Vorschlag."])
        with self.engine.begin() as conn:
            result = conn.execute(suggestions_table.insert().values(
                angebot_id=offer_id or None, art=kind, text=text, kontakt=contact, am=now_iso(), stand="offen"))
            key = result.inserted_primary_key
            assert key is not None  # a single-row insert into a table with an autoincrement key always has one
            return int(key[0])

    def suggestions(self, state: str | None = "offen") -> pd.DataFrame:
        query = sa.select(suggestions_table).order_by(suggestions_table.c.nr)
        if state is not None:
            query = query.where(suggestions_table.c.stand == state)
        with self.engine.connect() as conn:
            return pd.DataFrame([dict(r) for r in conn.execute(query).mappings()],
                                columns=[c.name for c in suggestions_table.columns])

    def resolve_suggestion(self, number: int, state: str, user: str) -> None:
        if state not in SUGGESTION_STATES[1:]:
            raise ValueError(f"stand must be one of {SUGGESTION_STATES[1:]}")
        with self.engine.begin() as conn:
            conn.execute(suggestions_table.update().where(suggestions_table.c.nr == number)
                         .values(stand=state, bearbeitet_von=user))
