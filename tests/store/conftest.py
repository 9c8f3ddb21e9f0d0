"""Store fixtures for tests/store/: ``store`` (seeded from data/angebote.csv) and ``open_store`` on SQLite and —
marked slow — a throwaway PostgreSQL 15 cluster (or ``QK_TEST_DATABASE_URL``), started once per session."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from pgcluster import PgCluster

from geo.store.offer_store import Store, metadata

ANGEBOTE = Path(__file__).resolve().parents[2] / "data" / "angebote.csv"
PG_DATABASE = "qk_store_test"


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
