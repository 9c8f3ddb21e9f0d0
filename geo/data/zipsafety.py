"""Safety checks of an untrusted ZIP archive by what it declares, before anything is unpacked.

Used for the ZIP container of XLSX/ODS workbooks (:mod:`geo.data.workbook`) and for zipped Shapefiles
(:mod:`geo.data.district_upload`): the number of members (first counted on the raw bytes, because
:class:`zipfile.ZipFile` builds one object per listed member on opening), the sum of their unpacked sizes, each
member's compression ratio (a ZIP bomb packs 1000-fold), encrypted members, two members whose names differ only in
case or in ``\\`` versus ``/`` (a reader that finds parts case-insensitively could read another one than was
checked) and, for archives that are unpacked to disk, paths leading out of the target folder.

The checks raise :class:`ZipRefusal` naming what is wrong; each caller words the message for its own users.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

CENTRAL_DIRECTORY_ENTRY = b"PK\x01\x02"


@dataclass(frozen=True)
class ZipLimits:
    max_members: int
    max_unpacked_bytes: int
    max_ratio: float = 200
    """Highest unpacked/packed ratio of one member."""
    ratio_min_bytes: int = 1024 * 1024
    """The ratio is only checked for members that unpack to more than this: small members of repeated markup or
    padded text may pack better and are harmless (they count towards ``max_unpacked_bytes``)."""


class ZipRefusal(Exception):
    """Why an archive is refused. ``reason``: ``members`` (``count``), ``unpacked`` (``total`` bytes), ``path``,
    ``duplicate``, ``ratio`` (``ratio``) or ``encrypted``, the last four with the member's ``name``."""

    def __init__(self, reason: str, name: str = "", count: int = 0, total: int = 0, ratio: float = 0.0):
        super().__init__(reason, name)
        self.reason, self.name, self.count, self.total, self.ratio = reason, name, count, total, ratio


def declared_members(raw: bytes) -> int:
    """The number of central-directory entries in the raw bytes (an upper bound, never less than listed)."""
    return raw.count(CENTRAL_DIRECTORY_ENTRY)


def check_member_count(raw: bytes, limits: ZipLimits) -> None:
    """Refuse (``members``) before opening when the bytes list more members than allowed."""
    if (count := declared_members(raw)) > limits.max_members:
        raise ZipRefusal("members", count=count)


def check_archive(infos: list[zipfile.ZipInfo], limits: ZipLimits, paths: bool = False) -> None:
    """Refuse an archive by its listed members (:class:`ZipRefusal`); with ``paths`` also a member whose path
    leaves the folder it would be unpacked to."""
    if len(infos) > limits.max_members:
        raise ZipRefusal("members", count=len(infos))
    total = sum(info.file_size for info in infos)
    if total > limits.max_unpacked_bytes:
        raise ZipRefusal("unpacked", total=total)
    seen: set[str] = set()
    for info in infos:
        if paths and not safe_member_path(info.filename):
            raise ZipRefusal("path", info.filename)
        key = info.filename.replace("\\", "/").lower()
        if key in seen:
            raise ZipRefusal("duplicate", info.filename)
        seen.add(key)
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_min_bytes and ratio > limits.max_ratio:
            raise ZipRefusal("ratio", info.filename, ratio=ratio)
        if info.flag_bits & 0x1:
            raise ZipRefusal("encrypted", info.filename)


def safe_member_path(name: str) -> bool:
    """A relative path that stays inside the folder it is unpacked to (Windows separators and drives included)."""
    path = PurePosixPath(name.replace("\\", "/"))
    return bool(name) and "\x00" not in name and not path.is_absolute() and ".." not in path.parts \
        and not (path.parts and ":" in path.parts[0])
