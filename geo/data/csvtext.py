"""Reading user-supplied CSV text: encoding, delimiter and record line numbers."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from geo.text import strip_control_chars


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    """``utf-8`` or ``cp1252`` (the encoding German spreadsheet programs save in)."""


_MAGIC = ((b"\x89PNG", "ein PNG-Bild"), (b"PK\x03\x04", "eine ZIP-Datei (z. B. Excel .xlsx oder .ods)"),
          (b"%PDF", "ein PDF-Dokument"), (b"\x1f\x8b", "eine gzip-Datei"), (b"\xd0\xcf\x11\xe0", "eine alte Excel-/Word-Datei (.xls/.doc)"),
          (b"\xff\xd8\xff", "ein JPEG-Bild"), (b"GIF8", "ein GIF-Bild"),
          # Excel's "Unicode-Text" export: UTF-16 with BOM, every other byte NUL; named, so the fix is clear.
          (b"\xff\xfe", "eine UTF-16-Textdatei (z. B. Excel „Unicode-Text“)"),
          (b"\xfe\xff", "eine UTF-16-Textdatei (z. B. Excel „Unicode-Text“)"))
_TEXT_CONTROLS = {9, 10, 13}


def binary_kind(raw: bytes, sample: int = 4096) -> str | None:
    """What a non-text file is (``"eine ZIP-Datei …"``), or ``None`` for text.

    Known signatures first; otherwise binary when more than 10 % of the first
    ``sample`` bytes are control characters other than tab and line breaks
    (a CSV with a few stray NUL bytes stays text and is cleaned per field).
    """
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            return kind
    head = raw[:sample]
    controls = sum(1 for b in head if b < 32 and b not in _TEXT_CONTROLS)
    return "unbekannte Binärdaten" if head and controls > len(head) / 10 else None


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
