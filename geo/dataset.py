"""All data the app needs, loaded and cross-checked in one call."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from geo.analysis.join import assign_districts
from geo.analysis.search import attach_search_index
from geo.config import Settings, load_settings
from geo.data.districts import is_schematic, read_districts
from geo.data.indicators import read_indicators
from geo.data.offers import MAX_OFFERS_FILE_BYTES, check_file_size, parse_offers, read_offers
from geo.data.problems import DataFileError, Problem
from geo.store.offer_store import PUBLICATION_KINDS, Store, StoreUnavailable, default_sqlite_path, sqlite_path
from geo.text import german_sort_key

log = logging.getLogger("quartierskarte")


@dataclass(frozen=True)
class LoadedFile:
    """One input file as loaded: its role (``angebote``, ``stadtteile``, ``sozialatlas``), path, and
    whether it is the file shipped in ``data/`` (only then does ``data/SOURCES.md`` describe it)."""

    role: str
    path: Path
    shipped: bool
    shipped_path: Path
    """The file that ships in ``data/`` for this role (documented in ``data/SOURCES.md``)."""
    publication: dict | None = None
    """Set when the file was published in the Redaktion: ``nr``, ``dateiname``, ``quelle``, ``von``, ``am``."""


@dataclass
class Dataset:
    """Districts and offers in EPSG:4326; offers carry ``stadtteil_id``/``stadtteil_name`` from the spatial join."""

    districts: gpd.GeoDataFrame
    offers: gpd.GeoDataFrame
    indicators: pd.DataFrame
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    """File name → rejected rows (with ``zeile`` and ``grund``)."""
    problems: list[Problem] = field(default_factory=list)
    files: tuple[LoadedFile, ...] = ()
    store_problem: StoreUnavailable | None = None
    """Set when the offer store exists but cannot be read: the offers are then the last good copy (or none)."""
    snapshot_time: datetime | None = None
    """When the last good copy shown instead of the store was written (``None`` if the store was read)."""

    @property
    def schematic(self) -> bool:
        return is_schematic(self.districts)

    def published_source(self, role: str) -> str | None:
        """The source the Redaktion gave for the publication of ``role`` in use (``None``: a configured file)."""
        return next((f.publication["quelle"] for f in self.files if f.role == role and f.publication), None)

    @property
    def district_source(self) -> str:
        """Whose district geometry this is (the ``quelle`` of the districts, distinct values joined by "; "):
        what pages, posters and exports name once the geometry is no longer the shipped schematic one."""
        return "; ".join(dict.fromkeys(str(q).strip() for q in self.districts["quelle"] if str(q).strip()))


def load_dataset(settings: Settings, store: Store | None = None) -> Dataset:
    """Load districts, offers and indicators; raises :class:`geo.data.problems.DataFileError` if a file is unusable.

    ``store``: the offer store already open in this process (the app keeps one); without it a store is opened
    for this load and closed afterwards. With a store, districts and indicators published in the Redaktion
    replace the configured files (see :func:`published_path`).
    """
    store_problem, snapshot_time = None, None
    published: dict[str, dict | None] = {}
    text = ""
    if settings.database_url:
        # The store holds validated offers; reading them through the same loader keeps one set of rules (a row
        # fails only when the rules changed, e.g. another city outline). Named like the seed file so that pages
        # find its report; line numbers then count in the store's export (ordered by id), not in that file.
        try:
            text, published = _read_store(store, settings)
            write_snapshot(snapshot_path(settings), text)
            for kind, publication in published.items():
                write_published(settings, kind, publication)
        except StoreUnavailable as exc:
            store_problem = exc
            text, snapshot_time = read_snapshot(snapshot_path(settings))
            published = {kind: read_published(settings, kind) for kind in PUBLICATION_KINDS}
            log.error("%s %s Öffentliche Seiten zeigen %s.", exc, exc.restore,
                      f"den letzten guten Stand vom {snapshot_time:%Y-%m-%d %H:%M} UTC" if snapshot_time
                      else "keine Angebote (kein letzter guter Stand vorhanden)")
    publication_problems: list[Problem] = []
    districts = None
    if published.get("stadtteile"):
        try:
            districts = read_districts(published_path(settings, "stadtteile"), "name", "id")
        except DataFileError as exc:  # checked before publishing: only a changed loader gets here
            publication_problems.append(_unusable_publication(published.pop("stadtteile"), exc))
    if districts is None:
        districts = read_districts(settings.stadtteile_path, settings.stadtteile_name_column,
                                   settings.stadtteile_id_column)
    if settings.database_url:
        offers = parse_offers(text, Path(settings.angebote_path).name, settings.gemeinde_path)
        if store_problem is not None and snapshot_time is None:
            # the empty stand-in is not the offers file: "angebote.csv enthält keine Angebote" would blame a file
            # that is fine; the store's own notice says why there are no offers
            offers.problems.clear()
    else:
        check_file_size(settings.angebote_path, MAX_OFFERS_FILE_BYTES)
        offers = read_offers(settings.angebote_path, settings.gemeinde_path)
    known_ids = set(districts.districts["id"])
    indicators = None
    if published.get("sozialatlas"):
        try:
            indicators = read_indicators(published_path(settings, "sozialatlas"), known_ids)
        except DataFileError as exc:
            publication_problems.append(_unusable_publication(published.pop("sozialatlas"), exc))
    if indicators is None:
        indicators = read_indicators(settings.sozialatlas_path, known_ids)
    joined = assign_districts(offers.offers, districts.districts, offers.datei)
    attach_search_index(joined.offers)  # search index of this load, built on the first text search
    return Dataset(
        districts=districts.districts,
        offers=joined.offers,
        indicators=indicators.indicators,
        rejected={districts.datei: districts.rejected, offers.datei: offers.rejected, indicators.datei: indicators.rejected},
        problems=[*publication_problems, *districts.problems, *offers.problems, *joined.problems, *indicators.problems],
        files=loaded_files(settings, published),
        store_problem=store_problem,
        snapshot_time=snapshot_time,
    )


def _unusable_publication(publication: dict | None, exc: DataFileError) -> Problem:
    number = publication["nr"] if publication else "?"
    log.error("Veröffentlichung Nr. %s kann nicht gelesen werden: %s", number, exc)
    return Problem(f"Veröffentlichung Nr. {number}", None, None,
                   f"kann nicht gelesen werden ({exc}); die konfigurierte Datei gilt weiter.")


def _read_store(store: Store | None, settings: Settings) -> tuple[str, dict[str, dict | None]]:
    """The store's offers as CSV text and the publications in use, from ``store`` or from a store opened (and
    its connections closed) here.

    A store that was readable when opened can be damaged since (a truncated file): that is
    :class:`~geo.store.offer_store.StoreUnavailable` as well, never a database traceback on a public page.
    """
    own = store is None
    if store is None:
        store = open_store(settings)
    try:
        return store.offers_csv(), {kind: store.active_publication(kind) for kind in PUBLICATION_KINDS}
    except sa.exc.SQLAlchemyError as exc:
        where = store.engine.url.render_as_string(hide_password=True)
        raise StoreUnavailable(f"nicht lesbar ({str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}).",
                               where) from exc
    finally:
        if own:
            store.engine.dispose()


def open_store(settings: Settings) -> Store:
    """The offer store of ``settings`` (``QK_DATENBANK``), created and seeded from the offers file on first use.

    Raises :class:`~geo.store.offer_store.StoreUnavailable` for a store that exists but cannot be read.
    """
    url = None if settings.database_url == "sqlite" else settings.database_url
    return Store.open(url, seed_csv=settings.angebote_path, max_seed_bytes=MAX_OFFERS_FILE_BYTES)


def snapshot_path(settings: Settings) -> Path:
    """Where the last offers read from the store are kept: beside the SQLite file, else in ``var/``."""
    url = None if settings.database_url == "sqlite" else settings.database_url
    database = (sqlite_path(url) if url else default_sqlite_path()) or default_sqlite_path()
    return database.with_name(f"{database.stem}-letzter-stand.csv")


PUBLISHED_SUFFIX = {"stadtteile": "stadtteile.geojson", "sozialatlas": "sozialatlas.csv"}


def published_path(settings: Settings, kind: str) -> Path:
    """Where the publication of ``kind`` in use is kept as a file (beside the last good copy of the offers): the
    loaders read it like any configured file, and it still serves when the store cannot be read."""
    snapshot = snapshot_path(settings)
    return snapshot.with_name(f"{snapshot.name.removesuffix('-letzter-stand.csv')}-{PUBLISHED_SUFFIX[kind]}")


def write_published(settings: Settings, kind: str, publication: dict | None) -> None:
    """Keep the publication in use as a file (content and, beside it, who published it when), or remove the
    files once none is in use (withdrawn: the configured file applies again)."""
    import json

    from geo.data.fileio import write_atomic

    path = published_path(settings, kind)
    about = path.with_name(path.name + ".json")
    try:
        if publication is None:
            path.unlink(missing_ok=True)
            about.unlink(missing_ok=True)
            return
        info = json.dumps({k: v for k, v in publication.items() if k != "inhalt"}, ensure_ascii=False, sort_keys=True)
        if path.exists() and about.exists() and about.read_text(encoding="utf-8") == info:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda tmp: tmp.write_text(publication["inhalt"], encoding="utf-8"))
        write_atomic(about, lambda tmp: tmp.write_text(info, encoding="utf-8"))
    except OSError as exc:
        log.warning("Veröffentlichung %s nicht als Datei %s geschrieben: %s", kind, path, exc)


def read_published(settings: Settings, kind: str) -> dict | None:
    """Who published the file kept for ``kind`` (see :func:`write_published`), or ``None`` if there is none."""
    import json

    path = published_path(settings, kind)
    try:
        if path.exists():
            return dict(json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        log.warning("Angaben zur Veröffentlichung %s nicht lesbar: %s", kind, exc)
    return None


def write_snapshot(path: Path, text: str) -> None:
    """Keep ``text`` (the store's offers as CSV) as the last good copy, written atomically and only on change."""
    from geo.data.fileio import write_atomic

    try:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:  # a read-only disk must not stop the app from showing the offers it just read
        log.warning("Letzter guter Stand %s nicht geschrieben: %s", path, exc)


def read_snapshot(path: Path) -> tuple[str, datetime | None]:
    """The last good copy and when it was written, or a header-only CSV and ``None`` if there is none."""
    try:
        return path.read_text(encoding="utf-8"), datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        from geo.data.offers import OFFER_COLUMNS

        return ",".join(OFFER_COLUMNS) + "\n", None


def loaded_files(settings: Settings, published: dict[str, dict | None] | None = None) -> tuple[LoadedFile, ...]:
    """The three input files of ``settings``, each marked shipped or not by comparing with the default settings;
    a kind published in the Redaktion (``published``) names that publication instead."""
    shipped = load_settings({})
    published = published or {}
    pairs = (("angebote", settings.angebote_path, shipped.angebote_path),
             ("stadtteile", settings.stadtteile_path, shipped.stadtteile_path),
             ("sozialatlas", settings.sozialatlas_path, shipped.sozialatlas_path))
    files = []
    for role, path, default in pairs:
        publication = published.get(role)
        if publication:
            files.append(LoadedFile(role, published_path(settings, role), False, Path(default), publication))
        else:
            files.append(LoadedFile(role, Path(path), _same_file(path, default), Path(default)))
    return tuple(files)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def district_options(data: Dataset) -> dict[str, str]:
    """District id → name, in German alphabetical order (Königstor before Kutenhausen)."""
    pairs = sorted(zip(data.districts["id"], data.districts["name"]), key=lambda pair: german_sort_key(pair[1]))
    return dict(pairs)
