"""geo.data.workbook: Excel/LibreOffice offer lists become loader CSV, safely, with spreadsheet row numbers.

Every workbook is built here, small and by hand: openpyxl for XLSX (it writes formulas without a calculated
value, like many generators), odfpy for ODS, and plain zipfile where a file must be broken on purpose.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable

import openpyxl
import pytest
from conftest import rewrite_zip, xlsx
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import CoveredTableCell, Table, TableCell, TableRow
from odf.text import P

from geo.data import workbook
from geo.data.offers import OFFER_COLUMNS, parse_offers
from geo.data.problems import DataFileError
from geo.data.workbook import (
    SheetTable,
    WorkbookError,
    cell_text,
    is_workbook,
    read_sheet,
    sheet_names,
    spreadsheet_row,
    suggest_mapping,
    table_to_offers_csv,
)

SHEET1 = "xl/worksheets/sheet1.xml"


# --------------------------------------------------------------------------- building workbooks


def replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        assert old in data, (old, data[:400])
        return data.replace(old, new)
    return change


def ods(tables: dict[str, list[list[TableCell]]]) -> bytes:
    document = OpenDocumentSpreadsheet()
    for name, rows in tables.items():
        table = Table(name=name)
        for cells in rows:
            row = TableRow()
            for cell in cells:
                row.addElement(cell)
            table.addElement(row)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def text_cell(value: str, **attributes: str) -> TableCell:
    cell = TableCell(valuetype="string", **attributes)
    cell.addElement(P(text=value))
    return cell


def odf_cell(display: str, **attributes: str) -> TableCell:
    cell = TableCell(**attributes)
    cell.addElement(P(text=display))
    return cell


def ods_from_content(content: str) -> bytes:
    """An ODS whose content.xml is exactly ``content`` (for repetitions odfpy would not write)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", MANIFEST.format(extra=""), zipfile.ZIP_DEFLATED)
    return out.getvalue()


MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{extra}'
            '</manifest:file-entry></manifest:manifest>')
ODS_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            '<office:body><office:spreadsheet><table:table table:name="T">')
ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"


@pytest.fixture
def no_calamine(monkeypatch):
    """Fail the test if calamine is asked to open the file: the refusal must come before any parsing."""
    class Forbidden:
        @staticmethod
        def from_object(_source):
            raise AssertionError("calamine must not see this file")

    monkeypatch.setattr(workbook, "CalamineWorkbook", Forbidden)


def refusal(raw: bytes, filename: str = "angebote.xlsx") -> str:
    with pytest.raises(WorkbookError) as caught:
        read_sheet(raw, filename)
    message = str(caught.value)
    assert message.startswith(f"{filename}: "), message
    return message


# --------------------------------------------------------------------------- reading


def test_header_is_the_first_non_empty_row_and_rows_keep_their_spreadsheet_numbers():
    def place(book):
        sheet = book.active
        for col, value in enumerate(["Name", "Ortsteil"], start=2):  # from B3: two empty rows, column A empty
            sheet.cell(row=3, column=col, value=value)
        sheet.cell(row=4, column=2, value="Stadtbibliothek Minden")
        sheet.cell(row=4, column=3, value="Innenstadt")
        sheet.cell(row=7, column=2, value="Sprachcafé")  # rows 5 and 6 empty
        sheet.cell(row=40, column=30).fill = openpyxl.styles.PatternFill("solid", fgColor="FFFF00")  # styled, empty

    table = read_sheet(xlsx([], edit=place), "liste.xlsx")
    assert (table.filename, table.sheet) == ("liste.xlsx", "Tabelle1")
    assert table.header == ["Name", "Ortsteil"] and table.columns == ["B", "C"]
    assert table.rows == [["Stadtbibliothek Minden", "Innenstadt"], ["Sprachcafé", ""]]
    assert (table.header_row, table.first_row, table.row_numbers) == (3, 4, [4, 7])
    assert table.notices == []


def test_a_title_row_above_the_column_names_becomes_the_header_and_a_notice_says_so():
    table = read_sheet(xlsx([["Angebote der Stadt Minden 2024"], [], ["Name", "Träger"], ["Stadtbibliothek", "Stadt"]]),
                       "liste.xlsx")
    assert table.header == ["Angebote der Stadt Minden 2024", "Spalte B"]
    assert table.rows == [["Name", "Träger"], ["Stadtbibliothek", "Stadt"]] and table.row_numbers == [3, 4]
    assert ("Die erste gefüllte Zeile (Zeile 1) hat nur einen Eintrag („Angebote der Stadt Minden 2024“) und wird "
            "als Kopfzeile gelesen. Ist das eine Überschrift? Dann bitte diese Zeile löschen, damit die Spaltennamen "
            "in der ersten gefüllten Zeile stehen.") in table.notices
    assert suggest_mapping(table.header) == {"Angebote der Stadt Minden 2024": None, "Spalte B": None}


def test_cells_become_text_numbers_dates_and_booleans():
    def date_formatted_number(book):
        cell = book.active["G2"]
        cell.value = 45000
        cell.number_format = "DD.MM.YYYY"

    rows = [["Zahl", "Koordinate", "Datum", "Zeitpunkt", "Mitternacht", "Uhrzeit", "Datumszahl", "ja", "nein", "groß"],
            [1234.0, 52.2891, dt.date(2024, 5, 1), dt.datetime(2024, 5, 1, 13, 30), dt.datetime(2024, 5, 1),
             dt.time(8, 15), None, True, False, 1e20]]
    table = read_sheet(xlsx(rows, edit=date_formatted_number), "werte.xlsx")
    assert table.rows == [["1234", "52.2891", "2024-05-01", "2024-05-01 13:30", "2024-05-01", "08:15", "2023-03-15",
                           "ja", "nein", "1e+20"]]


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), ("", ""), ("  Text  ", "Text"), ("a\r\nb\rc", "a\nb\nc"), ("a\x01b\x7f", "ab"),
    (True, "ja"), (False, "nein"), (7, "7"), (1234.0, "1234"), (-0.0, "0"), (52.2891, "52.2891"),
    (8.910278, "8.910278"), (0.30000000000000004, "0.3"), (2.0**60, "1.15292150460685e+18"),
    (float("nan"), ""), (dt.date(2020, 5, 1), "2020-05-01"), (dt.datetime(2020, 5, 1, 0, 0), "2020-05-01"),
    (dt.datetime(2020, 5, 1, 9, 5, 7), "2020-05-01 09:05:07"), (dt.time(9, 0), "09:00"),
    (dt.timedelta(hours=26, minutes=30), "26:30"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_trailing_and_interior_empty_columns_and_rows_are_dropped():
    table = read_sheet(xlsx([["Name", None, "Träger", None], ["A", None, "B", None], [None, None, None, None],
                             ["C", None, None, None], [None, None, None, None]]), "x.xlsx")
    assert table.header == ["Name", "Träger"] and table.columns == ["A", "C"]
    assert table.rows == [["A", "B"], ["C", ""]] and table.row_numbers == [2, 4]


def test_formulas_without_a_calculated_value_arrive_empty_and_are_counted():
    raw = xlsx([["Name", "Doppelt", "Link"], ["A", "=2*3", '=HYPERLINK("http://x")'], ["B", "=SUM(1,2)", None]])
    table = read_sheet(raw, "formeln.xlsx")
    # openpyxl stores the formulas without a result: calamine reads no value, the cells arrive empty
    assert (table.header, table.rows) == (["Name", "Doppelt", "Link"], [["A", "", ""], ["B", "", ""]])
    assert table.notices == [
        "3 Zellen mit Formeln: übernommen wird der zuletzt berechnete Wert, die Formel nicht. 3 davon haben keinen "
        "gespeicherten Wert (die Datei wurde von einem Programm gespeichert, das Formeln nicht berechnet) und bleiben "
        "leer; bitte in Excel oder LibreOffice öffnen und neu speichern."]


def test_formulas_with_a_calculated_value_arrive_as_that_value_never_evaluated():
    raw = xlsx([["Name", "Doppelt", "Leer"], ["A", "=2*3", '=IF(TRUE,"","x")']])
    # As Excel saves it: the last result next to the formula; "" as an empty <v> of type str.
    raw = rewrite_zip(raw, {SHEET1: lambda data: data.replace(b"<f>2*3</f><v />", b"<f>2*3</f><v>999</v>")
                        .replace(b'<c r="C2"><f>IF(TRUE,"","x")</f><v /></c>',
                                 b'<c r="C2" t="str"><f>IF(TRUE,"","x")</f><v></v></c>')})
    table = read_sheet(raw, "formeln.xlsx")
    assert table.rows == [["A", "999", ""]]  # the stored 999, not 6: calamine never calculates
    assert table.notices == ["2 Zellen mit Formeln: übernommen wird der zuletzt berechnete Wert, die Formel nicht."]


def test_error_values_arrive_empty_with_a_notice():
    raw = rewrite_zip(xlsx([["Name", "Quote"], ["A", 1]]),
                  {SHEET1: replace(b'<c r="B2" t="n"><v>1</v></c>', b'<c r="B2" t="e"><v>#DIV/0!</v></c>')})
    table = read_sheet(raw, "fehler.xlsx")
    assert table.rows == [["A", ""]]
    assert "1 Zelle enthält einen Fehlerwert (z. B. #DIV/0! oder #NV); sie bleibt leer." in table.notices


def test_merged_cells_keep_their_value_in_the_first_cell_and_get_a_notice():
    def merge(book):
        book.active.merge_cells("C2:C3")  # the same Träger for two offers: the second row stays empty

    table = read_sheet(xlsx([["Name", "Ort", "Träger"], ["A", "x", "Stadt Minden"], ["B", "y", None]], edit=merge),
                       "verbunden.xlsx")
    assert table.rows == [["A", "x", "Stadt Minden"], ["B", "y", ""]]
    assert table.notices == [
        "Verbundene Zellen (1 Bereich, z. B. C2:C3): der Wert steht nur in der ersten Zelle, die übrigen Zellen des "
        "Bereichs bleiben leer. Bitte die Verbindung aufheben und den Wert überall eintragen, wo er gilt."]


def test_hidden_rows_are_read_and_named_in_a_notice():
    def hide(book):
        book.active.row_dimensions[3].hidden = True

    table = read_sheet(xlsx([["Name"], ["A"], ["versteckt"]], edit=hide), "x.xlsx")
    assert table.rows == [["A"], ["versteckt"]]
    assert "1 ausgeblendete Zeile mit Einträgen wird mit übernommen; bitte prüfen, ob sie dazugehört." in table.notices


def test_a_second_sheet_is_chosen_by_name():
    raw = xlsx({"Hinweise": [["Bitte ausfüllen"]], "Angebote": [["Name"], ["Stadtbibliothek"]]})
    assert sheet_names(raw, "x.xlsx") == ["Hinweise", "Angebote"]
    table = read_sheet(raw, "x.xlsx", "Angebote")
    assert (table.sheet, table.rows) == ("Angebote", [["Stadtbibliothek"]])
    assert "Gelesen wurde das Tabellenblatt „Angebote“; die Datei hat weitere: „Hinweise“." in table.notices
    assert read_sheet(raw, "x.xlsx").sheet == "Hinweise"  # default: the first visible sheet
    with pytest.raises(WorkbookError, match="Tabellenblatt „Liste“ gibt es nicht; vorhanden: „Hinweise“, „Angebote“."):
        read_sheet(raw, "x.xlsx", "Liste")


def test_header_texts_are_made_unique_because_the_mapping_is_keyed_by_them():
    table = read_sheet(xlsx([["Name", None, "Name", "Ort\nsteil"], ["A", "x", "B", "C"]]), "x.xlsx")
    assert table.header == ["Name", "Spalte B", "Name (Spalte C)", "Ort steil"]
    assert "Spalten ohne Überschrift heißen hier nach ihrem Buchstaben: „Spalte B“." in table.notices
    assert "Überschriften kommen mehrfach vor; die weiteren Spalten heißen hier „Name (Spalte C)“." in table.notices


def test_control_characters_stored_by_excel_are_removed():
    # Excel stores a control character as _x0001_; calamine decodes it, the reader drops it.
    raw = rewrite_zip(xlsx([["Name"], ["Sprach-Café"]]), {SHEET1: replace(b"<t>Sprach-Caf", b"<t>_x0001_Sprach-Caf")})
    assert read_sheet(raw, "x.xlsx").rows == [["Sprach-Café"]]


def test_an_ods_file_is_read_like_an_xlsx():
    header = [text_cell(h) for h in ("Name", "Zahl", "Datum", "barrierefrei", "Doppelt", "Träger", "Ort")]
    first = [text_cell("Stadtbibliothek Minden"), odf_cell("1234", valuetype="float", value="1234"),
             odf_cell("01.05.24", valuetype="date", datevalue="2024-05-01"),
             odf_cell("WAHR", valuetype="boolean", booleanvalue="true"),
             odf_cell("2468", valuetype="float", value="2468", formula="of:=[.B2]*2"),
             text_cell("Stadt Minden", numbercolumnsspanned="2"), CoveredTableCell()]
    second = [text_cell("Sprachcafé"), odf_cell("52,2891", valuetype="float", value="52.2891"), TableCell(),
              odf_cell("FALSCH", valuetype="boolean", booleanvalue="false"),
              text_cell("x", numbercolumnsrepeated="3")]
    raw = ods({"Angebote": [header, first, second], "Leer": []})
    assert is_workbook(raw, "angebote.ods")
    assert sheet_names(raw, "angebote.ods") == ["Angebote", "Leer"]
    table = read_sheet(raw, "angebote.ods")
    assert table.rows == [["Stadtbibliothek Minden", "1234", "2024-05-01", "ja", "2468", "Stadt Minden", ""],
                          ["Sprachcafé", "52.2891", "", "nein", "x", "x", "x"]]
    assert table.row_numbers == [2, 3]
    assert table.notices[:2] == [
        "1 Zelle mit einer Formel: übernommen wird der zuletzt berechnete Wert, die Formel nicht.",
        "Verbundene Zellen (1 Bereich, z. B. F2:G2): der Wert steht nur in der ersten Zelle, die übrigen Zellen des "
        "Bereichs bleiben leer. Bitte die Verbindung aufheben und den Wert überall eintragen, wo er gilt."]


def test_ods_repeated_rows_are_counted_like_calamine_expands_them():
    rows = ('<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="3"/>'
            '</table:table-row><table:table-row><table:table-cell/><table:table-cell office:value-type="string">'
            '<text:p>Name</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="3">'
            '<table:table-cell/><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
            '</table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell '
            'table:number-columns-repeated="1024"/></table:table-row>')
    table = read_sheet(ods_from_content(ODS_HEAD + rows + ODS_TAIL), "x.ods")
    assert (table.header, table.columns, table.header_row, table.row_numbers) == (["Name"], ["B"], 3, [4, 5, 6])


# --------------------------------------------------------------------------- refusing


def test_an_ods_whose_repetitions_would_fill_gigabytes_is_refused_before_calamine(no_calamine):
    # 1 KB on disk; calamine would expand it to 1,000,000 × 10 cells (over 1 GiB) when opening the file.
    bomb = ('<table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell>'
            '</table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell '
            'table:number-columns-repeated="10" office:value-type="string"><text:p>x</text:p></table:table-cell>'
            '</table:table-row>')
    raw = ods_from_content(ODS_HEAD + bomb + ODS_TAIL)
    assert len(raw) < 2000
    message = refusal(raw, "bombe.ods")
    assert message == ("bombe.ods: Tabellenblatt „T“ hat 1.000.000 Datenzeilen; die App liest höchstens 150.000 (so "
                       "viele wie eine 64-MiB-CSV-Datei). Bitte die Angebote aufteilen.")
    with pytest.raises(WorkbookError):
        sheet_names(raw, "bombe.ods")  # calamine reads every ODS table when opening, so listing is refused too


def test_an_ods_asking_for_millions_of_spaces_is_refused_before_calamine(no_calamine):
    # calamine turns <text:s text:c="n"/> into n spaces: 500,000,000 of them took 2 GB for a 1 KB file.
    cell = ('<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="500000000"/>b'
            '</text:p></table:table-cell></table:table-row>')
    assert refusal(ods_from_content(ODS_HEAD + cell + ODS_TAIL), "x.ods") == (
        "x.ods: Datei lässt über 16 Millionen Leerzeichen einfügen (text:s); sie wird aus Sicherheitsgründen nicht "
        "gelesen.")


def test_ods_tables_with_the_same_name_are_all_looked_at(no_calamine):
    bomb = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string">'
            '<text:p>x</text:p></table:table-cell></table:table-row>')
    harmless = '<table:table table:name="T"><table:table-row><table:table-cell/></table:table-row></table:table>'
    assert "hat 999.999 Datenzeilen" in refusal(ods_from_content(ODS_HEAD + bomb + "</table:table>" + harmless
                                                                 + ODS_TAIL.removeprefix("</table:table>")), "x.ods")


def test_a_far_away_cell_is_refused_before_calamine_builds_the_grid(no_calamine):
    # calamine would allocate A1:XFD1048576 (512 GiB) and abort the whole process, not raise.
    def far(book):
        book.active["XFD1048576"] = "vergessen"

    message = refusal(xlsx([["Name"], ["A"]], edit=far))
    assert message == ("angebote.xlsx: Tabellenblatt „Tabelle1“ hat Einträge in 16.384 Spalten (von Spalte A bis XFD); "
                       "die App liest höchstens 200 Spalten. Bitte überzählige Spalten löschen.")


def test_a_far_away_cell_in_a_narrow_sheet_is_refused_by_the_cell_limit(no_calamine):
    def far(book):
        book.active["A1048576"] = "vergessen"

    message = refusal(xlsx([["Name", "Träger", "Ort", "Zeit", "Kosten", "Sprache", "Tel"]], edit=far))
    assert message == ("angebote.xlsx: Tabellenblatt „Tabelle1“ reicht von Zelle A1 bis G1048576 (1.048.576 Zeilen × "
                       "7 Spalten); die App liest höchstens 6.000.000 Zellen. Vermutlich steht weit unten oder rechts "
                       "ein vergessener Eintrag (Zelle G1048576) – bitte löschen.")


def test_cells_without_a_position_are_placed_as_calamine_places_them(no_calamine):
    # Some generators leave out r="B7"; the fast look cannot count them and the exact one must.
    row = "".join(f'<c t="inlineStr"><is><t>{n}</t></is></c>' for n in range(10))
    far = '<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>'
    first_row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
    raw = rewrite_zip(xlsx([["Name"]]), {SHEET1: replace(first_row, f"<row>{row}</row>{far}".encode())})
    assert "(1.048.576 Zeilen × 10 Spalten)" in refusal(raw)


def test_prefixed_or_utf16_sheet_xml_is_looked_at_exactly(no_calamine):
    def far(book):
        book.active["XFD1"] = "vergessen"

    prefixed = rewrite_zip(xlsx([["Name"]], edit=far), {SHEET1: lambda data: data.replace(b"<c ", b"<x:c ").replace(
        b"</c>", b"</x:c>").replace(b"<worksheet ", b'<worksheet xmlns:x="urn:x" ')})
    assert "16.384 Spalten" in refusal(prefixed)
    utf16 = rewrite_zip(xlsx([["Name"]], edit=far), {SHEET1: lambda data: b"\xff\xfe" + data.decode().replace(
        "<worksheet", '<?xml version="1.0" encoding="UTF-16"?><worksheet', 1).encode("utf-16-le")})
    assert "16.384 Spalten" in refusal(utf16)


def test_a_position_hidden_in_another_attribute_does_not_fool_the_fast_look(no_calamine):
    raw = rewrite_zip(xlsx([["Name", "Ort"]]), {SHEET1: replace(b'<c r="B1" t="inlineStr">',
                                                            b'<c x=\'r="B1"\' r="XFD1" t="inlineStr">')})
    assert "hat Einträge in 16.384 Spalten (von Spalte A bis XFD)" in refusal(raw)


def test_xml_with_a_document_type_declaration_is_refused(no_calamine):
    # Entity tricks (billion laughs) live in the DTD; spreadsheet XML never has one.
    raw = rewrite_zip(xlsx([["Name"], ["A"]]), {"xl/workbook.xml": lambda data: b'<!DOCTYPE w [<!ENTITY e "x">]>' + data})
    assert refusal(raw) == ("angebote.xlsx: Datei enthält eine XML-Dokumenttypdeklaration (DTD); das kommt in Tabellen "
                            "nicht vor. Sie wird aus Sicherheitsgründen nicht gelesen.")


def zip_bomb(member: str, size: int) -> bytes:
    """A real XLSX whose ``member`` is replaced by ``size`` bytes of one repeated byte, written in chunks."""
    base = xlsx([["Name"], ["A"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != member:
                target.writestr(info.filename, source.read(info.filename))
        with target.open(member, "w", force_zip64=True) as part:
            chunk = b" " * (8 << 20)
            for _ in range(size // len(chunk)):
                part.write(chunk)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(no_calamine):
    raw = zip_bomb(SHEET1, 300 * 1024 * 1024)  # 300 MiB of spaces, under 1 MiB packed
    assert len(raw) < 1024 * 1024
    message = refusal(raw)
    assert message.startswith("angebote.xlsx: Der Teil „xl/worksheets/sheet1.xml“ der Datei ist ")
    assert message.endswith("-fach gepackt (höchstens 200-fach); die Datei wird aus Sicherheitsgründen nicht entpackt "
                            "(mögliche „ZIP-Bombe“).")


def test_the_unpacked_size_and_the_number_of_parts_are_limited(no_calamine, monkeypatch):
    raw = xlsx([["Name"], ["A"]])
    monkeypatch.setattr(workbook, "MAX_UNPACKED_BYTES", 1000)
    assert "Datei würde entpackt 0 MiB groß (höchstens 0 MiB); sie wird aus Sicherheitsgründen nicht entpackt " \
           "(mögliche „ZIP-Bombe“)." in refusal(raw)
    monkeypatch.undo()
    monkeypatch.setattr(workbook, "MAX_MEMBERS", 5)
    assert refusal(raw).endswith(": Datei besteht aus 9 Teilen (höchstens 5); sie wird aus Sicherheitsgründen nicht "
                                 "entpackt.")


def test_a_file_over_the_size_limit_is_refused(no_calamine, monkeypatch):
    assert workbook.MAX_WORKBOOK_BYTES == 64 * 1024 * 1024
    monkeypatch.setattr(workbook, "MAX_WORKBOOK_BYTES", 1024)
    assert refusal(b"PK\x03\x04" + b"x" * 2 * 1024 * 1024) == (
        "angebote.xlsx: Datei ist 2 MiB groß; die App liest höchstens 0 MiB. Bitte die richtige Datei wählen oder die "
        "Angebote aufteilen.")


def test_too_many_rows_and_columns_are_refused_with_numbers_and_limits(monkeypatch):
    raw = xlsx([["Name", "Ort", "Träger"], ["A", "x", "y"], ["B", "x", "y"], ["C", "x", "y"], ["D", "x", "y"]])
    monkeypatch.setattr(workbook, "MAX_ROWS", 3)
    assert refusal(raw) == ("angebote.xlsx: Tabellenblatt „Tabelle1“ hat 4 Datenzeilen; die App liest höchstens 3 (so "
                            "viele wie eine 64-MiB-CSV-Datei). Bitte die Angebote aufteilen.")
    monkeypatch.setattr(workbook, "MAX_ROWS", 10)
    monkeypatch.setattr(workbook, "MAX_COLUMNS", 2)
    assert refusal(raw) == ("angebote.xlsx: Tabellenblatt „Tabelle1“ hat Einträge in 3 Spalten (von Spalte A bis C); "
                            "die App liest höchstens 2 Spalten. Bitte überzählige Spalten löschen.")


@pytest.mark.parametrize(("raw", "name", "what"), [
    (b"id;name\na;Stadtbibliothek\n", "angebote.xlsx", "eine Textdatei; eine CSV-Datei bitte als CSV importieren"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "angebote.xlsx", "ein PNG-Bild"),
    (b"%PDF-1.7\n", "angebote.ods", "ein PDF-Dokument"),
    (b"", "angebote.xlsx", "eine Textdatei; eine CSV-Datei bitte als CSV importieren"),
])
def test_files_that_are_not_workbooks(no_calamine, raw, name, what):
    assert not is_workbook(raw, name)
    assert refusal(raw, name) == (f"{name}: Datei ist keine Excel- oder LibreOffice-Tabelle (.xlsx, .xlsm, .ods, "
                                  f".xls), sondern {what}.")


def test_a_word_document_is_not_a_workbook(no_calamine):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<Types><Override ContentType="application/vnd.openxmlformats-'
                                                'officedocument.wordprocessingml.document.main+xml"/></Types>')
    assert not is_workbook(out.getvalue(), "brief.docx")
    assert "sondern eine ZIP-Datei ohne Tabellen (z. B. ein Word-Dokument oder ein Archiv)." in refusal(out.getvalue())


def test_workbooks_are_recognised_by_content_not_by_name():
    raw = xlsx([["Name"], ["A"]])
    assert is_workbook(raw, "angebote.csv") and is_workbook(raw, "export")
    assert not is_workbook(b"id,name\n", "angebote.xlsx")
    broken = raw[: len(raw) // 2]  # cut off: a ZIP without its directory
    assert not is_workbook(broken, "angebote.zip") and is_workbook(broken, "angebote.xlsx")
    assert "Datei ist beschädigt (ZIP-Archiv nicht lesbar" in refusal(broken)


def test_password_protected_files_are_refused(no_calamine):
    encrypted_xlsx = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptionInfo".encode("utf-16-le")
                      + b"\x00" * 16 + "EncryptedPackage".encode("utf-16-le"))
    assert is_workbook(encrypted_xlsx, "geheim.xlsx")
    expected = ("Datei ist mit einem Passwort geschützt (verschlüsselt) und kann nicht gelesen werden. Bitte in Excel "
                "oder LibreOffice ohne Passwort speichern und erneut hochladen.")
    assert refusal(encrypted_xlsx, "geheim.xlsx") == f"geheim.xlsx: {expected}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"\x8f\x13 encrypted bytes")
        archive.writestr("META-INF/manifest.xml", MANIFEST.format(extra="<manifest:encryption-data/>"))
    assert refusal(out.getvalue(), "geheim.ods") == f"geheim.ods: {expected}"


def test_an_xlsm_with_macros_is_read_and_nothing_runs():
    raw = rewrite_zip(xlsx([["Name"], ["Stadtbibliothek"]]), {
        "[Content_Types].xml": replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                       b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")},
        extra={"xl/vbaProject.bin": b"Attribute VB_Name = \"Auto_Open\"\nSub Auto_Open(): Shell \"calc\": End Sub"})
    assert is_workbook(raw, "angebote.xlsm")
    table = read_sheet(raw, "angebote.xlsm")
    assert table.rows == [["Stadtbibliothek"]]
    assert table.notices[0] == ("Die Datei enthält Makros. Makros werden nicht ausgeführt; übernommen werden nur die "
                                "gespeicherten Zellwerte.")


def test_the_error_is_a_data_file_error_with_the_file_as_problem():
    with pytest.raises(DataFileError) as caught:
        read_sheet(b"kein,excel\n", "liste.xlsx")
    assert (caught.value.problem.datei, caught.value.problem.zeile) == ("liste.xlsx", None)


# --------------------------------------------------------------------------- mapping


def test_mapping_suggestions_for_a_german_city_spreadsheet():
    header = ["lfd. Nr.", "ID", "Name des Angebots", "Träger", "Handlungsfeld", "Art des Angebots", "Zielgruppe(n)",
              "Sprache(n)", "Kosten", "Straße und Hausnummer", "Ortsteil", "Breitengrad", "Längengrad",
              "Lage-Genauigkeit", "Öffnungszeiten", "Barrierefreiheit", "Homepage", "Tel.", "E-Mail",
              "Kurzbeschreibung", "Beschreibung in Leichter Sprache", "zuletzt geprüft", "Quelle", "Status",
              "Stand der Quelle", "Bemerkung", "Maßnahmen", "Ort"]
    assert suggest_mapping(header) == {
        "lfd. Nr.": None, "ID": "id", "Name des Angebots": "name", "Träger": "traeger",
        "Handlungsfeld": "handlungsfeld", "Art des Angebots": "kategorie", "Zielgruppe(n)": "zielgruppen",
        "Sprache(n)": "sprachen", "Kosten": "kosten", "Straße und Hausnummer": "adresse", "Ortsteil": "stadtteil",
        "Breitengrad": "lat", "Längengrad": "lon", "Lage-Genauigkeit": "lage_genauigkeit",
        "Öffnungszeiten": "oeffnungszeiten", "Barrierefreiheit": "barrierefrei", "Homepage": "website",
        "Tel.": "telefon", "E-Mail": None, "Kurzbeschreibung": "beschreibung",
        "Beschreibung in Leichter Sprache": "beschreibung_einfach", "zuletzt geprüft": "zuletzt_geprueft",
        "Quelle": "quelle", "Status": "status", "Stand der Quelle": "stand_quelle", "Bemerkung": "hinweis",
        "Maßnahmen": "massnahmen", "Ort": None}


def test_mapping_suggestions_fold_case_spaces_and_umlaut_spellings():
    assert suggest_mapping(["ANBIETER", "Oeffnungszeiten ", "Telefon-Nr.", "Lat", "LONGITUDE", "lage_genauigkeit"]) == {
        "ANBIETER": "traeger", "Oeffnungszeiten ": "oeffnungszeiten", "Telefon-Nr.": "telefon", "Lat": "lat",
        "LONGITUDE": "lon", "lage_genauigkeit": "lage_genauigkeit"}


def test_each_column_is_suggested_for_one_header_only():
    assert suggest_mapping(["Anbieter", "Träger", "Organisation"]) == {
        "Anbieter": "traeger", "Träger": None, "Organisation": None}


def test_a_remembered_mapping_wins():
    header = ["Angebot", "Bezeichnung", "Träger", "Intern"]
    known = {"Bezeichnung": "name", "Träger": None, "Intern": "hinweis", "Früher": "quelle"}
    assert suggest_mapping(header, known) == {
        "Angebot": None, "Bezeichnung": "name", "Träger": None, "Intern": "hinweis"}
    # a remembered column that no longer exists counts as not remembered
    assert suggest_mapping(["Träger"], {"Träger": "anbieter"}) == {"Träger": "traeger"}


def test_every_synonym_maps_to_its_own_column():
    for column, names in workbook._SYNONYMS.items():
        assert column in OFFER_COLUMNS
        for name in names:
            assert suggest_mapping([name]) == {name: column}, name


def table(header: list[str], rows: list[list[str]], numbers: list[int] | None = None) -> SheetTable:
    numbers = numbers or list(range(2, 2 + len(rows)))
    return SheetTable("liste.xlsx", "Angebote", header, rows, numbers[0] if numbers else 2, row_numbers=numbers)


def test_two_headers_mapped_to_one_column_are_refused():
    sheet = table(["Angebot", "Bezeichnung"], [["a", "b"]])
    with pytest.raises(ValueError) as caught:
        table_to_offers_csv(sheet, {"Angebot": "name", "Bezeichnung": "name"})
    assert str(caught.value) == ("Die Angebotsspalte „name“ ist zwei Spalten der Tabelle zugeordnet: „Angebot“ und "
                                 "„Bezeichnung“. Bitte nur eine davon zuordnen.")
    with pytest.raises(ValueError, match="„titel“ ist keine Spalte der Angebotsliste"):
        table_to_offers_csv(sheet, {"Angebot": "titel"})
    with pytest.raises(ValueError, match="Spalte „Name“ gibt es im Tabellenblatt „Angebote“ nicht."):
        table_to_offers_csv(sheet, {"Name": "name"})


def test_csv_has_all_offer_columns_and_skips_rows_empty_in_the_mapped_columns():
    sheet = table(["Angebot", "Notiz"], [["A", "x"], ["", "nur intern"], ["B", ""]], [4, 5, 9])
    text = table_to_offers_csv(sheet, {"Angebot": "name", "Notiz": None})
    lines = text.splitlines()
    assert lines[0] == ",".join(OFFER_COLUMNS)
    assert lines[1:] == [",A" + "," * (len(OFFER_COLUMNS) - 2), ",B" + "," * (len(OFFER_COLUMNS) - 2)]
    assert [spreadsheet_row(sheet, line) for line in (1, 2, 3)] == [1, 4, 9]
    with pytest.raises(ValueError, match="CSV-Zeile 4 gehört zu keiner Zeile"):
        spreadsheet_row(sheet, 4)


def test_line_breaks_in_a_hand_made_table_are_counted_as_the_loader_counts_them():
    sheet = table(["Angebot", "Beschreibung"], [["A", "eins\rzwei\r\ndrei"], ["B", "x"]], [2, 3])
    text = table_to_offers_csv(sheet, {"Angebot": "name", "Beschreibung": "beschreibung"})
    assert "eins\nzwei\ndrei" in text
    assert [spreadsheet_row(sheet, line) for line in (2, 3, 4, 5)] == [2, 2, 2, 3]


def test_spreadsheet_row_before_any_conversion_counts_table_rows():
    sheet = table(["Angebot"], [["A"], ["B"]], [7, 12])
    assert (spreadsheet_row(sheet, 2), spreadsheet_row(sheet, 3)) == (7, 12)


# --------------------------------------------------------------------------- through the offer loader

REAL_HEADER = ["lfd. Nr.", "ID", "Name des Angebots", "Träger", "Handlungsfeld", "Art", "Zielgruppe(n)",
               "Straße und Hausnummer", "Ortsteil", "Breitengrad", "Längengrad", "Lagegenauigkeit", "Homepage",
               "Telefonnummer", "Beschreibung", "zuletzt geprüft", "Quelle", "Status", "E-Mail"]
# Values from data/angebote.csv; coordinates and dates as number and date cells, as a spreadsheet keeps them.
REAL_ROWS: list[list[object]] = [
    [1, "stadtbibliothek-minden", "Stadtbibliothek Minden", "Stadt Minden", "Bildung", "Bibliothek", None,
     "Königswall 99, 32423 Minden (Bildungszentrum am Weingarten)", "Innenstadt", 52.289167, 8.910278, "strasse",
     "http://www.stadtbibliothek.minden.de", "0571 837910",
     "Städtische Bibliothek im Bildungszentrum am Weingarten mit rund 85.000 Medien,\nfreiem WLAN und "
     "Internet-Arbeitsplätzen.", 2020, "Integrationskonzept Minden 2020, Abschn. 6.3", "unklar",
     "bibliothek@minden.de"],
    [2, "sprachfoerdergruppe-ktg", "Internationale Sprachfördergruppe an der Kurt-Tucholsky-Gesamtschule",
     "Stadt Minden / Kurt-Tucholsky-Gesamtschule", "Bildung", "Sprachförderung", "Kinder;Jugendliche;Neuzugewanderte",
     "Königswall 10–12, Minden", "Innenstadt", 52.289167, 8.910278, "adresse", None, None,
     "Deutsch-Fördergruppe für neu zugewanderte Schülerinnen und Schüler.", dt.date(2026, 11, 24),
     "minden.de, Bildungsangebote für Neuzugewanderte", "unklar", None],
    [3, "begegnungszentrum-baerenkaempen", "Begegnungszentrum Bärenkämpen (Stadtteilzentrum)",
     "Stadt Minden (Quartiersmanagement)", "Zusammenleben und Teilhabe", "Begegnung", None, "Sieben Bauern 20A, Minden",
     "Bärenkämpen", 52.304722, 8.888333, "stadtteil", None, None,
     "Stadtteilzentrum mit Sitz des städtischen Quartiersmanagements, 2019 eröffnet.", "2020-09",
     "Integrationskonzept Minden 2020, Abschn. 4.1.2", "aktiv", None],
]


def real_workbook() -> bytes:
    # A title-less list that starts in row 2 with an empty row between the second and third offer.
    return xlsx([[], REAL_HEADER, REAL_ROWS[0], REAL_ROWS[1], [], REAL_ROWS[2]])


def test_a_realistic_workbook_passes_the_offer_loader_without_rejections():
    sheet = read_sheet(real_workbook(), "angebote_stadt.xlsx")
    assert sheet.row_numbers == [3, 4, 6] and sheet.notices == []
    mapping = suggest_mapping(sheet.header)
    assert [h for h, c in mapping.items() if c is None] == ["lfd. Nr.", "E-Mail"]
    text = table_to_offers_csv(sheet, mapping)
    load = parse_offers(text, "angebote_stadt.xlsx")
    assert load.rejected_rows == 0 and load.errors == [], [str(p) for p in load.problems]
    offers = load.offers.set_index("id")
    library = offers.loc["stadtbibliothek-minden"]
    assert (library["name"], library["telefon"], library["zuletzt_geprueft"]) == ("Stadtbibliothek Minden",
                                                                                  "0571 837910", "2020")
    assert (library["lat"], library["lon"]) == (52.289167, 8.910278)
    assert library["beschreibung"].count("\n") == 1  # the line break inside the cell survives
    assert offers.loc["sprachfoerdergruppe-ktg", "zuletzt_geprueft"] == "2026-11-24"
    # The loader counts CSV lines (the library's description spans two); they lead back to the sheet's rows.
    assert {i: spreadsheet_row(sheet, int(line)) for i, line in offers["zeile"].items()} == {
        "stadtbibliothek-minden": 3, "sprachfoerdergruppe-ktg": 4, "begegnungszentrum-baerenkaempen": 6}


def test_the_same_rows_from_ods_give_the_same_csv():
    def cell(value: object) -> TableCell:
        if value is None:
            return TableCell()
        if isinstance(value, dt.date):
            return odf_cell(value.strftime("%d.%m.%Y"), valuetype="date", datevalue=value.isoformat())
        if isinstance(value, (int, float)):
            return odf_cell(str(value), valuetype="float", value=str(value))
        return text_cell(str(value))

    raw = ods({"Angebote": [[], [cell(h) for h in REAL_HEADER], *[[cell(v) for v in row] for row in REAL_ROWS[:2]],
                            [], [cell(v) for v in REAL_ROWS[2]]]})
    from_ods = read_sheet(raw, "angebote.ods")
    from_xlsx = read_sheet(real_workbook(), "angebote.xlsx")
    # odfpy writes a line break in a text cell as one paragraph; the meaning is the same
    assert from_ods.row_numbers == from_xlsx.row_numbers
    mapping = suggest_mapping(from_xlsx.header)
    ods_csv = table_to_offers_csv(from_ods, mapping).replace("Medien,freiem", "Medien,\nfreiem")
    assert ods_csv == table_to_offers_csv(from_xlsx, mapping)


def test_a_formula_like_text_is_only_text_for_the_loader():
    row = dict(zip(REAL_HEADER, REAL_ROWS[0]))
    row["Name des Angebots"] = '=HYPERLINK("http://x")'
    row["Homepage"] = '=HYPERLINK("http://x")'

    def as_text(book):  # a text cell that merely starts with "=", as Excel keeps an entry typed as '=…
        for cell in book.active[2]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"

    sheet = read_sheet(xlsx([REAL_HEADER, list(row.values())], edit=as_text), "x.xlsx")
    assert sheet.rows[0][2] == '=HYPERLINK("http://x")' and not any("Formel" in n for n in sheet.notices)
    load = parse_offers(table_to_offers_csv(sheet, suggest_mapping(sheet.header)), "x.xlsx")
    assert load.rejected_rows == 0
    assert load.offers["name"].iloc[0] == '=HYPERLINK("http://x")'  # stored as the characters typed, nothing ran
    assert [p.meldung for p in load.notices if p.spalte == "website"] == [
        "Webadresse beginnt nicht mit http:// oder https://; sie wird nicht verlinkt."]


def test_the_store_import_dry_run_accepts_the_workbook(tmp_path):
    from geo.store.offer_store import Store

    sheet = read_sheet(real_workbook(), "angebote_stadt.xlsx")
    store = Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}")
    try:
        report = store.import_csv(table_to_offers_csv(sheet, suggest_mapping(sheet.header)), "redaktion",
                                  source="angebote_stadt.xlsx")
    finally:
        store.engine.dispose()
    assert sorted(report.added) == [
        "begegnungszentrum-baerenkaempen", "sprachfoerdergruppe-ktg", "stadtbibliothek-minden"]
    assert len(report.rejected) == 0
    assert {i: spreadsheet_row(sheet, line) for i, line in report.lines.items()}["begegnungszentrum-baerenkaempen"] == 6
