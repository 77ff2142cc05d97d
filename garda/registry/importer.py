"""Import of households and residents from a file in the DTKS column layout (CSV or XLSX).

The file is uploaded once and kept (privately); a background task (`tasks.import_job_run`)
checks it, and after the user applies it, a second run of the task writes it.

- **Streaming, bounded memory.** Rows are read one at a time (openpyxl read-only, the csv
  module) and handled in chunks of CHUNK rows. What must be remembered across the whole file is
  kept compact: every NIK with its row (12 bytes a row, sorted at the end to find the same NIK
  twice) and one small `_Household` per No KK (first row, desa, heads). No model instances
  outside a chunk: a million rows take about 400 MB at the peak.
- **Every row checked before anything is written**: the rules of the NIK and No KK
  (`garda.core.nik`), the region from the provinsi/kabupaten/kecamatan/desa names, the user's
  area, duplicates in the file, one head per household (in the file and with what Garda holds),
  and what Excel does to cells. Every problem has its row (header = row 1), column and reason.
- **All-or-nothing.** Writing re-reads the stored file and checks it again (Garda may have
  changed since the check) inside ONE transaction; any error, or any failure midway, rolls
  everything back. The job's status becomes "done" in the same transaction.
- **The re-check's lookups only when needed** (PostgreSQL). The write's pass parses and checks
  every row again, but looks the rows up in the registry (by blind index: a third of the
  check's time) only if the check found any of them there, or if the registry may have changed
  since: the check records the database snapshot it started from, and every transaction that
  writes residents or households leaves its id in `registry_revision` (statement triggers of
  migration 0008). Inside the write transaction, a writer that the check's snapshot did not
  see means "changed": the full re-check runs (`_unchanged_since_check`). A writer still
  running then is concurrent with the write, as for any write: a NIK or No KK it saves too
  collides with the unique blind index, the write fails and rolls back whole, and the retry's
  check reports the row.
- **Idempotent.** Households are matched by the blind index of their No KK, residents by that
  of their NIK: the same values are "unchanged" and not written, different values are updated
  (audited per record), unknown ones are created. Empty optional cells keep stored values.
- **Fast writes.** On PostgreSQL new rows go in with COPY into the real tables (NIK and No KK
  encrypted per row, blind indexes and name keys computed here); elsewhere with bulk_create.
  Updates use bulk_update. Audit: one summary event per applied import (with the counts; the
  job and its kept file are the durable record of what was created) plus one event per
  *updated* record with its before/after values.
- **What an import does not do.** Move a household or a resident to another desa (that needs a
  date and a reason: the household's or resident's page), touch records outside the user's
  area or merged into another record. Those rows are errors that say where to go instead.
- **Stalled jobs.** Progress writes a heartbeat; a job whose worker died (killed, restarted)
  stops moving, its page says so after GARDA_IMPORT_STALE_MINUTES (default 15) and offers to
  start it again from the check. Nothing of it was written: the database rolled the write
  transaction back with the dead connection. On SQLite the write holds the database's single
  write lock for its whole duration: big files belong on PostgreSQL.
"""

import csv
import datetime
import functools
import gc
import hashlib
import io
import logging
import os
import re
import tempfile
import time
import uuid
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action, AuditEvent
from garda.audit.services import audit_record, audited_create, audited_update
from garda.core import crypto
from garda.core import nik as nik_rules
from garda.core.errors import GardaError, InvalidState, NotAllowed
from garda.core.nik import IdentifierCheck, check_nik, check_no_kk, mask_identifier
from garda.reports import xlsx
from garda.wilayah.models import Kind, Level, Wilayah

from .models import ImportJob, ImportState, Individu, Keluarga, Relation
from .names import name_key as _name_key
from .services import nik_hash, no_kk_hash

logger = logging.getLogger(__name__)

# Members of a household share their mother's name, and names repeat in a village: a bounded
# cache halves the cost of the name keys of a big file.
name_key = functools.lru_cache(maxsize=65536)(_name_key)

CHUNK = 2000
MAX_ROWS = 1_100_000
PROGRESS_EVERY = 1.0  # seconds between progress writes
DESIL_SOURCE = "DTKS"  # stored with a desil that came from an import (data, not UI text)


def max_upload_bytes() -> int:
    return settings.GARDA_MAX_IMPORT_MB * 1024 * 1024


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.GARDA_IMPORT_STALE_MINUTES)


# --- columns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]  # header spellings, lower case, letters and digits only
    required: bool = False

    @property
    def header(self) -> str:
        """The column's name as DTKS exports write it (a contract, never translated)."""
        return HEADERS[self.key]


COLUMNS: tuple[Column, ...] = (
    Column("id_dtks", ("iddtks", "iddtsen", "idbdt")),
    Column("provinsi", ("provinsi", "propinsi", "prov", "namaprovinsi"), True),
    Column("kabupaten", ("kabupaten", "kabupatenkota", "kabkota", "kab", "namakabupaten"), True),
    Column("kecamatan", ("kecamatan", "kec", "namakecamatan"), True),
    Column("desa", ("desa", "desakelurahan", "kelurahan", "desakel", "kelurahandesa"), True),
    Column("alamat", ("alamat", "alamatrumah")),
    Column("dusun", ("dusun", "dusunlingkungan")),
    Column("rt", ("rt",)),
    Column("rw", ("rw",)),
    Column("no_kk", ("nokk", "nomorkk", "nokartukeluarga", "nomorkartukeluarga", "kk"), True),
    Column("nik", ("nik", "nomorinduk", "nomorindukkependudukan"), True),
    Column("nama", ("nama", "namalengkap", "namaart"), True),
    Column("tempat_lahir", ("tempatlahir", "tmplahir", "tmptlahir")),
    Column("tanggal_lahir", ("tanggallahir", "tgllahir", "tgllhr")),
    Column("jenis_kelamin", ("jeniskelamin", "jk", "kelamin"), True),
    Column("nama_ibu", ("namaibukandung", "namaibu", "ibukandung")),
    Column(
        "hubungan",
        ("hubungankeluarga", "hubungan", "hubkeluarga", "hubungandengankepalakeluarga", "shdk"),
        True,
    ),
    Column("desil", ("desil", "desilkesejahteraan")),
)
HEADERS = {
    "id_dtks": "ID DTKS",
    "provinsi": "Provinsi",
    "kabupaten": "Kabupaten",
    "kecamatan": "Kecamatan",
    "desa": "Desa",
    "alamat": "Alamat",
    "dusun": "Dusun",
    "rt": "RT",
    "rw": "RW",
    "no_kk": "No KK",
    "nik": "NIK",
    "nama": "Nama",
    "tempat_lahir": "Tempat Lahir",
    "tanggal_lahir": "Tanggal Lahir",
    "jenis_kelamin": "Jenis Kelamin",
    "nama_ibu": "Nama Ibu Kandung",
    "hubungan": "Hubungan Keluarga",
    "desil": "Desil",
}
_ALIASES = {alias: column.key for column in COLUMNS for alias in column.aliases}
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def header_key(value: Any) -> str:
    """'No. KK ' -> 'nokk', 'Tanggal_Lahir' -> 'tanggallahir': case, spaces, marks ignored."""
    text = str(value if value is not None else "").replace("\ufeff", "").lower()
    return _NOT_ALNUM.sub("", text)


SEX_WORDS = {
    "l": "L",
    "lk": "L",
    "laki": "L",
    "lakilaki": "L",
    "pria": "L",
    "1": "L",
    "p": "P",
    "pr": "P",
    "pere": "P",
    "perempuan": "P",
    "wanita": "P",
    "2": "P",
}
_RELATIONS = {
    "kepala": Relation.KEPALA,
    "kepalakeluarga": Relation.KEPALA,
    "kepalarumahtangga": Relation.KEPALA,
    "krt": Relation.KEPALA,
    "kk": Relation.KEPALA,
    "pasangan": Relation.ISTRI_SUAMI,
    "istri": Relation.ISTRI_SUAMI,
    "isteri": Relation.ISTRI_SUAMI,
    "suami": Relation.ISTRI_SUAMI,
    "istrisuami": Relation.ISTRI_SUAMI,
    "suamiistri": Relation.ISTRI_SUAMI,
    "anak": Relation.ANAK,
    "anakkandung": Relation.ANAK,
    "anaktiri": Relation.ANAK,
    "anakangkat": Relation.ANAK,
    "menantu": Relation.MENANTU,
    "cucu": Relation.CUCU,
    "orangtua": Relation.ORANG_TUA,
    "ortu": Relation.ORANG_TUA,
    "ayah": Relation.ORANG_TUA,
    "ibu": Relation.ORANG_TUA,
    "orangtuamertua": Relation.ORANG_TUA,
    "mertua": Relation.MERTUA,
    "famili": Relation.FAMILI,
    "famililain": Relation.FAMILI,
    "saudara": Relation.FAMILI,
    "keluargalain": Relation.FAMILI,
    "lainnya": Relation.LAINNYA,
    "lain": Relation.LAINNYA,
    "lainlain": Relation.LAINNYA,
    "pembantu": Relation.LAINNYA,
    "pembanturumahtangga": Relation.LAINNYA,
}
RELATION_WORDS: dict[str, str] = {word: str(value.value) for word, value in _RELATIONS.items()}


# --- problems -------------------------------------------------------------------------------


class _Problems:
    """Every problem goes to a CSV file (the full list, for download); the first ones of each
    level are kept for the page. Rows with errors/warnings are counted in bitmaps."""

    def __init__(self, labels: dict[str, str], cap: int) -> None:
        self.labels = labels
        self.cap = cap
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.count = 0
        self.bad_rows = 0
        self.warned_rows = 0
        self._bad = bytearray()
        self._warned = bytearray()
        self._file: IO[bytes] | None = None
        self._text: io.TextIOWrapper | None = None
        self._writer: Any = None

    def _sink(self) -> Any:
        if self._writer is None:
            self._file = tempfile.TemporaryFile("w+b")  # noqa: SIM115 - closed in close()
            self._text = io.TextIOWrapper(self._file, encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._text, delimiter=";", lineterminator="\r\n")
            self._writer.writerow([_("row"), _("column"), _("level"), _("problem")])
        return self._writer

    @staticmethod
    def _mark(bitmap: bytearray, row: int) -> bool:
        if row >= len(bitmap):
            bitmap.extend(bytes(row - len(bitmap) + CHUNK))
        if bitmap[row]:
            return False
        bitmap[row] = 1
        return True

    def add(self, row: int | None, column: str, message: str, level: str = "error") -> None:
        self.count += 1
        label = self.labels.get(column, column)
        error = level == "error"
        if row is not None:
            if error and self._mark(self._bad, row):
                self.bad_rows += 1
            elif not error and self._mark(self._warned, row):
                self.warned_rows += 1
        elif error:
            self.bad_rows += 1
        kept = self.errors if error else self.warnings
        if len(kept) < self.cap:
            kept.append({"row": row, "column": label, "message": message, "level": level})
        self._sink().writerow(
            [row or "", label, _("error") if error else _("warning"), xlsx.safe_text(message)]
        )

    def kept(self) -> list[dict[str, Any]]:
        room = max(0, self.cap - len(self.errors))
        found = self.errors[: self.cap] + self.warnings[:room]
        return sorted(found, key=lambda p: (p["row"] or 0, p["level"] != "error"))

    def file(self) -> IO[bytes] | None:
        """The CSV of every problem (UTF-8 with BOM, semicolons: as Excel opens it)."""
        if self._text is None or self._file is None:
            return None
        self._text.flush()
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        if self._text is not None:
            self._text.close()  # closes the file under it too
            self._text = self._file = None


# --- reading the file -----------------------------------------------------------------------


class TableError(GardaError):
    """The file as a whole cannot be read; nothing in it was looked at."""


@dataclass
class Table:
    header: list[Any]
    rows: Iterator[tuple[int, Sequence[Any]]]  # (spreadsheet row number, values)
    estimated_rows: int


ZIP_MAGIC = xlsx.ZIP_MAGIC
# An XLSX is a zip of XML: a million rows unpack to a few hundred MB. Refuse more, and refuse
# compression ratios no spreadsheet has (a zip bomb).
MAX_UNPACKED_BYTES = 3 * 1024**3
MAX_RATIO = 200


@contextmanager
def open_table(stored: IO[bytes]) -> Iterator[Table]:
    """The rows of a stored upload, streamed. TableError says what to do with a bad file."""
    head = stored.read(8)
    stored.seek(0)
    if not head.strip():
        raise TableError(_("The file is empty."))
    if head.startswith(ZIP_MAGIC):
        with _open_xlsx(stored) as table:
            yield table
    elif head.startswith(xlsx.OLE_MAGIC):
        raise TableError(
            _(
                "This is an old Excel file (.xls). In Excel choose Save As and pick "
                "'Excel Workbook (.xlsx)' or 'CSV UTF-8'."
            )
        )
    else:
        yield _open_csv(stored)


def _not_xlsx() -> TableError:
    return TableError(
        _(
            "The file cannot be read as an Excel workbook (.xlsx). Open it in Excel and save it "
            "again as 'Excel Workbook (.xlsx)'."
        )
    )


@contextmanager
def _open_xlsx(stored: IO[bytes]) -> Iterator[Table]:
    import zipfile

    try:
        with zipfile.ZipFile(stored) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as error:
        raise _not_xlsx() from error
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_RATIO:
        raise TableError(_("The workbook is too large. Split it into smaller files."))
    stored.seek(0)
    try:
        workbook = load_workbook(stored, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise _not_xlsx() from error
    try:
        sheet = workbook.worksheets[0]
        estimate = (sheet.max_row or 1) - 1 if sheet.max_row else 0
        sheet.reset_dimensions()  # a wrong <dimension> must not cut rows off
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        header = _first_row(rows)
        yield Table(header=list(header[1]), rows=_xlsx_rows(rows), estimated_rows=max(0, estimate))
    finally:
        workbook.close()


def _first_row(rows: Iterator[tuple[int, Sequence[Any]]]) -> tuple[int, Sequence[Any]]:
    for number, values in rows:
        if any(not _blank(value) for value in values):
            return number, values
    raise TableError(_("The first row must hold the column names."))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _xlsx_rows(rows: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, Sequence[Any]]]:
    import zipfile

    try:
        for number, values in rows:
            if all(_blank(value) for value in values):
                continue
            yield number, values
    except (KeyError, OSError, ValueError, TypeError, zipfile.BadZipFile) as error:
        raise _not_xlsx() from error


def _not_utf8() -> TableError:
    return TableError(
        _(
            "The file is not in UTF-8. In Excel choose Save As and pick 'CSV UTF-8 (Comma "
            "delimited)' or 'Excel Workbook (.xlsx)'; other encodings garble names."
        )
    )


def _open_csv(stored: IO[bytes]) -> Table:
    start = stored.read(64 * 1024)
    if start.startswith(xlsx.UTF16_BOMS):
        raise _not_utf8()
    if b"\x00" in start:
        raise TableError(_("The file is neither an Excel workbook (.xlsx) nor a CSV file."))
    estimate = start.count(b"\n")
    while block := stored.read(1024 * 1024):
        estimate += block.count(b"\n")
    stored.seek(0)
    text = io.TextIOWrapper(stored, encoding="utf-8-sig", newline="")  # type: ignore[type-var]
    try:
        first = text.readline()
    except UnicodeDecodeError as error:
        raise _not_utf8() from error
    if first.lower().startswith("sep=") and len(first.strip()) == 5:  # Excel's "sep=;" line
        delimiter = first.strip()[4]
        first = text.readline()
    else:
        delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter), [])
    if not any(cell.strip() for cell in header):
        raise TableError(_("The first row must hold the column names."))
    reader = csv.reader(text, delimiter=delimiter)
    return Table(header=header, rows=_csv_rows(reader), estimated_rows=max(0, estimate - 1))


def _csv_rows(reader: Any) -> Iterator[tuple[int, Sequence[Any]]]:
    number = 1
    try:
        for values in reader:
            number += 1
            if not "".join(values).strip():
                continue
            yield number, values
    except UnicodeDecodeError as error:
        raise _not_utf8() from error
    except csv.Error as error:
        raise TableError(
            _("The CSV file is damaged near row %(row)s: %(problem)s.")
            % {"row": number, "problem": error}
        ) from error


def _columns(header: Sequence[Any]) -> tuple[dict[str, int], dict[str, str]]:
    """Positions of the known columns, and their names as the file writes them."""
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, value in enumerate(header):
        key = _ALIASES.get(header_key(value))
        if key is None:
            continue
        if key in positions:
            raise TableError(
                _("The column %(name)s appears twice.") % {"name": xlsx.text_value(value)}
            )
        positions[key] = index
        labels[key] = xlsx.text_value(value)
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise TableError(
            _(
                "The first row lacks the columns %(names)s. The file needs the DTKS columns: "
                "%(all)s."
            )
            % {
                "names": ", ".join(missing),
                "all": ", ".join(c.header for c in COLUMNS),
            }
        )
    return positions, labels


# --- cell values ----------------------------------------------------------------------------


class _CellError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    return xlsx.text_value(value)


def _identifier(value: Any, *, what: str) -> str:
    """The digits of a NIK or No KK from a text or number cell; raise _CellError saying what
    Excel did when the digits cannot be trusted."""
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return text
    elif isinstance(value, float):
        if value.is_integer() and 0 <= value < 1e16:
            return str(int(value))
        raise _CellError(_lost_digits(what, repr(value)))
    try:
        text = xlsx.digits_value(value)
    except xlsx.ScientificNotation as error:
        raise _CellError(_lost_digits(what, xlsx.text_value(value))) from error
    except xlsx.CellError as error:
        raise _CellError(error.message) from error
    return nik_rules.normalise_digits(text)


def _lost_digits(what: str, value: str) -> str:
    if what == "nik":
        return _(
            "The NIK lost its last digits in Excel (%(value)s, scientific notation). Format the "
            "column as Text, type the NIK again and save."
        ) % {"value": value}
    return _(
        "The No KK lost its last digits in Excel (%(value)s, scientific notation). Format the "
        "column as Text, type the No KK again and save."
    ) % {"value": value}


def _short_identifier(what: str) -> str:
    if what == "nik":
        return _("NIK has fewer than 16 digits (a leading 0 may have been lost).")
    return _("No KK has fewer than 16 digits (a leading 0 may have been lost).")


_RT = re.compile(r"^(?:r[tw]\.?\s*)?(\d{1,3})$", re.IGNORECASE)


def _rt_rw(value: Any) -> str:
    if isinstance(value, str) and len(value) == 3 and value.isdigit():
        return value
    text = _text(value)
    if not text:
        return ""
    match = _RT.match(text)
    if match is None:
        raise _CellError(_("RT and RW are numbers of at most 3 digits, for example 001."))
    return match.group(1).zfill(3)


def _desil(value: Any) -> int | None:
    text = _text(value)
    if not text:
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        number = 0.5
    if not number.is_integer() or not 1 <= number <= 10:
        raise _CellError(_("The desil is a whole number from 1 to 10."))
    return int(number)


# --- regions by name -----------------------------------------------------------------------

_PREFIXES: dict[int, set[str]] = {
    Level.PROVINSI: {"provinsi", "propinsi", "prov"},
    Level.KABUPATEN: {"kabupaten", "kab", "kota", "kot"},
    Level.KECAMATAN: {"kecamatan", "kec"},
    Level.DESA: {"desa", "kelurahan", "kel", "ds"},
}
_EXPAND = {"kep": "kepulauan", "kepl": "kepulauan", "di": "daerah istimewa"}
_WORDS = re.compile(r"[a-z0-9]+")


def region_key(name: str, level: int) -> tuple[str, str]:
    """('bangka', 'kabupaten') for "Kab. Bangka"; the kind is '' when the name does not say."""
    words = _WORDS.findall(name.lower())
    kind = ""
    if words and words[0] in _PREFIXES[level]:
        first = words.pop(0)
        if level == Level.KABUPATEN:
            kind = Kind.KOTA if first.startswith("kot") else Kind.KABUPATEN
    words = [_EXPAND.get(word, word) if level <= Level.KABUPATEN else word for word in words]
    return "".join(words).replace(" ", ""), kind


class _Regions:
    """Resolve provinsi/kabupaten/kecamatan/desa names to a desa code, within the parent
    region at each level (desa names repeat across kecamatan). One query per parent."""

    LEVELS = (
        ("provinsi", Level.PROVINSI),
        ("kabupaten", Level.KABUPATEN),
        ("kecamatan", Level.KECAMATAN),
        ("desa", Level.DESA),
    )

    def __init__(self) -> None:
        self._children: dict[str | None, dict[str, list[tuple[str, str, str]]]] = {}
        self._resolved: dict[tuple[str, ...], tuple[str | None, str, str]] = {}
        self.names: dict[str, str] = {}

    def _under(self, parent: str | None, level: int) -> dict[str, list[tuple[str, str, str]]]:
        if parent not in self._children:
            found: dict[str, list[tuple[str, str, str]]] = {}
            regions = Wilayah.objects.filter(is_active=True, level=level)
            regions = regions.filter(parent_id=parent) if parent else regions
            for code, name, kind, region_level in regions.values_list(
                "code", "name", "kind", "level"
            ):
                key, _kind = region_key(name, region_level)
                found.setdefault(key, []).append((code, kind, name))
            self._children[parent] = found
        return self._children[parent]

    def resolve(self, names: tuple[str, str, str, str]) -> tuple[str | None, str, str]:
        """(desa code, "", "") or (None, column, message)."""
        known = self._resolved.get(names)
        if known is None:
            known = self._resolve(names)
            if len(self._resolved) < 100_000:
                self._resolved[names] = known
        return known

    def _resolve(self, names: tuple[str, str, str, str]) -> tuple[str | None, str, str]:
        parent: str | None = None
        parent_name = ""
        for (column, level), name in zip(self.LEVELS, names, strict=True):
            if not name:
                return None, column, _("The %(column)s is empty.") % {"column": column}
            key, kind = region_key(name, level)
            candidates = self._under(parent, level).get(key, [])
            if kind:
                candidates = [c for c in candidates if c[1] == kind]
            if len(candidates) != 1:
                if candidates:
                    message = _("%(name)s is ambiguous: write Kabupaten %(name)s or Kota %(name)s.")
                elif parent is None:
                    message = _("There is no province %(name)s in Garda.")
                else:
                    message = _("There is no %(column)s %(name)s in %(parent)s.")
                return (
                    None,
                    column,
                    message
                    % {
                        "name": name,
                        "column": column,
                        "parent": parent_name,
                    },
                )
            parent, _kind, parent_name = candidates[0]
            self.names[parent] = parent_name
        return parent, "", ""


@contextmanager
def _region_checks_once() -> Iterator[None]:
    """`check_nik` asks the database twice per call whether the NIK's first six digits are a
    kecamatan. For a file of a million rows those queries would be the whole cost, and within
    one import the answer per code cannot change: ask once per code. (Better done in
    garda.core.nik itself; see the report to the lead.)"""
    original = nik_rules._check_region
    answers: dict[tuple[str, str], IdentifierCheck] = {}

    def once(code: str, result: IdentifierCheck, *, what: str) -> None:
        found = answers.get((code, what))
        if found is None:
            found = IdentifierCheck()
            original(code, found, what=what)
            answers[(code, what)] = found
        result.errors.extend(found.errors)
        result.warnings.extend(found.warnings)

    nik_rules._check_region = once  # type: ignore[assignment]
    try:
        yield
    finally:
        nik_rules._check_region = original  # type: ignore[assignment]


# --- the check (and, when writing, the write) of the rows -----------------------------------


class _Row:
    """One row of the file as parsed. Lives only while its chunk is handled."""

    __slots__ = (
        "bad",
        "birth_date",
        "birth_place",
        "household",
        "kk",
        "kk_key",
        "mother_name",
        "name",
        "nik",
        "nik_hash",
        "nik_key",
        "nik_warnings",
        "number",
        "relation",
        "sex",
        "wilayah",
    )

    def __init__(self, number: int) -> None:
        self.number = number
        self.bad = False
        self.nik = ""
        self.nik_key = 0
        self.nik_hash = ""
        self.nik_warnings: list[str] = []
        self.kk = ""
        self.kk_key = 0
        self.wilayah: str | None = None
        self.name = ""
        self.sex = ""
        self.birth_place = ""
        self.birth_date: datetime.date | None = None
        self.mother_name = ""
        self.relation = ""
        self.household: tuple[Any, ...] = ()


class _Household:
    """What the whole run remembers of one No KK."""

    __slots__ = (
        "fingerprint",
        "first_row",
        "head_row",
        "heads",
        "id",
        "stored",
        "stored_heads",
        "wilayah",
    )

    def __init__(self, first_row: int, wilayah: str | None, fingerprint: int) -> None:
        self.first_row = first_row
        self.wilayah = wilayah
        self.fingerprint = fingerprint
        self.heads = 0
        self.head_row = 0
        self.id: Any = None
        self.stored = False
        self.stored_heads: tuple[Any, ...] = ()


HOUSEHOLD_FIELDS = ("address", "dusun", "rt", "rw", "desil", "dtks_id")
STORED_HOUSEHOLD_FIELDS = (*HOUSEHOLD_FIELDS, "desil_source", "desil_date")
PERSON_FIELDS = ("name", "sex", "birth_place", "birth_date", "mother_name", "relation")


@dataclass
class Counts:
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    households_new: int = 0
    households_updated: int = 0


class Run:
    """One pass over the file: checks every row; with a `writer`, also writes the chunks
    (only while no error has been seen: any error means the caller rolls everything back)."""

    def __init__(
        self,
        *,
        actor: User,
        positions: dict[str, int],
        labels: dict[str, str],
        writer: "_Writer | None" = None,
        reason: str = "",
        lookups: bool = True,
    ) -> None:
        self.actor = actor
        self.writer = writer
        # False: the registry holds none of the file's NIKs and No KKs (known from the check
        # and proven unchanged since): the lookups by blind index are left out.
        self.lookups = lookups
        self.stored_seen = 0  # rows and households of the file found in the registry
        self.reason = reason
        self.positions = positions
        self.problems = _Problems(labels, ImportJob.PROBLEM_CAP)
        self.counts = Counts()
        self.regions = _Regions()
        self.households: dict[int, _Household] = {}
        # Every NIK of the file with its row, 12 bytes a row; sorted at the end for duplicates.
        self.nik_keys = array("q")
        self.nik_rows = array("L")
        self.listed_heads: set[Any] = set()  # stored heads of family that the file lists again
        self.areas = actor.areas_for(Perm.MANAGE_RESIDENTS)
        self._in_area: dict[str, bool] = {}
        self._region_cells: dict[tuple[Any, ...], tuple[str | None, str, str]] = {}
        self._dates: dict[Any, datetime.date | str | None] = {}
        self.today = timezone.localdate()
        self.timings: dict[str, float] = {}
        self._width = max(positions.values()) + 1
        self._order = tuple(positions.get(column.key, self._width) for column in COLUMNS)
        self._sexes: dict[Any, str] = {}
        self._relations: dict[Any, str] = {}
        self._kk_regions: dict[str, IdentifierCheck] = {}
        self._last_household: tuple[Any, tuple[Any, ...]] = (None, ())

    # -- helpers

    def _timed(self, name: str, start: float) -> float:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - start
        return now

    def error(self, row: _Row, column: str, message: str) -> None:
        row.bad = True
        self.problems.add(row.number, column, message)

    def warn(self, row: _Row, column: str, message: str) -> None:
        self.problems.add(row.number, column, message, "warning")

    def in_area(self, code: str) -> bool:
        known = self._in_area.get(code)
        if known is None:
            known = any(code == a or code.startswith(a + ".") for a in self.areas)
            self._in_area[code] = known
        return known

    def region_name(self, code: str) -> str:
        name = self.regions.names.get(code)
        if name is None:
            region = Wilayah.objects.filter(code=code).first()
            name = str(region) if region else code
            self.regions.names[code] = name
        return name

    def _word(self, cache: dict[Any, str], value: Any, words: Mapping[str, str]) -> str:
        known = cache.get(value)
        if known is None:
            known = words.get(header_key(_text(value)), "")
            if len(cache) < 10_000:
                cache[value] = known
        return known

    def _date(self, value: Any) -> datetime.date | str | None:
        """A date, or the message saying why the cell is not one."""
        known = self._dates.get(value, "?")
        if known != "?":
            return known
        try:
            day = xlsx.date_value(value)
        except xlsx.CellError as error:
            known = error.message
        else:
            if day is None:
                known = None
            elif day > self.today:
                known = _("The date of birth is in the future.")
            elif day.year < 1900:
                known = _("The date of birth is before 1900.")
            else:
                known = day
        if len(self._dates) < 100_000:
            self._dates[value] = known
        return known

    # -- one row

    def parse(self, number: int, values: Sequence[Any]) -> _Row:
        row = _Row(number)
        cells = list(values)
        cells.extend([None] * (self._width + 1 - len(cells)))  # [width] is None: no column
        (
            id_dtks,
            provinsi,
            kabupaten,
            kecamatan,
            desa,
            alamat,
            dusun,
            rt,
            rw,
            no_kk,
            nik,
            nama,
            tempat_lahir,
            tanggal_lahir,
            jenis_kelamin,
            nama_ibu,
            hubungan,
            desil,
        ) = [cells[index] for index in self._order]

        raw = (provinsi, kabupaten, kecamatan, desa)
        resolved = self._region_cells.get(raw)
        if resolved is None:
            resolved = self.regions.resolve(
                (_text(provinsi), _text(kabupaten), _text(kecamatan), _text(desa))
            )
            if len(self._region_cells) < 100_000:
                self._region_cells[raw] = resolved
        code, column, message = resolved
        if code is None:
            self.error(row, column, message)
        elif not self.in_area(code):
            self.error(
                row,
                "desa",
                _("%(desa)s is outside your area.") % {"desa": self.region_name(code)},
            )
        else:
            row.wilayah = code

        row.name = name = _text(nama)
        if not name:
            self.error(row, "nama", _("The name is empty."))
        elif len(name) > 150:
            self.error(row, "nama", _("The name is longer than 150 characters."))

        row.sex = self._word(self._sexes, jenis_kelamin, SEX_WORDS)
        if not row.sex:
            self.error(
                row,
                "jenis_kelamin",
                _("%(value)s is not a sex: write L (laki-laki) or P (perempuan).")
                % {"value": _text(jenis_kelamin) or "—"},
            )

        row.relation = self._word(self._relations, hubungan, RELATION_WORDS)
        if not row.relation:
            self.error(
                row,
                "hubungan",
                _(
                    "%(value)s is not a relation to the head of family. Write for example "
                    "Kepala Keluarga, Istri, Suami, Anak, Menantu, Cucu, Orang Tua, Mertua, "
                    "Famili Lain or Lainnya."
                )
                % {"value": _text(hubungan) or "—"},
            )

        birth = self._date(tanggal_lahir) if tanggal_lahir is not None else None
        if isinstance(birth, str):
            self.error(row, "tanggal_lahir", birth)
            birth = None
        row.birth_date = birth

        row.birth_place = _text(tempat_lahir)
        if len(row.birth_place) > 100:
            self.error(row, "tempat_lahir", _("At most %(limit)s characters.") % {"limit": 100})
        row.mother_name = _text(nama_ibu)
        if len(row.mother_name) > 150:
            self.error(row, "nama_ibu", _("At most %(limit)s characters.") % {"limit": 150})

        self._parse_nik(row, nik)
        self._parse_kk(row, no_kk)
        household = (alamat, dusun, rt, rw, desil, id_dtks)
        if household == self._last_household[0]:  # the next member of the same household
            row.household = self._last_household[1]
        else:
            row.household = self._parse_household(row, household)
        return row

    def _parse_nik(self, row: _Row, value: Any) -> None:
        try:
            nik = _identifier(value, what="nik")
        except _CellError as error:
            self.error(row, "nik", error.message)
            return
        if not nik:
            self.error(row, "nik", _("The NIK is empty."))
            return
        if len(nik) == 15 and nik.isdigit():
            self.error(row, "nik", _short_identifier("nik"))
            return
        check = check_nik(nik, birth_date=row.birth_date, sex=row.sex or None)
        if check.errors:
            self.error(row, "nik", " ".join(check.errors))
            return
        for message in check.warnings:
            self.warn(row, "nik", message)
        row.nik_warnings = check.warnings
        if isinstance(value, int | float) and nik.endswith("0"):
            self.warn(
                row,
                "nik",
                _(
                    "The NIK was stored as a number and Excel keeps only 15 digits: check that "
                    "its last digit is right."
                ),
            )
        row.nik = nik
        row.nik_key = int(nik)

    def _parse_kk(self, row: _Row, value: Any) -> None:
        try:
            kk = _identifier(value, what="no_kk")
        except _CellError as error:
            self.error(row, "no_kk", error.message)
            return
        if not kk:
            self.error(row, "no_kk", _("The No KK is empty."))
            return
        if len(kk) == 15 and kk.isdigit():
            self.error(row, "no_kk", _short_identifier("no_kk"))
            return
        # A well-formed No KK is valid or not by its first six digits (the region): check
        # each region once.
        well_formed = len(kk) == 16 and kk.isdigit()
        check = self._kk_regions.get(kk[:6]) if well_formed else None
        if check is None:
            check = check_no_kk(kk)
            if well_formed:
                self._kk_regions[kk[:6]] = check
        if check.errors:
            self.error(row, "no_kk", " ".join(check.errors))
            return
        for message in check.warnings:
            self.warn(row, "no_kk", message)
        row.kk, row.kk_key = kk, int(kk)

    def _parse_household(self, row: _Row, cells: tuple[Any, ...]) -> tuple[Any, ...]:
        alamat, dusun, rt, rw, desil, id_dtks = cells
        bad = row.bad
        row.bad = False
        address, dusun_text = _text(alamat), _text(dusun)
        if len(address) > 200:
            self.error(row, "alamat", _("At most %(limit)s characters.") % {"limit": 200})
        if len(dusun_text) > 100:
            self.error(row, "dusun", _("At most %(limit)s characters.") % {"limit": 100})
        parsed_rt_rw = []
        for key, value in (("rt", rt), ("rw", rw)):
            try:
                parsed_rt_rw.append(_rt_rw(value))
            except _CellError as error:
                self.error(row, key, error.message)
                parsed_rt_rw.append("")
        try:
            parsed_desil = _desil(desil)
        except _CellError as error:
            self.error(row, "desil", error.message)
            parsed_desil = None
        dtks = _text(id_dtks)
        if len(dtks) > 40:
            self.error(row, "id_dtks", _("At most %(limit)s characters.") % {"limit": 40})
        household = (address, dusun_text, *parsed_rt_rw, parsed_desil, dtks)
        if not row.bad:
            self._last_household = (cells, household)
        row.bad = row.bad or bad
        return household

    # -- a chunk of rows

    def feed(self, chunk: list[tuple[int, Sequence[Any]]]) -> None:
        start = time.perf_counter()
        rows = [self.parse(number, values) for number, values in chunk]
        self.counts.rows += len(rows)
        start = self._timed("parse and check rows", start)
        first_seen = self._across_rows(rows)
        start = self._timed("check across rows", start)
        # PostgreSQL: a transaction for SET LOCAL (see _select). SQLite: none, or the check
        # would queue behind another import's write for the database's single write lock.
        postgres = connection.vendor == "postgresql"
        if self.lookups:
            with transaction.atomic() if postgres else nullcontext():
                stored_households = self._stored_households(first_seen)
                stored_people = self._stored_people(rows)
            start = self._timed("look up stored records", start)
        else:
            stored_households, stored_people = {}, {}
            for row in rows:
                if row.nik:
                    row.nik_hash = nik_hash(row.nik)
        writes = _Writes()
        for row, household in first_seen:
            self._plan_household(row, household, stored_households, writes)
        for row in rows:
            self._plan_person(row, stored_people, writes)
        start = self._timed("compare with stored records", start)
        if self.writer is not None and not self.problems.bad_rows:
            self.writer.write(writes, actor=self.actor, reason=self.reason)

    def _across_rows(self, rows: list[_Row]) -> list[tuple[_Row, _Household]]:
        first_seen: list[tuple[_Row, _Household]] = []
        for row in rows:
            if row.nik_key:
                self.nik_keys.append(row.nik_key)
                self.nik_rows.append(row.number)
            if not row.kk_key:
                continue
            household = self.households.get(row.kk_key)
            if household is None:
                household = _Household(row.number, row.wilayah, hash(row.household[:5]))
                self.households[row.kk_key] = household
                first_seen.append((row, household))
            else:
                if row.wilayah and household.wilayah and row.wilayah != household.wilayah:
                    self.error(
                        row,
                        "desa",
                        _("The same No KK is in another desa on row %(row)s.")
                        % {"row": household.first_row},
                    )
                elif household.wilayah is None:
                    household.wilayah = row.wilayah
                if hash(row.household[:5]) != household.fingerprint and any(
                    value for value in row.household[:5]
                ):
                    self.warn(
                        row,
                        "alamat",
                        _(
                            "The address, dusun, RT, RW or desil differ from row %(row)s of the "
                            "same No KK; those of row %(row)s are used."
                        )
                        % {"row": household.first_row},
                    )
            if row.relation == Relation.KEPALA:
                household.heads += 1
                if household.heads == 1:
                    household.head_row = row.number
                else:
                    self.error(
                        row,
                        "hubungan",
                        _("The household already has a head of family on row %(row)s.")
                        % {"row": household.head_row},
                    )
        return first_seen

    def _select(
        self, queryset: Any, column: str, values: list[Any], fields: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """`queryset.filter(column__in=values).values_list(*fields)`, for thousands of values.

        On PostgreSQL the values go as one parameter (`= ANY(string_to_array(...))`: psycopg
        quotes a list of two thousand strings slowly), and index scans are forced: right after
        a bulk load the tables have no statistics and the planner would scan them whole, for
        every chunk. Elsewhere, in batches under the backend's parameter limit.
        """
        if not values:
            return []
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # until the end of this transaction
                cursor.execute("SET LOCAL enable_seqscan = off")
            field = queryset.model._meta.get_field(column)
            cast = "::uuid[]" if field.get_internal_type() in ("UUIDField", "ForeignKey") else ""
            where = (
                f"{connection.ops.quote_name(field.column)} = ANY(string_to_array(%s, ','){cast})"
            )
            text = ",".join(str(value) for value in values)
            # The SQL is made of model metadata only; the values go as one parameter.
            rows = queryset.extra(where=[where], params=[text])  # noqa: S610
            return list(rows.values_list(*fields))
        size = min(CHUNK, (connection.features.max_query_params or 999) - 10)
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(values), size):
            part = values[start : start + size]
            found += queryset.filter(**{f"{column}__in": part}).values_list(*fields)
        return found

    def _stored_households(
        self, first_seen: list[tuple[_Row, _Household]]
    ) -> dict[str, tuple[Any, ...]]:
        """Stored households of the No KKs first seen in this chunk (by No KK), and their
        stored heads of family."""
        hashes = {no_kk_hash(row.kk): row.kk for row, _household in first_seen}
        found = self._select(
            Keluarga.objects.all(),
            "no_kk_hash",
            list(hashes),
            ("no_kk_hash", "id", "wilayah_id", "version", *STORED_HOUSEHOLD_FIELDS),
        )
        stored = {hashes[item[0]]: item for item in found}
        heads: dict[Any, list[Any]] = {}
        # Every member, filtered here: a condition on relation or merged_into would tempt the
        # planner (no statistics yet after a bulk load) away from the keluarga index.
        for keluarga_id, individu_id, relation, merged_into in self._select(
            Individu.objects.all(),
            "keluarga",
            [item[1] for item in found],
            ("keluarga_id", "id", "relation", "merged_into_id"),
        ):
            if relation == Relation.KEPALA and merged_into is None:
                heads.setdefault(keluarga_id, []).append(individu_id)
        for row, household in first_seen:
            item = stored.get(row.kk)
            if item is not None:
                household.stored_heads = tuple(heads.get(item[1], ()))
        return stored

    def _stored_people(self, rows: list[_Row]) -> dict[str, tuple[Any, ...]]:
        for row in rows:
            if row.nik:
                row.nik_hash = nik_hash(row.nik)
        found = self._select(
            Individu.objects.all(),
            "nik_hash",
            [row.nik_hash for row in rows if row.nik_hash],
            (
                "nik_hash",
                "id",
                "keluarga_id",
                "wilayah_id",
                "merged_into_id",
                "version",
                "nik_note",
                *PERSON_FIELDS,
            ),
        )
        return {item[0]: item for item in found}

    def _plan_household(
        self,
        row: _Row,
        household: _Household,
        stored_households: dict[str, tuple[Any, ...]],
        writes: "_Writes",
    ) -> None:
        stored = stored_households.get(row.kk)
        values = dict(zip(HOUSEHOLD_FIELDS, row.household, strict=True))
        if stored is None:
            self.counts.households_new += 1
            if self.writer is not None:
                household.id = uuid.uuid4()
                writes.new_households.append((household.id, row.kk, household.wilayah, values))
            return
        _hash, household.id, wilayah, version, *before = stored
        household.stored = True
        self.stored_seen += 1
        stored_values = dict(zip(STORED_HOUSEHOLD_FIELDS, before, strict=True))
        if not self.in_area(wilayah):
            self.error(row, "no_kk", _("This No KK is registered outside your area."))
            return
        if household.wilayah and household.wilayah != wilayah:
            self.error(
                row,
                "desa",
                _(
                    "This household is registered in %(desa)s. Moving a household to another "
                    "desa is done on its page, not by import."
                )
                % {"desa": self.region_name(wilayah)},
            )
            return
        changes = {
            name: [stored_values[name], value]
            for name, value in values.items()
            if value not in ("", None) and value != stored_values[name]
        }
        if "desil" in changes:
            changes["desil_source"] = [stored_values["desil_source"], DESIL_SOURCE]
            changes["desil_date"] = [stored_values["desil_date"], self.today]
        if changes:
            self.counts.households_updated += 1
            writes.updated_households.append((household.id, wilayah, version, changes, row.kk))

    def _plan_person(
        self, row: _Row, stored_people: dict[str, tuple[Any, ...]], writes: "_Writes"
    ) -> None:
        household = self.households.get(row.kk_key) if row.kk_key else None
        stored = stored_people.get(row.nik_hash) if row.nik_hash else None
        values = {
            "name": row.name,
            "sex": row.sex,
            "birth_place": row.birth_place,
            "birth_date": row.birth_date,
            "mother_name": row.mother_name,
            "relation": row.relation,
        }
        if stored is None:
            if row.bad or household is None:
                return
            self.counts.new += 1
            if self.writer is not None:
                note = self._note(row)
                writes.new_people.append((row.nik, row.nik_hash, note, household, values))
            return
        _hash, pk, keluarga_id, wilayah, merged_into, version, note, *before = stored
        self.stored_seen += 1
        if before[PERSON_FIELDS.index("relation")] == Relation.KEPALA:
            self.listed_heads.add(pk)
        if merged_into is not None:
            self.error(
                row,
                "nik",
                _(
                    "This NIK belongs to a record that was merged into another one; the "
                    "import cannot update it."
                ),
            )
            return
        if not self.in_area(wilayah):
            self.error(row, "nik", _("This NIK is registered outside your area."))
            return
        if household is not None and household.wilayah and household.wilayah != wilayah:
            self.error(
                row,
                "desa",
                _(
                    "This resident is registered in %(desa)s. Moving to another desa is done on "
                    "the resident's page, not by import."
                )
                % {"desa": self.region_name(wilayah)},
            )
            return
        if row.bad or household is None:
            return
        stored_values = dict(zip(PERSON_FIELDS, before, strict=True))
        changes: dict[str, list[Any]] = {
            name: [stored_values[name], value]
            for name, value in values.items()
            if value not in ("", None) and value != stored_values[name]
        }
        if household.id != keluarga_id:  # another household (None: a new one, in a check)
            changes["keluarga"] = [keluarga_id, household.id]
        if row.nik_warnings and not note:
            changes["nik_note"] = ["", self._note(row)]
        if not changes:
            self.counts.unchanged += 1
            return
        self.counts.updated += 1
        if self.writer is not None:
            writes.updated_people.append((pk, wilayah, version, changes, row.name))

    def _note(self, row: _Row) -> str:
        if not row.nik_warnings:
            return ""
        note = _("From the DTKS import: %(warnings)s") % {"warnings": " ".join(row.nik_warnings)}
        return note[:300]

    # -- the end of the file

    def finish(self) -> None:
        """What only the whole file can tell: the same NIK twice, households with no head, or
        with two (one in the file and one already in Garda that the file does not list)."""
        start = time.perf_counter()
        keys, numbers = self.nik_keys, self.nik_rows
        previous, first = None, 0
        for index in sorted(range(len(keys)), key=keys.__getitem__):  # stable: rows in order
            if keys[index] == previous:
                self.problems.add(
                    numbers[index],
                    "nik",
                    _("The same NIK is also on row %(row)s.") % {"row": first},
                )
            else:
                previous, first = keys[index], numbers[index]
        for household in self.households.values():
            remaining = sum(1 for pk in household.stored_heads if pk not in self.listed_heads)
            if household.heads + remaining == 0:
                self.problems.add(
                    household.first_row,
                    "hubungan",
                    _(
                        "The household of this No KK has no head of family: one of its rows "
                        "must say Kepala Keluarga."
                    ),
                )
            elif household.heads and remaining:
                self.problems.add(
                    household.head_row,
                    "hubungan",
                    _(
                        "This household already has a head of family in Garda who is not in "
                        "this file. Correct the relation here, or change the head on the "
                        "household's page first."
                    ),
                )
        self._timed("check across rows", start)


# --- writing ------------------------------------------------------------------------------


@dataclass
class _Writes:
    new_households: list[tuple[Any, str, str | None, dict[str, Any]]]
    updated_households: list[tuple[Any, str, int, dict[str, list[Any]], str]]
    new_people: list[tuple[str, str, str, _Household, dict[str, Any]]]
    updated_people: list[tuple[Any, str, int, dict[str, list[Any]], str]]

    def __init__(self) -> None:
        self.new_households = []
        self.updated_households = []
        self.new_people = []
        self.updated_people = []


def _audit_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


class _Writer:
    """Writes a checked chunk: new rows with bulk_create (COPY on PostgreSQL), changed rows
    with bulk_update, and one audit event per changed record."""

    def __init__(self, *, now: datetime.datetime, today: datetime.date) -> None:
        self.now = now
        self.today = today
        self.timings: dict[str, float] = {}

    def write(self, writes: _Writes, *, actor: User, reason: str) -> None:
        if writes.new_households:
            self.insert_households(writes.new_households)
        if writes.new_people:
            self.insert_people(writes.new_people)
        events: list[AuditEvent] = []
        if writes.updated_households:
            events += self.update(Keluarga, writes.updated_households, actor=actor, reason=reason)
        if writes.updated_people:
            events += self.update(Individu, writes.updated_people, actor=actor, reason=reason)
        if events:
            AuditEvent.objects.bulk_create(events, batch_size=500)

    def _household_values(
        self, item: tuple[Any, str, str | None, dict[str, Any]]
    ) -> dict[str, Any]:
        pk, kk, wilayah, values = item
        desil = values["desil"]
        return {
            "id": pk,
            "no_kk": kk,
            "no_kk_hash": no_kk_hash(kk),
            "wilayah_id": wilayah,
            **values,
            "desil_source": DESIL_SOURCE if desil is not None else "",
            "desil_date": self.today if desil is not None else None,
        }

    def _person_values(
        self, item: tuple[str, str, str, _Household, dict[str, Any]]
    ) -> dict[str, Any]:
        nik, hashed, note, household, values = item
        return {
            "id": uuid.uuid4(),
            "nik": nik,
            "nik_hash": hashed,
            "nik_note": note,
            "keluarga_id": household.id,
            "wilayah_id": household.wilayah,
            **values,
            "name_key": name_key(values["name"]),
            "mother_key": name_key(values["mother_name"]),
        }

    def insert_households(self, items: list[Any]) -> None:
        Keluarga.objects.bulk_create(
            [Keluarga(**self._household_values(item)) for item in items], batch_size=500
        )

    def insert_people(self, items: list[Any]) -> None:
        Individu.objects.bulk_create(
            [Individu(**self._person_values(item)) for item in items], batch_size=500
        )

    def update(
        self,
        model: type[Keluarga] | type[Individu],
        items: list[tuple[Any, str, int, dict[str, list[Any]], str]],
        *,
        actor: User,
        reason: str,
    ) -> list[AuditEvent]:
        label = model._meta.label_lower
        pending: list[tuple[Any, int, dict[str, Any]]] = []
        fields: set[str] = set()
        events = []
        for pk, wilayah, version, changes, text in items:
            values = {
                "keluarga_id" if name == "keluarga" else name: after
                for name, (_before, after) in changes.items()
            }
            if "name" in values:
                values["name_key"] = name_key(values["name"])
            if "mother_name" in values:
                values["mother_key"] = name_key(values["mother_name"])
            fields.update(values)
            pending.append((pk, version, values))
            if model is Keluarga:
                text = _("Household %(kk)s") % {"kk": mask_identifier(text)}
            events.append(
                AuditEvent(
                    actor=actor,
                    actor_name=str(actor)[:150],
                    action=Action.UPDATE,
                    object_type=label,
                    object_id=str(pk),
                    object_repr=text[:200],
                    wilayah_code=wilayah,
                    changes={
                        name: [_audit_value(before), _audit_value(after)]
                        for name, (before, after) in changes.items()
                    },
                    reason=reason[:300],
                    at=self.now,
                )
            )
        # bulk_update writes every listed field of every object: start from the stored values.
        names = sorted(fields)
        stored: dict[Any, dict[str, Any]] = {}
        ids = [pk for pk, _version, _values in pending]
        size = min(CHUNK, (connection.features.max_query_params or 999) - 10)
        for start in range(0, len(ids), size):
            for item in model.objects.filter(pk__in=ids[start : start + size]).values("id", *names):
                stored[item["id"]] = item
        instances: list[Any] = []
        for pk, version, values in pending:
            instance = model(**{**stored[pk], **values})
            instance.version = version + 1
            instance.updated_at = self.now
            instances.append(instance)
        model._default_manager.bulk_update(
            instances, [*names, "version", "updated_at"], batch_size=500
        )
        return events


class _CopyWriter(_Writer):
    """PostgreSQL: COPY new rows straight into the tables, NIK and No KK encrypted here."""

    def __init__(self, *, now: datetime.datetime, today: datetime.date) -> None:
        super().__init__(now=now, today=today)
        self.households = self._layout(
            Keluarga,
            [
                "id",
                "no_kk",
                "no_kk_hash",
                "wilayah_id",
                *HOUSEHOLD_FIELDS,
                "desil_source",
                "desil_date",
            ],
        )
        self.people = self._layout(
            Individu,
            [
                "id",
                "nik",
                "nik_hash",
                "nik_note",
                "keluarga_id",
                "wilayah_id",
                *PERSON_FIELDS,
                "name_key",
                "mother_key",
            ],
        )

    def _layout(
        self, model: type[Model], given: list[str]
    ) -> tuple[str, list[str], tuple[Any, ...]]:
        """COPY statement for `given` columns followed by every other column at its default."""
        rest = [f for f in model._meta.concrete_fields if f.attname not in given]
        defaults: list[Any] = []
        for field in rest:
            if field.attname in ("created_at", "updated_at"):
                defaults.append(self.now)
            elif field.attname == "version":
                defaults.append(1)
            else:
                defaults.append(field.get_default())
        quote = connection.ops.quote_name
        columns = ", ".join(quote(name) for name in [*given, *(str(f.column) for f in rest)])
        sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        return sql, given, tuple(defaults)

    def insert_households(self, items: list[Any]) -> None:
        sql, given, tail = self.households
        encrypt = crypto.encrypt

        def rows() -> Iterator[tuple[Any, ...]]:
            for item in items:
                values = self._household_values(item)
                values["no_kk"] = encrypt(values["no_kk"])
                yield (*(values[name] for name in given), *tail)

        self._copy(sql, rows())

    def insert_people(self, items: list[Any]) -> None:
        sql, _given, tail = self.people
        encrypt, new_id = crypto.encrypt, uuid.uuid4
        rows = (
            (
                new_id(),
                encrypt(nik),
                hashed,
                note,
                household.id,
                household.wilayah,
                values["name"],
                values["sex"],
                values["birth_place"],
                values["birth_date"],
                values["mother_name"],
                values["relation"],
                name_key(values["name"]),
                name_key(values["mother_name"]) if values["mother_name"] else "",
                *tail,
            )
            for nik, hashed, note, household, values in items
        )
        self._copy(sql, rows)

    def _copy(self, sql: str, rows: Iterator[tuple[Any, ...]]) -> None:
        """Make the chunk's rows (encrypting, keying), then COPY them. (Streaming them into
        an open COPY, with or without psycopg's writer thread, measured no faster on two
        cores: see docs/benchmarks.md.)"""
        start = time.perf_counter()
        ready = list(rows)
        copying = time.perf_counter()
        # psycopg's COPY is not Django's cursor API: its errors (a NIK saved meanwhile) are
        # turned into Django's here, so that the write reports them as such.
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.copy(sql) as copy,  # type: ignore[attr-defined]
        ):
            for row in ready:
                copy.write_row(row)
        done = time.perf_counter()
        for name, seconds in (("encrypt and key", copying - start), ("COPY", done - copying)):
            self.timings[name] = self.timings.get(name, 0.0) + seconds


def _writer(now: datetime.datetime, today: datetime.date) -> _Writer:
    if connection.vendor == "postgresql":
        return _CopyWriter(now=now, today=today)
    return _Writer(now=now, today=today)


# --- one pass over a stored file ------------------------------------------------------------


class _Superseded(Exception):
    """The job was started again (a retry) while this run was still going: this run stops."""


class _Progress:
    """Writes how far the run is, at most once a second, with a heartbeat. While the write
    transaction is open its own updates would be invisible to the progress page, so on
    PostgreSQL they go through a second connection; SQLite allows one writer at a time, so
    there the bar waits for the commit."""

    def __init__(self, job: ImportJob, *, in_transaction: bool) -> None:
        self.job_id = job.pk
        self.run_id = job.run_id
        self.total = job.total_rows if in_transaction else 0
        self.last = 0.0
        self.side: Any = None
        self.mode = "direct"
        if in_transaction:
            self.mode = "side" if connection.vendor == "postgresql" else "off"

    def __call__(self, processed: int, estimate: int = 0) -> None:
        now = time.monotonic()
        if self.mode == "off" or now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        total = max(self.total or estimate, processed)
        if self.mode == "side":
            self._side_update(processed, total)
            return
        updated = ImportJob.objects.filter(pk=self.job_id, run_id=self.run_id).update(
            processed_rows=processed, total_rows=total, heartbeat_at=timezone.now()
        )
        if not updated:
            raise _Superseded

    def _side_update(self, processed: int, total: int) -> None:
        try:
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET processed_rows = %s, "  # noqa: S608
                    "total_rows = %s, heartbeat_at = %s WHERE id = %s AND run_id = %s",
                    [processed, total, timezone.now(), self.job_id, self.run_id],
                )
        except DatabaseError:
            logger.warning("Import %s: progress not written", self.job_id, exc_info=True)
            self.mode = "off"

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """A pass keeps a few hundred thousand small objects alive (households, NIKs seen); the
    cyclic garbage collector would walk them all again and again as more are made, which made
    a million-row file several times slower. Nothing the pass makes forms reference cycles,
    so the collector pauses for the pass (reference counting still frees everything)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_file(
    stored: IO[bytes],
    *,
    actor: User,
    writer: _Writer | None = None,
    reason: str = "",
    progress: Callable[..., None] | None = None,
    lookups: bool = True,
) -> Run:
    """Check every row of the file (and write it, with a writer). Raises TableError for a file
    that cannot be read at all. The caller owns the transaction. `lookups=False` leaves out
    looking the rows up in the registry: only for a file known to have none there."""
    with open_table(stored) as table, _region_checks_once(), _no_cyclic_gc():
        positions, labels = _columns(table.header)
        run = Run(
            actor=actor,
            positions=positions,
            labels=labels,
            writer=writer,
            reason=reason,
            lookups=lookups,
        )
        if writer is not None:
            writer.timings = run.timings
        chunk: list[tuple[int, Sequence[Any]]] = []
        start = time.perf_counter()
        for item in table.rows:
            chunk.append(item)
            if len(chunk) >= CHUNK:
                start = run._timed("read the file", start)
                if run.counts.rows + len(chunk) > MAX_ROWS:
                    raise TableError(
                        _("The file has more than %(max)s rows. Split it into smaller files.")
                        % {"max": f"{MAX_ROWS:,}"}
                    )
                run.feed(chunk)
                chunk = []
                if progress is not None:
                    progress(run.counts.rows, table.estimated_rows)
                start = time.perf_counter()
        run._timed("read the file", start)
        if chunk:
            run.feed(chunk)
        run.finish()
    return run


# --- the job: upload, check, apply, write -------------------------------------------------


def _enqueue(job: ImportJob) -> None:
    from .tasks import import_job_run

    run_id = job.run_id
    transaction.on_commit(lambda: import_job_run.enqueue(str(job.pk), run_id))


def _new_run_id() -> str:
    return get_random_string(24)


def import_job_create(*, actor: User, upload: UploadedFile, language: str = "") -> ImportJob:
    """Keep the uploaded file and queue its check. Nothing about residents is written."""
    areas = actor.areas_for(Perm.MANAGE_RESIDENTS)
    if not areas:
        raise NotAllowed(_("You may only record residents inside your own area."))
    if upload.size and upload.size > max_upload_bytes():
        raise TableError(
            _("The file is larger than %(mb)s MB. Split it into smaller files.")
            % {"mb": max_upload_bytes() // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head.strip():
        raise TableError(_("The file is empty."))
    if head.startswith(xlsx.OLE_MAGIC):
        raise TableError(
            _(
                "This is an old Excel file (.xls). In Excel choose Save As and pick "
                "'Excel Workbook (.xlsx)' or 'CSV UTF-8'."
            )
        )
    digest = hashlib.sha256()
    for block in upload.chunks():
        digest.update(block)
    upload.seek(0)
    extension = "xlsx" if head.startswith(ZIP_MAGIC) else "csv"
    file_name = os.path.basename(upload.name or "")[:200] or extension
    upload.name = f"{uuid.uuid4().hex}.{extension}"
    with transaction.atomic():
        job = audited_create(
            ImportJob,
            actor=actor,
            wilayah_id=areas[0],
            uploaded_by=actor,
            file=upload,
            file_name=file_name,
            sha256=digest.hexdigest(),
            language=language or translation.get_language() or settings.LANGUAGE_CODE,
            status=ImportState.QUEUED,
            run_id=_new_run_id(),
            heartbeat_at=timezone.now(),
        )
        _enqueue(job)
    return job


def _manages(actor: User, job: ImportJob) -> None:
    if not actor.can_in(Perm.MANAGE_RESIDENTS, job.wilayah_id):
        raise NotAllowed(_("You may only record residents inside your own area."))


@transaction.atomic
def import_job_apply(*, actor: User, job: ImportJob) -> ImportJob:
    """Queue the write of a checked file."""
    _manages(actor, job)
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.status != ImportState.READY:
        raise InvalidState(_("Only a checked file without errors can be applied."))
    if not (locked.new_count or locked.updated_count or locked.household_updated_count):
        raise InvalidState(_("Every row is in Garda already: there is nothing to write."))
    audited_update(
        locked,
        actor=actor,
        data={
            "status": ImportState.WRITING,
            "applied_by": actor,
            "run_id": _new_run_id(),
            "processed_rows": 0,
            "heartbeat_at": timezone.now(),
            "started_at": None,
            "finished_at": None,
            "error": "",
        },
    )
    _enqueue(locked)
    return locked


def import_job_is_stale(job: ImportJob) -> bool:
    """A running job whose worker has not reported for a while: it died (killed, out of
    memory, server restarted). Its write, one transaction, was rolled back by the database."""
    if job.status not in ImportJob.RUNNING or job.heartbeat_at is None:
        return False
    return timezone.now() - job.heartbeat_at > stale_after()


@transaction.atomic
def import_job_retry(*, actor: User, job: ImportJob) -> ImportJob:
    """Start a failed or stalled job again from the check. Safe even if the old worker still
    runs: it notices the new run id and rolls back its own work."""
    _manages(actor, job)
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not (locked.status == ImportState.FAILED or import_job_is_stale(locked)):
        raise InvalidState(_("This import is not stalled or failed; there is nothing to retry."))
    audited_update(
        locked,
        actor=actor,
        data={
            "status": ImportState.QUEUED,
            "run_id": _new_run_id(),
            "processed_rows": 0,
            "heartbeat_at": timezone.now(),
            "finished_at": None,
            "error": "",
        },
        reason=_("Started again"),
    )
    _enqueue(locked)
    return locked


def import_job_process(*, job_id: str, run_id: str) -> str:
    """The task's work: check a queued job, or write an applied one. Returns the new status."""
    job = ImportJob.objects.filter(pk=job_id, run_id=run_id).select_related("uploaded_by").first()
    if job is None:
        return "superseded"
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if job.status == ImportState.QUEUED:
                _check(job)
            elif job.status == ImportState.WRITING:
                _write(job)
        except _Superseded:
            return "superseded"
        except Exception as error:
            logger.exception("Import %s failed", job.pk)
            _finish(
                job,
                status=ImportState.FAILED,
                error=_(
                    "The import stopped because of an unexpected error (%(error)s). Nothing "
                    "was written."
                )
                % {"error": type(error).__name__},
            )
            raise
    return job.status


def _finish(job: ImportJob, **fields: Any) -> None:
    fields.setdefault("finished_at", timezone.now())
    ImportJob.objects.filter(pk=job.pk, run_id=job.run_id).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


def _start(job: ImportJob, status: str) -> None:
    now = timezone.now()
    updated = ImportJob.objects.filter(pk=job.pk, run_id=job.run_id).update(
        status=status, started_at=now, heartbeat_at=now, processed_rows=0, finished_at=None
    )
    if not updated:
        raise _Superseded
    job.status, job.started_at, job.heartbeat_at, job.processed_rows = status, now, now, 0


@contextmanager
def _stored_file(job: ImportJob) -> Iterator[IO[bytes]]:
    with job.file.open("rb") as stored:
        yield stored  # type: ignore[misc]


def _outcome_fields(run: Run) -> dict[str, Any]:
    return {
        "total_rows": run.counts.rows,
        "processed_rows": run.counts.rows,
        "new_count": run.counts.new,
        "updated_count": run.counts.updated,
        "unchanged_count": run.counts.unchanged,
        "household_new_count": run.counts.households_new,
        "household_updated_count": run.counts.households_updated,
        "bad_count": run.problems.bad_rows,
        "warning_count": run.problems.warned_rows,
        "problem_count": run.problems.count,
        "problems": run.problems.kept(),
    }


def _save_problems(job: ImportJob, run: Run) -> str:
    if job.problems_file:
        job.problems_file.delete(save=False)
    handle = run.problems.file()
    if handle is None:
        return ""
    name = job.problems_file.field.generate_filename(job, f"{uuid.uuid4().hex}-masalah.csv")
    return job.problems_file.storage.save(name, File(handle))


def _file_problem(job: ImportJob, error: TableError) -> None:
    _finish(
        job,
        status=ImportState.INVALID,
        bad_count=1,
        problem_count=1,
        problems=[{"row": None, "column": "", "message": error.message, "level": "error"}],
    )


def _check(job: ImportJob) -> None:
    actor = job.uploaded_by
    if actor is None:
        _finish(
            job,
            status=ImportState.FAILED,
            error=_("The user who uploaded the file no longer exists."),
        )
        return
    _start(job, ImportState.VALIDATING)
    _check_started(job)
    progress = _Progress(job, in_transaction=False)
    try:
        with _stored_file(job) as stored:
            run = run_file(stored, actor=actor, progress=progress)
    except TableError as error:
        _file_problem(job, error)
        return
    try:
        fields = _outcome_fields(run)
        fields["problems_file"] = _save_problems(job, run)
        fields["status"] = ImportState.INVALID if run.problems.bad_rows else ImportState.READY
        if fields["status"] == ImportState.READY and not run.stored_seen:
            _check_found_nothing_stored(job)
        _finish(job, **fields)
    finally:
        run.problems.close()


class _Invalid(Exception):
    def __init__(self, run: Run) -> None:
        self.run = run


def _write(job: ImportJob) -> None:
    actor = job.applied_by
    if actor is None:
        _finish(
            job,
            status=ImportState.FAILED,
            error=_("The user who applied the file no longer exists."),
        )
        return
    _start(job, ImportState.WRITING)
    progress = _Progress(job, in_transaction=True)
    reason = _("Import of %(file)s") % {"file": job.file_name}
    try:
        with _stored_file(job) as stored:
            if _sha256(stored) != job.sha256:
                _finish(
                    job,
                    status=ImportState.FAILED,
                    error=_("The stored file differs from the one checked. Upload it again."),
                )
                return
            with transaction.atomic():
                now = timezone.now()
                unchanged = _unchanged_since_check(job)
                run = run_file(
                    stored,
                    actor=actor,
                    writer=_writer(now, timezone.localdate()),
                    reason=reason,
                    progress=progress,
                    lookups=not unchanged,
                )
                logger.info(
                    "Import %s: registry %s since the check, lookups %s",
                    job.pk,
                    "unchanged" if unchanged else "maybe changed",
                    "left out" if unchanged else "done",
                )
                if run.problems.bad_rows:
                    raise _Invalid(run)
                progress.close()
                locked = ImportJob.objects.select_for_update().filter(pk=job.pk, run_id=job.run_id)
                if not locked.exists():
                    raise _Superseded
                fields = _outcome_fields(run)
                fields["problems_file"] = _save_problems(job, run)
                run.problems.close()
                _forget_check(job)
                _finish(job, status=ImportState.DONE, **fields)
                audit_record(
                    actor=actor,
                    action=Action.UPDATE,
                    obj=job,
                    changes={
                        "status": [ImportState.WRITING, ImportState.DONE],
                        "household_new_count": [0, run.counts.households_new],
                        "household_updated_count": [0, run.counts.households_updated],
                        "new_count": [0, run.counts.new],
                        "updated_count": [0, run.counts.updated],
                        "unchanged_count": [0, run.counts.unchanged],
                        "sha256": [None, job.sha256],
                    },
                    reason=reason,
                )
    except _Invalid as invalid:
        # Garda changed since the check: nothing was written; show what is wrong now.
        fields = _outcome_fields(invalid.run)
        fields["problems_file"] = _save_problems(job, invalid.run)
        invalid.run.problems.close()
        _finish(job, status=ImportState.INVALID, **fields)
    except TableError as error:
        _file_problem(job, error)
    except IntegrityError:
        _finish(
            job,
            status=ImportState.FAILED,
            error=_(
                "Someone saved some of these residents while the file was being written. "
                "Nothing was written: start the import again."
            ),
        )
    finally:
        progress.close()


# --- has the registry changed since the check? (PostgreSQL, tables of migration 0008) -------

REVISION_LOCK = 190_104_008  # advisory lock: recording a check's snapshot, pruning revisions
CHECK_KEPT = "7 days"  # a check older than this is not trusted: the write checks everything


def _check_started(job: ImportJob) -> None:
    """Record the snapshot the check starts from, before it reads anything: every registry
    write it may have missed is by a transaction not visible in it. Also forgets revisions no
    recorded check needs (older than the oldest recorded snapshot) and checks older than
    CHECK_KEPT. Serialised by an advisory lock, so that pruning never removes a revision that
    a check being recorded at the same moment would need."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REVISION_LOCK])
        cursor.execute(
            "DELETE FROM registry_import_check WHERE job_id = %s "
            "OR checked_at < now() - %s::interval",
            [job.pk, CHECK_KEPT],
        )
        cursor.execute(
            "INSERT INTO registry_import_check (job_id, snapshot, nothing_stored, checked_at) "
            "VALUES (%s, pg_current_snapshot(), false, now())",
            [job.pk],
        )
        cursor.execute(
            "DELETE FROM registry_revision WHERE xact < "
            "(SELECT min(pg_snapshot_xmin(snapshot)) FROM registry_import_check)"
        )


def _check_found_nothing_stored(job: ImportJob) -> None:
    """The check found none of the file's NIKs and No KKs in the registry."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_import_check SET nothing_stored = true WHERE job_id = %s", [job.pk]
        )


def _unchanged_since_check(job: ImportJob) -> bool:
    """Inside the write transaction: whether the check found nothing of the file in the
    registry and no transaction has written residents or households since the check's
    snapshot (none committed that the snapshot did not see). Then the write's lookups would
    find nothing either and are left out. SQLite: always False (everything is checked)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.nothing_stored AND NOT EXISTS (SELECT 1 FROM registry_revision r "
            "WHERE r.xact >= pg_snapshot_xmin(c.snapshot) "
            "AND NOT pg_visible_in_snapshot(r.xact, c.snapshot)) "
            "FROM registry_import_check c WHERE c.job_id = %s "
            "AND c.checked_at >= now() - %s::interval",
            [job.pk, CHECK_KEPT],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _forget_check(job: ImportJob) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_import_check WHERE job_id = %s", [job.pk])


def _sha256(stored: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while block := stored.read(1024 * 1024):
        digest.update(block)
    stored.seek(0)
    return digest.hexdigest()
