"""Spreadsheets in and out: what every import and export of Garda shares.

Writing: a `Column` says how a column looks; `add_sheet` streams rows into a workbook, and a
write-only workbook (`new_workbook()`) keeps memory flat however many rows there are. Every text
cell goes through `safe_text`, so a value such as ``=HYPERLINK(...)`` typed into a form comes out
as text, never as a formula that Excel would run (formula injection).

Reading: `read_table` turns an uploaded XLSX or CSV (comma or semicolon, UTF-8 with or without
BOM) into numbered rows, where the number is the row as the spreadsheet shows it (header = 1).
The `*_value` helpers undo what Excel does to cells: numbers for identifiers, scientific
notation, date cells and serial numbers, stray spaces.
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from garda.core.errors import GardaError

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
DATE_FORMAT = "DD/MM/YYYY"
RUPIAH_FORMAT = '"Rp "#,##0'
NUMBER_FORMAT = "#,##0"
TEXT_FORMAT = "@"

# A cell starting with one of these is read by Excel (or LibreOffice) as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc) format
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# An XLSX is a zip: refuse one whose content would unpack to more than this (zip bomb).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_EXCEL_SERIAL = 2958465  # 31/12/9999


# --- writing -------------------------------------------------------------------------------


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    NUMBER = "number"
    RUPIAH = "rupiah"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: int = 16


def safe_text(value: object) -> str:
    """Text as it may go into a cell: no characters XML forbids, and a leading apostrophe
    before anything Excel would take for a formula (= + - @ tab CR)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def new_workbook(*, write_only: bool = True) -> Workbook:
    """An empty workbook. Write-only (the default) streams rows: use it for exports."""
    workbook = Workbook(write_only=write_only)
    if not write_only:
        workbook.remove(workbook.active)
    return workbook


def add_sheet(
    workbook: Workbook,
    *,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
) -> Any:
    """A sheet with a bold, frozen header row and one row per item of `rows`. Returns it."""
    sheet = workbook.create_sheet(title=sheet_title(title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, safe_text(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(
            [_cell(sheet, column, value) for column, value in zip(columns, row, strict=True)]
        )
    return sheet


def _cell(sheet: Any, column: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column.kind == Kind.TEXT or isinstance(value, str):
        return safe_text(value)
    number_format = {
        Kind.DATE: DATE_FORMAT,
        Kind.RUPIAH: RUPIAH_FORMAT,
        Kind.NUMBER: NUMBER_FORMAT,
    }[column.kind]
    if isinstance(value, datetime.datetime):
        value = value.replace(tzinfo=None)  # Excel has no time zones; callers pass local times
    cell = WriteOnlyCell(sheet, value)
    cell.number_format = number_format
    return cell


def sheet_title(title: str) -> str:
    """Excel's rules for sheet names: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, delimiter: str = ";"
) -> bytes:
    """CSV as Excel in Indonesia opens it: UTF-8 with BOM, semicolons, dates dd/mm/yyyy."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([safe_text(column.header) for column in columns])
    for row in rows:
        writer.writerow(
            [_csv_value(column, value) for column, value in zip(columns, row, strict=True)]
        )
    return UTF8_BOM + buffer.getvalue().encode("utf-8")


def _csv_value(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if column.kind in (Kind.NUMBER, Kind.RUPIAH) and isinstance(value, int | float | Decimal):
        return str(value)
    return safe_text(value)


def file_response(content: bytes, *, filename: str, content_type: str = XLSX_CONTENT_TYPE):
    """A download that no cache keeps: exports hold personal data."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


# --- reading -------------------------------------------------------------------------------


class TableError(GardaError):
    """The file as a whole cannot be read as a table; nothing in it was looked at."""


class CellError(ValueError):
    """One cell holds something that is not what its column needs; the message is translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ScientificNotation(CellError):
    """A long number Excel showed as 1.23E+15: its last digits are gone and cannot be guessed."""


@dataclass
class Table:
    """The rows of an uploaded sheet. `columns` are the normalised header names ("" where the
    header cell was blank); each row is (its number in the spreadsheet, its values)."""

    columns: list[str]
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for number, values in self.rows:
            yield number, {name: values[i] for i, name in enumerate(self.columns) if name}


def normalise_header(value: Any) -> str:
    """'Tanggal Lahir ' -> 'tanggal_lahir'."""
    text = str(value if value is not None else "").replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def read_table(content: bytes, *, max_rows: int) -> Table:
    """The first sheet of an XLSX, or a CSV, as a `Table`; a file that cannot be read raises
    TableError with a message saying what to do. Blank rows are skipped."""
    if not content.strip():
        raise TableError(_("The file is empty."))
    if content.startswith(ZIP_MAGIC):
        return _read_xlsx(content, max_rows=max_rows)
    if content.startswith(OLE_MAGIC):
        raise TableError(
            _(
                "This is an old Excel file (.xls). In Excel choose Save As and pick "
                "'Excel Workbook (.xlsx)' or 'CSV UTF-8'."
            )
        )
    return _read_csv(content, max_rows=max_rows)


def _read_xlsx(content: bytes, *, max_rows: int) -> Table:
    unreadable = _(
        "The file cannot be read as an Excel workbook (.xlsx). Open it in Excel and save it "
        "again as 'Excel Workbook (.xlsx)'."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise TableError(unreadable) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise TableError(_("The workbook is too large. Split it into smaller files."))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise TableError(unreadable) from error
    try:
        sheet = workbook.worksheets[0]
        return _table(sheet.iter_rows(min_row=1, values_only=True), max_rows=max_rows)
    except (KeyError, OSError, ValueError, TypeError, zipfile.BadZipFile) as error:
        raise TableError(unreadable) from error
    finally:
        workbook.close()


def _read_csv(content: bytes, *, max_rows: int) -> Table:
    not_utf8 = _(
        "The file is not in UTF-8. In Excel choose Save As and pick 'CSV UTF-8 (Comma "
        "delimited)' or 'Excel Workbook (.xlsx)'; other encodings garble names."
    )
    if content.startswith(UTF16_BOMS):
        raise TableError(not_utf8)
    if content.startswith(UTF8_BOM):
        content = content[len(UTF8_BOM) :]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TableError(not_utf8) from error
    if "\x00" in text:
        raise TableError(_("The file is neither an Excel workbook (.xlsx) nor a CSV file."))
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _table(reader, max_rows=max_rows)
    except csv.Error as error:
        raise TableError(_("The CSV file is damaged: %(problem)s.") % {"problem": error}) from error


def _table(rows: Iterable[Sequence[Any]], *, max_rows: int) -> Table:
    iterator = iter(rows)
    header = next(iterator, None)
    columns = [normalise_header(value) for value in header or ()]
    if not any(columns):
        raise TableError(_("The first row must hold the column names."))
    seen: set[str] = set()
    for name in columns:
        if name and name in seen:
            raise TableError(_("The column %(name)s appears twice.") % {"name": name})
        seen.add(name)
    table = Table(columns=columns)
    width = len(columns)
    for number, values in enumerate(iterator, start=2):
        if all(_blank(value) for value in values):
            continue
        if len(table.rows) >= max_rows:
            raise TableError(
                _("The file has more than %(max)s rows. Split it into smaller files.")
                % {"max": max_rows}
            )
        values = tuple(values)[:width]
        table.rows.append((number, values + (None,) * (width - len(values))))
    return table


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_number(value: Any) -> bool:
    """Whether the cell held a number (Excel's doing, for identifiers and phone numbers)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def text_value(value: Any) -> str:
    """A cell as text: spaces (also non-breaking ones) trimmed and collapsed, whole numbers
    without ".0", and our own formula-escaping apostrophe removed again."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime | datetime.date):
        day = value.date() if isinstance(value, datetime.datetime) else value
        return day.strftime("%d/%m/%Y")
    text = " ".join(str(value).split())
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


_SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")
_WHOLE_WITH_ZEROS = re.compile(r"^(\d+)[.,]0+$")


def digits_value(value: Any) -> str:
    """An identifier (NIK, No KK, phone...) from a cell that may hold a number. Whole numbers are
    exact up to 15-16 digits; scientific notation is not, and raises ScientificNotation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError(_("This is not a number."))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        try:
            whole: int | None = int(value)
        except (OverflowError, ValueError):  # infinity, NaN
            whole = None
        if whole is not None and whole == value and abs(whole) < 2**53:
            return str(whole)
        raise ScientificNotation(_("The number is not exact: %(value)s.") % {"value": value})
    text = text_value(value).lstrip("'").strip()
    if _SCIENTIFIC.match(text):
        raise ScientificNotation(
            _("The number is in scientific notation: %(value)s.") % {"value": text}
        )
    zeros = _WHOLE_WITH_ZEROS.match(text)
    return zeros.group(1) if zeros else text


_DAY_FIRST = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})$")
_MIDNIGHT = re.compile(r"[ T]00:00(:00)?(\.0+)?$")


def date_value(value: Any) -> datetime.date | None:
    """A date from a date cell, an Excel serial number, or text dd/mm/yyyy, dd-mm-yyyy,
    yyyy-mm-dd. Anything else raises CellError saying how to write it."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if is_number(value):
        return _from_serial(value)
    text = _MIDNIGHT.sub("", text_value(value))
    if not text:
        return None
    if text.isdigit() and len(text) == 5:
        return _from_serial(int(text))
    if match := _DAY_FIRST.match(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _YEAR_FIRST.match(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise CellError(
            _("%(value)s is not a date. Write it as dd/mm/yyyy, for example 17/08/1990.")
            % {"value": text}
        )
    try:
        return datetime.date(year, month, day)
    except ValueError as error:
        raise CellError(_("There is no such date: %(value)s.") % {"value": text}) from error


def _from_serial(value: Any) -> datetime.date:
    if not 1 <= value <= MAX_EXCEL_SERIAL:
        raise CellError(_("%(value)s is not a date.") % {"value": value})
    return from_excel(value).date()
