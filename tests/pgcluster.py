"""A throwaway PostgreSQL 15 cluster for tests (store tests, the several-processes test): started in about
2.5 s from Debian's server binaries, as user ``postgres`` when the tests run as root (initdb refuses root)."""
from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PgCluster:
    """A throwaway PostgreSQL cluster in a temp dir (trust auth, no fsync, localhost only)."""

    def __init__(self, database: str):
        self.database = database
        self.dir: Path | None = None
        self.started = False
        self.as_postgres = os.geteuid() == 0  # initdb/pg_ctl refuse to run as root

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(a) for a in args]
        if self.as_postgres:
            command = ["su", "postgres", "-c", shlex.join(command)]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)

    def unavailable_reason(self) -> str | None:
        missing = [b for b in ("initdb", "pg_ctl") if not os.access(PG_BIN / b, os.X_OK)]
        if missing:
            return f"PostgreSQL 15 server binaries missing ({', '.join(str(PG_BIN / b) for b in missing)})"
        if self.as_postgres:
            if shutil.which("su") is None:
                return "running as root, but `su` is not available to run initdb as user postgres"
            try:
                import pwd
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no user `postgres` to run initdb/pg_ctl as"
        return None

    def start(self) -> str:
        self.dir = Path(tempfile.mkdtemp(prefix="qkpg-"))  # short path: the socket lives here too
        if self.as_postgres:
            shutil.chown(self.dir, user="postgres")
        data = self.dir / "data"
        self._run(PG_BIN / "initdb", "-A", "trust", "--no-sync", "-U", "postgres", "-E", "UTF8", "-D", data)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # -l: the server must not inherit our stdout/stderr pipes (subprocess.run would wait for them).
        self._run(PG_BIN / "pg_ctl", "-D", data, "-l", self.dir / "server.log", "-w", "-t", "60",
                  "-o", f"-p {port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
                  timeout=90)
        self.started = True
        admin = sa.create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres",
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {self.database}"))
        admin.dispose()
        return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{self.database}"

    def stop(self) -> None:
        if self.started:
            try:
                self._run(PG_BIN / "pg_ctl", "-D", self.dir / "data", "-m", "immediate", "stop")
            except (subprocess.SubprocessError, OSError):
                pass
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
