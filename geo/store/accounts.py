"""Editor accounts: salted argon2id hashes in a TOML file outside git, roles, and failed-login throttling.

File (``QK_BENUTZER``, default ``var/benutzer.toml``, ignored by git)::

    [benutzer.anna]
    rolle = "redaktion"
    hash = "$argon2id$v=19$m=65536,t=3,p=4$…"

Roles: ``redaktion`` edits, verifies and imports offers; ``pruefung`` (reviewer/admin) also works through the
residents' suggestions. Create a user with ``python -m geo benutzer --name anna --rolle redaktion``.
"""
from __future__ import annotations

import re
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

if TYPE_CHECKING:
    from geo.store.offer_store import Store

ROLES = ("redaktion", "pruefung")
MAX_FAILURES = 5
"""Failed logins per user name within :data:`FAILURE_WINDOW_S` before the name is locked."""
FAILURE_WINDOW_S = 15 * 60
LOCK_S = 15 * 60
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def reviews(self) -> bool:
        return self.role == "pruefung"


def default_users_path() -> Path:
    from geo.config import PROJECT_DIR

    return PROJECT_DIR / "var" / "benutzer.toml"


def read_users(path: Path) -> dict[str, dict]:
    """``{name: {"rolle": …, "hash": …}}``; an absent file means no users (nobody can log in)."""
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return dict(tomllib.load(handle).get("benutzer", {}))


def add_user(path: Path, name: str, password: str, role: str) -> None:
    """Add or replace a user (argon2id hash with its own salt); the file is written with mode 0600."""
    if not _NAME.match(name):
        raise ValueError("Name: 2–40 Zeichen, Kleinbuchstaben, Ziffern, . _ -")
    if role not in ROLES:
        raise ValueError(f"Rolle: {', '.join(ROLES)}")
    if len(password) < 12:
        raise ValueError("Passwort: mindestens 12 Zeichen")
    users = read_users(path)
    users[name] = {"rolle": role, "hash": _hasher.hash(password)}
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Zugänge der Redaktion (nicht in git). Anlegen: python -m geo benutzer --name NAME --rolle ROLLE", ""]
    for user, entry in sorted(users.items()):
        lines += [f"[benutzer.{user}]", f'rolle = "{entry["rolle"]}"', f'hash = "{entry["hash"]}"', ""]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


def read_users_oidc(path: Path) -> dict[str, str]:
    """``{e-mail (lower case): role}`` from the ``[oidc]`` table of the users file, for Streamlit's OIDC login."""
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        table = tomllib.load(handle).get("oidc", {})
    return {str(k).lower(): v for k, v in table.items() if v in ROLES}


@dataclass
class Throttle:
    """Failed logins per user name (process-wide): after :data:`MAX_FAILURES` within the window, the name is
    locked for :data:`LOCK_S` seconds, whatever password is tried — also the right one."""

    failures: dict[str, list[float]] = field(default_factory=dict)
    locked_until: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seconds_locked(self, name: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        return max(0, int(self.locked_until.get(name, 0) - now + 0.999))

    def record_failure(self, name: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self.lock:
            recent = [t for t in self.failures.get(name, []) if now - t < FAILURE_WINDOW_S] + [now]
            self.failures[name] = recent
            if len(recent) >= MAX_FAILURES:
                self.locked_until[name] = now + LOCK_S
                self.failures[name] = []

    def record_success(self, name: str) -> None:
        with self.lock:
            self.failures.pop(name, None)


class StoreThrottle:
    """:class:`Throttle` with the failed logins in the offer store: a lock survives a restart and holds in every
    app process. Times are Unix seconds (``time.time()``), because a monotonic clock restarts with the process.

    The lock is worked out from the stored failures the same way :class:`Throttle` counts them (a lock starts
    at the :data:`MAX_FAILURES`-th failure within :data:`FAILURE_WINDOW_S` and then counting starts afresh), so
    processes only ever insert rows and never overwrite each other's counts.
    """

    def __init__(self, store: Store):
        self.store = store

    def locked_until(self, name: str) -> float:
        until, recent = 0.0, list[float]()
        for at in self.store.login_failures(name):
            if at < until:  # a failure recorded by a process that had not seen the lock yet
                continue
            recent = [t for t in recent if at - t < FAILURE_WINDOW_S] + [at]
            if len(recent) >= MAX_FAILURES:
                until, recent = at + LOCK_S, []
        return until

    def seconds_locked(self, name: str, now: float | None = None) -> int:
        now = time.time() if now is None else now
        return max(0, int(self.locked_until(name) - now + 0.999))

    def record_failure(self, name: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        # older failures can neither start nor extend a lock that matters now
        self.store.add_login_failure(name, now, keep_after=now - FAILURE_WINDOW_S - LOCK_S)

    def record_success(self, name: str) -> None:
        self.store.clear_login_failures(name)


class LoginLocked(Exception):
    def __init__(self, seconds: int):
        super().__init__(f"gesperrt für {seconds} s")
        self.seconds = seconds


def login(path: Path, name: str, password: str, throttle: Throttle | StoreThrottle,
          now: float | None = None) -> User | None:
    """The user for a correct name and password, else ``None``; :class:`LoginLocked` while the name is locked.

    An unknown name costs the same hashing time as a wrong password (no hint which names exist).
    """
    name = name.strip().lower()
    locked = throttle.seconds_locked(name, now)
    if locked:
        raise LoginLocked(locked)
    entry = read_users(path).get(name)
    try:
        if entry is None:
            _hasher.verify(_DUMMY_HASH, password)
            raise VerifyMismatchError()
        _hasher.verify(entry["hash"], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        throttle.record_failure(name, now)
        return None
    throttle.record_success(name)
    return User(name, entry.get("rolle", "redaktion") if entry.get("rolle") in ROLES else "redaktion")


_DUMMY_HASH = _hasher.hash("kein-benutzer-dieses-namens")
