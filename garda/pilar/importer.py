"""Import of social pillar members from XLSX or CSV: template, check, preview, apply.

Every row is checked before anything is written, with the rules of the form
(`services.pilar_check`) plus what only a file gets wrong: unknown type or region codes, a
region outside the uploader's area, bad dates, the same NIK twice. Applying is all-or-nothing:
one transaction, every write through the services (so audited like a form's), and a check
again first, because Garda may have changed since the preview.

A row whose NIK is already registered updates that profile, or changes nothing when the data
are the same, so importing a file twice writes nothing the second time. On an update an empty
cell leaves the stored value alone: a file that lists only names and phones never wipes dates
of birth. Organisations have no NIK; they are recognised by type, region and name.
"""

import hashlib
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.services import audited_create, audited_update
from garda.core.errors import GardaError, InvalidState, NotAllowed
from garda.core.nik import check_nik, normalise_digits
from garda.reports import xlsx
from garda.wilayah.models import Wilayah

from . import services
from .models import (
    Education,
    ImportBatch,
    ImportStatus,
    Pilar,
    PilarType,
    Placement,
    Religion,
    Sex,
    Status,
)

MAX_ROWS = 5000
DATA_SHEET = "pilar"
GUIDE_SHEET = "Petunjuk"


@dataclass(frozen=True)
class ImportColumn:
    """A column of the file. `name` is the header (a contract: Indonesian, lowercase, never
    translated); `field` the Pilar field it fills, if any."""

    name: str
    field: str
    help: Promise
    example: str = ""
    required: bool = False
    kind: xlsx.Kind = xlsx.Kind.TEXT
    width: int = 16
    as_text: bool = False  # formatted as Text in the template, so Excel keeps digits as typed


COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn(
        "jenis",
        "",
        gettext_lazy("Code of the pillar type, from the list below (psm, tksk, tagana...)."),
        "psm",
        required=True,
        width=14,
    ),
    ImportColumn(
        "nik",
        "nik",
        gettext_lazy(
            "The 16-digit NIK of a person; empty for an organisation. Keep the column "
            "formatted as Text so that Excel does not round it."
        ),
        "1901024508900001",
        required=True,
        width=20,
        as_text=True,
    ),
    ImportColumn(
        "nama", "name", gettext_lazy("Full name."), "Siti Aminah", required=True, width=28
    ),
    ImportColumn("jenis_kelamin", "sex", gettext_lazy("L (male) or P (female)."), "P", width=8),
    ImportColumn("tempat_lahir", "birth_place", gettext_lazy("Place of birth."), "Belinyu"),
    ImportColumn(
        "tanggal_lahir",
        "birth_date",
        gettext_lazy("Date of birth as dd/mm/yyyy, for example 05/08/1990."),
        "05/08/1990",
        kind=xlsx.Kind.DATE,
        width=14,
    ),
    ImportColumn(
        "agama", "religion", gettext_lazy("Religion: a code from the list below."), "islam"
    ),
    ImportColumn(
        "pendidikan",
        "education",
        gettext_lazy("Highest education: a code from the list below."),
        "sma",
        width=12,
    ),
    ImportColumn("pekerjaan", "occupation", gettext_lazy("Occupation."), "Wiraswasta", width=20),
    ImportColumn(
        "telepon",
        "phone",
        gettext_lazy("Phone or WhatsApp number."),
        "081234567890",
        width=16,
        as_text=True,
    ),
    ImportColumn("email", "email", gettext_lazy("Email address."), "", width=24),
    ImportColumn(
        "kode_wilayah",
        "",
        gettext_lazy(
            "Kemendagri code of the place of service: the desa or kelurahan of a PSM, the "
            "kecamatan of a TKSK, the kabupaten of a Tagana."
        ),
        "19.01.02.2007",
        required=True,
        width=16,
        as_text=True,
    ),
    ImportColumn("dusun", "dusun", gettext_lazy("Dusun of the home address."), "Dusun I"),
    ImportColumn("rt", "rt", gettext_lazy("RT of the home address."), "001", width=6, as_text=True),
    ImportColumn("rw", "rw", gettext_lazy("RW of the home address."), "002", width=6, as_text=True),
    ImportColumn(
        "alamat", "address", gettext_lazy("Street address."), "Jl. Raya Belinyu", width=28
    ),
    ImportColumn(
        "nomor_induk_ipsm",
        "ipsm_number",
        gettext_lazy("IPSM member number."),
        "",
        width=18,
        as_text=True,
    ),
    ImportColumn(
        "tanggal_bergabung",
        "joined_on",
        gettext_lazy("Date joined as dd/mm/yyyy."),
        "01/03/2019",
        kind=xlsx.Kind.DATE,
        width=14,
    ),
    ImportColumn(
        "status",
        "",
        gettext_lazy(
            "calon, aktif, nonaktif, berhenti or meninggal. Empty: calon for a new member, "
            "unchanged for a registered one."
        ),
        "aktif",
        width=12,
    ),
    ImportColumn(
        "catatan_nik",
        "nik_note",
        gettext_lazy(
            "Only when the NIK disagrees with the date of birth or sex and is still right: why."
        ),
        "",
        width=28,
    ),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
REQUIRED_COLUMNS = tuple(column.name for column in COLUMNS if column.required)
FIELD_COLUMN = {column.field: column.name for column in COLUMNS if column.field} | {
    "wilayah": "kode_wilayah",
    "jenis": "jenis",
    "status": "status",
}
TEXT_FIELDS = ("birth_place", "occupation", "email", "dusun", "address", "nik_note")
IDENTIFIER_FIELDS = ("rt", "rw", "ipsm_number")

SEX_WORDS = {
    "l": Sex.L,
    "lk": Sex.L,
    "laki-laki": Sex.L,
    "laki laki": Sex.L,
    "lakilaki": Sex.L,
    "pria": Sex.L,
    "p": Sex.P,
    "pr": Sex.P,
    "perempuan": Sex.P,
    "wanita": Sex.P,
}
RELIGION_WORDS = {
    "budha": Religion.BUDDHA,
    "protestan": Religion.KRISTEN,
    "kristen protestan": Religion.KRISTEN,
    "katholik": Religion.KATOLIK,
    "kristen katolik": Religion.KATOLIK,
    "khonghucu": Religion.KONGHUCU,
    "konghuchu": Religion.KONGHUCU,
}
EDUCATION_WORDS = {
    "smk": Education.SMA,
    "slta": Education.SMA,
    "ma": Education.SMA,
    "sltp": Education.SMP,
    "mts": Education.SMP,
    "mi": Education.SD,
    "d1": Education.D3,
    "d2": Education.D3,
    "d4": Education.S1,
    "s3": Education.S2,
}


@dataclass(frozen=True)
class Problem:
    """What the check says about one cell of one row (row None: about the whole file)."""

    row: int | None
    column: str
    message: str
    level: str = "error"  # "error" blocks the import, "warning" does not, "update" informs

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "level": self.level,
        }


@dataclass
class Row:
    """One row, parsed and checked, and what applying it will do."""

    number: int
    jenis: PilarType | None = None
    wilayah: Wilayah | None = None
    status: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    existing: Pilar | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    move: bool = False
    new_status: str = ""
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    nik_warnings: list[str] = field(default_factory=list)  # what a note on the NIK must answer

    def error(self, column: str, message: str) -> None:
        self.errors.append(Problem(self.number, column, message))

    def warn(self, column: str, message: str) -> None:
        self.warnings.append(Problem(self.number, column, message, "warning"))

    def has_error(self, column: str) -> bool:
        return any(problem.column == column for problem in self.errors)

    @property
    def action(self) -> str:
        if self.errors:
            return "bad"
        if self.existing is None:
            return "new"
        return "updated" if self.changes or self.move or self.new_status else "unchanged"


@dataclass
class Plan:
    rows: list[Row]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "row_count": len(self.rows),
            "new_count": self.count("new"),
            "updated_count": self.count("updated"),
            "unchanged_count": self.count("unchanged"),
            "bad_count": self.count("bad"),
        }

    @property
    def problems(self) -> list[dict[str, Any]]:
        found: list[Problem] = []
        for row in self.rows:
            found += row.errors + row.warnings
            if row.action == "updated":
                columns = [FIELD_COLUMN[name] for name in row.changes]
                columns += ["kode_wilayah"] if row.move else []
                columns += ["status"] if row.new_status else []
                found.append(Problem(row.number, ", ".join(columns), "", "update"))
        return [problem.as_json() for problem in found]


# --- the template ---------------------------------------------------------------------------


def import_template() -> bytes:
    """An empty data sheet with the columns, and a sheet explaining them with the valid codes.
    Identifier columns are formatted as Text and code columns offer drop-down lists."""
    workbook = xlsx.new_workbook(write_only=False)
    data = xlsx.add_sheet(
        workbook,
        title=DATA_SHEET,
        columns=[xlsx.Column(column.name, width=column.width) for column in COLUMNS],
        rows=[],
    )
    guide = workbook.create_sheet(GUIDE_SHEET)
    lists = _write_guide(guide)
    last_row = MAX_ROWS + 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        if column.as_text:
            data.column_dimensions[letter].number_format = xlsx.TEXT_FORMAT
        elif column.kind == xlsx.Kind.DATE:
            data.column_dimensions[letter].number_format = xlsx.DATE_FORMAT
        if column.name in lists:
            validation = DataValidation(
                type="list",
                formula1=lists[column.name],
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",
                error=_("Choose a value from the list on the %(sheet)s sheet.")
                % {"sheet": GUIDE_SHEET},
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            data.add_data_validation(validation)
    return xlsx.workbook_bytes(workbook)


def _write_guide(guide: Any) -> dict[str, str]:
    """Fill the instructions sheet; return, per coded column, the cell range of its codes."""
    bold = Font(bold=True)
    for letter, width in zip("ABCD", (22, 12, 70, 20), strict=True):
        guide.column_dimensions[letter].width = width
    line = 0

    def write(*values: str, strong: bool = False) -> int:
        nonlocal line
        line += 1
        for index, value in enumerate(values, start=1):
            cell = guide.cell(row=line, column=index, value=xlsx.safe_text(value))
            if strong:
                cell.font = bold
        return line

    write(_("One row per member, from row 2 of the first sheet. Keep the column names."))
    write(_("A member whose NIK is registered already is updated; empty cells keep stored values."))
    write(_("Nothing is written while any row has an error; the check lists every error."))
    line += 1
    write(_("Column"), _("Required"), _("What to write"), _("Example"), strong=True)
    for column in COLUMNS:
        write(column.name, _("yes") if column.required else "", str(column.help), column.example)
    code_lists: list[tuple[str, str, list[tuple[str, str]]]] = [
        (
            "jenis",
            _("Pillar types"),
            [(t.code, t.name) for t in PilarType.objects.filter(is_active=True)],
        ),
        ("jenis_kelamin", _("Sex"), [(str(v), str(label)) for v, label in Sex.choices]),
        ("agama", _("Religion"), [(str(v), str(label)) for v, label in Religion.choices]),
        ("pendidikan", _("Education"), [(str(v), str(label)) for v, label in Education.choices]),
        ("status", _("Status"), [(str(v), str(label)) for v, label in Status.choices]),
    ]
    ranges: dict[str, str] = {}
    for column_name, title, codes in code_lists:
        line += 1
        write(f"{column_name}: {title}", strong=True)
        first = line + 1
        for code, label in codes:
            write(code, "", label)
        ranges[column_name] = f"{GUIDE_SHEET}!$A${first}:$A${line}"
    return ranges


# --- checking -------------------------------------------------------------------------------


def plan_import(*, actor: User, table: xlsx.Table) -> Plan:
    """Parse and check every row; write nothing. The same call backs the preview and the apply."""
    records = list(table.records())
    types = {t.code: t for t in PilarType.objects.filter(is_active=True)}
    codes = {_region_code(record.get("kode_wilayah")) for _number, record in records}
    regions = {w.code: w for w in _in_chunks(Wilayah.objects.filter(is_active=True), "code", codes)}
    rows = [
        _parse(number, record, types=types, regions=regions, actor=actor)
        for number, record in records
    ]
    hashes = {services.nik_hash(row.data["nik"]) for row in rows if row.data.get("nik")}
    by_hash = {
        p.nik_hash: p for p in _in_chunks(Pilar.objects.select_related("jenis"), "nik_hash", hashes)
    }
    organisations = _organisations(rows)
    first_seen: dict[Any, int] = {}
    for row in rows:
        _check_row(row, actor=actor, by_hash=by_hash, organisations=organisations, seen=first_seen)
    return Plan(rows=rows)


def _in_chunks(queryset: Any, name: str, values: Iterable[Any]) -> list[Any]:
    """`queryset.filter(name__in=values)`, a few hundred values per query (SQLite's limit)."""
    ordered = sorted(v for v in values if v)
    found: list[Any] = []
    for start in range(0, len(ordered), 500):
        found += queryset.filter(**{f"{name}__in": ordered[start : start + 500]})
    return found


def _organisations(rows: Sequence[Row]) -> dict[tuple[int, str, str], Pilar]:
    """Registered organisations of the types and regions in the file, by (type, region, name)."""
    wanted = [r for r in rows if r.jenis and r.jenis.is_organisation and not r.data.get("nik")]
    if not wanted:
        return {}
    found = _in_chunks(
        Pilar.objects.select_related("jenis").filter(
            jenis__is_organisation=True, nik_hash__isnull=True
        ),
        "wilayah_id",
        {r.wilayah.code for r in wanted if r.wilayah},
    )
    return {(p.jenis_id, p.wilayah_id, p.name.casefold()): p for p in found}


def _region_code(value: Any) -> str:
    """'1901022007' or '19.01.02.2007' -> '19.01.02.2007'; Excel's 19.1 (a number) -> '19.10'."""
    if isinstance(value, float):
        return f"{value:.2f}"
    text = xlsx.text_value(value).replace(" ", "")
    if text.isdigit() and len(text) in (4, 6, 10):
        parts = [text[0:2], text[2:4], text[4:6], text[6:10]]
        return ".".join(part for part in parts if part)
    return text


def _code(value: Any) -> str:
    return "_".join(xlsx.text_value(value).lower().split())


def _parse(
    number: int,
    record: dict[str, Any],
    *,
    types: dict[str, PilarType],
    regions: dict[str, Wilayah],
    actor: User,
) -> Row:
    row = Row(number)
    code = _code(record.get("jenis"))
    if not code:
        row.error("jenis", _("The type is empty. Write a code from the instructions, e.g. psm."))
    elif code not in types:
        row.error(
            "jenis",
            _("Unknown type %(code)s. The codes are listed in the instructions.") % {"code": code},
        )
    else:
        row.jenis = types[code]

    region = _region_code(record.get("kode_wilayah"))
    if not region:
        row.error("kode_wilayah", _("The region code is empty."))
    elif region not in regions:
        row.error("kode_wilayah", _("Unknown region code %(code)s.") % {"code": region})
    elif not actor.can_in(Perm.MANAGE_PILAR, region):
        row.error(
            "kode_wilayah",
            _("%(region)s (%(code)s) is outside your area.")
            % {"region": regions[region], "code": region},
        )
    else:
        row.wilayah = regions[region]

    row.data["name"] = xlsx.text_value(record.get("nama"))
    _parse_nik(row, record.get("nik"))
    _parse_choice(row, record, "jenis_kelamin", "sex", Sex.choices, SEX_WORDS)
    _parse_choice(row, record, "agama", "religion", Religion.choices, RELIGION_WORDS)
    _parse_choice(row, record, "pendidikan", "education", Education.choices, EDUCATION_WORDS)
    row.status = _parse_choice(row, record, "status", "", Status.choices, {}) or ""
    for column in COLUMNS:
        if column.kind == xlsx.Kind.DATE and column.name in record:
            try:
                day = xlsx.date_value(record[column.name])
            except xlsx.CellError as error:
                row.error(column.name, error.message)
            else:
                if day is not None:
                    row.data[column.field] = day
    for name in TEXT_FIELDS:
        if text := xlsx.text_value(record.get(FIELD_COLUMN[name])):
            row.data[name] = text
    for name in IDENTIFIER_FIELDS:
        column_name = FIELD_COLUMN[name]
        try:
            text = xlsx.digits_value(record.get(column_name))
        except xlsx.CellError as error:
            row.error(column_name, error.message)
            continue
        if text:
            row.data[name] = text
    _parse_phone(row, record.get("telepon"))
    return row


def _parse_nik(row: Row, value: Any) -> None:
    try:
        nik = normalise_digits(xlsx.digits_value(value))
    except xlsx.ScientificNotation:
        row.error(
            "nik",
            _(
                "The NIK is written as a number in scientific notation (%(value)s), so its last "
                "digits are lost. Format the column as Text and type the NIK again."
            )
            % {"value": xlsx.text_value(value)},
        )
        return
    except xlsx.CellError as error:
        row.error("nik", error.message)
        return
    if nik:
        row.data["nik"] = nik
    if xlsx.is_number(value) and nik.endswith("0"):
        row.warn(
            "nik",
            _(
                "The NIK was stored as a number and Excel keeps only 15 digits: check that its "
                "last digit is right."
            ),
        )


def _parse_phone(row: Row, value: Any) -> None:
    try:
        phone = xlsx.digits_value(value)
    except xlsx.CellError as error:
        row.error("telepon", error.message)
        return
    if xlsx.is_number(value) and phone.startswith("8"):
        phone = "0" + phone  # Excel drops the leading zero of 0812...
    if phone:
        row.data["phone"] = phone


def _parse_choice(
    row: Row,
    record: dict[str, Any],
    column: str,
    field_name: str,
    choices: list[tuple[Any, Any]],
    words: Mapping[str, str],
) -> str | None:
    text = xlsx.text_value(record.get(column))
    if not text:
        return None
    valid = {str(value).lower(): str(value) for value, _label in choices}
    key = text.lower()
    value = valid.get(key) or words.get(key) or words.get(key.replace(" ", ""))
    if value is None:
        row.error(
            column,
            _("%(value)s is not one of: %(allowed)s.")
            % {"value": text, "allowed": ", ".join(str(v) for v, _label in choices)},
        )
        return None
    if field_name:
        row.data[field_name] = value
    return value


def _check_row(
    row: Row,
    *,
    actor: User,
    by_hash: dict[str, Pilar],
    organisations: dict[tuple[int, str, str], Pilar],
    seen: dict[Any, int],
) -> None:
    nik = row.data.get("nik", "")
    if nik:
        row.existing = by_hash.get(services.nik_hash(nik) or "")
    elif row.jenis and row.jenis.is_organisation and row.wilayah:
        key = (row.jenis.pk, row.wilayah.code, row.data["name"].casefold())
        row.existing = organisations.get(key)
    if row.jenis and row.wilayah:
        data = row.data
        if row.existing is not None:  # checked as it will be saved: stored values + the file's
            stored = {name: getattr(row.existing, name) for name in services.PROFILE_FIELDS}
            data = stored | row.data
        problems = services.pilar_check(
            jenis=row.jenis, wilayah=row.wilayah, data=data, existing=row.existing
        )
        for name, message in problems.errors:
            column = FIELD_COLUMN.get(name, name)
            if not row.has_error(column):  # "NIK required" after "NIK unreadable" says nothing
                row.error(column, message)
        for name, message in problems.warnings:
            row.warn(FIELD_COLUMN.get(name, name), message)
            row.nik_warnings.append(message)
    else:  # the type or region is unknown: still say what else is wrong
        if not row.data["name"]:
            row.error("nama", _("The name is empty."))
        if nik:
            for message in check_nik(nik).errors:
                row.error("nik", message)
    _check_fields(row)
    _check_duplicate(row, seen)
    if not row.errors and row.existing is not None:
        _plan_update(row, actor=actor)
    elif not row.errors and row.nik_warnings and not row.data.get("nik_note"):
        row.data["nik_note"] = " ".join(row.nik_warnings)[:300]


def _check_fields(row: Row) -> None:
    """The model's own limits (lengths, email) on the values the file gives."""
    checked = {name for name in row.data if name != "nik" and not row.has_error(FIELD_COLUMN[name])}
    if not row.data["name"]:
        checked.discard("name")
    candidate = Pilar(**{name: row.data[name] for name in checked})
    exclude = [f.name for f in Pilar._meta.fields if f.name not in checked]
    try:
        candidate.clean_fields(exclude=exclude)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            row.error(FIELD_COLUMN.get(name, name), " ".join(messages))


def _check_duplicate(row: Row, seen: dict[Any, int]) -> None:
    nik = row.data.get("nik", "")
    if nik and not row.has_error("nik"):
        key: Any = nik
        message = _("The same NIK is also on row %(row)s.")
        column = "nik"
    elif not nik and row.jenis and row.jenis.is_organisation and row.wilayah:
        key = (row.jenis.pk, row.wilayah.code, row.data["name"].casefold())
        message = _("The same organisation is also on row %(row)s.")
        column = "nama"
    else:
        return
    if key in seen:
        row.error(column, message % {"row": seen[key]})
    else:
        seen[key] = row.number


def _plan_update(row: Row, *, actor: User) -> None:
    """What an already registered member's row changes; refuse what import cannot change."""
    existing = row.existing
    assert existing is not None and row.jenis is not None and row.wilayah is not None  # noqa: S101
    if not actor.can_in(Perm.MANAGE_PILAR, existing.wilayah_id):
        row.error("nik", _("A profile with this NIK already exists outside your area."))
        return
    if existing.jenis_id != row.jenis.pk:
        row.error(
            "jenis",
            _("This member is registered as %(type)s; the type cannot be changed by import.")
            % {"type": existing.jenis},
        )
        return
    data = dict(row.data)
    if row.nik_warnings and not data.get("nik_note") and not existing.nik_note:
        data["nik_note"] = " ".join(row.nik_warnings)[:300]
    row.changes = {
        name: value
        for name, value in data.items()
        if name != "nik" and getattr(existing, name) != value
    }
    row.move = row.wilayah.code != existing.wilayah_id
    if row.move:
        today = timezone.localdate()
        current = Placement.objects.filter(pilar=existing, end__isnull=True).first()
        if current is not None and current.start >= today:
            row.error(
                "kode_wilayah",
                _(
                    "This member's place of service changed on %(date)s; it can move again only "
                    "from the next day."
                )
                % {"date": current.start.strftime("%d/%m/%Y")},
            )
    if row.status and row.status != existing.status:
        if existing.status == Status.MENINGGAL:
            row.error("status", _("The status of a deceased member cannot change."))
        row.new_status = row.status


# --- the batch: upload and apply --------------------------------------------------------------


def read_upload(content: bytes) -> xlsx.Table:
    """The table of an uploaded file, refused whole if it cannot be read or lacks columns."""
    table = xlsx.read_table(content, max_rows=MAX_ROWS)
    missing = [name for name in REQUIRED_COLUMNS if name not in table.columns]
    if missing:
        raise xlsx.TableError(
            _(
                "The first row lacks the columns %(names)s. Download the template to see the "
                "column names."
            )
            % {"names": ", ".join(missing)}
        )
    return table


def import_batch_create(*, actor: User, upload: UploadedFile) -> ImportBatch:
    """Keep the uploaded file, check every row and record the result for the preview.
    Nothing about members is written here."""
    areas = actor.areas_for(Perm.MANAGE_PILAR)
    if not areas:
        raise NotAllowed(_("You may only manage social workers inside your own area."))
    limit = settings.GARDA_MAX_UPLOAD_MB * 1024 * 1024
    if upload.size and upload.size > limit:
        raise xlsx.TableError(
            _("The file is larger than %(mb)s MB. Split it into smaller files.")
            % {"mb": settings.GARDA_MAX_UPLOAD_MB}
        )
    content = upload.read()
    table = read_upload(content)
    plan = plan_import(actor=actor, table=table)
    extension = "xlsx" if content.startswith(xlsx.ZIP_MAGIC) else "csv"
    fields: dict[str, Any] = {
        "wilayah_id": areas[0],
        "uploaded_by": actor,
        "file": ContentFile(content, name=f"{uuid.uuid4().hex}.{extension}"),
        "file_name": os.path.basename(upload.name or "")[:200] or extension,
        "sha256": hashlib.sha256(content).hexdigest(),
        "problems": plan.problems,
        **plan.counts,
    }
    return audited_create(ImportBatch, actor=actor, **fields)


class _Stale(Exception):
    def __init__(self, plan: Plan) -> None:
        self.plan = plan


class _RowFailed(Exception):
    def __init__(self, number: int, message: str) -> None:
        self.number = number
        self.message = message


def import_batch_apply(*, actor: User, batch: ImportBatch) -> ImportBatch:
    """Write every row of a checked batch in one transaction, or nothing.

    Garda is checked again first: if the result differs from the preview the user saw, nothing
    is written and the batch shows the new result. A batch is applied once; later calls refuse.
    """
    try:
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            if locked.status != ImportStatus.PREVIEW:
                raise InvalidState(_("This file has been applied already; nothing was written."))
            if locked.bad_count:
                raise InvalidState(_("Correct the rows with errors and upload the file again."))
            if not actor.can_in(Perm.MANAGE_PILAR, locked.wilayah_id):
                raise NotAllowed(_("You may only manage social workers inside your own area."))
            content = _stored_content(locked)
            plan = plan_import(actor=actor, table=read_upload(content))
            if plan.counts != _counts_of(locked):
                raise _Stale(plan)
            reason = _("Imported from %(file)s") % {"file": locked.file_name}
            for row in plan.rows:
                _write(row, actor=actor, reason=reason)
            audited_update(
                locked,
                actor=actor,
                data={"status": ImportStatus.APPLIED, "applied_at": timezone.now()},
            )
    except _Stale as stale:
        audited_update(
            batch, actor=actor, data={**stale.plan.counts, "problems": stale.plan.problems}
        )
        raise InvalidState(
            _(
                "Members in Garda changed after this file was checked. Nothing was written: "
                "look at the new result and apply again."
            )
        ) from None
    except _RowFailed as failed:
        problem = Problem(failed.number, "", failed.message)
        audited_update(
            batch,
            actor=actor,
            data={"status": ImportStatus.FAILED, "problems": [*batch.problems, problem.as_json()]},
        )
        raise GardaError(
            _("Nothing was written. Row %(row)s: %(message)s")
            % {"row": failed.number, "message": failed.message}
        ) from None
    batch.refresh_from_db()
    return batch


def _stored_content(batch: ImportBatch) -> bytes:
    with batch.file.open("rb") as stored:
        content = stored.read()
    if hashlib.sha256(content).hexdigest() != batch.sha256:
        raise InvalidState(_("The stored file differs from the one checked. Upload it again."))
    return content


def _counts_of(batch: ImportBatch) -> dict[str, int]:
    return {
        "row_count": batch.row_count,
        "new_count": batch.new_count,
        "updated_count": batch.updated_count,
        "unchanged_count": batch.unchanged_count,
        "bad_count": batch.bad_count,
    }


def _write(row: Row, *, actor: User, reason: str) -> None:
    if row.action == "unchanged":
        return
    try:
        _write_row(row, actor=actor, reason=reason)
    except GardaError as error:
        raise _RowFailed(row.number, error.message) from error
    except ValidationError as error:
        raise _RowFailed(row.number, " ".join(error.messages)) from error
    except IntegrityError as error:
        raise _RowFailed(
            row.number, _("Another user saved the same member at the same time.")
        ) from error


def _write_row(row: Row, *, actor: User, reason: str) -> None:
    assert row.jenis is not None and row.wilayah is not None  # noqa: S101 - checked rows
    if row.existing is None:
        services.pilar_register(
            actor=actor,
            jenis=row.jenis,
            wilayah=row.wilayah,
            data=row.data,
            status=row.status or Status.CALON,
            reason=reason,
        )
        return
    pilar = row.existing
    if row.changes:
        services.pilar_update(actor=actor, pilar=pilar, data=row.changes)
    if row.move:
        services.pilar_move(
            actor=actor, pilar=pilar, wilayah=row.wilayah, start=timezone.localdate(), reason=reason
        )
    if row.new_status:
        services.pilar_set_status(actor=actor, pilar=pilar, status=row.new_status, reason=reason)
