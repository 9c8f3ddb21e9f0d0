"""Reading user-supplied CSV text: encoding, delimiter and record line numbers."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from .text import strip_control_chars


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    """``utf-8`` or ``cp1252`` (the encoding German spreadsheet programs save in)."""


def decode_csv_bytes(raw: bytes) -> DecodedText:
    """Decode as UTF-8 (with or without BOM); fall back to Windows-1252."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return DecodedText(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        return DecodedText(raw.decode("cp1252", errors="replace"), "cp1252")


def sniff_delimiter(text: str) -> str:
    """``;`` if the first non-blank line has more semicolons than commas (German Excel), else ``,``."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


@dataclass(frozen=True)
class CsvRecord:
    line: int
    fields: list[str]
    error: str | None = None
    """Set when the CSV syntax itself is broken from this record on."""


def iter_records(text: str, delimiter: str) -> Iterator[CsvRecord]:
    """Yield one :class:`CsvRecord` per CSV record, skipping blank lines.

    ``line_number`` is the 1-based line on which the record starts, so that a
    record with a quoted line break is reported where an editor shows it.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. NUL byte or unterminated quote at EOF
            yield CsvRecord(start, [], f"CSV-Syntax fehlerhaft ({exc})")
            return
        if fields and any(strip_control_chars(f) for f in fields):  # only control characters = blank
            yield CsvRecord(start, fields)
        start = reader.line_num + 1
