"""The shared spreadsheet helpers: formula escaping, reading what Excel writes."""

import datetime
import io

import openpyxl
import pytest

from garda.reports import xlsx


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+62812", "'+62812"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Siti = Aminah", "Siti = Aminah"),
        ("a\x00b\x07c", "abc"),  # characters XML forbids are dropped
        (12, "12"),
    ],
)
def test_safe_text_defuses_formulas(value, expected):
    assert xlsx.safe_text(value) == expected


def test_written_cells_are_never_formulas():
    workbook = xlsx.new_workbook()
    columns = [
        xlsx.Column("teks"),
        xlsx.Column("tanggal", xlsx.Kind.DATE),
        xlsx.Column("uang", xlsx.Kind.RUPIAH),
    ]
    xlsx.add_sheet(
        workbook,
        title="data: uji/1",
        columns=columns,
        rows=[["=1+1", datetime.date(2024, 8, 17), 1500000], [None, None, None]],
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.workbook_bytes(workbook))).worksheets[0]
    assert sheet.title == "data  uji 1"
    text, day, money = sheet[2]
    assert (text.value, text.data_type) == ("'=1+1", "s")
    assert day.value == datetime.datetime(2024, 8, 17)  # noqa: DTZ001 - Excel has no zones
    assert day.number_format == xlsx.DATE_FORMAT
    assert (money.value, money.number_format) == (1500000, xlsx.RUPIAH_FORMAT)
    assert [c.value for c in sheet[1]] == ["teks", "tanggal", "uang"]
    assert sheet.freeze_panes == "A2"


def test_csv_bytes_are_excel_friendly():
    content = xlsx.csv_bytes(
        [xlsx.Column("nama"), xlsx.Column("tanggal", xlsx.Kind.DATE)],
        [["=cmd", datetime.date(2024, 8, 17)]],
    )
    assert content.startswith(xlsx.UTF8_BOM)
    assert content.decode("utf-8-sig") == "nama;tanggal\r\n'=cmd;17/08/2024\r\n"


def test_csv_delimiter_bom_and_row_numbers():
    content = b"\xef\xbb\xbfNama ; Tanggal Lahir\r\nA;1\r\n;\r\n\r\nB;2\r\n"
    table = xlsx.read_table(content, max_rows=10)
    assert table.columns == ["nama", "tanggal_lahir"]
    assert list(table.records()) == [
        (2, {"nama": "A", "tanggal_lahir": "1"}),
        (5, {"nama": "B", "tanggal_lahir": "2"}),
    ]
    table = xlsx.read_table(b'nama,alamat\n"Siti","Jl. A; No. 2"\n', max_rows=10)
    assert table.rows == [(2, ("Siti", "Jl. A; No. 2"))]


def test_xlsx_rows_keep_their_spreadsheet_numbers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["nama", "nik"])
    sheet.append(["A", 1901024507900001])
    sheet.append([])
    sheet.append(["B"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = xlsx.read_table(buffer.getvalue(), max_rows=10)
    assert table.rows == [(2, ("A", 1901024507900001)), (4, ("B", None))]


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty"),
        ("nama\nSœur".encode("cp1252"), "UTF-8"),
        ("nama\nA".encode("utf-16"), "UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".xls"),
        (b"PK\x03\x04broken", ".xlsx"),
        (b"nama,nama\nA,B\n", "twice"),
        (b"nama\nA\nB\nC\n", "more than 2 rows"),
    ],
)
def test_unreadable_files_are_refused_whole(content, message, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(xlsx.TableError) as refused:
        xlsx.read_table(content, max_rows=2)
    assert message in refused.value.message


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, None),
        ("", None),
        (datetime.datetime(1990, 8, 17, 0, 0), datetime.date(1990, 8, 17)),  # noqa: DTZ001
        (datetime.date(1990, 8, 17), datetime.date(1990, 8, 17)),
        (33102, datetime.date(1990, 8, 17)),
        (33102.0, datetime.date(1990, 8, 17)),
        ("33102", datetime.date(1990, 8, 17)),
        ("17/08/1990", datetime.date(1990, 8, 17)),
        (" 7-8-1990 ", datetime.date(1990, 8, 7)),
        ("17.08.1990", datetime.date(1990, 8, 17)),
        ("1990-08-17", datetime.date(1990, 8, 17)),
        ("1990-08-17 00:00:00", datetime.date(1990, 8, 17)),
    ],
)
def test_dates_from_what_excel_writes(value, expected):
    assert xlsx.date_value(value) == expected


@pytest.mark.parametrize("value", ["31/02/1990", "17 Agustus 1990", "08/17/90", -5, "abc"])
def test_bad_dates_raise_a_cell_error(value):
    with pytest.raises(xlsx.CellError):
        xlsx.date_value(value)


@pytest.mark.parametrize(
    "value,expected",
    [
        (1901024507900001, "1901024507900001"),
        (1901024507900001.0, "1901024507900001"),
        ("'1901024507900001", "1901024507900001"),
        (" 1901024507900001 ", "1901024507900001"),
        ("1901024507900001.0", "1901024507900001"),
        ("1901 0245 0790 0001", "1901 0245 0790 0001"),  # spaces go later, with the NIK rules
        (None, ""),
    ],
)
def test_identifiers_from_number_cells(value, expected):
    assert xlsx.digits_value(value) == expected


@pytest.mark.parametrize(
    "value", ["1.90102450790001E+15", "1,90102E+15", "1.9e15", 1.5, float("inf"), 2.0**60]
)
def test_scientific_notation_and_inexact_numbers_are_refused(value):
    with pytest.raises(xlsx.ScientificNotation):
        xlsx.digits_value(value)


def test_text_value_trims_and_undoes_the_export_escaping():
    assert xlsx.text_value("  Siti\u00a0 Aminah ") == "Siti Aminah"
    assert xlsx.text_value("'=1+1") == "=1+1"
    assert xlsx.text_value("'biasa") == "'biasa"
    assert xlsx.text_value(12.0) == "12"
