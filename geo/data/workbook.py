"""Offer lists from Excel and LibreOffice workbooks (XLSX, XLSM, ODS; old XLS as far as calamine reads it).

Cities keep their offer lists in spreadsheets. This module reads one sheet of such a workbook into text
(:class:`SheetTable`), suggests which spreadsheet column is which offer column (:func:`suggest_mapping`) and
writes the CSV text that :func:`geo.data.offers.parse_offers` and ``Store.import_csv`` already check
(:func:`table_to_offers_csv`). Nothing here evaluates anything: python-calamine reads the values a spreadsheet
program stored, never formulas or macros.

Safety, in this order, before calamine sees a byte:

1. the file size (:data:`MAX_WORKBOOK_BYTES`, the CSV limit);
2. the ZIP container of XLSX/ODS: number of parts, their unpacked size and compression ratio, as the archive
   declares them (both Python's zipfile and calamine's Rust zip reader stop at the declared size, so a part
   cannot unpack to more than it claims);
3. a streaming look at the sheet XML (byte patterns where they can decide, else expat without DTDs) that
   finds how far the cells reach. calamine builds a dense grid from the first to the last filled cell: a 5 KB
   XLSX with cells in A1 and XFD1048576 makes it ask for 512 GiB and abort the whole process (Rust aborts on
   a failed allocation, no exception), a 1 KB ODS with ``number-rows-repeated="1000000"`` costs over 1 GiB
   and one with ``<text:s text:c="500000000"/>`` a 500 MB text. The look mirrors calamine's rules for cell
   positions (including ODS repetitions) and refuses such sheets with a message naming the far cell.

An old binary ``.xls`` cannot be looked at this way; its format caps the grid at 65,536 × 256 cells, so the
worst case is a brief, bounded allocation (about 0.5 GiB), then the usual row and column limits apply.
"""
from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from geo.data.csvtext import binary_kind
from geo.data.offers import MAX_OFFERS_FILE_BYTES, OFFER_COLUMNS
from geo.data.problems import DataFileError, Problem
from geo.data.zipsafety import ZipLimits, ZipRefusal, check_archive, check_member_count
from geo.formatting import format_number
from geo.text import search_key, strip_control_chars

MAX_WORKBOOK_BYTES = MAX_OFFERS_FILE_BYTES
"""Largest workbook file read: the same 64 MiB as an offer CSV."""
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
"""Largest sum of the unpacked sizes of all parts of an XLSX/ODS (ZIP) file."""
MAX_MEMBERS = 10_000
"""Most parts in an XLSX/ODS file (Excel writes about a dozen, plus one per sheet, picture, comment …)."""
MAX_COMPRESSION_RATIO = 200
"""Highest unpacked/packed ratio of one part; sheet XML of real lists packs 10–30-fold, a ZIP bomb 1000-fold."""
RATIO_CHECK_MIN_BYTES = 1024 * 1024
"""The ratio is only checked for parts that unpack to more than this: small parts of repeated markup may pack
better than 200-fold and are harmless anyway (they count towards :data:`MAX_UNPACKED_BYTES`)."""
MAX_ROWS = 150_000
"""Most data rows (non-empty rows below the header), as many as a 64 MiB offer CSV holds."""
MAX_COLUMNS = 200
"""Most columns with entries."""
MAX_CELLS = 6_000_000
"""Most cells of the rectangle from the first to the last filled cell (e.g. 150,000 rows × 40 columns):
calamine keeps this rectangle in memory at about 32 bytes per cell (ODS: 56), empty cells included."""
MAX_SHARED_STRINGS = MAX_CELLS
"""Most entries in an XLSX's table of shared texts (calamine loads them all when opening the file)."""
_GRID_ROWS = 16_777_216
_GRID_COLUMNS = 16_384
"""The largest grids spreadsheet programs have (LibreOffice up to 2^24 rows, Excel and LibreOffice 16,384
columns); a cell beyond them is damage or an attack (calamine keeps positions in 32 bits)."""

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xlsb", ".xls", ".ods", ".ots")
_XLSX_TYPES = (b"spreadsheetml.sheet.main+xml", b"spreadsheetml.template.main+xml")
_XLSM_TYPES = (b"ms-excel.sheet.macroEnabled.main+xml", b"ms-excel.template.macroEnabled.main+xml")
_XLSB_TYPE = b"ms-excel.sheet.binary.macroEnabled.main"
_ODS_MIMETYPES = (b"application/vnd.oasis.opendocument.spreadsheet",
                  b"application/vnd.oasis.opendocument.spreadsheet-template")
_ODS_ROOT_ENTRY = re.compile(
    rb'media-type="application/vnd\.oasis\.opendocument\.spreadsheet[^"]*"[^>]*full-path="/"'
    rb'|full-path="/"[^>]*media-type="application/vnd\.oasis\.opendocument\.spreadsheet')


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


class WorkbookError(DataFileError):
    """A workbook cannot be read at all; ``str()`` and ``.problem`` name the file and the reason in German.

    A :class:`~geo.data.problems.DataFileError`, so code that already reports unusable data files reports
    this one the same way.
    """

    def __init__(self, filename: str, message: str):
        super().__init__(Problem(filename, None, None, message))


@dataclass
class SheetTable:
    """One sheet as text: the header (the first non-empty row) and the non-empty rows below it.

    ``row_numbers[i]`` is the spreadsheet row (1-based, as the program shows it) of ``rows[i]``;
    ``first_row`` is the row of the first data row (the row after the header if there is none), ``header_row``
    the row of the header, ``columns[j]`` the column letter of ``header[j]``. Header texts are unique: an empty
    one is called "Spalte C", a repeated one "Name (Spalte D)" (a notice says so). ``notices`` are German
    sentences for the person importing (formulas, merged cells, macros …).
    """

    filename: str
    sheet: str
    header: list[str]
    rows: list[list[str]]
    first_row: int
    notices: list[str] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    header_row: int = 1
    columns: list[str] = field(default_factory=list)
    csv_line_starts: list[int] = field(default_factory=list, repr=False, compare=False)
    """Set by :func:`table_to_offers_csv`: the CSV line on which each written record starts …"""
    csv_line_rows: list[int] = field(default_factory=list, repr=False, compare=False)
    """… and the spreadsheet row it came from (read by :func:`spreadsheet_row`)."""
    csv_last_line: int = field(default=1, repr=False, compare=False)


# --------------------------------------------------------------------------- recognising the file


def is_workbook(raw: bytes, filename: str) -> bool:
    """Whether ``raw`` is a spreadsheet workbook that :func:`read_sheet` should handle (by content).

    True for XLSX/XLSM/XLSB (ZIP with ``[Content_Types].xml`` naming a workbook), ODS (ZIP with the
    spreadsheet ``mimetype`` or manifest entry), old XLS and password-protected Excel files (OLE2 container
    with a workbook or encrypted package stream). The name only decides for a ZIP or OLE2 file whose content
    cannot be recognised (e.g. damaged) but is called ``….xlsx``/``….ods``/``….xls``: :func:`read_sheet` then
    explains what is wrong instead of the CSV loader calling it a ZIP file. Never raises.
    """
    try:
        if _kind(raw) is not None:
            return True
    except Exception:  # a damaged file is "maybe a workbook", decided by the name below
        pass
    return raw.startswith((_ZIP_MAGIC, _OLE_MAGIC)) and filename.lower().endswith(_WORKBOOK_SUFFIXES)


def _kind(raw: bytes) -> str | None:
    """``xlsx``, ``xlsm``, ``xlsb``, ``ods``, ``xls``, ``encrypted`` (OLE2-wrapped encrypted OOXML) or None."""
    if raw.startswith(_OLE_MAGIC):
        # OLE2 directory entries are UTF-16 names; an encrypted XLSX is an OLE2 file with these two streams.
        if _utf16("EncryptedPackage") in raw and _utf16("EncryptionInfo") in raw:
            return "encrypted"
        if _utf16("Workbook\0") in raw or _utf16("Book\0") in raw:  # the stream of BIFF8 / BIFF5 files
            return "xls"
        return None
    if not raw.startswith(_ZIP_MAGIC):
        return None
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        names = {info.filename for info in archive.infolist()}
        if "mimetype" in names and _head(archive, "mimetype", 200).strip().startswith(_ODS_MIMETYPES):
            return "ods"
        if "[Content_Types].xml" in names:
            types = _head(archive, "[Content_Types].xml", 1 << 20)
            if any(t in types for t in _XLSM_TYPES):
                return "xlsm"
            if any(t in types for t in _XLSX_TYPES):
                return "xlsx"
            if _XLSB_TYPE in types:
                return "xlsb"
        manifest = _head(archive, "META-INF/manifest.xml", 1 << 20) if "META-INF/manifest.xml" in names else b""
        if _ODS_ROOT_ENTRY.search(manifest):
            return "ods"
    return None


def _head(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """At most ``limit`` unpacked bytes of one part (enough to recognise it; never the whole of a bomb)."""
    with archive.open(name) as part:
        return part.read(limit)


# --------------------------------------------------------------------------- opening safely


@dataclass
class _Extent:
    """How far the filled cells of one sheet reach (0-based), as calamine will see them, and what else is there."""

    first_row: int = -1
    last_row: int = -1
    first_col: int = -1
    last_col: int = -1
    content_rows: int = 0
    formulas: int = 0
    formulas_without_value: int = 0
    error_cells: int = 0
    hidden_rows: int = 0
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    merged_total: int = 0

    def add(self, row: int, col: int, rows: int = 1, cols: int = 1) -> None:
        last_row, last_col = row + rows - 1, col + cols - 1
        if self.first_row < 0 or row < self.first_row:
            self.first_row = row
        if self.first_col < 0 or col < self.first_col:
            self.first_col = col
        self.last_row = max(self.last_row, last_row)
        self.last_col = max(self.last_col, last_col)

    def add_merge(self, top: int, left: int, bottom: int, right: int) -> None:
        self.merged_total += 1
        if len(self.merged) < 10_000:  # enough for the notice; a file with millions must not cost memory
            self.merged.append((top, left, bottom, right))

    @property
    def cells(self) -> int:
        if self.last_row < 0:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_col - self.first_col + 1)


@dataclass
class _Opened:
    kind: str
    archive: zipfile.ZipFile | None
    macros: bool


class _Unusable(Exception):
    """Raised inside the XML look; turned into a :class:`WorkbookError` with the file name."""


def _limits() -> ZipLimits:
    """The limits of :mod:`geo.data.zipsafety` for a workbook, read when checking (tests lower the constants)."""
    return ZipLimits(MAX_MEMBERS, MAX_UNPACKED_BYTES, MAX_COMPRESSION_RATIO, RATIO_CHECK_MIN_BYTES)


def _open(raw: bytes, filename: str) -> _Opened:
    """Check size, type, container and encryption; refuse with :class:`WorkbookError` before any parsing."""
    if len(raw) > MAX_WORKBOOK_BYTES:
        raise WorkbookError(filename, f"Datei ist {_mib(len(raw))} MiB groß; die App liest höchstens "
                                      f"{_mib(MAX_WORKBOOK_BYTES)} MiB. Bitte die richtige Datei wählen oder die "
                                      "Angebote aufteilen.")
    if raw.startswith(_ZIP_MAGIC):
        try:
            # Counted on the bytes: zipfile would build one object per listed part before we could count them.
            check_member_count(raw, _limits())
        except ZipRefusal as refusal:
            raise WorkbookError(filename, _refusal_message(refusal)) from None
    try:
        kind = _kind(raw)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, ValueError, EOFError,
            RuntimeError) as exc:
        raise WorkbookError(filename, f"Datei ist beschädigt (ZIP-Archiv nicht lesbar: {exc}). Bitte in Excel oder "
                                      "LibreOffice öffnen und neu speichern.") from exc
    if kind is None:
        raise WorkbookError(filename, _not_a_workbook(raw, filename))
    if kind == "encrypted":
        raise WorkbookError(filename, _ENCRYPTED)
    if kind == "xlsb":
        raise WorkbookError(filename, "Datei ist im Excel-Binärformat (.xlsb). Bitte in Excel als "
                                      "„Excel-Arbeitsmappe (.xlsx)“ speichern und diese Datei hochladen.")
    if kind == "xls":
        return _Opened(kind, None, _utf16("_VBA_PROJECT") in raw)
    archive = zipfile.ZipFile(io.BytesIO(raw))
    _check_container(archive, filename)
    names = [info.filename for info in archive.infolist()]
    if kind == "ods" and "META-INF/manifest.xml" in names and \
            b"encryption-data" in _head(archive, "META-INF/manifest.xml", MAX_UNPACKED_BYTES):
        raise WorkbookError(filename, _ENCRYPTED)
    if kind == "xlsm":
        macros = True
    elif kind == "ods":
        macros = any(n.startswith(("Basic/", "Scripts/")) for n in names)
    else:
        macros = any(n.lower().endswith("vbaproject.bin") for n in names)
    return _Opened(kind, archive, macros)


_ENCRYPTED = ("Datei ist mit einem Passwort geschützt (verschlüsselt) und kann nicht gelesen werden. Bitte in "
              "Excel oder LibreOffice ohne Passwort speichern und erneut hochladen.")


def _check_container(archive: zipfile.ZipFile, filename: str) -> None:
    """Refuse ZIP bombs, encrypted ZIP parts and ambiguous part names by what the archive declares
    (:func:`geo.data.zipsafety.check_archive`): calamine finds parts case-insensitively and with "\\" read as "/",
    so two parts that look alike to it would let us check one and calamine read the other."""
    try:
        check_archive(archive.infolist(), _limits())
    except ZipRefusal as refusal:
        raise WorkbookError(filename, _refusal_message(refusal)) from None


def _refusal_message(refusal: ZipRefusal) -> str:
    if refusal.reason == "members":
        return _too_many_members(refusal.count)
    if refusal.reason == "unpacked":
        return (f"Datei würde entpackt {_mib(refusal.total)} MiB groß (höchstens {_mib(MAX_UNPACKED_BYTES)} MiB); "
                "sie wird aus Sicherheitsgründen nicht entpackt (mögliche „ZIP-Bombe“).")
    if refusal.reason == "ratio":
        return (f"Der Teil „{refusal.name}“ der Datei ist {refusal.ratio:.0f}-fach gepackt (höchstens "
                f"{MAX_COMPRESSION_RATIO}-fach); die Datei wird aus Sicherheitsgründen nicht entpackt (mögliche "
                "„ZIP-Bombe“).")
    if refusal.reason == "encrypted":
        return _ENCRYPTED
    return ("Datei ist beschädigt (ein Teil des ZIP-Archivs kommt doppelt vor). Bitte in Excel oder LibreOffice "
            "öffnen und neu speichern.")


def _too_many_members(count: int) -> str:
    return (f"Datei besteht aus {format_number(count, 0)} Teilen (höchstens {format_number(MAX_MEMBERS, 0)}); "
            "sie wird aus Sicherheitsgründen nicht entpackt.")


def _not_a_workbook(raw: bytes, filename: str) -> str:
    kind = binary_kind(raw)
    if raw.startswith(_OLE_MAGIC):
        what = "ein anderes Office-Dokument (z. B. Word)"
    elif raw.startswith(_ZIP_MAGIC):
        what = "eine ZIP-Datei ohne Tabellen (z. B. ein Word-Dokument oder ein Archiv)"
    elif kind is not None:
        what = kind
    else:
        what = "eine Textdatei; eine CSV-Datei bitte als CSV importieren"
    return f"Datei ist keine Excel- oder LibreOffice-Tabelle (.xlsx, .xlsm, .ods, .xls), sondern {what}."


def _mib(size: int) -> str:
    return format_number(size / 1024 / 1024, 0)


def _member(archive: zipfile.ZipFile, path: str) -> zipfile.ZipInfo | None:
    """The part calamine opens for ``path``: matched case-insensitively, ``\\`` read as ``/``."""
    wanted = path.lower()
    for info in archive.infolist():
        if info.filename.replace("\\", "/").lower() == wanted:
            return info
    return None


def _parse_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo, start: Callable[[str, dict[str, str]], None],
               end: Callable[[str], None] | None = None, text: Callable[[str], None] | None = None) -> None:
    """Stream one XML part through expat (no namespace processing: calamine matches names literally too).

    A document type declaration is refused: spreadsheet XML never has one, and entity tricks live there.
    """
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text

    def refuse_doctype(*_: object) -> None:
        raise _Unusable("Datei enthält eine XML-Dokumenttypdeklaration (DTD); das kommt in Tabellen nicht vor. "
                        "Sie wird aus Sicherheitsgründen nicht gelesen.")

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    try:
        with archive.open(info) as part:
            while chunk := part.read(1 << 20):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _Unusable(f"Datei ist beschädigt (XML-Fehler in „{info.filename}“: {exc}). Bitte in Excel oder "
                        "LibreOffice öffnen und neu speichern.") from exc
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise _Unusable(f"Datei ist beschädigt („{info.filename}“ nicht lesbar: {exc}).") from exc


def _local(name: str) -> str:
    return name[name.index(":") + 1:] if ":" in name else name


_CELL_REF = re.compile(r"^([A-Za-z]{1,3})([0-9]{1,9})$")


def _cell_position(ref: str) -> tuple[int, int]:
    """``"B7"`` → ``(6, 1)`` (0-based row, column)."""
    match = _CELL_REF.match(ref)
    if not match or int(match.group(2)) < 1:
        raise _Unusable(f"Datei ist beschädigt (ungültiger Zellbezug „{ref[:20]}“).")
    col = 0
    for letter in match.group(1).upper():
        col = col * 26 + ord(letter) - 64
    return int(match.group(2)) - 1, col - 1


def _column_letters(col: int) -> str:
    """0-based column → ``"A"``, ``"Z"``, ``"AA"`` …"""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xlsx_sheets(archive: zipfile.ZipFile) -> list[tuple[str, str, bool]]:
    """(name, ZIP path, visible) of each worksheet, read as calamine reads them: ``xl/workbook.xml`` and its
    relationships, a target without ``xl/`` gets it, only ``xl/worksheets/…`` are worksheets."""
    targets: dict[str, str] = {}
    rels = _member(archive, "xl/_rels/workbook.xml.rels")
    workbook = _member(archive, "xl/workbook.xml")
    if rels is None or workbook is None:
        return []

    def relationship(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and "Id" in attrs:
            targets[attrs["Id"]] = attrs.get("Target", "")

    _parse_xml(archive, rels, relationship)
    sheets: list[tuple[str, str, bool]] = []

    def sheet(name: str, attrs: dict[str, str]) -> None:
        if _local(name) != "sheet":
            return
        target = targets.get(attrs.get("r:id", attrs.get("relationships:id", "")))
        if target is None:
            return  # calamine refuses the file when it opens it
        path = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else "xl/" + target
        title = attrs.get("name", "")
        if any(title == known for known, _, _ in sheets):  # we would look at one and calamine perhaps read the other
            raise _Unusable(f"Datei ist beschädigt (Tabellenblatt „{title[:40]}“ kommt doppelt vor).")
        if path.split("/")[1:2] == ["worksheets"]:
            sheets.append((title, path, attrs.get("state", "visible") == "visible"))

    _parse_xml(archive, workbook, sheet)
    return sheets


_ATTR = rb"""\s+[^\s=/<>"']+\s*=\s*(?:"[^"]*"|'[^']*')"""
_ANY_CELL = re.compile(rb"<c[ \t\r\n/>]")
"""Every way an unprefixed cell element can begin for calamine's XML reader (name ends at XML whitespace, / or >)."""
_PREFIXED_CELL = re.compile(rb":c[ \t\r\n/>]")
_CELL_WITH_REF = re.compile(rb"<c(?:(?!\s+r\s*=)" + _ATTR + rb")*\s+r\s*=\s*\"([A-Z]{1,3})([0-9]{1,9})\"(?:" + _ATTR
                            + rb")*\s*(/?)>")
_ERROR_CELL = re.compile(rb"<c\s[^>]*?\bt\s*=\s*\"e\"")
_FORMULA_STARTS = (b"<f>", b"<f ", b"<f/")
_UNCALCULATED = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>\s*)?</c>")
_MERGE = re.compile(rb"<mergeCell\s[^>]*?\bref\s*=\s*\"([A-Z]{1,3}[0-9]{1,9})(?::([A-Z]{1,3}[0-9]{1,9}))?\"")
_HIDDEN_ROW = re.compile(rb"<row\s[^>]*?\bhidden\s*=\s*\"(?:1|true)\"[^>]*>")
_ROW_NUMBER = re.compile(rb"\sr\s*=\s*\"([0-9]{1,9})\"")
_COLUMN_INDEX: dict[bytes, int] = {}


def _column_index() -> dict[bytes, int]:
    """``b"A"`` → 0 … ``b"ZZZ"`` → 18277, built once."""
    if not _COLUMN_INDEX:
        # filled in one C call: another thread never sees half of it
        _COLUMN_INDEX.update({_column_letters(col).encode(): col for col in range(18_278)})
    return _COLUMN_INDEX


def _scan_xlsx_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Extent:
    """Where calamine will put the filled cells of one XLSX sheet (see :func:`_scan_xlsx_exact`).

    First a fast look with byte counts and one regular expression that works when every cell names its
    position (``<c r="B7">``, as Excel, LibreOffice and openpyxl write it): it counts every cell start tag and
    every cell start tag with a plain ``r`` among well-formed attributes; only if both counts agree is the
    result used. Anything unusual (a cell without ``r``, odd quoting, namespace prefixes) makes them differ or
    is caught before, and the exact look with expat runs instead. 150,000 rows × 25 columns with inline
    texts (208 MB of sheet XML): about 5 s instead of 23 s.
    """
    extent = _scan_xlsx_fast(archive, info)
    return extent if extent is not None else _scan_xlsx_exact(archive, info)


def _scan_xlsx_fast(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Extent | None:
    """The fast look of :func:`_scan_xlsx_sheet`, or ``None`` where only the exact one can judge."""
    extent = _Extent()
    row_keys: set[bytes] = set()
    column_keys: set[bytes] = set()
    hidden_rows: set[int] = set()
    carry = b""
    with archive.open(info) as part:
        while True:
            chunk = part.read(4 << 20)
            piece = carry + chunk
            if chunk:
                # Cut before the last tag if it is incomplete; every tag before it ends before the cut.
                cut = piece.rfind(b"<")
                if cut < 0 or b">" in piece[cut:]:
                    cut = len(piece)
                piece, carry = piece[:cut], piece[cut:]
                if len(carry) > 1 << 20:
                    return None  # a tag over 1 MiB long: let expat judge it
            if b"\x00" in piece or (b":c" in piece and _PREFIXED_CELL.search(piece)):
                # UTF-16 text, or namespace prefixes (<x:c>): the exact look reads them as calamine does
                return None
            found = _CELL_WITH_REF.findall(piece)
            if len(found) != len(_ANY_CELL.findall(piece)):
                return None
            # Distinct row numbers and column letters first: a sheet has far fewer of them than cells.
            row_keys.update(digits for _, digits, empty in found if not empty)
            column_keys.update(letters for letters, _, empty in found if not empty)
            formulas = sum(piece.count(start) for start in _FORMULA_STARTS)
            if formulas:
                extent.formulas += formulas
                extent.formulas_without_value += len(_UNCALCULATED.findall(piece))
            if b'"e"' in piece:
                extent.error_cells += len(_ERROR_CELL.findall(piece))
            if b"<mergeCell" in piece:
                for first, last in _MERGE.findall(piece):
                    top, left = _cell_position(first.decode())
                    bottom, right = _cell_position((last or first).decode())
                    extent.add_merge(top, left, bottom, right)
            if b"hidden" in piece:
                for tag in _HIDDEN_ROW.findall(piece):
                    number = _ROW_NUMBER.search(tag)
                    if number:
                        hidden_rows.add(int(number.group(1)))
            if not chunk:
                break
    rows = {int(key) for key in row_keys}
    if rows:
        if min(rows) < 1:
            return None
        columns = [_column_index()[key] for key in column_keys]
        extent.add(min(rows) - 1, min(columns))
        extent.add(max(rows) - 1, max(columns))
    extent.content_rows = len(rows)
    extent.hidden_rows = len(hidden_rows & rows)
    return extent


def _scan_xlsx_exact(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Extent:
    """Where calamine will put the filled cells of one XLSX sheet, plus formulas, errors, hidden rows, merges.

    Positions follow calamine's reader: a ``<c r="B7">`` is at B7; a cell without ``r`` follows the previous
    cell of its row; a row without ``r`` follows the previous row. A cell counts as filled if it has a
    ``<v>`` or ``<is>`` (calamine drops cells without a value, e.g. a formula nobody calculated).
    """
    extent = _Extent()
    state = {"row": 0, "col": 0, "in_data": 0, "done": 0, "hidden": 0, "last_content_row": -1,
             "last_hidden_row": -1}
    cell: dict[str, Any] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "sheetData" and not state["done"]:
            state["in_data"] = 1
        elif not state["in_data"]:
            if local == "mergeCell" and "ref" in attrs:
                first, _, last = attrs["ref"].partition(":")
                top, left = _cell_position(first)
                bottom, right = _cell_position(last or first)
                extent.add_merge(top, left, bottom, right)
        elif local == "row":
            if "r" in attrs:
                if not attrs["r"].isdigit() or int(attrs["r"]) < 1:
                    raise _Unusable(f"Datei ist beschädigt (ungültige Zeilennummer „{attrs['r'][:20]}“).")
                state["row"] = int(attrs["r"]) - 1
            state["hidden"] = attrs.get("hidden") in ("1", "true")
        elif local == "c":
            if "r" in attrs:
                row, col = _cell_position(attrs["r"])
                state["col"] = col
            else:
                row, col = state["row"], state["col"]
            cell.clear()
            cell.update(row=row, col=col, value=False, formula=False, in_v=False, type=attrs.get("t"))
        elif local == "v" and cell:
            cell["in_v"] = True
        elif local == "is" and cell:
            cell["value"] = True
        elif local == "f" and cell:
            cell["formula"] = True

    def text(_data: str) -> None:
        # calamine takes a cell without text in <v> (openpyxl writes <v/> for a formula) as empty
        if cell and cell["in_v"]:
            cell["value"] = True

    def end(name: str) -> None:
        local = _local(name)
        if not state["in_data"]:
            return
        if local == "sheetData":
            state["in_data"], state["done"] = 0, 1
        elif local == "row":
            state["row"] += 1
            state["col"] = 0
        elif local == "v" and cell:
            cell["in_v"] = False
            cell["v_seen"] = True
        elif local == "c" and cell:
            state["col"] += 1
            row = cell["row"]
            if cell["formula"]:
                extent.formulas += 1
                # Excel writes an empty <v></v> with t="str" for a formula whose result is "" (=WENN(A2="";"";…));
                # no <v> at all, or an empty one of another type, means nobody calculated it.
                calculated = cell["value"] or (cell.get("v_seen") and cell["type"] == "str")
                extent.formulas_without_value += not calculated
            if cell["value"]:
                extent.add(row, cell["col"])
                extent.error_cells += cell["type"] == "e"
                if row != state["last_content_row"]:
                    extent.content_rows += 1
                    state["last_content_row"] = row
                if state["hidden"] and row != state["last_hidden_row"]:
                    extent.hidden_rows += 1
                    state["last_hidden_row"] = row
            cell.clear()

    _parse_xml(archive, info, start, end, text)
    return extent


_MAX_ODS_SPACES = 16 * 1024 * 1024
"""Most spaces that ``<text:s text:c="n"/>`` elements may ask for in one ODS (people type a few at a time)."""
_ODS_VALUE_ATTRS = ("office:value", "office:string-value", "office:date-value", "office:time-value",
                    "office:boolean-value")


def _scan_ods(archive: zipfile.ZipFile) -> list[tuple[str, _Extent]]:
    """(table name, where calamine will put its filled cells) for every table in ``content.xml``, in order.

    calamine reads every table when the file is opened and expands ``number-rows-repeated`` and
    ``number-columns-repeated`` into real cells and ``<text:s text:c="…"/>`` into that many spaces (a 1 KB
    file can ask for a 500 MB text), so every table is looked at first. Names are matched literally
    (``table:table-row``) because calamine does so. Two tables may share a name: calamine builds both.
    """
    try:
        info = archive.getinfo("content.xml")  # calamine opens exactly this name
    except KeyError:
        return []
    tables: list[tuple[str, _Extent]] = []
    spaces = 0
    state: dict[str, Any] = {"depth": 0, "cell_depth": 0, "row": 0, "col": 0, "row_start": 0, "row_rep": 1,
                             "row_content": False, "hidden": False, "extent": None, "in_row": False}

    def number(attrs: dict[str, str], key: str) -> int:
        text = attrs.get(key)
        if text is None:
            return 1
        if not text.isdigit():
            raise _Unusable(f"Datei ist beschädigt (ungültige Wiederholungszahl „{text[:20]}“).")
        return int(text)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal spaces
        if name == "text:s":
            spaces += number(attrs, "text:c")
            if spaces > _MAX_ODS_SPACES:
                raise _Unusable("Datei lässt über 16 Millionen Leerzeichen einfügen (text:s); sie wird aus "
                                "Sicherheitsgründen nicht gelesen.")
            return
        if name == "table:table":
            state["depth"] += 1
            if state["depth"] == 1:
                extent = _Extent()
                tables.append((attrs.get("table:name", ""), extent))
                state.update(extent=extent, row=0)
            return
        if state["depth"] != 1:
            return
        extent = state["extent"]
        if name == "table:table-row" and not state["cell_depth"]:
            rep = number(attrs, "table:number-rows-repeated")
            state.update(row_start=state["row"], row_rep=rep, col=0, row_content=False, in_row=True,
                         hidden=attrs.get("table:visibility") in ("collapse", "filter"))
        elif name in ("table:table-cell", "table:covered-table-cell") and state["in_row"]:
            state["cell_depth"] += 1
            if state["cell_depth"] != 1:
                return
            reps, c0 = number(attrs, "table:number-columns-repeated"), state["col"]
            state["col"] = c0 + reps
            has_value = any(key in attrs for key in _ODS_VALUE_ATTRS) or attrs.get("office:value-type") == "string"
            formula = "table:formula" in attrs
            row0, rows = state["row_start"], state["row_rep"]
            if (has_value or formula) and reps and rows:
                extent.add(row0, c0, rows, reps)
                state["row_content"] = True
            if formula:
                extent.formulas += reps * rows
                extent.formulas_without_value += 0 if has_value else reps * rows
            spanned_cols = number(attrs, "table:number-columns-spanned")
            spanned_rows = number(attrs, "table:number-rows-spanned")
            if spanned_cols > 1 or spanned_rows > 1:
                extent.add_merge(row0, c0, row0 + spanned_rows - 1, c0 + spanned_cols - 1)

    def end(name: str) -> None:
        if name == "table:table":
            state["depth"] -= 1
            return
        if state["depth"] != 1:
            return
        if name in ("table:table-cell", "table:covered-table-cell") and state["cell_depth"]:
            state["cell_depth"] -= 1
        elif name == "table:table-row" and not state["cell_depth"] and state["in_row"]:
            extent = state["extent"]
            if state["row_content"]:
                extent.content_rows += state["row_rep"]
                extent.hidden_rows += state["row_rep"] if state["hidden"] else 0
            state["row"] += state["row_rep"]
            state["in_row"] = False

    _parse_xml(archive, info, start, end)
    return tables


def _count_shared_strings(archive: zipfile.ZipFile) -> int:
    info = _member(archive, "xl/sharedStrings.xml")
    if info is None:
        return 0
    count = 0

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal count
        if _local(name) == "si":
            count += 1
            if count > MAX_SHARED_STRINGS:
                raise _Unusable(f"Datei enthält mehr als {format_number(MAX_SHARED_STRINGS, 0)} verschiedene Texte; "
                                "die App liest so große Tabellen nicht.")

    _parse_xml(archive, info, start)
    return count


def _check_extent(filename: str, sheet: str, extent: _Extent) -> None:
    """Refuse a sheet whose filled cells calamine could not hold, with the reason a person can act on."""
    if extent.last_row < 0:
        return
    far = f"{_column_letters(extent.last_col)}{extent.last_row + 1}" if extent.last_col < _GRID_COLUMNS else "?"
    if extent.last_row >= _GRID_ROWS or extent.last_col >= _GRID_COLUMNS:
        raise WorkbookError(filename, f"Tabellenblatt „{sheet}“ hat Einträge jenseits der größten möglichen "
                                      "Tabelle (Datei beschädigt oder manipuliert); sie wird nicht gelesen.")
    width = extent.last_col - extent.first_col + 1
    if width > MAX_COLUMNS:
        first, last = _column_letters(extent.first_col), _column_letters(extent.last_col)
        raise WorkbookError(filename, f"Tabellenblatt „{sheet}“ hat Einträge in {format_number(width, 0)} Spalten "
                                      f"(von Spalte {first} bis {last}); die App liest höchstens {MAX_COLUMNS} "
                                      "Spalten. Bitte überzählige Spalten löschen.")
    if extent.content_rows - 1 > MAX_ROWS:
        raise WorkbookError(filename, _too_many_rows(sheet, extent.content_rows - 1))
    if extent.cells > MAX_CELLS:
        height = extent.last_row - extent.first_row + 1
        raise WorkbookError(filename, f"Tabellenblatt „{sheet}“ reicht von Zelle "
                                      f"{_column_letters(extent.first_col)}{extent.first_row + 1} bis {far} "
                                      f"({format_number(height, 0)} Zeilen × {format_number(width, 0)} Spalten); "
                                      f"die App liest höchstens {format_number(MAX_CELLS, 0)} Zellen. Vermutlich "
                                      f"steht weit unten oder rechts ein vergessener Eintrag (Zelle {far}) – bitte "
                                      "löschen.")


def _too_many_rows(sheet: str, rows: int) -> str:
    return (f"Tabellenblatt „{sheet}“ hat {format_number(rows, 0)} Datenzeilen; die App liest höchstens "
            f"{format_number(MAX_ROWS, 0)} (so viele wie eine 64-MiB-CSV-Datei). Bitte die Angebote aufteilen.")


def _load(raw: bytes, filename: str, sheet: str | None = None, pick: bool = False
          ) -> tuple[_Opened, CalamineWorkbook, dict[str, _Extent], str | None]:
    """Open the workbook with calamine after every check that has to come first.

    Returns the extents by sheet name and, with ``pick``, the chosen XLSX sheet (``sheet`` or the first visible
    worksheet), whose XML was looked at before calamine opened the file. ODS: every table is looked at,
    because calamine builds them all when opening.
    """
    opened = _open(raw, filename)
    extents: dict[str, _Extent] = {}
    chosen: str | None = None
    try:
        if opened.kind == "ods" and opened.archive is not None:
            tables = _scan_ods(opened.archive)
            for name, extent in tables:
                _check_extent(filename, name, extent)
            extents = dict(tables)  # a repeated name means the last table, as in calamine's own lookup
            total = sum(e.cells for _, e in tables)
            if total > MAX_CELLS:
                raise WorkbookError(filename, f"Die Tabellenblätter umfassen zusammen {format_number(total, 0)} "
                                              f"Zellen; die App liest höchstens {format_number(MAX_CELLS, 0)}.")
        elif opened.archive is not None:
            _count_shared_strings(opened.archive)
            if pick:
                sheets = _xlsx_sheets(opened.archive)
                chosen = _choose(filename, [(name, visible) for name, _, visible in sheets], sheet)
                path = next(p for name, p, _ in sheets if name == chosen)
                extents[chosen] = _xlsx_extent(opened.archive, filename, chosen, path)
    except _Unusable as exc:
        raise WorkbookError(filename, str(exc)) from exc
    try:
        workbook = CalamineWorkbook.from_object(io.BytesIO(raw))
    except PasswordError as exc:
        raise WorkbookError(filename, _ENCRYPTED) from exc
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException(BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        raise WorkbookError(filename, _calamine_failed(exc)) from exc
    return opened, workbook, extents, chosen


def _choose(filename: str, sheets: list[tuple[str, bool]], sheet: str | None) -> str:
    """``sheet`` if the workbook has it, else the first visible worksheet; :class:`WorkbookError` otherwise."""
    if not sheets:
        raise WorkbookError(filename, "Datei enthält kein Tabellenblatt mit Zellen.")
    if sheet is None:
        return next((name for name, visible in sheets if visible), sheets[0][0])
    if any(name == sheet for name, _ in sheets):
        return sheet
    available = ", ".join(f"„{name}“" for name, _ in sheets)
    raise WorkbookError(filename, f"Tabellenblatt „{sheet}“ gibt es nicht; vorhanden: {available}.")


def _calamine_failed(exc: BaseException) -> str:
    detail = strip_control_chars(str(exc))[:200] or type(exc).__name__
    if isinstance(exc, PasswordError) or "password" in detail.lower():
        return _ENCRYPTED
    return (f"Datei kann nicht als Tabelle gelesen werden ({detail}). Bitte in Excel oder LibreOffice öffnen und als "
            ".xlsx oder .ods neu speichern.")


def _worksheets(workbook: CalamineWorkbook) -> list[tuple[str, bool]]:
    """(name, visible) of every sheet with cells, in workbook order (chart and dialog sheets left out)."""
    return [(meta.name, meta.visible == SheetVisibleEnum.Visible) for meta in workbook.sheets_metadata
            if meta.typ == SheetTypeEnum.WorkSheet]


# --------------------------------------------------------------------------- reading


def sheet_names(raw: bytes, filename: str) -> list[str]:
    """Names of the worksheets in workbook order (hidden ones included); :class:`WorkbookError` if unreadable."""
    _, workbook, _, _ = _load(raw, filename)
    with workbook:
        return [name for name, _ in _worksheets(workbook)]


def read_sheet(raw: bytes, filename: str, sheet: str | None = None) -> SheetTable:
    """One sheet as text: by name, else the first visible worksheet.

    The header is the first non-empty row (a title row above the column names therefore becomes the header;
    a notice points this out when it has a single entry). Every cell becomes text (:func:`cell_text`); empty
    rows and entirely empty columns are left out; spreadsheet rows are kept in ``row_numbers``.
    Raises :class:`WorkbookError` (German, with the file name) if the file cannot or must not be read.
    """
    opened, workbook, extents, chosen = _load(raw, filename, sheet, pick=True)
    with workbook:
        sheets = _worksheets(workbook)
        name = _choose(filename, sheets, sheet)
        if opened.kind != "ods" and opened.archive is not None and name != chosen:
            # calamine would read another sheet than the one looked at: never let it build an unchecked one
            raise WorkbookError(filename, "Datei ist beschädigt (Tabellenblätter nicht eindeutig). Bitte in Excel "
                                          "oder LibreOffice öffnen und neu speichern.")
        try:
            calamine_sheet = workbook.get_sheet_by_name(name)
            raw_rows = calamine_sheet.to_python(skip_empty_area=True)
            end = calamine_sheet.end
        except BaseException as exc:  # see _load
            if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            raise WorkbookError(filename, _calamine_failed(exc)) from exc
    table = _table(filename, name, raw_rows, end)
    table.notices[:0] = _notices(opened, extents.get(name), table, [n for n, _ in sheets if n != name])
    return table


def _xlsx_extent(archive: zipfile.ZipFile, filename: str, name: str, path: str) -> _Extent:
    info = _member(archive, path)
    if info is None:
        # Without the sheet's XML we cannot know how far it reaches, so calamine must not build it.
        raise _Unusable(f"Datei ist beschädigt (die Zellen des Tabellenblatts „{name}“ sind nicht zu finden). "
                        "Bitte in Excel oder LibreOffice öffnen und neu speichern.")
    extent = _scan_xlsx_sheet(archive, info)
    _check_extent(filename, name, extent)
    return extent


def _table(filename: str, sheet: str, raw_rows: list[list[Any]], end: tuple[int, int] | None) -> SheetTable:
    """Text rows from calamine's values; the header is the first non-empty row."""
    if not raw_rows or end is None:
        raise WorkbookError(filename, f"Tabellenblatt „{sheet}“ ist leer.")
    # calamine's list starts at its first filled row and column; derived from the end and the list's size,
    # not from `start`, so that the row numbers stay right whichever way a calamine version counts.
    row_offset = end[0] + 1 - len(raw_rows)
    col_offset = end[1] + 1 - max(len(r) for r in raw_rows)
    kept: list[list[str]] = []
    numbers: list[int] = []
    for index, values in enumerate(raw_rows):
        texts = [cell_text(v) for v in values]
        raw_rows[index] = []  # free calamine's values as we go: a large sheet is not held twice
        if any(texts):
            kept.append(texts)
            numbers.append(row_offset + index + 1)
            if len(kept) - 1 > MAX_ROWS:
                raise WorkbookError(filename, _too_many_rows(sheet, len(kept) - 1))
    if not kept:
        raise WorkbookError(filename, f"Tabellenblatt „{sheet}“ ist leer.")
    width = max(len(r) for r in kept)
    used = [j for j in range(width) if any(j < len(r) and r[j] for r in kept)]
    if len(used) > MAX_COLUMNS:
        raise WorkbookError(filename, f"Tabellenblatt „{sheet}“ hat Einträge in {len(used)} Spalten; die App "
                                      f"liest höchstens {MAX_COLUMNS} Spalten. Bitte überzählige Spalten löschen.")
    if len(used) == width and all(len(r) == width for r in kept):
        cells = kept  # the usual case: nothing to pad or drop, so no second copy of a large sheet
    else:
        cells = [[r[j] if j < len(r) else "" for j in used] for r in kept]
    letters = [_column_letters(col_offset + j) for j in used]
    header, notices = _unique_header(cells[0], letters)
    data_numbers = numbers[1:]
    return SheetTable(filename=filename, sheet=sheet, header=header, rows=cells[1:],
                      first_row=data_numbers[0] if data_numbers else numbers[0] + 1, notices=notices,
                      row_numbers=data_numbers, header_row=numbers[0], columns=letters)


def _unique_header(cells: list[str], letters: list[str]) -> tuple[list[str], list[str]]:
    """Header texts made unique (the mapping is keyed by them), and notices saying what was renamed."""
    header: list[str] = []
    unnamed: list[str] = []
    repeated: list[str] = []
    for text, letter in zip(cells, letters):
        name = " ".join(text.split())  # a line break inside a header cell is layout, not meaning
        if not name:
            name = f"Spalte {letter}"
            unnamed.append(name)
        if name in header:
            while name in header:  # "Name (Spalte C)" may itself be a header text already
                name = f"{name} (Spalte {letter})"
            repeated.append(name)
        header.append(name)
    notices = []
    if unnamed:
        names = ", ".join(f"„{n}“" for n in unnamed)
        notices.append(f"Spalten ohne Überschrift heißen hier nach ihrem Buchstaben: {names}.")
    if repeated:
        notices.append("Überschriften kommen mehrfach vor; die weiteren Spalten heißen hier "
                       f"{', '.join(f'„{n}“' for n in repeated)}.")
    return header, notices


def _notices(opened: _Opened, extent: _Extent | None, table: SheetTable, other_sheets: list[str]) -> list[str]:
    """What the person importing should know about this sheet, German, most important first."""
    notices: list[str] = []
    if opened.macros:
        notices.append("Die Datei enthält Makros. Makros werden nicht ausgeführt; übernommen werden nur die "
                       "gespeicherten Zellwerte.")
    if extent is not None:
        if extent.formulas:
            cells = "1 Zelle mit einer Formel" if extent.formulas == 1 else \
                f"{format_number(extent.formulas, 0)} Zellen mit Formeln"
            text = f"{cells}: übernommen wird der zuletzt berechnete Wert, die Formel nicht."
            missing = extent.formulas_without_value
            if missing:
                has, stay = ("hat", "bleibt") if missing == 1 else ("haben", "bleiben")
                text += (f" {format_number(missing, 0)} davon {has} keinen gespeicherten Wert (die Datei wurde von "
                         f"einem Programm gespeichert, das Formeln nicht berechnet) und {stay} leer; bitte in Excel "
                         "oder LibreOffice öffnen und neu speichern.")
            notices.append(text)
        if extent.error_cells:
            notices.append("1 Zelle enthält einen Fehlerwert (z. B. #DIV/0! oder #NV); sie bleibt leer."
                           if extent.error_cells == 1 else
                           f"{format_number(extent.error_cells, 0)} Zellen enthalten Fehlerwerte (z. B. #DIV/0! oder "
                           "#NV); sie bleiben leer.")
        # Only ranges reaching the header or below: a merged title above the table is harmless.
        merged = [m for m in extent.merged if m[2] + 1 >= table.header_row]
        merged_count = len(merged) + extent.merged_total - len(extent.merged)
        if merged:
            top, left, bottom, right = merged[0]
            example = f"{_column_letters(left)}{top + 1}:{_column_letters(right)}{bottom + 1}"
            count = "1 Bereich" if merged_count == 1 else f"{format_number(merged_count, 0)} Bereiche"
            notices.append(f"Verbundene Zellen ({count}, z. B. {example}): der Wert steht nur in der ersten Zelle, "
                           "die übrigen Zellen des Bereichs bleiben leer. Bitte die Verbindung aufheben und den Wert "
                           "überall eintragen, wo er gilt.")
        if extent.hidden_rows:
            notices.append("1 ausgeblendete Zeile mit Einträgen wird mit übernommen; bitte prüfen, ob sie "
                           "dazugehört." if extent.hidden_rows == 1 else
                           f"{format_number(extent.hidden_rows, 0)} ausgeblendete Zeilen mit Einträgen werden mit "
                           "übernommen; bitte prüfen, ob sie dazugehören.")
    filled = [h for h, c in zip(table.header, table.columns) if h != f"Spalte {c}"]
    if len(filled) == 1 and len(table.header) > 1:
        notices.append(f"Die erste gefüllte Zeile (Zeile {table.header_row}) hat nur einen Eintrag "
                       f"(„{filled[0]}“) und wird als Kopfzeile gelesen. Ist das eine Überschrift? Dann bitte diese "
                       "Zeile löschen, damit die Spaltennamen in der ersten gefüllten Zeile stehen.")
    if other_sheets:
        notices.append(f"Gelesen wurde das Tabellenblatt „{table.sheet}“; die Datei hat weitere: "
                       f"{', '.join(f'„{n}“' for n in other_sheets)}.")
    return notices


def cell_text(value: object) -> str:
    """One cell value as text: numbers without a spurious ``.0``, dates ISO, booleans ``ja``/``nein``.

    Floats are written with up to 15 significant digits (what spreadsheet programs show and keep), so a
    stored ``0.30000000000000004`` reads ``0.3`` and ``52.289167`` stays; whole numbers up to 2^53 are
    written in full (``1234.0`` → ``1234``). A datetime at midnight is a date; times are ``HH:MM`` (with
    seconds if any). Line breaks become ``\\n``; control characters and surrounding spaces are removed.
    """
    if type(value) is str:  # most cells: checked first, the sheet may have millions
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return strip_control_chars(value) if value else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{sign}{hours}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
    return cell_text(str(value))


# --------------------------------------------------------------------------- mapping and CSV

_SYNONYMS: dict[str, tuple[str, ...]] = {
    # What German city spreadsheets call the columns; reviewed by hand. Deliberately left out because they are
    # ambiguous: "Nr." (running number or house number), "Ort" (town or venue), "Einrichtung" (provider or
    # venue), "X"/"Y"/"Rechtswert"/"Hochwert" (projected coordinates, not degrees).
    "id": ("ID", "Kennung", "Angebots-ID", "Angebotsnummer", "Schlüssel"),
    "name": ("Name", "Name des Angebots", "Angebot", "Angebotsname", "Bezeichnung", "Titel"),
    "traeger": ("Träger", "Trägerschaft", "Anbieter", "Anbieterin", "Organisation", "Veranstalter",
                "Anbieter/Träger", "Träger/Anbieter"),
    "handlungsfeld": ("Handlungsfeld", "Handlungsfelder", "Themenfeld"),
    "kategorie": ("Kategorie", "Art", "Angebotsart", "Art des Angebots", "Typ", "Angebotstyp"),
    "zielgruppen": ("Zielgruppe", "Zielgruppe(n)", "Zielgruppen", "Für wen"),
    "sprachen": ("Sprache", "Sprache(n)", "Sprachen", "Angebotssprachen", "Angebotssprache"),
    "kosten": ("Kosten", "Gebühr", "Gebühren", "Preis", "Entgelt", "Teilnahmegebühr"),
    "adresse": ("Adresse", "Anschrift", "Straße und Hausnummer", "Straße, Hausnummer", "Straße/Hausnummer",
                "Straße Hausnummer", "Straße"),
    "stadtteil": ("Stadtteil", "Ortsteil", "Stadtbezirk", "Bezirk", "Quartier"),
    "lat": ("lat", "Breitengrad", "Breite", "Latitude", "geographische Breite", "geografische Breite"),
    "lon": ("lon", "lng", "long", "Längengrad", "Länge", "Longitude", "geographische Länge", "geografische Länge"),
    "lage_genauigkeit": ("Lagegenauigkeit", "Lage-Genauigkeit", "Genauigkeit", "Genauigkeit der Lage"),
    "oeffnungszeiten": ("Öffnungszeiten", "Sprechzeiten", "Zeiten", "Angebotszeiten"),
    "barrierefrei": ("barrierefrei", "Barrierefreiheit", "rollstuhlgerecht", "barrierefreier Zugang"),
    "website": ("Website", "Webseite", "Homepage", "Internet", "Internetseite", "Internetadresse", "URL", "Link",
                "Web"),
    "telefon": ("Telefon", "Telefonnummer", "Tel.", "Tel", "Telefon-Nr.", "Rufnummer", "Fon"),
    "beschreibung": ("Beschreibung", "Kurzbeschreibung", "Angebotsbeschreibung", "Beschreibung des Angebots",
                     "Inhalt"),
    "beschreibung_einfach": ("Beschreibung (einfach)", "Beschreibung in Leichter Sprache", "Leichte Sprache",
                             "Beschreibung in einfacher Sprache", "Einfache Sprache"),
    # "geprüft" means confirmed with the provider; a list's "Stand" is the date the list states (data/SOURCES.md)
    "zuletzt_geprueft": ("zuletzt geprüft", "geprüft am", "Prüfdatum", "letzte Prüfung"),
    "quelle": ("Quelle", "Quellen", "Quellenangabe", "Herkunft"),
    "status": ("Status", "Angebotsstatus"),
    "stand_quelle": ("Stand der Quelle", "Quellenstand", "Datum der Quelle", "Quelldatum", "Stand",
                     "zuletzt aktualisiert", "aktualisiert am"),
    "hinweis": ("Hinweis", "Hinweise", "Bemerkung", "Bemerkungen", "Anmerkung", "Anmerkungen", "Notiz"),
    "massnahmen": ("Maßnahmen", "Maßnahme", "Maßnahmen-IDs", "Maßnahmen (Integrationskonzept)"),
}


def _synonym_index() -> dict[str, str]:
    index = {search_key(column): column for column in OFFER_COLUMNS}
    for column, names in _SYNONYMS.items():
        for name in names:
            key = search_key(name)
            if index.setdefault(key, column) != column:  # a word may stand for one column only
                raise AssertionError(f"Synonym „{name}“ steht für {index[key]} und {column}")
    return index


_BY_KEY = _synonym_index()


def suggest_mapping(header: list[str], known: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """Each header text → the offer column it probably holds (one of ``OFFER_COLUMNS``) or ``None``.

    ``known`` (header → column remembered from the last import; ``None``/"" for "not imported") wins. Else the
    header, folded with :func:`geo.text.search_key`, is compared with the column names and a reviewed table of
    German names ("Träger", "Anschrift", "Ortsteil", "Tel." …). Every column is suggested for at most one
    header: the first in this order (remembered, then by name, left to right).
    """
    known = known or {}
    result: dict[str, str | None] = {h: None for h in header}
    taken: set[str] = set()
    decided: set[str] = set()
    for h in header:
        column = known.get(h, "?") or None
        if column is not None and column not in OFFER_COLUMNS:
            continue  # not remembered, or remembered as a column that no longer exists: match by name
        decided.add(h)
        if column is not None and column not in taken:
            result[h] = column
            taken.add(column)
    for h in header:
        if h in decided:
            continue
        column = _BY_KEY.get(search_key(h))
        if column is not None and column not in taken:
            result[h] = column
            taken.add(column)
    return result


def table_to_offers_csv(table: SheetTable, mapping: Mapping[str, str | None],
                        existing: Mapping[str, Mapping[str, object]] | None = None) -> str:
    """CSV text with all ``OFFER_COLUMNS`` (in order) holding the mapped spreadsheet columns.

    Columns the workbook does not fill stay empty for a new offer; for an offer that ``existing`` (id → stored
    offer) already holds they keep the stored value — a city's list with six columns must not empty the other
    fields of every offer it updates.

    A row that is empty in every mapped column is left out. The text goes unchanged to the offer loader,
    which treats it as data (nothing is evaluated, a leading ``=`` is just a character). The CSV line on which
    each record starts is kept in ``table`` for :func:`spreadsheet_row` (a cell with a line break spans lines).
    Raises ``ValueError`` (German) for a mapping to an unknown column, of an unknown header, or of two headers
    to one column.
    """
    unknown_headers = [h for h in mapping if h not in table.header]
    if unknown_headers:
        raise ValueError(f"Spalte „{unknown_headers[0]}“ gibt es im Tabellenblatt „{table.sheet}“ nicht.")
    by_column: dict[str, str] = {}
    for h in table.header:
        column = mapping.get(h) or None
        if column is None:
            continue
        if column not in OFFER_COLUMNS:
            allowed = ", ".join(OFFER_COLUMNS)
            raise ValueError(f"„{column}“ ist keine Spalte der Angebotsliste (erlaubt: {allowed}).")
        if column in by_column:
            raise ValueError(f"Die Angebotsspalte „{column}“ ist zwei Spalten der Tabelle zugeordnet: "
                             f"„{by_column[column]}“ und „{h}“. Bitte nur eine davon zuordnen.")
        by_column[column] = h
    source = {column: table.header.index(h) for column, h in by_column.items()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    parts = [",".join(OFFER_COLUMNS) + "\n"]
    line = 2
    starts: list[int] = []
    rows: list[int] = []
    for index, cells in enumerate(table.rows):
        values = [cells[source[c]] if c in source and source[c] < len(cells) else "" for c in OFFER_COLUMNS]
        if not any(values):
            continue
        stored = (existing or {}).get(values[OFFER_COLUMNS.index("id")].strip())
        if stored is not None:
            values = [v if c in source else str(stored.get(c, "") or "") for c, v in zip(OFFER_COLUMNS, values)]
        # One kind of line break, so that counting "\n" below counts what the CSV reader counts as lines
        # (cell_text already does this; a hand-made table may not).
        values = [v.replace("\r\n", "\n").replace("\r", "\n") if "\r" in v else v for v in values]
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        record = buffer.getvalue()
        parts.append(record)
        starts.append(line)
        rows.append(_row_number(table, index))
        line += record.count("\n")
    table.csv_line_starts, table.csv_line_rows, table.csv_last_line = starts, rows, line - 1
    return "".join(parts)


def _row_number(table: SheetTable, index: int) -> int:
    return table.row_numbers[index] if index < len(table.row_numbers) else table.first_row + index


def spreadsheet_row(table: SheetTable, csv_line: int) -> int:
    """The spreadsheet row of a CSV line reported by the offer loader (line 1: the header row).

    Uses the line numbers recorded by the last :func:`table_to_offers_csv` of ``table`` (rows left out and
    cells with line breaks accounted for); before any conversion, line 2 is the first data row, line 3 the next.
    ``ValueError`` for a line the CSV does not have.
    """
    if csv_line == 1:
        return table.header_row
    if table.csv_line_starts:
        if 2 <= csv_line <= table.csv_last_line:
            return table.csv_line_rows[bisect.bisect_right(table.csv_line_starts, csv_line) - 1]
    elif 2 <= csv_line < 2 + len(table.rows):
        return _row_number(table, csv_line - 2)
    raise ValueError(f"CSV-Zeile {csv_line} gehört zu keiner Zeile des Tabellenblatts „{table.sheet}“.")

